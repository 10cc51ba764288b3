package kr.train;

import kr.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kr.config.Binder;
import kr.config.Setting;
import kr.io.Json;

/**
 * Everything that defines a training run, as one JSON object (the experiment file). Defaults are
 * RepDistiller's CIFAR recipe: 240 epochs, batch 64, SGD lr 0.05 momentum 0.9 wd 5e-4, lr x0.1 at
 * epochs 150, 180 and 210. Keys are snake_case; {@link #apply} takes a partial object, so a file
 * and then command-line flags can be layered over the defaults.
 *
 * <pre>{@code
 * TrainConfig c = new TrainConfig();
 * c.apply(Json.parseObject(Files.readString(Path.of("run.json"))));
 * c.apply(Map.of("epochs", 10L));
 * c.validate();
 * }</pre>
 */
public final class TrainConfig {
    @Setting(help = "Network to train (`kr models` lists them).", label = "NAME")
    public String model;
    @Setting(help = "Data set: CIFAR-10/100 binary files, an image folder DIR/{train,test}/<class>/*.jpg, or IDX files; `demo` is the bundled subset.",
            label = "DIR")
    public String data;
    @Setting(help = "Run directory.", label = "DIR", defaultText = "runs/<model>")
    public String out;
    @Setting(help = "Epochs.", min = 1)
    public int epochs = 240;
    @Setting(help = "Training batch size.", min = 1)
    public int batchSize = 64;
    @Setting(help = "Test batch size.", min = 1)
    public int evalBatchSize = 256;
    @Setting(help = "Base (peak, for onecycle) learning rate.", label = "LR", min = 0)
    public double lr = 0.05;
    @Setting(help = "SGD momentum.", label = "M", min = 0, max = 1)
    public double momentum = 0.9;
    @Setting(help = "L2 weight decay.", label = "WD", flags = {"--wd", "--weight-decay"}, min = 0)
    public double weightDecay = 5e-4;
    @Setting(help = "Nesterov momentum.")
    public boolean nesterov = false;
    @Setting(help = "Learning-rate schedule.", label = "S", oneOf = {"multistep", "cosine", "onecycle", "constant"})
    public String schedule = "multistep";
    @Setting(help = "multistep: epochs where the rate is multiplied by --gamma.", label = "E", min = 0)
    public int[] milestones = {150, 180, 210};
    @Setting(help = "multistep factor.", label = "G", min = 0, minExclusive = true)
    public double gamma = 0.1;
    @Setting(help = "Linear warm-up length in epochs, may be fractional.", label = "E", min = 0)
    public double warmupEpochs = 0;
    @Setting(help = "Warm-up starts at this fraction of the scheduled rate and rises linearly to it.", label = "F", min = 0, max = 1)
    public double warmupStartFactor = 0.1;
    @Setting(help = "onecycle: fraction of the run spent rising.", label = "F", min = 0, minExclusive = true, max = 1, maxExclusive = true)
    public double onecyclePctStart = 0.3;
    @Setting(help = "onecycle: the start rate is lr / this.", label = "D", min = 1)
    public double onecycleDiv = 25;
    @Setting(help = "onecycle: the final rate is the start rate / this.", label = "D", min = 1)
    public double onecycleFinalDiv = 1e4;
    @Setting(help = "cosine: final learning rate.", label = "LR", min = 0)
    public double minLr = 0;
    @Setting(help = "Label smoothing of the cross-entropy.", label = "EPS", min = 0, max = 1, maxExclusive = true)
    public double labelSmoothing = 0;
    @Setting(help = "Seed of initialisation, shuffling and augmentation.", label = "S")
    public long seed = 0;
    @Setting(help = "Compute threads; fixed threads give bit-reproducible runs.", min = 1, max = 1024, defaultText = "all cores")
    public Integer threads;
    @Setting(help = "CPU backend: vector or scalar (the float64 reference, slow).", label = "NAME", defaultText = "vector")
    public String backend;
    @Setting(help = "cpu, cuda or cuda:N.", label = "DEV")
    public String device = "cpu";
    @Setting(help = "cuda: matmul and convolutions on TF32 tensor cores (sm_80+; faster, ~1e-3 relative error).")
    public boolean tf32 = false;
    @Setting(help = "Threads preparing batches ahead.", min = 0, max = 256)
    public int workers = 1;
    @Setting(help = "Also save a resumable checkpoint every N steps within an epoch, 0 for epoch ends only.", label = "STEPS", min = 0)
    public int checkpointEvery = 200;
    @Setting(help = "Also print the epoch's running loss and accuracy every N steps, 0 for epoch ends only.", label = "STEPS", min = 0)
    public int logEvery = 0;
    @Setting(help = "Train on a fixed random subset of N images, 0 for all.", min = 0)
    public int limitTrain = 0;
    @Setting(help = "Test on a fixed random subset of N images, 0 for all.", min = 0)
    public int limitTest = 0;
    @Setting(help = "cifar (4-pixel padded random crop + flip), flip or none.", label = "A", oneOf = {"cifar", "flip", "none"})
    public String augment = "cifar";
    @Setting(help = "Cutout square size, 0 for none.", label = "PX", min = 0)
    public int cutout = 0;
    @Setting(help = "Input normalisation: auto (by channel and class count), cifar10, cifar100 or none.", label = "N",
            oneOf = {"auto", "cifar10", "cifar100", "none"})
    public String normalize = "auto";
    /** Where the run was made (kr version and commit, JDK, OS, CPU, vector width, backend, threads): written by the trainer, never read. */
    @Setting(help = "Provenance of the run (written by kr).", flag = false)
    public Map<String, Object> provenance;
    /** Settings of a distillation method (read by kr.distill.DistillConfig); null for plain training. */
    @Setting(help = "Distillation settings (kr distill).", flag = false)
    public Map<String, Object> distill;

