package kr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import kr.train.ConfigException;
import kr.train.Progress;
import kr.train.RunData;
import kr.train.TrainConfig;
import kr.train.Trainer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kr train}: every option is also a key of the experiment file ({@code --batch-size} is
 * {@code batch_size}); settings are layered defaults, then {@code --config FILE}, then the flags
 * given on the command line. {@code --resume} starts from the configuration saved with the run.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = TrainCommand.Defaults.class,
        description = {"Train a model on a data set.",
            "Writes config.json, metrics.jsonl (one JSON line per epoch), curves.svg and checkpoints/ under --out.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr train --model resnet20 --data data/cifar100 --out runs/r20",
            "  kr train --model resnet8x4 --data data/cifar100 --epochs 30 --schedule cosine --warmup-epochs 1 --lr 0.1",
            "  kr train --model democnn --data demo --epochs 2 --limit-train 1000 --out runs/quick   (a quick smoke run)",
            "  kr train --config runs/r20/config.json --out runs/r20-again    (repeat a run from its saved configuration)",
            "  kr train --resume --out runs/r20 --epochs 300                  (continue, here with more epochs)",
            "",
            "An experiment file is a JSON object with any of the keys model, data, out, epochs, batch_size,",
            "eval_batch_size, lr, momentum, weight_decay, nesterov, schedule, milestones, gamma, warmup_epochs,",
            "warmup_start_factor, onecycle_pct_start, onecycle_div, onecycle_final_div, min_lr, label_smoothing,",
            "seed, threads, backend, device, workers, checkpoint_every, limit_train, limit_test, augment, cutout,",
            "normalize. Flags given on the command line override the file; out/config.json is a complete one."})
class TrainCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME", description = "Network to train (`kr models` lists them).")
    String model;

    @Option(names = "--data", paramLabel = "DIR", description = {"Data set: a directory with the CIFAR-10/100 binary files or an image folder",
        "DIR/{train,test}/<class>/*.jpg; `demo` is the bundled CIFAR-10 subset."})
    String data;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/<model>).")
    String out;

    @Option(names = "--config", paramLabel = "FILE", description = "Experiment file (JSON) with any of the settings below.")
    Path config;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint, with its saved configuration.")
    boolean resume;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "Training batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--eval-batch-size", paramLabel = "N", description = "Test batch size (default: ${DEFAULT-VALUE}).")
    int evalBatchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Base (peak, for onecycle) learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = {"--wd", "--weight-decay"}, paramLabel = "WD", description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--nesterov", negatable = true, description = "Nesterov momentum (default: ${DEFAULT-VALUE}).")
    boolean nesterov;

    @Option(names = "--schedule", paramLabel = "S", description = "multistep, cosine, onecycle or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--milestones", paramLabel = "E", split = ",", description = "multistep: epochs where the rate is multiplied by --gamma (default: ${DEFAULT-VALUE}).")
    int[] milestones;

    @Option(names = "--gamma", paramLabel = "G", description = "multistep factor (default: ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--min-lr", paramLabel = "LR", description = "cosine: final learning rate (default: ${DEFAULT-VALUE}).")
    double minLr;

    @Option(names = "--warmup-epochs", paramLabel = "E", description = "Linear warm-up length in epochs, may be fractional (default: ${DEFAULT-VALUE}).")
    double warmupEpochs;

    @Option(names = "--label-smoothing", paramLabel = "EPS", description = "Label smoothing of the cross-entropy (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--augment", paramLabel = "A", description = "cifar (4-pixel padded random crop + flip), flip or none (default: ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--cutout", paramLabel = "PX", description = "Cutout square size, 0 for none (default: ${DEFAULT-VALUE}).")
    int cutout;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    EngineOptions engine; // --threads, --backend, --device: read through the parse result like every setting

    @Option(names = "--workers", paramLabel = "N", description = "Threads preparing batches ahead (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", description = "Also save a resumable checkpoint every STEPS steps within an epoch, 0 for epoch ends only (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--limit-train", paramLabel = "N", description = "Train on a fixed random subset of N images, 0 for all (default: ${DEFAULT-VALUE}).")
    int limitTrain;

    @Option(names = "--limit-test", paramLabel = "N", description = "Test on a fixed random subset of N images, 0 for all (default: ${DEFAULT-VALUE}).")
    int limitTest;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto", description = "Progress line on stderr: auto, tty, plain or off (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--cuda-graphs", description = {"cuda: capture the training step (forward, loss, backward, SGD) into a CUDA graph and replay it;",
        "the loss and accuracy are read every " + Trainer.DRAIN_EVERY + " steps. Plain cross-entropy training only (not kr distill).",
        "-Dkr.cuda.graphs=false runs the same step eagerly."})
    boolean cudaGraphs;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> flags = explicitSettings(spec);
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
            if (cudaGraphs) t.stepRunner(kr.cuda.GraphedTrainStep.factory());
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
        EngineOptions.Applied engine = EngineOptions.apply(cfg.threads, cfg.backend);
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
        Trainer.Result r = resume ? t.resume() : t.run();
        main.out.printf(Locale.ROOT, "done: final test accuracy %.2f%% (top-5 %.2f%%), best %.2f%% at epoch %d; results in %s (metrics.jsonl, curves.svg, checkpoints/)%n",
                100 * r.last().testAcc(), 100 * r.last().testTop5(), 100 * r.bestAcc(), r.bestEpoch(), cfg.out);
        return Main.OK;
    }

    /** The settings given explicitly on the command line, by experiment-file key. */
    static Map<String, Object> explicitSettings(CommandSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            String key = key(o);
            if (key != null) m.put(key, jsonValue(o.getValue()));
        }
        return m;
    }

    /** The experiment-file key of an option (--batch-size: batch_size), or null. */
    static String key(OptionSpec o) {
        String k = o.longestName().replaceFirst("^--", "").replace('-', '_');
        return TrainConfig.keys().contains(k) ? k : null;
    }

    private static Object jsonValue(Object v) {
        if (v instanceof Integer i) return (long) i;
        if (v instanceof int[] a) {
            List<Object> l = new ArrayList<>();
            for (int x : a) l.add((long) x);
            return l;
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /** Help shows TrainConfig's defaults, so they live in one place. */
    static final class Defaults implements IDefaultValueProvider {
        private static final Map<String, Object> DEFAULTS = new TrainConfig().toMap();

        @Override
        public String defaultValue(ArgSpec a) {
            if (!(a instanceof OptionSpec o)) return null;
            String k = key(o);
            Object v = k == null ? null : DEFAULTS.get(k);
            if (v == null) return null;
            if (v instanceof List<?> l) return String.join(",", l.stream().map(String::valueOf).toList());
            return String.valueOf(v);
        }
    }
}
