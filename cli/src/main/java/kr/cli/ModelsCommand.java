package kr.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import kr.models.Classifier;
import kr.nn.Init;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kr models}: every network with its parameter count. */
@Command(name = "models", mixinStandardHelpOptions = true, description = {"List the models with their parameter counts.", ""},
        footerHeading = "%nExamples:%n", footer = {"  kr models", "  kr models --classes 10"})
final class ModelsCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--classes", paramLabel = "N", defaultValue = "100", description = "Number of classes the heads are built for (default: ${DEFAULT-VALUE}).")
    int classes;

    @Override
    public Integer call() {
        if (classes < 1) throw new kr.config.ConfigException("[models] --classes must be >= 1, got " + classes);
        main.out.printf(Locale.ROOT, "%-20s %14s %10s%n", "model", "parameters", "MACs");
        for (String name : Zoo.modelNames()) {
            Init.manualSeed(0);
            long params, macs;
            if (kr.models.Models.names().contains(name)) {
                kr.models.Models.Summary s = kr.models.Models.summary(name, classes);
                params = s.params();
                macs = s.macs();
            } else {
                Classifier m = Zoo.create(name, classes);
                params = m.parameterCount();
                macs = m.macs();
            }
            main.out.printf(Locale.ROOT, "%-20s %14s %10s%n", name, String.format(Locale.ROOT, "%,d", params),
                    macs < 0 ? "n/a" : String.format(Locale.ROOT, "%.1fM", macs / 1e6));
        }
        main.out.printf(Locale.ROOT, "(heads for %d classes; MACs: multiply-accumulates of conv and linear layers per 32x32 image)%n", classes);
        return Main.OK;
    }
}
