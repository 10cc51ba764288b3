package kr.reproduce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.config.ConfigException;
import kr.distill.DistillConfig;
import kr.io.Json;
import kr.train.TrainConfig;

/**
 * An experiment grid file: one teacher (trained by the grid, or given as weights), students and
 * methods, each student x method x seed a run.
 *
 * <pre>{@code
 * {"name": "cifar10", "data": "data/cifar10", "out": "results/grid", "seeds": 3,
 *  "train": {"epochs": 15, "lr": 0.1, "schedule": "cosine", "batch_size": 128},
 *  "teacher": {"model": "resnet56", "weights": null, "train": {"epochs": 30}},
 *  "students": ["resnet8", "resnet20"],
 *  "methods": ["scratch", "kd", "at", "kr", "kr+kd", {"name": "kr-b0.02", "method": "kr", "kr_beta": 0.02}],
 *  "distill": {"kr_beta": 0.005}}
 * }</pre>
 * "scratch" trains with cross-entropy only; any other entry is a {@code distill.method}; an object
 * entry adds its own distill settings. {@code train} settings apply to every run (the teacher's
 * {@code train} overrides them for the teacher); each run's seed is {@code train.seed + k}.
 *
 * <p>Paired comparisons ({@link GridReport}: the mean difference over seeds with its 95% t-interval):
 * {@code "baseline": "scratch"} compares every other method with scratch; {@code "compare":
 * {"kr+kd": "kd", "kr-untrained": ["kr", "scratch"]}} names a method's baseline(s). Both may be given;
 * with neither, every method is compared with "scratch" when the grid has it.
 */
