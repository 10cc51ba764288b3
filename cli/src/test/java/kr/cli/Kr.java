package kr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kr.engine.Tensor;
import kr.io.SafeTensors;
import kr.train.Checkpoints;

/** The command line in-process for the bad-input, help and provenance tests: one call, its exit status and both streams. */
final class Kr {
    private Kr() {}

    record Run(String[] args, int code, String out, String err) {
        /** stderr's lines (the JVM's incubator warning never goes through Main.run, so every line here is kr's). */
        List<String> errLines() {
            return err.lines().toList();
        }

        String command() {
            return "kr " + String.join(" ", args);
        }

        /** Exit status {@code code} and exactly one stderr line, {@code kr <cmd>: [op] ...}, with no stack trace. */
        Run failsWith(int expected, String cmdName) {
            assertEquals(expected, code, () -> command() + " exit status; stderr:\n" + err);
            assertEquals(1, errLines().size(), () -> command() + " prints " + errLines().size() + " stderr lines:\n" + err);
            assertTrue(err.startsWith("kr " + cmdName + ": ["), () -> command() + ": not a 'kr " + cmdName + ": [op] ...' line: " + err);
            assertNoStackTrace();
            return this;
        }

        void assertNoStackTrace() {
            assertTrue(err.lines().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception in thread") || l.startsWith("Caused by:")),
                    () -> command() + " prints a stack trace:\n" + err);
        }

        Run errContains(String... parts) {
            for (String p : parts) assertTrue(err.contains(p), () -> command() + ": stderr lacks '" + p + "':\n" + err);
            return this;
        }
    }

    static Run kr(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8), args);
        return new Run(args, code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static Run kr(List<String> args) {
        return kr(args.toArray(new String[0]));
    }

    /** Every .safetensors file under {@code dir}, with the first non-finite value each holds (null: all finite). */
    static Map<Path, String> nonFinite(Path dir) throws IOException {
        Map<Path, String> r = new java.util.TreeMap<>();
        if (!Files.isDirectory(dir)) return r;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
                Map<String, Tensor> t = SafeTensors.read(p);
                String bad = Checkpoints.firstNonFinite(t);
                if (bad != null) r.put(p, bad);
            }
        }
        return r;
    }

    /** An IDX pair train/t10k of {@code n} one-channel {@code size}x{@code size} images (10 classes): the channel count CIFAR models do not take. */
    static Path greyIdx(Path dir, int n, int size) throws IOException {
        Files.createDirectories(dir);
        java.util.Random r = new java.util.Random(3);
        for (String prefix : new String[] {"train", "t10k"}) {
            java.nio.ByteBuffer im = java.nio.ByteBuffer.allocate(16 + n * size * size).putInt(0x803).putInt(n).putInt(size).putInt(size);
            byte[] px = new byte[n * size * size];
            r.nextBytes(px);
            im.put(px);
            java.nio.ByteBuffer lb = java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
            for (int i = 0; i < n; i++) lb.put((byte) (i % 10));
            Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), im.array());
            Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lb.array());
        }
        return dir;
    }

    /** A safetensors file with {@code header} (JSON text) and {@code data}. */
    static Path safetensors(Path f, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Files.write(f, java.nio.ByteBuffer.allocate(8 + h.length + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put(data).array());
        return f;
    }
}
