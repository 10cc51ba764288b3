package kr.io;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

/**
 * What the parser fuzz suites share: run a parse on this thread, keep its value or what it threw and
 * the heap bytes it allocated (HotSpot's per-thread counter, {@code com.sun.management.ThreadMXBean}),
 * then judge the outcome: a value, or an exception of a documented type whose message is one line
 * starting with {@code [op]} (and names the file where asked); never an {@link Error}, never another
 * exception, never more allocation than the suite's stated bound.
 *
 * <pre>{@code
 * Hostile.Outcome<Object> o = Hostile.run(() -> Json.parse(text));
 * Hostile.check(o, "text of " + text.length() + " chars", Hostile.bound(text.length(), 64), null, IllegalArgumentException.class);
 * }</pre>
 */
public final class Hostile {
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Allocation every parse may make whatever its input: class loading and first-use caches on the calling thread. */
    public static final long SLACK = 4L << 20;

    private Hostile() {}

    /** A parse that may throw anything. */
    @FunctionalInterface
    public interface Parse<T> {
        T run() throws Exception;
    }

    /** The parse's value (null when it threw), what it threw (null when it returned), and the bytes it allocated. */
    public record Outcome<T>(T value, Throwable error, long allocated) {}

    /** Runs {@code p} on the calling thread, catching everything (Errors too). */
    public static <T> Outcome<T> run(Parse<T> p) {
        if (!THREADS.isThreadAllocatedMemoryEnabled()) THREADS.setThreadAllocatedMemoryEnabled(true);
        long a0 = THREADS.getCurrentThreadAllocatedBytes();
        T v = null;
        Throwable err = null;
        try {
            v = p.run();
        } catch (Throwable t) {
            err = t;
        }
        return new Outcome<>(v, err, THREADS.getCurrentThreadAllocatedBytes() - a0);
    }

    /** {@link #SLACK} plus {@code perByte} bytes for each of {@code inputBytes}. */
    public static long bound(long inputBytes, long perByte) {
        return SLACK + perByte * inputBytes;
    }

    /**
     * Fails unless {@code o} allocated at most {@code maxAllocated} bytes and either returned or threw
     * one of {@code documented} with a one-line message that starts with {@code [} and contains
     * {@code mustName} (the file; null: anything). {@code input} describes the input for the failure message.
     */
    @SafeVarargs
    public static void check(Outcome<?> o, String input, long maxAllocated, String mustName, Class<? extends Exception>... documented) {
        Throwable t = o.error();
        if (t != null) {
            boolean known = Arrays.stream(documented).anyMatch(c -> c.isInstance(t));
            if (!known) throw new AssertionError("undocumented " + t + " on " + input + " (documented: " + Arrays.toString(documented) + ")", t);
            String m = t.getMessage();
            if (m == null || !m.startsWith("[")) throw new AssertionError("message does not start with [op]: '" + m + "' on " + input, t);
            if (m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0) throw new AssertionError("message of more than one line: '" + m + "' on " + input, t);
            if (mustName != null && !m.contains(mustName)) throw new AssertionError("message does not name " + mustName + ": '" + m + "' on " + input, t);
        }
        if (o.allocated() > maxAllocated)
            throw new AssertionError("allocated " + o.allocated() + " bytes, more than the bound " + maxAllocated + " on " + input
                    + (t == null ? " (it parsed)" : " (it failed: " + t.getMessage() + ")"));
    }

    /**
     * A fresh temp folder for a fuzz suite's files: in {@code /dev/shm} (memory) where there is one, so
     * the fsyncs of atomic writes and thousands of small files cost little; else in java.io.tmpdir.
     */
    public static java.nio.file.Path tempDir(String prefix) throws java.io.IOException {
        java.nio.file.Path shm = java.nio.file.Path.of("/dev/shm");
        if (java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.isWritable(shm)) return java.nio.file.Files.createTempDirectory(shm, prefix);
        return java.nio.file.Files.createTempDirectory(prefix);
    }

    /**
     * A fuzz suite's temp folder ({@link #tempDir}): one per test instance, the try's files cleared
     * between tries ({@link #clearTry}), the folder removed after each property (jqwik) and each plain
     * test (JUnit), pass or fail.
     */
    public abstract static class Suite {
        protected final java.nio.file.Path tmp;

        protected Suite(String prefix) throws java.io.IOException {
            tmp = tempDir(prefix);
        }

        @net.jqwik.api.lifecycle.AfterProperty
        @org.junit.jupiter.api.AfterEach
        public void clean() throws java.io.IOException {
            clear(tmp, true);
        }

        protected void clearTry() throws java.io.IOException {
            clear(tmp, false);
        }
    }

    /** Deletes everything under {@code dir} (and {@code dir} itself when {@code andDir}); a missing folder is fine. */
    public static void clear(java.nio.file.Path dir, boolean andDir) throws java.io.IOException {
        if (!java.nio.file.Files.exists(dir)) return;
        try (var s = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path p : s.sorted(java.util.Comparator.reverseOrder()).toList())
                if (andDir || !p.equals(dir)) java.nio.file.Files.deleteIfExists(p);
        }
    }

    /** {@code b} with 1 to {@code maxFlips} random bits flipped. */
    public static byte[] flipBits(byte[] b, Random r, int maxFlips) {
        byte[] c = b.clone();
        if (c.length == 0) return c;
        for (int k = 1 + r.nextInt(maxFlips); k > 0; k--) {
            int at = r.nextInt(c.length);
            c[at] ^= (byte) (1 << r.nextInt(8));
        }
        return c;
    }

    /** The first {@code 0..length} bytes of {@code b}, the cut drawn uniformly. */
    public static byte[] truncate(byte[] b, Random r) {
        return Arrays.copyOf(b, r.nextInt(b.length + 1));
    }

    /** Whole numbers a hostile header would put in a size field: zero, negatives, 2^31 and 2^63 edges, a random one. */
    public static long hostileNumber(Random r) {
        long[] edge = {0, -1, -8, 1, Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 1L << 32, (1L << 32) + 10, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE,
            1L << 53, 1L << 62, 3_000_000_000L, 65536};
        return r.nextInt(4) == 0 ? r.nextLong() : edge[r.nextInt(edge.length)];
    }
}