public record GridSpec(String name, String data, Path out, int seeds, Map<String, Object> train, String teacherModel, String teacherWeights,
        Map<String, Object> teacherTrain, List<String> students, List<Method> methods, Map<String, Object> distill, Map<String, List<String>> compare) {

    /** A grid column: its display name, and its distill settings (null for scratch). */
    public record Method(String name, Map<String, Object> distill) {
        public boolean scratch() {
            return distill == null;
        }
    }

    /**
     * Reads an experiment grid file. A file that is missing, not UTF-8 JSON, or whose keys have the
     * wrong types or values is a {@link ConfigException} naming the file; other read errors are
     * IOExceptions.
     */
    public static GridSpec read(Path file) throws IOException {
        Map<String, Object> m;
        if (!Files.isRegularFile(file)) throw new ConfigException("[reproduce] experiment file " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        try {
            m = Json.parseObject(Files.readString(file));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException("[reproduce] " + file + " is not UTF-8 text (an experiment file is JSON)");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[reproduce] " + file + ": " + e.getMessage());
        }
        for (String k : m.keySet())
            if (!List.of("name", "data", "out", "seeds", "train", "teacher", "students", "methods", "distill", "baseline", "compare").contains(k))
                throw new ConfigException("[reproduce] " + file + ": unknown key '" + Json.printable(k)
                        + "' (name, data, out, seeds, train, teacher, students, methods, distill, baseline, compare)");
        Map<String, Object> teacher = obj(file, "teacher", m.get("teacher"));
        if (teacher == null || !(teacher.get("model") instanceof String tm))
            throw new ConfigException("[reproduce] " + file + ": teacher.model is required");
        List<String> students = new ArrayList<>();
        if (!(m.get("students") instanceof List<?> sl) || sl.isEmpty()) throw new ConfigException("[reproduce] " + file + ": students must be a non-empty list");
        for (Object o : sl) {
            if (!(o instanceof String s)) throw new ConfigException("[reproduce] " + file + ": students must be model names (strings), got " + Json.write(o));
            students.add(s);
        }
        List<Method> methods = new ArrayList<>();
        if (!(m.get("methods") instanceof List<?> ml) || ml.isEmpty()) throw new ConfigException("[reproduce] " + file + ": methods must be a non-empty list");
        for (Object o : ml) {
            if (o instanceof String s) methods.add(s.equals("scratch") ? new Method(s, null) : new Method(s, new LinkedHashMap<>(Map.of("method", s))));
            else if (o instanceof Map<?, ?> mm && mm.get("name") instanceof String n) {
                Map<String, Object> d = new LinkedHashMap<>();
                mm.forEach((k, v) -> {
                    if (!k.equals("name")) d.put(String.valueOf(k), v);
                });
                methods.add(new Method(n, d.containsKey("method") ? d : null));
            } else throw new ConfigException("[reproduce] " + file + ": a method is a name or an object with \"name\" and distill settings, got " + Json.write(o));
        }
        Object seedsValue = m.get("seeds");
        double sv = seedsValue instanceof Number n ? n.doubleValue() : Double.NaN;
        if (seedsValue != null && !(sv == Math.rint(sv) && sv >= 1 && sv <= MAX_SEEDS))
            throw new ConfigException("[reproduce] " + file + ": seeds must be a whole number in [1, " + MAX_SEEDS + "], got " + Json.write(seedsValue));
        int seeds = seedsValue == null ? 1 : (int) sv;
        String name = string(file, m, "name"), data = string(file, m, "data"), outText = string(file, m, "out");
        String weights = string(file, teacher, "teacher.weights");
        Path out;
        try {
            out = Path.of(outText != null ? outText : "results/" + (name != null ? name : "grid"));
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException("[reproduce] " + file + ": out is not a usable path: " + Json.printable(e.getMessage()));
        }
        GridSpec g = new GridSpec(name != null ? name : file.getFileName().toString(), data, out, seeds, orEmpty(obj(file, "train", m.get("train"))),
                tm, weights, orEmpty(obj(file, "teacher.train", teacher.get("train"))), students, methods, orEmpty(obj(file, "distill", m.get("distill"))),
                comparisons(file, m.get("baseline"), m.get("compare"), methods));
        g.check(file);
        return g;
    }

    /** Each method's baselines: {@code compare}'s entries, then {@code baseline} for every other method; default: scratch, if present. */
    static Map<String, List<String>> comparisons(Path file, Object baseline, Object compare, List<Method> methods) {
        List<String> names = new ArrayList<>();
        for (Method x : methods) names.add(x.name());
        Map<String, List<String>> r = new LinkedHashMap<>();
        if (compare != null) {
            if (!(compare instanceof Map<?, ?> cm)) throw new ConfigException("[reproduce] " + file + ": compare must be an object {method: baseline(s)}");
            for (var e : cm.entrySet()) {
                String method = String.valueOf(e.getKey());
                List<String> bs = new ArrayList<>();
                if (e.getValue() instanceof String b) bs.add(b);
                else if (e.getValue() instanceof List<?> l) for (Object b : l) bs.add(String.valueOf(b));
                else throw new ConfigException("[reproduce] " + file + ": compare." + method + " must be a method name or a list of them");
                for (String n : bs) add(file, r, names, method, n, "compare." + method);
            }
        }
        if (baseline != null && !(baseline instanceof String)) throw new ConfigException("[reproduce] " + file + ": baseline must be a method name");
        String base = (String) baseline;
        if (base == null && compare == null && names.contains("scratch")) base = "scratch";
        if (base != null) {
            if (!names.contains(base)) throw new ConfigException("[reproduce] " + file + ": baseline '" + base + "' is not a method of the grid " + names);
            for (String n : names) if (!n.equals(base)) add(file, r, names, n, base, "baseline");
        }
        // in the methods' order, so the report lists them as the grid does
        Map<String, List<String>> ordered = new LinkedHashMap<>();
        for (String n : names) if (r.containsKey(n)) ordered.put(n, List.copyOf(r.get(n)));
        return ordered;
    }

    private static void add(Path file, Map<String, List<String>> r, List<String> names, String method, String base, String where) {
        for (String n : List.of(method, base))
            if (!names.contains(n)) throw new ConfigException("[reproduce] " + file + ": " + where + " names '" + n + "', not a method of the grid " + names);
        if (method.equals(base)) throw new ConfigException("[reproduce] " + file + ": " + where + " compares '" + method + "' with itself");
        List<String> l = r.computeIfAbsent(method, k -> new ArrayList<>());
        if (!l.contains(base)) l.add(base);
    }

    /**
     * The train and distill settings' keys, types and ranges, checked now rather than when the grid
     * reaches the run that uses them (possibly after the teacher trained for hours).
     */
    private void check(Path file) {
        // each run lives in out/<student>/<method>/seed<k>: the names must be folder names
        for (String n : students) folderName(file, "student", n);
        for (Method m : methods) folderName(file, "method name", m.name());
        try {
            TrainConfig.BINDER.validate(new TrainConfig().apply(train));
            TrainConfig.BINDER.validate(new TrainConfig().apply(train).apply(teacherTrain));
        } catch (ConfigException e) {
            throw new ConfigException("[reproduce] " + file + ": train: " + e.getMessage());
        }
        for (Method m : methods) {
            if (m.scratch()) continue;
            Map<String, Object> d = new LinkedHashMap<>(distill);
            d.putAll(m.distill());
            try {
                DistillConfig c = DistillConfig.from(d);
                c.methods();
                DistillConfig.BINDER.validate(c);
            } catch (ConfigException e) {
                throw new ConfigException("[reproduce] " + file + ": method '" + m.name() + "': " + e.getMessage());
            }
        }
    }

    /** Most seeds per cell a grid may ask for. */
    public static final int MAX_SEEDS = 1000;

    /** The grid with {@code n} seeds per cell (kr reproduce --seeds N); n must be in [1, {@link #MAX_SEEDS}]. */
    public GridSpec withSeeds(int n) {
        if (n < 1 || n > MAX_SEEDS) throw new ConfigException("[reproduce] --seeds must be in [1, " + MAX_SEEDS + "], got " + n);
        return new GridSpec(name, data, out, n, train, teacherModel, teacherWeights, teacherTrain, students, methods, distill, compare);
    }

    private static void folderName(Path file, String what, String n) {
        boolean bad = n.isBlank() || n.equals(".") || n.equals("..") || n.length() > 200 || n.chars().anyMatch(c -> c < 0x20 || c == '/' || c == '\\' || c == 0x7f);
        if (bad) throw new ConfigException("[reproduce] " + file + ": " + what + " '" + Json.printable(n) + "' cannot name a folder (no /, \\, control characters, . or ..)");
    }

    /** A string value of {@code m}, null when absent or null; another type is a ConfigException naming {@code what}. */
    private static String string(Path file, Map<String, Object> m, String what) {
        String key = what.substring(what.lastIndexOf('.') + 1);
        Object v = m.get(key);
        if (v == null || v instanceof String) return (String) v;
        throw new ConfigException("[reproduce] " + file + ": " + what + " must be a string, got " + Json.write(v));
    }

    public GridSpec withOut(Path o) {
        return new GridSpec(name, data, o, seeds, train, teacherModel, teacherWeights, teacherTrain, students, methods, distill, compare);
    }

    public GridSpec withData(String d) {
        return new GridSpec(name, d, out, seeds, train, teacherModel, teacherWeights, teacherTrain, students, methods, distill, compare);
    }

    /** The grid with one {@code train} setting (every run's, the teacher's too) replaced, e.g. ("device", "cuda"). */
    public GridSpec withTrainSetting(String key, Object value) {
        Map<String, Object> t = new LinkedHashMap<>(train);
        t.put(key, value);
        return new GridSpec(name, data, out, seeds, t, teacherModel, teacherWeights, teacherTrain, students, methods, distill, compare);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Path file, String key, Object v) {
        if (v == null) return null;
        if (!(v instanceof Map<?, ?>)) throw new ConfigException("[reproduce] " + file + ": " + key + " must be an object");
        return (Map<String, Object>) v;
    }

    private static Map<String, Object> orEmpty(Map<String, Object> m) {
        return m == null ? new LinkedHashMap<>() : new LinkedHashMap<>(m);
    }
}
