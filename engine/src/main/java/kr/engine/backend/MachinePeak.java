package kr.engine.backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;

/**
 * What a machine can do at best, the roof a profiler compares kernels with: float32 FLOP/s and
 * memory bytes/s. For the CPU both are measured, once per JVM and thread count, in about half a
 * second (up to a few seconds on a busy machine): 12 independent chains of FMAs on vectors of the
 * Vector API's preferred width, as the micro-kernels keep their accumulators (without the incubator
 * module: a loop of 16 chained FMAs over an L1-resident array that C2 vectorises) on every compute
 * thread at once, each timed by its own CPU time, and a STREAM triad
 * {@code a = b + s*c} over arrays twice the size of the last-level cache, the threads starting each
 * pass together. The best interval and pass count, so on a shared machine the figures say what the
 * hardware gives when not disturbed (while the kernels a profile times may be disturbed).
 *
 * <pre>{@code
 * MachinePeak p = MachinePeak.cpu(Backends.config().threads());
 * String bound = intensity < p.ridge() ? "memory" : "compute";
 * }</pre>
 *
 * @param gflops float32 GFLOP/s (a multiply-add counts two)
 * @param gbps memory bandwidth in GB/s (10^9 bytes)
 * @param compute how the compute figure was obtained
 * @param memory how the bandwidth figure was obtained
 */
public record MachinePeak(double gflops, double gbps, String compute, String memory) {
    private static final Object LOCK = new Object();
    private static final java.util.Map<Integer, MachinePeak> CPU = new java.util.HashMap<>();
    private static volatile float sink; // keeps the benchmark loops' results alive

    /** FLOPs per byte where the roofs meet: kernels below it are memory-bound, above it compute-bound. */
    public double ridge() {
        return gbps > 0 ? gflops / gbps : Double.POSITIVE_INFINITY;
    }

    /** The best attainable GFLOP/s at arithmetic intensity {@code flopsPerByte}. */
    public double attainable(double flopsPerByte) {
        return Math.min(gflops, flopsPerByte * gbps);
    }

    /** The CPU's peaks on {@code threads} threads, measured on first use (under a second) and remembered for the JVM. */
    public static MachinePeak cpu(int threads) {
        if (threads < 1) throw new IllegalArgumentException("[peak] threads must be >= 1, got " + threads);
        synchronized (LOCK) {
            MachinePeak p = CPU.get(threads);
            if (p == null) {
                p = measureCpu(threads);
                CPU.put(threads, p);
            }
            return p;
        }
    }

    private static MachinePeak measureCpu(int threads) {
        double flops = 0;
        for (double r : parallel(threads, id -> fmaRate())) flops += r;
        long llc = lastLevelCache();
        int n = (int) Math.min(1 << 26, Math.max(1 << 22, llc / 2)); // floats per array: twice the LLC in bytes, at least 16 MiB
        n = (int) Math.min(n, Runtime.getRuntime().maxMemory() / 4 / 12); // three arrays in a quarter of the heap
        double bytes = triadRate(n, threads);
        String width = vectorBits();
        return new MachinePeak(flops / 1e9, bytes / 1e9,
                width.isEmpty() ? String.format(Locale.ROOT, "measured: chained FMAs (auto-vectorised loop) on %d thread(s)", threads)
                        : String.format(Locale.ROOT, "measured: 12 FMA chains on %d thread(s), %s", threads, width),
                String.format(Locale.ROOT, "measured: STREAM triad, 3 x %d MiB, %d thread(s)", 4L * n >> 20, threads));
    }

