package kr.train;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kr.config.Binder;
import kr.config.ConfigException;
import kr.io.Hostile;
import kr.io.Json;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing experiment files as {@code kr train --config FILE} reads them ({@link TrainConfig#readFile},
 * the binder's {@code apply}, {@code validate}), and what a run then derives from a configuration
 * that passed (the learning-rate schedule, the augmentation, the normalisation, the device). Valid
 * files are damaged with wrong types, out-of-range and non-finite numbers, nulls, unknown and repeated
 * keys, deep nesting, truncation, bit flips, non-UTF-8 bytes and other top-level values. Every
 * outcome is a usable configuration or a ConfigException whose one-line message starts with
 * {@code [config]}; never another exception or an Error, and at most {@value #BYTES_PER_BYTE} heap
 * bytes per byte of the file plus {@link Hostile#SLACK}.
 */
class TrainConfigFuzzTest extends Hostile.Suite {
    static final long BYTES_PER_BYTE = 256;


    TrainConfigFuzzTest() throws IOException {
        super("kr-config-fuzz");
    }



    enum Damage {
        NONE, WRONG_TYPE, OUT_OF_RANGE, NULL, UNKNOWN_KEY, BAD_NAME, DUPLICATE, DEEP, TRUNCATE, FLIP_BITS, NOT_UTF8, NOT_AN_OBJECT
    }

    static final Object[] WRONG = {"x", "", "0.1", 1L, -3L, 2.5, true, false, List.of(), List.of(1L, "a"), List.of(List.of()), Map.of(), Map.of("k", 1L),
        "\u0000\n", 1e308};
    static final Object[] NUMBERS = {-1L, 0L, -0.0, 1e308, -1e308, 0.5, 1e-320, (double) (1L << 53) + 2, (long) Integer.MAX_VALUE + 1, Long.MAX_VALUE,
        Long.MIN_VALUE, 1e18, -1e-9, 2L, Double.POSITIVE_INFINITY};

    /** A valid experiment file: the defaults, a model and data, some keys left out, some changed within their ranges. */
    static Map<String, Object> valid(Random r) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (var e : TrainConfig.BINDER.defaults().entrySet()) {
            if (e.getValue() == null || r.nextInt(3) == 0) continue;
            m.put(e.getKey(), e.getValue());
        }
        m.put("model", "democnn");
        m.put("data", "demo");
        if (r.nextBoolean()) m.put("schedule", new String[] {"multistep", "cosine", "onecycle", "constant"}[r.nextInt(4)]);
        if (r.nextBoolean()) m.put("threads", (long) (1 + r.nextInt(4)));
        if (r.nextBoolean()) m.put("epochs", (long) (1 + r.nextInt(300)));
        if (r.nextBoolean()) m.put("lr", r.nextDouble());
        if (r.nextBoolean()) m.put("warmup_epochs", r.nextDouble() * 3);
        if (r.nextBoolean()) m.put("milestones", List.of((long) r.nextInt(10), (long) r.nextInt(300)));
        return m;
    }

    static String damage(Map<String, Object> m, Damage how, Random r) {
        List<String> keys = new ArrayList<>(TrainConfig.BINDER.keys());
        String key = keys.get(r.nextInt(keys.size()));
        switch (how) {
            case WRONG_TYPE -> m.put(key, WRONG[r.nextInt(WRONG.length)]);
            case OUT_OF_RANGE -> {
                Object n = NUMBERS[r.nextInt(NUMBERS.length)];
                if (n instanceof Double d && d.isInfinite()) return Json.write(m).replaceFirst("\\}$", ", \"" + pickNumeric(r) + "\": 1e999}");
                m.put(pickNumeric(r), n);
            }
            case NULL -> m.put(key, null);
            case UNKNOWN_KEY -> m.put(new String[] {"epoch", "learning_rate", "", "Model", "distill_", "__proto__", "lr\n", "\r\u0000"}[r.nextInt(8)], 1L);
            case BAD_NAME -> {
                String[] named = {"schedule", "augment", "normalize", "device", "backend", "model"};
                m.put(named[r.nextInt(named.length)], new String[] {"cosinee", "", "CUDA:x", "gpu", "cuda:-1", "NONE", " cpu", "cosine\n", "\u2028"}[r.nextInt(9)]);
            }
            case DUPLICATE -> {
                String text = Json.write(m);
                return text.substring(0, text.length() - 1) + ", \"" + key + "\": 1}";
            }
            case DEEP -> {
                int levels = r.nextInt(4) == 0 ? 100_000 : r.nextInt(3 * Json.MAX_DEPTH);
                String text = Json.write(m);
                return text.substring(0, text.length() - 1) + ", \"" + key + "\": " + "[".repeat(levels) + "]".repeat(r.nextBoolean() ? levels : 0) + "}";
            }
            case TRUNCATE -> {
                String text = Json.pretty(m);
                return text.substring(0, r.nextInt(text.length() + 1));
            }
            case NOT_AN_OBJECT -> {
                return new String[] {"[]", "null", "", "   ", "5", "\"model\"", "\uFEFF{}", "{} {}", "[{\"model\": \"democnn\"}]"}[r.nextInt(9)];
            }
            default -> {}
        }
        return r.nextBoolean() ? Json.pretty(m) : Json.write(m);
    }

    static String pickNumeric(Random r) {
        List<String> numeric = TrainConfig.BINDER.entries().stream().filter(e -> e.type().isPrimitive() && e.type() != boolean.class || e.type() == Integer.class
                || e.type() == int[].class).map(Binder.Entry::key).toList();
        return numeric.get(r.nextInt(numeric.size()));
    }

    /** What a run derives from a configuration that validated: none of it may fail. */
    static Object use(TrainConfig c) {
        var s = c.lrSchedule();
        for (int k = 0; k <= 8; k++) {
            double lr = s.at(c.epochs * (double) k / 8);
            if (!(lr >= 0) || Double.isInfinite(lr)) throw new AssertionError("learning rate " + lr + " at epoch " + c.epochs * (double) k / 8);
        }
        c.augmentation();
        RunData.normalization(c.normalize, 3, 10);
        kr.engine.Device.parse(c.device);
        return TrainConfig.BINDER.toMap(c.copy());
    }

    @Property(tries = 600)
    void readsAUsableConfigurationOrFailsNamingTheSetting(@ForAll Damage how, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        String text = damage(valid(r), how, r);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (how == Damage.FLIP_BITS) bytes = Hostile.flipBits(bytes, r, 6);
        if (how == Damage.NOT_UTF8) {
            bytes = bytes.clone();
            bytes[r.nextInt(bytes.length)] = (byte) (0x80 + r.nextInt(0x80));
        }
        Path f = tmp.resolve("run" + Long.toHexString(seed) + ".json");
        Files.write(f, bytes);
        Hostile.Outcome<Object> o = Hostile.run(() -> use(new TrainConfig().apply(TrainConfig.readFile(f)).validate()));
        String what = how + " (seed " + seed + "): " + (text.length() > 400 ? text.substring(0, 400) + "..." : text);
        Hostile.check(o, what, Hostile.bound(bytes.length, BYTES_PER_BYTE), null, ConfigException.class);
        if (o.error() != null) assertTrue(o.error().getMessage().startsWith("[config] "), o.error().getMessage());
        if (how == Damage.NONE) assertNotNull(o.value(), () -> "a valid file fails: " + o.error());
        Files.delete(f);
    }

    /** Issue 13 item 6: a null for a setting that has a value by default was a NullPointerException at run time (schedule, augment, normalize, device, milestones). */
    @Test
    void aNullForASettingWithADefaultIsAConfigErrorNamingIt() {
        for (String key : List.of("schedule", "augment", "normalize", "device", "milestones")) {
            Map<String, Object> m = new LinkedHashMap<>(Map.of("model", "democnn", "data", "demo"));
            m.put(key, null);
            ConfigException e = assertThrows(ConfigException.class, () -> use(new TrainConfig().apply(m).validate()), key);
            assertTrue(e.getMessage().startsWith("[config] " + key + " cannot be null ("), e.getMessage());
        }
        // null where "not set" is the default stays allowed
        Map<String, Object> m = new LinkedHashMap<>(Map.of("model", "democnn", "data", "demo"));
        m.put("threads", null);
        m.put("backend", null);
        m.put("out", null);
        assertNotNull(use(new TrainConfig().apply(m).validate()));
        ConfigException e = assertThrows(ConfigException.class, () -> new TrainConfig().apply(Map.of("device", "gpu", "model", "m", "data", "d")).validate());
        assertTrue(e.getMessage().equals("[config] device must be cpu, cuda or cuda:N, got 'gpu'"), e.getMessage());
    }
}
