package kr.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import kr.config.ConfigException;
import kr.io.Hostile;
import kr.io.Json;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing experiment grid files ({@link GridSpec#read}, then {@code withSeeds} and the grid's list of
 * runs): valid grids damaged with wrong types at every level (seeds, names, students, methods,
 * teacher, the train and distill sections), out-of-range seeds, unknown keys, nulls, deep nesting,
 * truncation, bit flips and non-UTF-8 bytes. Every outcome is a grid or a ConfigException whose
 * one-line message starts with {@code [reproduce] <file>} (or, for --seeds, {@code [reproduce]});
 * never another exception or an Error, and at most {@value #BYTES_PER_BYTE} heap bytes per byte of
 * the file plus {@link Hostile#SLACK}.
 */
class GridSpecFuzzTest extends Hostile.Suite {
    static final long BYTES_PER_BYTE = 256;


    GridSpecFuzzTest() throws IOException {
        super("kr-grid-fuzz");
    }


    enum Damage {
        NONE, WRONG_TYPE, SEEDS, NULL, UNKNOWN_KEY, BAD_SETTING, BAD_NAME, DEEP, TRUNCATE, FLIP_BITS, NOT_UTF8, NOT_AN_OBJECT
    }

    static final Object[] WRONG = {"x", "", 3L, -1L, 2.5, true, null, List.of(), List.of(1L), List.of("a", 2L), Map.of(), Map.of("name", 5L),
        Map.of("method", "kd"), "\u0000/\n", List.of(Map.of())};

    static Map<String, Object> valid(Random r) {
        Map<String, Object> g = new LinkedHashMap<>();
        if (r.nextBoolean()) g.put("name", "grid " + r.nextInt(100));
        if (r.nextBoolean()) g.put("data", "data/cifar10");
        if (r.nextBoolean()) g.put("out", "results/g" + r.nextInt(100));
        if (r.nextBoolean()) g.put("seeds", (long) (1 + r.nextInt(5)));
        if (r.nextBoolean()) g.put("train", new LinkedHashMap<>(Map.of("epochs", (long) (1 + r.nextInt(10)), "lr", 0.1, "schedule", "cosine")));
        Map<String, Object> t = new LinkedHashMap<>(Map.of("model", "resnet20"));
        if (r.nextBoolean()) t.put("weights", r.nextBoolean() ? null : "t.safetensors");
        if (r.nextBoolean()) t.put("train", new LinkedHashMap<>(Map.of("epochs", 3L)));
        g.put("teacher", t);
        g.put("students", new ArrayList<>(List.of("resnet8", "resnet20").subList(0, 1 + r.nextInt(2))));
        List<Object> methods = new ArrayList<>(List.of("scratch", "kd"));
        if (r.nextBoolean()) methods.add(new LinkedHashMap<>(Map.of("name", "kr-b0.02", "method", "kr+kd", "kr_beta", 0.02)));
        g.put("methods", methods);
        if (r.nextBoolean()) g.put("distill", new LinkedHashMap<>(Map.of("kd_t", 4L, "kr_beta", 0.005)));
        return g;
    }

    /** A random place in the grid: the top level, the teacher, a section, or a method object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> somewhere(Map<String, Object> g, Random r) {
        List<Map<String, Object>> maps = new ArrayList<>(List.of(g, (Map<String, Object>) g.get("teacher")));
        for (String k : List.of("train", "distill")) if (g.get(k) instanceof Map<?, ?> m) maps.add((Map<String, Object>) m);
        for (Object m : (List<Object>) g.get("methods")) if (m instanceof Map<?, ?> mm) maps.add((Map<String, Object>) mm);
        return maps.get(r.nextInt(maps.size()));
    }

    @SuppressWarnings("unchecked")
    static String damage(Map<String, Object> g, Damage how, Random r) {
        Map<String, Object> at = somewhere(g, r);
        List<String> keys = new ArrayList<>(at.keySet());
        String key = keys.isEmpty() ? "x" : keys.get(r.nextInt(keys.size()));
        switch (how) {
            case WRONG_TYPE -> {
                if (r.nextBoolean()) at.put(key, WRONG[r.nextInt(WRONG.length)]);
                else g.put(new String[] {"name", "data", "out", "seeds", "train", "teacher", "students", "methods", "distill"}[r.nextInt(9)],
                        WRONG[r.nextInt(WRONG.length)]);
            }
            case SEEDS -> g.put("seeds", new Object[] {0L, -1L, 1001L, 2.5, 1e300, (long) Integer.MAX_VALUE + 1, Long.MIN_VALUE, "3", 3.0}[r.nextInt(9)]);
            case NULL -> at.put(key, null);
            case BAD_NAME -> { // a student or method name that cannot be a folder of the grid
                String bad = new String[] {"", " ", ".", "..", "a/b", "a\\b", "x\u0000y", "new\nline", "k".repeat(300)}[r.nextInt(9)];
                if (r.nextBoolean()) ((List<Object>) g.get("students")).add(bad);
                else ((List<Object>) g.get("methods")).add(r.nextBoolean() ? bad : new LinkedHashMap<>(Map.of("name", bad, "method", "kd")));
            }
            case UNKNOWN_KEY -> at.put(new String[] {"seed", "student", "teachers", "epoch", "kr_betta", "", "lr\n", "\u0000"}[r.nextInt(8)], 1L);
            case BAD_SETTING -> {
                String[][] bad = {{"lr", "-1"}, {"epochs", "0"}, {"schedule", "\"fast\""}, {"kd_t", "0"}, {"kr_rho", "2"}, {"method", "\"kd+foo\""},
                    {"method", "\"kd+kd\""}, {"momentum", "5"}, {"kr_schedule", "null"}};
                String[] b = bad[r.nextInt(bad.length)];
                at.put(b[0], Json.parse(b[1]));
            }
            case DEEP -> {
                int levels = r.nextInt(4) == 0 ? 100_000 : r.nextInt(3 * Json.MAX_DEPTH);
                String text = Json.write(g);
                return text.substring(0, text.length() - 1) + ", \"" + key + "\": " + "{\"a\":".repeat(levels) + "1" + "}".repeat(r.nextBoolean() ? levels : 1) + "}";
            }
            case TRUNCATE -> {
                String text = Json.pretty(g);
                return text.substring(0, r.nextInt(text.length() + 1));
            }
            case NOT_AN_OBJECT -> {
                return new String[] {"[]", "null", "", "7", "\"grid\"", "\uFEFF{}", "{}", "{\"teacher\": {}}"}[r.nextInt(8)];
            }
            default -> {}
        }
        return r.nextBoolean() ? Json.pretty(g) : Json.write(g);
    }

    @Property(tries = 550)
    void readsAGridOrFailsNamingTheFile(@ForAll Damage how, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        String text = damage(valid(r), how, r);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (how == Damage.FLIP_BITS) bytes = Hostile.flipBits(bytes, r, 6);
        if (how == Damage.NOT_UTF8) bytes[r.nextInt(bytes.length)] = (byte) (0x80 + r.nextInt(0x80));
        Path f = tmp.resolve("grid" + Long.toHexString(seed) + ".json");
        Files.write(f, bytes);
        int seeds = r.nextInt(5) - 1;
        Hostile.Outcome<GridSpec> o = Hostile.run(() -> {
            GridSpec g = GridSpec.read(f);
            new Grid(g, (m, c) -> null, null).runs();
            return g;
        });
        String what = how + " (seed " + seed + "): " + (text.length() > 400 ? text.substring(0, 400) + "..." : text);
        Hostile.check(o, what, Hostile.bound(bytes.length, BYTES_PER_BYTE), "[reproduce] " + f, ConfigException.class);
        if (how == Damage.NONE) assertNotNull(o.value(), () -> "a valid grid fails: " + o.error());
        if (how == Damage.SEEDS && o.value() != null) assertTrue(o.value().seeds() >= 1, what);
        if (o.value() != null) {
            Hostile.Outcome<GridSpec> w = Hostile.run(() -> o.value().withSeeds(seeds));
            Hostile.check(w, "withSeeds(" + seeds + ")", Hostile.SLACK, "[reproduce] --seeds", ConfigException.class);
            assertEquals(seeds < 1, w.error() != null, "withSeeds(" + seeds + ")");
        }
        Files.delete(f);
    }

    /** Issue 13 item 7: kr reproduce --seeds 0 ran the teacher and no student; a grid needs at least one seed. */
    @Test
    void zeroSeedsAreRefused() throws IOException {
        Path f = tmp.resolve("g.json");
        Files.writeString(f, "{\"teacher\": {\"model\": \"democnn\"}, \"students\": [\"democnn\"], \"methods\": [\"scratch\"], \"seeds\": 0}");
        ConfigException e = assertThrows(ConfigException.class, () -> GridSpec.read(f));
        assertEquals("[reproduce] " + f + ": seeds must be a whole number in [1, 1000], got 0", e.getMessage());
        Files.writeString(f, "{\"teacher\": {\"model\": \"democnn\"}, \"students\": [\"democnn\"], \"methods\": [\"scratch\"]}");
        GridSpec g = GridSpec.read(f);
        assertEquals(1, g.seeds());
        e = assertThrows(ConfigException.class, () -> g.withSeeds(0));
        assertEquals("[reproduce] --seeds must be in [1, 1000], got 0", e.getMessage());
        assertEquals(3, g.withSeeds(3).seeds());
        clean();
    }
}
