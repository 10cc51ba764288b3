package kr.cli;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import kr.train.DemoCnn;
import kr.train.Progress;
import kr.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kr demo}: trains the small CNN on the bundled CIFAR-10 subset, no data or network needed. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small CNN on the bundled CIFAR-10 subset and print its test accuracy.",
            "The subset has 5,000 training and 1,000 test images; no data download or network is needed.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr demo", "  kr demo --epochs 10 --threads 4 --out runs/demo10",
            "  # the same with every training option:",
            "  kr train --model democnn --data demo --epochs 5 --lr 0.1 --schedule onecycle"})
final class DemoCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "5", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/demo-<date>-<time>).")
    String out;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    EngineOptions engine;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto", description = "auto, tty, plain or off (default: ${DEFAULT-VALUE}).")
    String progress;

    /** The demo recipe: one-cycle SGD, flips only (a few epochs are too short for crops to pay off). */
    static TrainConfig config(int epochs, long seed) {
        TrainConfig c = new TrainConfig();
        c.model = DemoCnn.NAME;
        c.data = "demo";
        c.epochs = epochs;
        c.batchSize = 64;
        c.lr = 0.1;
        c.schedule = "onecycle";
        c.onecyclePctStart = 0.25;
        c.weightDecay = 5e-4;
        c.nesterov = true;
        c.augment = "flip";
        c.checkpointEvery = 0;
        c.seed = seed;
        return c;
    }

    @Override
    public Integer call() throws Exception {
        TrainConfig c = config(epochs, seed);
        c.threads = engine.threads;
        c.backend = engine.backend;
        c.device = engine.device;
        c.tf32 = engine.tf32;
        c.out = out != null ? out : "runs/demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        c.validate();
        long t0 = System.nanoTime();
        int code = TrainCommand.run(main, c, false, Progress.stderr(progress));
        main.out.printf(java.util.Locale.ROOT, "demo finished in %s (chance level is 10%%)%n", Progress.duration((System.nanoTime() - t0) / 1e9));
        return code;
    }
}
