package kr.engine;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Every engine-wide setting in one immutable value: compute threads, the CPU backend and its
 * kernel choices, anomaly detection, and the CUDA backend's switches. The command line (or an API
 * user) builds one and installs it once with {@link kr.engine.backend.Backends#configure}; backends
 * read their settings from the installed value, never from system properties.
 *
 * <p>This is the one class that reads {@code kr.*} system properties (and {@code KR_THREADS},
 * {@code KR_BACKEND}): {@link #fromSystemProperties()} is the default before anything is installed,
 * so {@code -Dkr.tf32=true} and friends still work as overrides.
 *
 * <pre>{@code
 * Backends.configure(EngineConfig.fromSystemProperties().withThreads(4).withTf32(true));
 * }</pre>
 *
 * @param threads compute threads of the CPU backend (a fixed count gives bit-reproducible runs)
 * @param cpuBackend the CPU backend by name ("vector", "scalar"), or null for the best available
 * @param anomaly check every forward output and gradient for NaN/Inf from the start
 * @param convPath CPU convolution algorithm: auto, direct (table kernels), positions (direct, position kernels) or im2col
 * @param gemmTile CPU GEMM micro-kernel as "RxV" (rows x vectors), or null for the width's default
 * @param gemmKc CPU GEMM packed block depth
 * @param gemmMc CPU GEMM rows packed at a time, in micro-tiles
 * @param gemmNc CPU GEMM columns packed at a time, in micro-tiles
 * @param gemmOrder CPU GEMM loop order inside a block (0: column panels outer, 1: row panels outer)
 * @param tf32 cuda: matmul and convolutions on TF32 tensor cores (sm_80+)
 * @param cudaConv cuda convolution algorithm: auto, gemm, direct, or one tile (gemm16 ... gemm128)
 * @param cublas cuda: try cuBLAS for GEMM before our own kernels
 * @param cudaGraphs cuda: capture and replay graphed steps (false: run them eagerly)
 * @param cudaSync cuda: synchronise after every kernel, so a fault names its kernel
 * @param cudaGcEveryMiB cuda: run the Java collector after this many MiB allocated (0: a quarter of device memory)
 */
public record EngineConfig(int threads, String cpuBackend, boolean anomaly, String convPath, String gemmTile, int gemmKc, int gemmMc, int gemmNc,
        int gemmOrder, boolean tf32, String cudaConv, boolean cublas, boolean cudaGraphs, boolean cudaSync, long cudaGcEveryMiB) {

    /** Values {@link #convPath} takes. */
    public static final List<String> CONV_PATHS = List.of("auto", "direct", "im2col", "positions");

    public EngineConfig {
        if (threads < 1) throw new IllegalArgumentException("[engine config] threads must be >= 1, got " + threads);
        convPath = convPath.toLowerCase(Locale.ROOT);
        if (!CONV_PATHS.contains(convPath)) throw new IllegalArgumentException("[engine config] conv path must be one of " + CONV_PATHS + ", got '" + convPath + "'");
        if (gemmKc < 1 || gemmMc < 1 || gemmNc < 1) throw new IllegalArgumentException("[engine config] GEMM blocks must be >= 1, got kc " + gemmKc + " mc " + gemmMc + " nc " + gemmNc);
        if (gemmOrder != 0 && gemmOrder != 1) throw new IllegalArgumentException("[engine config] GEMM order must be 0 or 1, got " + gemmOrder);
        cudaConv = cudaConv.toLowerCase(Locale.ROOT);
        if (cudaGcEveryMiB < 0) throw new IllegalArgumentException("[engine config] cuda GC interval must be >= 0 MiB, got " + cudaGcEveryMiB);
        if (cpuBackend != null && cpuBackend.isBlank()) cpuBackend = null;
    }

    /** Built-in defaults: all cores, best CPU backend, no anomaly checks, automatic kernel choices, TF32 off. */
    public static EngineConfig defaults() {
        return new EngineConfig(Runtime.getRuntime().availableProcessors(), null, false, "auto", null, 1024, 16, 64, 0, false, "auto", true, true, false, 0);
    }

    /** The defaults overridden by {@code -Dkr.*} system properties and {@code KR_THREADS} / {@code KR_BACKEND}. */
    public static EngineConfig fromSystemProperties() {
        return from(System::getProperty, System.getenv());
    }

    /** Reads the settings from {@code property} (system-property names) and {@code env}, over {@link #defaults()}. */
    static EngineConfig from(Function<String, String> property, Map<String, String> env) {
        EngineConfig d = defaults();
        String threads = firstSet(property.apply("kr.threads"), env.get("KR_THREADS"));
        return new EngineConfig(threads == null ? d.threads : parseInt("kr.threads", threads),
                firstSet(property.apply("kr.backend"), env.get("KR_BACKEND")), bool(property, "kr.anomaly", d.anomaly),
                str(property, "kr.conv.path", d.convPath), str(property, "kr.gemm.tile", d.gemmTile), integer(property, "kr.gemm.kc", d.gemmKc),
                integer(property, "kr.gemm.mc", d.gemmMc), integer(property, "kr.gemm.nc", d.gemmNc), integer(property, "kr.gemm.order", d.gemmOrder),
                bool(property, "kr.tf32", d.tf32), str(property, "kr.cuda.conv", d.cudaConv), bool(property, "kr.cublas", d.cublas),
                bool(property, "kr.cuda.graphs", d.cudaGraphs), bool(property, "kr.cuda.sync", d.cudaSync),
                property.apply("kr.cuda.gcEveryMiB") == null ? d.cudaGcEveryMiB : parseLong("kr.cuda.gcEveryMiB", property.apply("kr.cuda.gcEveryMiB")));
    }

    private static String firstSet(String a, String b) {
        if (a != null && !a.isBlank()) return a.trim();
        return b != null && !b.isBlank() ? b.trim() : null;
    }

    private static String str(Function<String, String> p, String name, String dflt) {
        String v = p.apply(name);
        return v == null || v.isBlank() ? dflt : v.trim();
    }

    private static boolean bool(Function<String, String> p, String name, boolean dflt) {
        String v = p.apply(name);
        if (v == null || v.isBlank()) return dflt;
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("[engine config] -D" + name + " must be true or false, got '" + v + "'");
        };
    }

    private static int integer(Function<String, String> p, String name, int dflt) {
        String v = p.apply(name);
        return v == null || v.isBlank() ? dflt : parseInt(name, v);
    }

    private static int parseInt(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("[engine config] " + name + " must be an integer, got '" + v + "'");
        }
    }

    private static long parseLong(String name, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("[engine config] " + name + " must be an integer, got '" + v + "'");
        }
    }

    public EngineConfig withThreads(int n) {
        return new EngineConfig(n, cpuBackend, anomaly, convPath, gemmTile, gemmKc, gemmMc, gemmNc, gemmOrder, tf32, cudaConv, cublas, cudaGraphs, cudaSync,
                cudaGcEveryMiB);
    }

    public EngineConfig withCpuBackend(String name) {
        return new EngineConfig(threads, name, anomaly, convPath, gemmTile, gemmKc, gemmMc, gemmNc, gemmOrder, tf32, cudaConv, cublas, cudaGraphs, cudaSync,
                cudaGcEveryMiB);
    }

    public EngineConfig withConvPath(String path) {
        return new EngineConfig(threads, cpuBackend, anomaly, path, gemmTile, gemmKc, gemmMc, gemmNc, gemmOrder, tf32, cudaConv, cublas, cudaGraphs, cudaSync,
                cudaGcEveryMiB);
    }

    public EngineConfig withTf32(boolean on) {
        return new EngineConfig(threads, cpuBackend, anomaly, convPath, gemmTile, gemmKc, gemmMc, gemmNc, gemmOrder, on, cudaConv, cublas, cudaGraphs, cudaSync,
                cudaGcEveryMiB);
    }

    public EngineConfig withCudaConv(String mode) {
        return new EngineConfig(threads, cpuBackend, anomaly, convPath, gemmTile, gemmKc, gemmMc, gemmNc, gemmOrder, tf32, mode, cublas, cudaGraphs, cudaSync,
                cudaGcEveryMiB);
    }

    public EngineConfig withCudaGraphs(boolean on) {
        return new EngineConfig(threads, cpuBackend, anomaly, convPath, gemmTile, gemmKc, gemmMc, gemmNc, gemmOrder, tf32, cudaConv, cublas, on, cudaSync,
                cudaGcEveryMiB);
    }
}
