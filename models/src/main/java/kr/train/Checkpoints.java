package kr.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kr.engine.Tensor;
import kr.io.AtomicFiles;
import kr.io.Json;
import kr.io.SafeTensors;
import kr.nn.Module;

/**
 * The checkpoint files of a run, in {@code <out>/checkpoints/}:
 * <ul>
 * <li>{@code last.json}: the training state (epoch, step, optimizer step count, generator state,
 * best accuracy, metrics so far, partial-epoch sums, the configuration) and the names of the two
 * tensor files it belongs to. It is written last, so it is the commit point: a write that fails
 * part way leaves the previous {@code last.json} and the files it names intact.</li>
 * <li>{@code last-<step>.safetensors}: the model's state dict under PyTorch names.</li>
 * <li>{@code last-<step>.optim.safetensors}: optimizer tensors ("optimizer.3.momentum_buffer") and
 * the objective's own state ("objective.*").</li>
 * <li>{@code best.safetensors}: the weights of the epoch with the best test accuracy.</li>
 * </ul>
 * Every file is written atomically (temp file, fsync, rename). Weights files carry metadata
 * {@code kr.model}, {@code kr.classes}, {@code kr.epoch} so {@code kr eval} needs no other input.
 */
public final class Checkpoints {
    public static final String LAST = "last.json";
    public static final String BEST = "best.safetensors";

    /** The file operations, replaceable in tests to make a write fail. */
    interface Io {
        void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> meta) throws IOException;

