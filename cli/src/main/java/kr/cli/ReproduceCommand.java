package kr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import kr.reproduce.Grid;
import kr.reproduce.GridSpec;
import kr.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kr reproduce}: runs (or continues) an experiment grid and writes its table and curves. */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an experiment grid: the teacher (unless given), then every student x method x seed.",
            "Finished runs are skipped and an interrupted run resumes, so rerunning a killed grid continues it.",
            "Writes table.md (top-1 mean ± std over seeds at the best and at the last epoch), summary.json and",
            "curves-<student>.svg under the grid's out directory.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr reproduce experiments/cifar10-kr-grid.json --seeds 3",
            "  kr reproduce experiments/cifar10-kr-grid.json --data data/cifar10 --out results/cifar10-grid",
            "  # every run on the GPU:",
            "  kr reproduce experiments/cifar10-kr-grid-gpu.json --device cuda --tf32",
            "",
            "The experiment file: {\"name\", \"data\", \"out\", \"seeds\", \"train\": {kr train settings},",
            " \"teacher\": {\"model\", \"weights\" (or null to train it), \"train\": {overrides}}, \"students\": [...],",
            " \"methods\": [\"scratch\", \"kd\", \"kr+kd\", {\"name\": ..., \"method\": ..., distill settings}], \"distill\": {...}}"})
final class ReproduceCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec cmd;

    @Parameters(paramLabel = "EXPERIMENT_FILE", description = "The grid (JSON).")
    Path file;

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds per cell (default: the file's, else 1).")
    Integer seeds;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: the file's).")
    String data;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the grid's runs and results go (default: the file's).")
    Path out;

    @Mixin
    EngineOptions engine;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto", description = "Progress line on stderr: auto, tty, plain or off (default: ${DEFAULT-VALUE}).")
    String progress;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(file)) throw new kr.config.ConfigException("[reproduce] experiment file " + file + " does not exist");
        engine.apply();
        GridSpec spec = GridSpec.read(file);
        if (seeds != null) spec = spec.withSeeds(seeds);
        if (data != null) spec = spec.withData(data);
        if (out != null) spec = spec.withOut(out);
        // --device given: every run's (the file's train.device otherwise, else cpu)
        if (cmd.commandLine().getParseResult().hasMatchedOption("--device")) spec = spec.withTrainSetting("device", engine.device);
        Grid g = new Grid(spec, Zoo::create, main.out).progress(Progress.stderr(progress));
        main.out.printf("grid %s: %d run(s) plus the teacher -> %s%n", spec.name(), g.runs().size(), spec.out());
        Path table = g.run();
        main.out.println(Files.readString(table));
        main.out.println("results in " + spec.out() + " (table.md, summary.json, curves-*.svg, experiment.json)");
        return Main.OK;
    }
}