    /** Runs {@code body} on {@code threads} threads started together; returns what each returned. */
    private static double[] parallel(int threads, java.util.function.IntToDoubleFunction body) {
        CyclicBarrier start = new CyclicBarrier(threads);
        double[] out = new double[threads];
        RuntimeException[] failure = new RuntimeException[1];
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    out[id] = body.applyAsDouble(id);
                } catch (RuntimeException e) {
                    failure[0] = e;
                } catch (Exception e) { // interrupted or a broken barrier
                    failure[0] = new IllegalStateException("[peak] measuring thread " + id + " stopped: " + e, e);
                }
            }, "kr-peak-" + t);
            th.setDaemon(true);
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("[peak] interrupted while measuring the machine's peak", e);
            }
        }
        if (failure[0] != null) throw failure[0];
        return out;
    }

    /**
     * FLOP/s of one thread per second of its own CPU time (so other jobs on a shared machine do not
     * count against it): the best interval, once it has stopped improving (the loop is compiled).
     */
    private static double fmaRate() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpu = mx.isCurrentThreadCpuTimeSupported();
        float[] a = new float[1024];
        java.util.Arrays.fill(a, 1f);
        // the Vector API's explicit accumulators where present: the auto-vectorised loop measured 13-16% below them (engine/NOTES.md, P1)
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        // thousands of short calls first, so C2 compiles the probe as a method (the interpreter and C1 box every vector)
        if (vector)
            for (int i = 0; i < 6000; i++) VectorWidth.fma12(a[3], 16);
        long wall0 = System.nanoTime(), t0 = now(mx, cpu), gained = t0;
        int reps = 1;
        double best = 0;
        while (true) {
            long s = now(mx, cpu);
            double flops = vector ? VectorWidth.fma12(a[3], 1024L * reps) : fma16(a, reps);
            long e = now(mx, cpu), dt = e - s;
            if (dt > 0) {
                double r = flops / dt;
                if (r > best * 1.02) gained = e;
                best = Math.max(best, r);
            }
            if (dt < 4_000_000L) reps *= 2; // intervals of a few ms: long enough to time, short enough to dodge other jobs
            // done after 0.3 s of this thread's time with no gain over the last 0.15 s; at most 3 s of wall time
            if ((e - t0 > 300_000_000L && e - gained > 150_000_000L) || System.nanoTime() - wall0 > 3_000_000_000L) break;
        }
        sink += a[7];
        return best * 1e9;
    }

    private static long now(java.lang.management.ThreadMXBean mx, boolean cpu) {
        return cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
    }

    // 16 dependent FMAs per element; C2 vectorises across elements and unrolls, so lanes are independent chains
    private static double fma16(float[] a, int reps) {
        final float m = 0.999999f, c = 1e-6f;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < a.length; i++) {
                float v = a[i];
                v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c);
                v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c);
                v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c);
                v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c);
                a[i] = v;
            }
        }
        return (double) reps * a.length * 32;
    }

    /**
     * Bytes/s of a triad over {@code n} floats per array split over {@code threads} threads that
     * start each pass together: 12 bytes per element over the pass's wall time (first start to last
     * end, since the threads share the memory bus), the best of up to 20 passes (at most 0.5 s once 4 ran).
     */
    private static double triadRate(int n, int threads) {
        float[] a = new float[n], b = new float[n], c = new float[n];
        java.util.Arrays.fill(b, 1f);
        java.util.Arrays.fill(c, 2f);
        int passes = 20;
        long[][] start = new long[passes][threads], end = new long[passes][threads];
        long t0 = System.nanoTime();
        int[] pass = {-1}; // the pass about to run, set between passes by the barrier
        boolean[] stop = {false};
        CyclicBarrier each = new CyclicBarrier(threads, () -> {
            pass[0]++;
            stop[0] = pass[0] >= passes || (pass[0] >= 4 && System.nanoTime() - t0 > 500_000_000L);
        });
        parallel(threads, id -> {
            int lo = (int) ((long) n * id / threads), hi = (int) ((long) n * (id + 1) / threads);
            while (true) {
                try {
                    each.await();
                } catch (Exception e) {
                    throw new IllegalStateException("[peak] the triad's threads lost each other: " + e, e);
                }
                if (stop[0]) return 0;
                int p = pass[0];
                start[p][id] = System.nanoTime();
                triad(a, b, c, 0.5f, lo, hi);
                end[p][id] = System.nanoTime();
            }
        });
        double best = 0;
        for (int p = 0; p < passes; p++) {
            long s = Long.MAX_VALUE, e = 0;
            for (int t = 0; t < threads; t++) {
                s = Math.min(s, start[p][t]);
                e = Math.max(e, end[p][t]);
            }
            if (s > 0 && e > s) best = Math.max(best, 12.0 * n / (e - s));
        }
        sink += a[n / 2];
        return best * 1e9;
    }

    private static void triad(float[] a, float[] b, float[] c, float s, int lo, int hi) {
        for (int i = lo; i < hi; i++) a[i] = b[i] + s * c[i];
    }

    /** The last-level cache in bytes (Linux sysfs), or 32 MiB when unknown. */
    static long lastLevelCache() {
        long best = 0;
        for (int i = 0; i < 8; i++) {
            Path p = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + i + "/size");
            try {
                if (!Files.isReadable(p)) continue;
                String s = Files.readString(p).trim().toUpperCase(Locale.ROOT);
                long mul = s.endsWith("K") ? 1024 : s.endsWith("M") ? 1 << 20 : 1;
                best = Math.max(best, Long.parseLong(s.replaceAll("[^0-9]", "")) * mul);
            } catch (Exception e) { // no sysfs (not Linux) or an odd format: the default below
            }
        }
        return best > 0 ? best : 32L << 20;
    }

    /** "512-bit vectors" from the Vector API's preferred species, or "" without the incubator module. */
    public static String vectorBits() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return "";
        return VectorWidth.bits() + "-bit vectors";
    }

    /** The CPU's model name (Linux /proc/cpuinfo), else the OS architecture. */
    public static String cpuModel() {
        String m = cpuinfo("model name");
        return m != null ? m : System.getProperty("os.arch"); // not Linux: the architecture says something at least
    }

    /** The CPU's vendor as /proc/cpuinfo names it ("GenuineIntel", "AuthenticAMD"), or "" where unknown. */
    public static String cpuVendor() {
        String v = cpuinfo("vendor_id");
        return v != null ? v : "";
    }

    private static String cpuinfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (line.startsWith(key)) return line.substring(line.indexOf(':') + 1).trim();
        } catch (Exception e) { // not Linux
        }
        return null;
    }

    // a holder, so that this class loads without the incubator module
    private static final class VectorWidth {
        static int bits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }

        /**
         * {@code reps} x 12 FMAs on 12 independent accumulators of the preferred species (as the
         * micro-kernels hold theirs: enough chains to cover FMA latency x pipes on current x86
         * cores, few enough for AVX2's 16 registers); returns FLOPs done.
         */
        static double fma12(float seed, long reps) {
            var sp = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
            var m = jdk.incubator.vector.FloatVector.broadcast(sp, 0.999999f);
            var c = jdk.incubator.vector.FloatVector.broadcast(sp, 1e-6f);
            var a0 = jdk.incubator.vector.FloatVector.broadcast(sp, seed);
            var a1 = a0.add(c); var a2 = a1.add(c); var a3 = a2.add(c); var a4 = a3.add(c); var a5 = a4.add(c);
            var a6 = a5.add(c); var a7 = a6.add(c); var a8 = a7.add(c); var a9 = a8.add(c); var a10 = a9.add(c); var a11 = a10.add(c);
            for (long r = 0; r < reps; r++) {
                a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
                a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
                a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
            }
            sink += a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
            return reps * 12.0 * 2 * sp.length();
        }
    }
}
