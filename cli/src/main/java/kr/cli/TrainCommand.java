package kr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import kr.data.Dataset;
import kr.io.Json;
import kr.models.Classifier;
import kr.nn.Init;
import kr.train.CheckpointException;
import kr.train.Checkpoints;
import kr.config.Binder;
import kr.config.ConfigException;
import kr.train.GraphedTrainStep;
import kr.train.Progress;
import kr.train.RunData;
import kr.train.TrainConfig;
import kr.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kr train}: every option is also a key of the experiment file ({@code --batch-size} is
 * {@code batch_size}); settings are layered defaults, then {@code --config FILE}, then the flags
 * given on the command line. {@code --resume} starts from the configuration saved with the run.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, modelTransformer = TrainCommand.Settings.class,
        description = {"Train a model on a data set.",
            "Writes config.json, metrics.jsonl (one JSON line per epoch), curves.svg and checkpoints/ under --out.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr train --model resnet20 --data data/cifar100 --out runs/r20",
            "  kr train --model resnet8x4 --data data/cifar100 --epochs 30 --schedule cosine \\",
            "      --warmup-epochs 1 --lr 0.1",
            "  # a quick smoke run on the bundled subset:",
            "  kr train --model democnn --data demo --epochs 2 --limit-train 1000 --out runs/quick",
            "  # repeat a run from its saved configuration:",
            "  kr train --config runs/r20/config.json --out runs/r20-again",
            "  # continue a stopped run, here with more epochs:",
            "  kr train --resume --out runs/r20 --epochs 300",
            ""})
class TrainCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "Experiment file (JSON) with any of the settings below.")
    Path config;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint, with its saved configuration.")
    boolean resume;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto", description = "Progress line on stderr: auto, tty, plain or off (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--cuda-graphs", description = {"cuda: capture the training step (forward, loss, backward, SGD) into a CUDA graph and replay it;",
        "the loss and accuracy are read every " + Trainer.DRAIN_EVERY + " steps. Plain cross-entropy training only (not kr distill).",
        "-Dkr.cuda.graphs=false runs the same step eagerly (fused SGD, no host reads)."})
    boolean cudaGraphs;

    /** Adds an option per training setting ({@link TrainConfig#BINDER}) and the experiment file's keys to the help. */
    static class Settings implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SettingOptions.add(spec, TrainConfig.BINDER);
            List<String> footer = new ArrayList<>(List.of(spec.usageMessage().footer()));
            footer.addAll(SettingOptions.keysText("An experiment file is a JSON object with any of the keys", TrainConfig.BINDER.entries().stream()
                    .filter(e -> e.setting().flag()).map(Binder.Entry::key).toList(), 98));
            footer.add("Flags given on the command line override the file; out/config.json is a complete one.");
            spec.usageMessage().footer(footer.toArray(new String[0]));
            return spec;
        }
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Object> flags = SettingOptions.given(spec.commandLine().getParseResult(), TrainConfig.BINDER);
        TrainConfig cfg = new TrainConfig();
        Map<String, Object> file = config == null ? Map.of() : TrainConfig.readFile(config);
        String outDir = (String) flags.getOrDefault("out", file.get("out"));
        Map<String, Object> st = null;
        if (resume) {
            if (outDir == null) throw new ConfigException("[train] --resume needs the run directory: --out DIR");
            Path state = Path.of(outDir, "checkpoints", Checkpoints.LAST);
            if (!Files.exists(state)) throw new CheckpointException("[train] nothing to resume: " + state + " does not exist");
            try {
                st = Json.parseObject(Files.readString(state));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException("[train] cannot read " + state + ": " + e.getMessage(), e);
            }
            if (st.get("config") instanceof Map<?, ?> m) cfg.apply(castMap(m)); // the run's own settings first
        }
        cfg.apply(file).apply(flags);
        configure(cfg);
        if (st != null && st.get("epoch") instanceof Number done && done.intValue() >= cfg.epochs && Long.valueOf(0).equals(st.get("step"))) {
            main.out.println("nothing to do: " + outDir + " has finished its " + done + " epochs (raise --epochs to continue it)");
            return Main.OK;
        }
        if (cfg.out == null && cfg.model != null) cfg.out = "runs/" + cfg.model;
        cfg.validate();
        Path runDir = Path.of(cfg.out);
        if (!resume && Files.exists(runDir.resolve("checkpoints").resolve(Checkpoints.LAST)))
            throw new ConfigException("[train] " + runDir + " already holds a run; pass --resume to continue it, or choose another --out");
        return run(main, cfg, resume, Progress.stderr(progress), (c, n, d, t) -> {
            if (cudaGraphs) t.stepRunner(GraphedTrainStep.factory());
            setup(c, n, d, t);
        });
    }

    /** Adds settings beyond the training ones (kr distill: its distill section); train takes none. */
    protected void configure(TrainConfig cfg) {
        if (cfg.distill != null)
            throw new ConfigException("[train] this configuration has a distill section (teacher " + cfg.distill.get("teacher") + "); run it with kr distill");
    }

    /** Called with the model, data and trainer before training starts (kr distill sets its objective here). */
    protected void setup(TrainConfig cfg, Classifier net, RunData data, Trainer trainer) {}

    /** What a command adds to a run before it starts. */
    @FunctionalInterface
    interface Setup {
        void apply(TrainConfig cfg, Classifier net, RunData data, Trainer trainer) throws Exception;
    }

    /** Trains (or resumes) {@code cfg} and prints a summary; shared with {@code kr demo}. */
    static int run(Main main, TrainConfig cfg, boolean resume, Progress progress) throws Exception {
        return run(main, cfg, resume, progress, (c, n, d, t) -> {});
    }

    static int run(Main main, TrainConfig cfg, boolean resume, Progress progress, Setup setup) throws Exception {
        EngineOptions.Applied engine = EngineOptions.apply(cfg.threads, cfg.backend, cfg.tf32);
        cfg.threads = engine.threads(); // recorded, so the saved configuration reproduces the run bit for bit
        cfg.backend = engine.backend();
        Dataset train = Zoo.open(cfg.data, "train"), test = Zoo.open(cfg.data, "test");
        Init.manualSeed(cfg.seed);
        Classifier net = Zoo.create(cfg.model, train.numClasses());
        RunData d = RunData.of(cfg, train, test);
        main.out.printf(Locale.ROOT, "%s %s (%,d parameters) on %s: %,d train / %,d test images, %d classes; %d epoch(s) of %d steps; backend %s, %d thread(s); -> %s%n",
                resume ? "resuming" : "training", cfg.model, net.parameterCount(), cfg.data, d.train().dataset().size(), d.test().dataset().size(),
                train.numClasses(), cfg.epochs, d.train().batchesPerEpoch(), engine.backend(), engine.threads(), cfg.out);
        Trainer t = new Trainer(cfg, net, d.train(), d.test(), Path.of(cfg.out)).progress(progress).log(main.out);
        setup.apply(cfg, net, d, t);
        String cmd = cfg.distill != null ? "distill" : "train";
        t.stopWhen(StopSignals.install(main.err, cmd)); // SIGTERM (a scheduler's time limit), Ctrl-C: checkpoint at the next step
        Trainer.Result r;
        try {
            r = resume ? t.resume() : t.run();
        } catch (Trainer.Stopped e) {
            main.err.println("kr " + cmd + ": stopped at epoch " + e.epoch() + " step " + e.step() + " with its checkpoint saved; continue with: kr " + cmd
                    + " --resume --out " + cfg.out);
            return Main.STOPPED;
        }
        main.out.printf(Locale.ROOT, "done: final test accuracy %.2f%% (top-5 %.2f%%), best %.2f%% at epoch %d; results in %s (metrics.jsonl, curves.svg, checkpoints/)%n",
                100 * r.last().testAcc(), 100 * r.last().testTop5(), 100 * r.bestAcc(), r.bestEpoch(), cfg.out);
        return Main.OK;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}