        void writeText(Path file, String text) throws IOException;
    }

    static final Io ATOMIC = new Io() {
        @Override
        public void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> meta) throws IOException {
            SafeTensors.write(file, tensors, meta);
        }

        @Override
        public void writeText(Path file, String text) throws IOException {
            AtomicFiles.writeString(file, text);
        }
    };

    private final Path dir;
    private final Io io;

    public Checkpoints(Path dir) {
        this(dir, ATOMIC);
    }

    Checkpoints(Path dir, Io io) {
        this.dir = dir;
        this.io = io;
    }

    public Path dir() {
        return dir;
    }

    public boolean hasLast() {
        return Files.exists(dir.resolve(LAST));
    }

    /**
     * Saves a resumable state: weights, then optimizer tensors, then {@code state} (which gets the
     * two file names added) as the commit point; then deletes older tensor files.
     */
    public void saveLast(Map<String, Object> state, Map<String, Tensor> weights, Map<String, String> meta, Map<String, Tensor> optimizer)
            throws IOException {
        long step = ((Number) state.get("global_step")).longValue();
        String base = String.format("last-%08d", step);
        String wName = base + ".safetensors", oName = base + ".optim.safetensors";
        io.writeTensors(dir.resolve(wName), weights, meta);
        io.writeTensors(dir.resolve(oName), optimizer, Map.of("format", "kr-optimizer"));
        Map<String, Object> s = new LinkedHashMap<>(state);
        s.put("weights", wName);
        s.put("optimizer", oName);
        io.writeText(dir.resolve(LAST), Json.pretty(s));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("last-") && n.endsWith(".safetensors") && !n.equals(wName) && !n.equals(oName)) Files.deleteIfExists(p);
            }
        }
    }

    public void saveBest(Map<String, Tensor> weights, Map<String, String> meta) throws IOException {
        io.writeTensors(dir.resolve(BEST), weights, meta);
    }

    /** A loaded resumable state: the JSON object and the two tensor maps it names. */
    public record Saved(Map<String, Object> state, Map<String, Tensor> weights, Map<String, Tensor> optimizer) {}

    public Saved loadLast() {
        Path json = dir.resolve(LAST);
        Map<String, Object> state;
        try {
            state = Json.parseObject(Files.readString(json));
        } catch (NoSuchFileException e) {
            throw new CheckpointException("[checkpoint] no checkpoint to resume: " + json + " does not exist");
        } catch (IOException | IllegalArgumentException e) {
            throw new CheckpointException("[checkpoint] cannot read " + json + ": " + e.getMessage(), e);
        }
        if (!"kr-train-state".equals(state.get("format")))
            throw new CheckpointException("[checkpoint] " + json + " is not a kr training state (format " + state.get("format") + ")");
        return new Saved(state, read(dir.resolve((String) state.get("weights"))).tensors(), read(dir.resolve((String) state.get("optimizer"))).tensors());
    }

    /** Reads a safetensors file, turning I/O errors into a {@link CheckpointException} that names it. */
    public static SafeTensors.Contents read(Path file) {
        try {
            return SafeTensors.readWithMetadata(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("[checkpoint] " + file + " does not exist");
        } catch (IOException e) {
            throw new CheckpointException("[checkpoint] cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The weights file meant by {@code p}: the file itself, the one a {@code last.json} names, or
     * for a run directory (or its checkpoints/ folder) the best weights, else the last.
     */
    public static Path resolveWeights(Path p) {
        if (Files.isDirectory(p)) {
            for (Path d : List.of(p.resolve("checkpoints"), p)) {
                if (Files.exists(d.resolve(BEST))) return d.resolve(BEST);
                if (Files.exists(d.resolve(LAST))) return resolveWeights(d.resolve(LAST));
            }
            throw new CheckpointException("[checkpoint] " + p + " holds no checkpoint (" + BEST + " or " + LAST + ")");
        }
        if (p.getFileName().toString().endsWith(".json")) {
            try {
                Object w = Json.parseObject(Files.readString(p)).get("weights");
                if (w instanceof String s) return p.toAbsolutePath().getParent().resolve(s);
            } catch (IOException | IllegalArgumentException e) {
                throw new CheckpointException("[checkpoint] cannot read " + p + ": " + e.getMessage(), e);
            }
            throw new CheckpointException("[checkpoint] " + p + " names no weights file");
        }
        return p;
    }

    /**
     * Loads {@code state} into {@code m} strictly; a mismatch becomes a {@link CheckpointException}
     * that names the file and lists every missing, unexpected and mis-shaped tensor on its own line.
     */
    public static void loadInto(Module m, Map<String, Tensor> state, String source) {
        try {
            m.loadStateDict(state, true);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            int colon = msg.indexOf(": ");
            String list = colon >= 0 ? msg.substring(colon + 2) : msg;
            throw new CheckpointException("[checkpoint] " + source + " does not fit " + m.getClass().getSimpleName() + ":\n  "
                    + String.join("\n  ", list.split("; ")), e);
        }
    }

    /**
     * The first tensor of {@code tensors} that holds a NaN or an infinity, described as
     * {@code 'name' holds NaN at element i of [shape]}; null when every value is finite.
     */
    public static String firstNonFinite(Map<String, Tensor> tensors) {
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != kr.engine.DType.F32 && t.dtype() != kr.engine.DType.F64) continue;
            long i = kr.engine.backend.Backends.of(t.device()).firstNonFinite(t);
            if (i < 0) continue;
            double v = t.detach().reshape(-1).slice(0, (int) i, (int) i + 1, 1).item();
            return "'" + e.getKey() + "' holds " + (Double.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") + " at element " + i + " of "
                    + kr.engine.Shapes.str(t.shape());
        }
        return null;
    }

    /** How many tensors of {@code tensors} hold a NaN or an infinity. */
    public static int countNonFinite(Map<String, Tensor> tensors) {
        int n = 0;
        for (Tensor t : tensors.values())
            if ((t.dtype() == kr.engine.DType.F32 || t.dtype() == kr.engine.DType.F64) && kr.engine.backend.Backends.of(t.device()).firstNonFinite(t) >= 0) n++;
        return n;
    }

    /** Entries of {@code m} whose names start with {@code prefix}, with the prefix removed. */
    public static Map<String, Tensor> withoutPrefix(Map<String, Tensor> m, String prefix) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(prefix)) r.put(k.substring(prefix.length()), v);
        });
        return r;
    }

    /** {@code m} with every name prefixed. */
    public static Map<String, Tensor> withPrefix(Map<String, Tensor> m, String prefix) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(prefix + k, v));
        return r;
    }
}
