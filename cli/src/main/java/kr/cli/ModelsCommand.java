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
        main.out.printf(Locale.ROOT, "%-20s %14s %10s%n", "model", "parameters", "MACs");
        for (String name : Zoo.modelNames()) {
            Init.manualSeed(0);
            Classifier m = Zoo.create(name, classes);
            // TODO(lead): MACs from the model zoo's summary API once it lands
            main.out.printf(Locale.ROOT, "%-20s %14s %10s%n", name, String.format(Locale.ROOT, "%,d", m.parameterCount()), "n/a");
        }
        main.out.printf(Locale.ROOT, "(heads for %d classes; MACs per 32x32 image are not available in this build)%n", classes);
        return Main.OK;
    }
}
