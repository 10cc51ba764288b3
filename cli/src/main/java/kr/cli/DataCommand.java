package kr.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import kr.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kr data}: fetch and inspect data sets. */
@Command(name = "data", mixinStandardHelpOptions = true, description = {"Download or inspect data sets.", ""}, subcommands = {DataCommand.Download.class, DataCommand.Info.class},
        footerHeading = "%nExamples:%n", footer = {"  kr data info data/cifar10", "  kr data info demo", "  kr data download cifar100 --dir data/cifar100"})
final class DataCommand implements Runnable {
    @ParentCommand
    Main main;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: download or info");
    }

    @Command(name = "download", mixinStandardHelpOptions = true, description = {"Download a data set (cifar10, cifar100) into a directory.", ""})
    static final class Download implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;

        @Parameters(paramLabel = "NAME", description = "cifar10 or cifar100")
        String name;

        @Option(names = "--dir", paramLabel = "DIR", description = "Target directory (default: data/<NAME>).")
        String dir;

        @Override
        public Integer call() {
            // TODO(lead): delegate to kr.data.Downloader once it lands.
            parent.main.err.println("kr data download: not available in this build (the downloader is not wired in yet). Put the CIFAR binary files"
                    + " (cifar-10-batches-bin/ or cifar-100-binary/) or an image folder train/<class>/*.jpg, test/<class>/*.jpg under "
                    + (dir == null ? "data/" + name : dir) + " yourself.");
            return Main.FAILURE;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = {"Describe a data set: splits, sizes, image shape, classes and images per class.", ""})
    static final class Info implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;

        @Parameters(paramLabel = "DIR", description = "Data set directory, or `demo` for the bundled subset.")
        String data;

        @Override
        public Integer call() {
            for (String split : new String[] {"train", "test"}) {
                Dataset ds = Zoo.open(data, split);
                int[] counts = new int[ds.numClasses()];
                for (int i = 0; i < ds.size(); i++) counts[ds.label(i)]++;
                parent.main.out.printf(Locale.ROOT, "%s %s: %,d images of %dx%dx%d (CHW), %d classes%n", data, split, ds.size(), ds.channels(), ds.height(),
                        ds.width(), ds.numClasses());
                StringBuilder b = new StringBuilder("  ");
                for (int c = 0; c < counts.length; c++) {
                    String item = ds.classes().get(c) + " " + counts[c];
                    if (b.length() + item.length() > 100) {
                        parent.main.out.println(b);
                        b = new StringBuilder("  ");
                    }
                    b.append(item).append(c + 1 < counts.length ? ", " : "");
                }
                parent.main.out.println(b);
            }
            return Main.OK;
        }
    }
}
