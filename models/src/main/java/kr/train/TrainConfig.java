package kr.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    public String model;
    public String data;
    public String out;
    public int epochs = 240;
    public int batchSize = 64;
    public int evalBatchSize = 256;
    public double lr = 0.05;
    public double momentum = 0.9;
    public double weightDecay = 5e-4;
    public boolean nesterov = false;
    /** multistep, cosine, onecycle or constant. */
    public String schedule = "multistep";
    public int[] milestones = {150, 180, 210};
    public double gamma = 0.1;
    public double warmupEpochs = 0;
    /** Warm-up starts at this fraction of the scheduled rate and rises linearly to it. */
    public double warmupStartFactor = 0.1;
    public double onecyclePctStart = 0.3;
    public double onecycleDiv = 25;
    public double onecycleFinalDiv = 1e4;
    public double minLr = 0;
    public double labelSmoothing = 0;
    public long seed = 0;
    /** Compute threads (null: all cores); fixed threads make runs bit-reproducible. */
    public Integer threads;
    /** CPU backend name (null: the best available). */
    public String backend;
    public String device = "cpu";
    public int workers = 1;
    /** Save the resumable state every this many steps within an epoch (0: only at epoch ends). */
    public int checkpointEvery = 200;
    /** Train on a fixed random subset of this many images (0: all). */
    public int limitTrain = 0;
    public int limitTest = 0;
    /** cifar (4-pixel padded crop + flip), flip or none. */
    public String augment = "cifar";
    public int cutout = 0;
    /** auto (by channel and class count), cifar10, cifar100 or none. */
    public String normalize = "auto";
    /** Settings of a distillation method (read by kr.distill.DistillConfig); null for plain training. */
    public Map<String, Object> distill;

    private static final List<String> KEYS = List.of("model", "data", "out", "epochs", "batch_size", "eval_batch_size", "lr", "momentum",
            "weight_decay", "nesterov", "schedule", "milestones", "gamma", "warmup_epochs", "warmup_start_factor", "onecycle_pct_start",
            "onecycle_div", "onecycle_final_div", "min_lr", "label_smoothing", "seed", "threads", "backend", "device", "workers",
            "checkpoint_every", "limit_train", "limit_test", "augment", "cutout", "normalize", "distill");

    /** Every key a configuration object may hold. */
    public static List<String> keys() {
        return KEYS;
    }

    public TrainConfig copy() {
        TrainConfig c = new TrainConfig();
        c.apply(toMap());
        return c;
    }

    /** All settings, in a fixed order (nulls included, so a saved file documents every key). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("data", data);
        m.put("out", out);
        m.put("epochs", (long) epochs);
        m.put("batch_size", (long) batchSize);
        m.put("eval_batch_size", (long) evalBatchSize);
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("nesterov", nesterov);
        m.put("schedule", schedule);
        List<Object> ms = new ArrayList<>();
        for (int x : milestones) ms.add((long) x);
        m.put("milestones", ms);
        m.put("gamma", gamma);
        m.put("warmup_epochs", warmupEpochs);
        m.put("warmup_start_factor", warmupStartFactor);
        m.put("onecycle_pct_start", onecyclePctStart);
        m.put("onecycle_div", onecycleDiv);
        m.put("onecycle_final_div", onecycleFinalDiv);
        m.put("min_lr", minLr);
        m.put("label_smoothing", labelSmoothing);
        m.put("seed", seed);
        m.put("threads", threads == null ? null : (long) threads);
        m.put("backend", backend);
        m.put("device", device);
        m.put("workers", (long) workers);
        m.put("checkpoint_every", (long) checkpointEvery);
        m.put("limit_train", (long) limitTrain);
        m.put("limit_test", (long) limitTest);
        m.put("augment", augment);
        m.put("cutout", (long) cutout);
        m.put("normalize", normalize);
        m.put("distill", distill == null ? null : new LinkedHashMap<>(distill));
        return m;
    }

    /** Sets the keys present in {@code m}; an unknown key or a value of the wrong type is a {@link ConfigException}. */
    public TrainConfig apply(Map<String, ?> m) {
        for (var e : m.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            switch (k) {
                case "model" -> model = str(k, v);
                case "data" -> data = str(k, v);
                case "out" -> out = str(k, v);
                case "epochs" -> epochs = integer(k, v);
                case "batch_size" -> batchSize = integer(k, v);
                case "eval_batch_size" -> evalBatchSize = integer(k, v);
                case "lr" -> lr = num(k, v);
                case "momentum" -> momentum = num(k, v);
                case "weight_decay" -> weightDecay = num(k, v);
                case "nesterov" -> nesterov = bool(k, v);
                case "schedule" -> schedule = str(k, v);
                case "milestones" -> milestones = ints(k, v);
                case "gamma" -> gamma = num(k, v);
                case "warmup_epochs" -> warmupEpochs = num(k, v);
                case "warmup_start_factor" -> warmupStartFactor = num(k, v);
                case "onecycle_pct_start" -> onecyclePctStart = num(k, v);
                case "onecycle_div" -> onecycleDiv = num(k, v);
                case "onecycle_final_div" -> onecycleFinalDiv = num(k, v);
                case "min_lr" -> minLr = num(k, v);
                case "label_smoothing" -> labelSmoothing = num(k, v);
                case "seed" -> seed = whole(k, v);
                case "threads" -> threads = v == null ? null : integer(k, v);
                case "backend" -> backend = str(k, v);
                case "device" -> device = str(k, v);
                case "workers" -> workers = integer(k, v);
                case "checkpoint_every" -> checkpointEvery = integer(k, v);
                case "limit_train" -> limitTrain = integer(k, v);
                case "limit_test" -> limitTest = integer(k, v);
                case "augment" -> augment = str(k, v);
                case "cutout" -> cutout = integer(k, v);
                case "normalize" -> normalize = str(k, v);
                case "distill" -> distill = object(k, v);
                default -> throw new ConfigException("[config] unknown key '" + k + "'; known keys: " + String.join(", ", KEYS));
            }
        }
        return this;
    }

    /** Reads an experiment file (a JSON object of the keys above). */
    public static Map<String, Object> readFile(Path file) throws IOException {
        try {
            return Json.parseObject(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[config] " + file + ": " + e.getMessage());
        }
    }

    /** Checks ranges and names; throws a {@link ConfigException} naming the first bad setting. */
    public TrainConfig validate() {
        if (model == null || model.isBlank()) throw new ConfigException("[config] no model given (--model NAME; `kr models` lists them)");
        if (data == null || data.isBlank()) throw new ConfigException("[config] no data given (--data DIR)");
        positive("epochs", epochs);
        positive("batch_size", batchSize);
        positive("eval_batch_size", evalBatchSize);
        if (!(lr >= 0)) throw new ConfigException("[config] lr must be >= 0, got " + lr);
        if (!(momentum >= 0)) throw new ConfigException("[config] momentum must be >= 0, got " + momentum);
        if (!(weightDecay >= 0)) throw new ConfigException("[config] weight_decay must be >= 0, got " + weightDecay);
        if (nesterov && !(momentum > 0)) throw new ConfigException("[config] nesterov needs momentum > 0");
        if (!List.of("multistep", "cosine", "onecycle", "constant").contains(schedule))
            throw new ConfigException("[config] schedule must be multistep, cosine, onecycle or constant, got '" + schedule + "'");
        if (!(gamma > 0)) throw new ConfigException("[config] gamma must be > 0, got " + gamma);
        if (!(warmupEpochs >= 0)) throw new ConfigException("[config] warmup_epochs must be >= 0, got " + warmupEpochs);
        if (!(warmupStartFactor >= 0 && warmupStartFactor <= 1))
            throw new ConfigException("[config] warmup_start_factor must be in [0, 1], got " + warmupStartFactor);
        if (!(onecyclePctStart > 0 && onecyclePctStart < 1)) throw new ConfigException("[config] onecycle_pct_start must be in (0, 1), got " + onecyclePctStart);
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new ConfigException("[config] label_smoothing must be in [0, 1), got " + labelSmoothing);
        if (threads != null) positive("threads", threads);
        if (workers < 0) throw new ConfigException("[config] workers must be >= 0, got " + workers);
        if (checkpointEvery < 0) throw new ConfigException("[config] checkpoint_every must be >= 0, got " + checkpointEvery);
        if (limitTrain < 0 || limitTest < 0) throw new ConfigException("[config] limit_train and limit_test must be >= 0");
        if (!List.of("cifar", "flip", "none").contains(augment)) throw new ConfigException("[config] augment must be cifar, flip or none, got '" + augment + "'");
        if (cutout < 0) throw new ConfigException("[config] cutout must be >= 0, got " + cutout);
        if (!List.of("auto", "cifar10", "cifar100", "none").contains(normalize))
            throw new ConfigException("[config] normalize must be auto, cifar10, cifar100 or none, got '" + normalize + "'");
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

    private static void positive(String k, int v) {
        if (v <= 0) throw new ConfigException("[config] " + k + " must be positive, got " + v);
    }

    /** Layered settings merge key by key: a later file or flag overrides only the keys it names. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> object(String k, Object v) {
        if (v == null) return null;
        if (!(v instanceof Map<?, ?> m)) throw new ConfigException("[config] " + k + " must be an object, got " + Json.write(v));
        Map<String, Object> r = distill == null ? new LinkedHashMap<>() : distill;
        r.putAll((Map<String, Object>) m);
        return r;
    }

    private static String str(String k, Object v) {
        if (v == null) return null;
        if (!(v instanceof String s)) throw new ConfigException("[config] " + k + " must be a string, got " + Json.write(v));
        return s;
    }

    private static double num(String k, Object v) {
        if (!(v instanceof Number n)) throw new ConfigException("[config] " + k + " must be a number, got " + Json.write(v));
        return n.doubleValue();
    }

    private static long whole(String k, Object v) {
        double d = num(k, v);
        if (d != Math.rint(d) || Math.abs(d) > 1L << 53) throw new ConfigException("[config] " + k + " must be a whole number, got " + Json.write(v));
        return v instanceof Long l ? l : (long) d;
    }

    private static int integer(String k, Object v) {
        long l = whole(k, v);
        if (l != (int) l) throw new ConfigException("[config] " + k + " is out of range: " + l);
        return (int) l;
    }

    private static boolean bool(String k, Object v) {
        if (!(v instanceof Boolean b)) throw new ConfigException("[config] " + k + " must be true or false, got " + Json.write(v));
        return b;
    }

    private static int[] ints(String k, Object v) {
        if (!(v instanceof List<?> l)) throw new ConfigException("[config] " + k + " must be a list of integers, got " + Json.write(v));
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = integer(k, l.get(i));
        return r;
    }
}