    /** The binder of these settings: experiment files, config.json and the command line's flags. */
    public static final Binder<TrainConfig> BINDER = Binder.of(TrainConfig.class, TrainConfig::new, "config");

    /** Every key a configuration object may hold. */
    public static List<String> keys() {
        return BINDER.keys();
    }

    public TrainConfig copy() {
        return new TrainConfig().apply(toMap());
    }

    /** All settings, in a fixed order (nulls included, so a saved file documents every key). */
    public Map<String, Object> toMap() {
        return BINDER.toMap(this);
    }

    /** Sets the keys present in {@code m}; an unknown key or a value of the wrong type is a {@link ConfigException}. */
    public TrainConfig apply(Map<String, ?> m) {
        return BINDER.apply(this, m);
    }

    /** Reads an experiment file (a JSON object of the keys above). */
    public static Map<String, Object> readFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new ConfigException("[config] experiment file " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException("[config] " + file + " is not UTF-8 text (an experiment file is JSON)");
        }
        try {
            return Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[config] " + file + ": " + e.getMessage());
        }
    }

    /** Checks ranges and names; throws a {@link ConfigException} naming the first bad setting. */
    public TrainConfig validate() {
        if (model == null || model.isBlank()) throw new ConfigException("[config] no model given (--model NAME; `kr models` lists them)");
        if (data == null || data.isBlank()) throw new ConfigException("[config] no data given (--data DIR)");
        BINDER.validate(this);
        if (nesterov && !(momentum > 0)) throw new ConfigException("[config] nesterov needs momentum > 0");
        try {
            kr.engine.Device.parse(device);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[config] device must be cpu, cuda or cuda:N, got '" + Json.printable(device) + "'");
        }
        if (tf32 && !device.startsWith("cuda")) throw new ConfigException("[config] tf32 runs on cuda only; this run's device is " + device);
        if ("multistep".equals(schedule)) {
            // gamma > 1 is legal (as in PyTorch), but not past the float range: the rate after the last milestone must be a float
            double r = lr;
            for (int i = 0; i < milestones.length; i++) {
                r *= gamma;
                if (!(r <= Float.MAX_VALUE))
                    throw new ConfigException(String.format(java.util.Locale.ROOT, "[config] gamma %s takes the learning rate %s past the float range at milestone %d of %d",
                            gamma, lr, i + 1, milestones.length));
            }
        }
        return this;
    }

    /** The learning rate as a function of the fractional epoch, warm-up included. */
    public kr.optim.LrSchedule lrSchedule() {
        kr.optim.LrSchedule s = switch (schedule) {
            case "multistep" -> kr.optim.LrSchedule.multiStep(lr, milestones, gamma);
            case "cosine" -> kr.optim.LrSchedule.cosine(lr, epochs, minLr);
            case "onecycle" -> kr.optim.LrSchedule.oneCycle(lr, epochs, onecyclePctStart, onecycleDiv, onecycleFinalDiv);
            case "constant" -> kr.optim.LrSchedule.constant(lr);
            default -> throw new ConfigException("[config] unknown schedule '" + schedule + "'");
        };
        return warmupEpochs > 0 ? kr.optim.LrSchedule.warmup(s, warmupEpochs, warmupStartFactor) : s;
    }

    /** The augmentation this configuration asks for. */
    public kr.data.Augment augmentation() {
        return new kr.data.Augment(augment.equals("cifar") ? 4 : 0, !augment.equals("none"), cutout);
    }
}
