package kr.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import kr.train.CheckpointException;
import kr.config.ConfigException;
import kr.train.DataException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code kr} command line. Run it through the launcher script {@code bin/kr} at the repository
 * root, which builds the jars when needed and passes the JVM flags.
 *
 * <pre>{@code bin/kr demo                      # train a small CNN on the bundled CIFAR-10 subset
 * bin/kr train --model resnet20 --data data/cifar10 --out runs/r20
 * bin/kr eval --checkpoint runs/r20 }</pre>
 */
@Command(name = "kr", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Train, evaluate and inspect CIFAR classifiers on kr, a tensor and autograd engine written in Java.", ""},
        subcommands = {DemoCommand.class, TrainCommand.class, DistillCommand.class, ReproduceCommand.class, ProfileCommand.class, EvalCommand.class, ModelsCommand.class, DataCommand.class, ImportCommand.class,
            CommandLine.HelpCommand.class},
        commandListHeading = "%nCommands:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  # train a small CNN on the bundled CIFAR-10 subset (minutes):",
            "  kr demo",
            "  kr train --model resnet20 --data data/cifar10 --out runs/r20",
            "  # continue a stopped run exactly where it stopped:",
            "  kr train --resume --out runs/r20",
            "  # test loss, top-1 and top-5 of the run's best weights:",
            "  kr eval --checkpoint runs/r20",
            "  # options and examples of one command:",
            "  kr train --help",
            "",
            "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error,",
            "  3 data error (missing or unreadable data),",
            "  4 checkpoint error (missing, corrupt, or not fitting the model), 143 stopped by SIGTERM/Ctrl-C",
            "  after saving a checkpoint (--resume continues it).",
            "Environment: KR_DEBUG=1 prints stack traces; KR_PROGRESS=tty|plain|off sets the progress display;",
            "  KR_JAVA_OPTS passes extra JVM options (e.g. -Xmx8g) through the bin/kr launcher;",
            "  KR_CACHE_DIR holds decoded image folders (default ~/.cache/kr).",
            "The JVM's line 'WARNING: Using incubator modules: jdk.incubator.vector' is expected: kr's fast CPU",
            "  backend is built on the Vector API, which the JDK still ships as an incubator module."})
public final class Main implements Runnable {
    /** Exit statuses; STOPPED (128 + SIGTERM, as if the signal had ended the process) follows a checkpoint saved on a stop request. */
    public static final int OK = 0, FAILURE = 1, USAGE = 2, DATA = 3, CHECKPOINT = 4, STOPPED = 143;

    @Spec
    CommandSpec spec;

    /** Where commands print results (stdout) and diagnostics (stderr). */
    PrintStream out = System.out, err = System.err;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try `kr demo`, or `kr --help` for the list)");
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Runs the command line and returns its exit status. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        Main main = new Main();
        main.out = out;
        main.err = err;
        CommandLine cl = new CommandLine(main);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setUsageHelpWidth(100);
        // a usage error is one line like any other error (picocli would print its message and the whole help)
        cl.setParameterExceptionHandler((ex, args1) -> {
            CommandLine c = ex.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            String msg = (ex.getMessage() == null ? ex.toString() : ex.getMessage()).strip().replaceAll("\\s*\\R\\s*", "; ");
            if (!msg.startsWith("[")) msg = "[usage] " + msg;
            String hint = "";
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty())
                hint = " (did you mean " + String.join(" or ", u.getSuggestions().subList(0, Math.min(3, u.getSuggestions().size()))) + "?)";
            err.println(name + ": " + kr.io.Json.printable(msg) + hint + "; `" + name + " --help` lists the options");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            int code = exitCode(ex);
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            err.println(c.getCommandSpec().qualifiedName() + ": " + msg);
            if (System.getenv("KR_DEBUG") != null) ex.printStackTrace(err);
            else if (code == FAILURE && !(ex instanceof java.io.IOException) && !msg.startsWith("["))
                err.println("(an unexpected " + ex.getClass().getSimpleName() + "; set KR_DEBUG=1 for the stack trace)");
            return code;
        });
        try {
            return cl.execute(args);
        } catch (StackOverflowError | OutOfMemoryError e) { // picocli hands commands' Exceptions to the handler above, not Errors
            String what = e instanceof OutOfMemoryError ? "out of memory (" + e.getMessage() + "); give the JVM more with KR_HEAP=16g or KR_JAVA_OPTS=-Xmx16g"
                    : "stack overflow (an input nested too deeply, or a graph too deep for -Xss)";
            err.println("kr: [internal] " + what);
            if (System.getenv("KR_DEBUG") != null) e.printStackTrace(err);
            return FAILURE;
        }
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof ConfigException || ex instanceof CommandLine.ParameterException) return USAGE;
        if (ex instanceof DataException) return DATA;
        if (ex instanceof CheckpointException) return CHECKPOINT;
        return FAILURE;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"kr " + kr.engine.Provenance.version() + " (commit " + kr.engine.Provenance.commit() + ")",
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
