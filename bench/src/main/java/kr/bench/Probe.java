package kr.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import javax.management.ObjectName;
import jdk.incubator.vector.FloatVector;
import kr.engine.backend.StepArena;
import kr.engine.backend.vector.Gemm;

/**
 * Times kr workloads on request, for bench/compare.py, which interleaves them with NumPy and PyTorch
 * runs so that all see the same machine load. One command per line on stdin, one JSON line back
 * ({@link ProbeServer}):
 *
 * <pre>
 * info                              -> {"java": ..., "java_vendor": ..., "use_avx": 3, "vector_bits": 512, "threads": 2, ...}
 * prepare CMD...                    -> builds the inputs, runs once and checks against a reference:
 *                                      {"cmd", "check", "gflop", "prepare_s"}; a wrong result answers {"error": ...}
 * warm TOL MAX_S CMD...             -> runs CMD until it is stable (below), at most MAX_S seconds:
 *                                      {"cmd", "reps", "seconds", "converged", "median_ms", "ms": [every rep], "jit_ms", "jit_busy"}
 * run REPS CMD...                   -> {"cmd", "ms": [REPS times], "gflop", "jit_ms", "gc_ms", "jit_wait_ms"}
 *                                      (first waits up to JIT_IDLE_WAIT_MS for the JIT's queue to empty)
 * quit
 *
 * CMD: gemm N | conv fwd|bwdi|bwdw N CIN COUT HW K STRIDE PAD | resnet20convs BATCH | trainstep MODEL BATCH [CLASSES]
 * </pre>
 *
 * <p>Nothing is timed before it has been checked: {@code warm} and {@code run} prepare (and so check)
 * a command they have not seen, and {@code run} warms one that was not warmed (3%, 30 s).
 * <b>Stable</b> means: at least {@code 2 * WINDOW} reps, the median of the last {@code WINDOW} reps
 * within {@code TOL} (relative) of the median of the {@code WINDOW} before, at least
 * {@link #MIN_WARM_SECONDS} spent, no JIT compilation finished during the last window
 * ({@code jit_ms}: the JVM's total compilation time, which grows whenever C1 or C2 completes a
 * method) and none running or queued ({@link #jitBusy}). The JIT test matters: right after a first
 * compilation C2 may deoptimize a kernel (an {@code unstable_if} trap on a branch the profile had not
 * seen) and recompile it seconds later, and a loaded machine delays C2; a fixed number of warm-up
 * reps can end in between (see bench/NOTES.md, "Stable timings"). {@code jit_ms} and {@code gc_ms} in {@code run}
 * replies say whether the JIT or the collector worked during the timed reps.
 */
public final class Probe {
    /** Reps per window of the stability test. */
    static final int WINDOW = 5;
    /** {@code run} first waits up to this long for the JIT to finish what it has queued (the probe's own reply code, mostly). */
    static final long JIT_IDLE_WAIT_MS = 300;
    /** Shortest warm-up: lets compilations that an early rep queued finish before the JIT is judged quiet. */
    static final double MIN_WARM_SECONDS = 0.5;

    private static final Map<String, ProbeWorkload> WORKLOADS = new HashMap<>();
    private static final Map<String, ProbeWorkload.Timed> PREPARED = new HashMap<>();
    private static final java.util.Set<String> WARMED = new java.util.HashSet<>();
    /** What {@code run} uses to warm a command nobody warmed: 3% and 30 s, compare.py's defaults. */
    static final double DEFAULT_TOL = 0.03, DEFAULT_WARM_SECONDS = 30;
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    static {
        register(new GemmWorkload());
        register(new ConvWorkload());
        register(new Resnet20ConvsWorkload());
        register(new TrainStepWorkload());
        for (ProbeWorkload w : ServiceLoader.load(ProbeWorkload.class)) register(w);
    }

    private Probe() {}

    static void register(ProbeWorkload w) {
        WORKLOADS.put(w.name(), w);
    }

    public static void main(String[] args) throws Exception {
        ProbeServer.serve(Map.of("info", w -> info(), "prepare", w -> prepare(w),
                "warm", w -> warm(Double.parseDouble(w[0]), Double.parseDouble(w[1]), Arrays.copyOfRange(w, 2, w.length)),
                "run", w -> run(Integer.parseInt(w[0]), Arrays.copyOfRange(w, 1, w.length))));
    }

    static Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("java", Runtime.version().toString());
        m.put("java_vendor", System.getProperty("java.vendor"));
        m.put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        m.put("java_home", System.getProperty("java.home"));
        m.put("use_avx", vmOption("UseAVX"));
        m.put("max_vector_size", vmOption("MaxVectorSize"));
        m.put("vector_bits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        m.put("threads", kr.engine.backend.Backends.config().threads());
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("gemm_kernel", Gemm.MR + "x" + Gemm.NR);
        m.put("jvm_args", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        m.put("workloads", String.join(",", WORKLOADS.keySet()));
        return m;
    }

    private static String vmOption(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (RuntimeException e) {
            return "?";
        }
    }

    static Map<String, Object> prepare(String[] cmd) {
        long t0 = System.nanoTime();
        ProbeWorkload.Timed t = prepared(cmd);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", String.join(" ", cmd));
        m.put("check", t.check());
        m.put("gflop", t.flop() / 1e9);
        m.put("prepare_s", (System.nanoTime() - t0) / 1e9);
        m.putAll(t.facts());
        return m;
    }

    /** The checked body of {@code cmd}, prepared (and so checked) on first use. */
    static ProbeWorkload.Timed prepared(String[] cmd) {
        String key = String.join(" ", cmd);
        ProbeWorkload.Timed t = PREPARED.get(key);
        if (t == null) {
            ProbeWorkload w = WORKLOADS.get(cmd[0]);
            if (w == null) throw new IllegalArgumentException("[probe] unknown workload '" + cmd[0] + "'; known: " + WORKLOADS.keySet());
            t = w.prepare(Arrays.copyOfRange(cmd, 1, cmd.length));
            if (t.check() == null || t.check().isBlank())
                throw new IllegalStateException("[probe] workload '" + key + "' names no correctness check; it is not timed");
            PREPARED.put(key, t);
        }
        return t;
    }

    static Map<String, Object> warm(double tol, double maxSeconds, String[] cmd) {
        ProbeWorkload.Timed t = prepared(cmd);
        WARMED.add(String.join(" ", cmd));
        List<Double> ms = new ArrayList<>();
        List<Long> jit = new ArrayList<>();
        long start = System.nanoTime();
        boolean converged = false;
        long jitLast = 0;
        String busy = "";
        while (true) {
            long j0 = jitMs(), t0 = System.nanoTime();
            t.run();
            ms.add((System.nanoTime() - t0) / 1e6);
            jit.add(jitMs() - j0);
            int n = ms.size();
            if (n >= 2 * WINDOW) {
                double m1 = median(ms.subList(n - WINDOW, n)), m0 = median(ms.subList(n - 2 * WINDOW, n - WINDOW));
                jitLast = jit.subList(n - WINDOW, n).stream().mapToLong(Long::longValue).sum();
                if (Math.abs(m1 - m0) <= tol * m1 && jitLast == 0 && (System.nanoTime() - start) / 1e9 >= MIN_WARM_SECONDS && (busy = jitBusy()).isEmpty()) {
                    converged = true;
                    break;
                }
            }
            if ((System.nanoTime() - start) / 1e9 >= maxSeconds && n >= 3 || n >= 2000) break;
        }
        int n = ms.size();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", String.join(" ", cmd));
        m.put("reps", n);
        m.put("seconds", (System.nanoTime() - start) / 1e9);
        m.put("converged", converged);
        m.put("median_ms", median(ms.subList(Math.max(0, n - WINDOW), n)));
        m.put("jit_ms", (double) jit.stream().mapToLong(Long::longValue).sum());
        m.put("jit_ms_last_window", (double) jitLast);
        m.put("jit_busy", busy.isEmpty() ? "" : busy);
        m.put("ms", ms.stream().mapToDouble(Double::doubleValue).toArray());
        return m;
    }

    static Map<String, Object> run(int reps, String[] cmd) {
        ProbeWorkload.Timed t = prepared(cmd);
        if (!WARMED.contains(String.join(" ", cmd))) warm(DEFAULT_TOL, DEFAULT_WARM_SECONDS, cmd); // never time a cold workload
        double[] ms = new double[reps];
        double waited = awaitJitIdle(JIT_IDLE_WAIT_MS);
        long j0 = jitMs(), g0 = gcMs();
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            t.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", String.join(" ", cmd));
        m.put("ms", ms);
        m.put("gflop", t.flop() / 1e9);
        m.put("jit_ms", (double) (jitMs() - j0));
        m.put("gc_ms", (double) (gcMs() - g0));
        m.put("jit_wait_ms", waited);
        return m;
    }

    private static long jitMs() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
    }

    /**
     * What the JIT is compiling or has queued ("" when idle), from the {@code Compiler.queue} diagnostic
     * command; compilations of the management code that answers this very question are ignored.
     */
    static String jitBusy() {
        String q;
        try {
            q = String.valueOf(ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue",
                    new Object[] {null}, new String[] {String[].class.getName()}));
        } catch (Exception e) {
            return ""; // not a HotSpot VM: the timing test alone decides
        }
        List<String> busy = new ArrayList<>();
        for (String line : q.split("\n")) {
            String l = line.trim();
            if (l.isEmpty() || l.endsWith(":") || l.equals("Empty") || l.startsWith("Current compiles")) continue;
            if (l.contains("javax.management.") || l.contains("com.sun.jmx.") || l.contains("com.sun.management.") || l.contains("sun.management."))
                continue;
            String[] w = l.split("\\s+");
            for (String x : w)
                if (x.contains("::")) busy.add(x);
        }
        return String.join(" ", busy);
    }

    /** Waits until {@link #jitBusy} is empty or {@code maxMs} have passed; returns the milliseconds waited. */
    static double awaitJitIdle(long maxMs) {
        long t0 = System.nanoTime();
        while (!jitBusy().isEmpty() && (System.nanoTime() - t0) / 1_000_000 < maxMs) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static long gcMs() {
        long s = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) s += Math.max(0, b.getCollectionTime());
        return s;
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (a.length == 0) return Double.NaN;
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** {@code r} with each call in a step of one StepArena, as kr train runs its steps (outputs reused, as PyTorch's caching allocator does). */
    static Runnable inSteps(Runnable r) {
        StepArena arena = StepArena.forTraining();
        return () -> {
            try (var s = arena.step()) {
                r.run();
            }
        };
    }

    static ProbeWorkload.Timed timed(Runnable r, double flop, String check) {
        return new ProbeWorkload.Timed() {
            @Override
            public void run() {
                r.run();
            }

            @Override
            public double flop() {
                return flop;
            }

            @Override
            public String check() {
                return check;
            }
        };
    }

    /** {@code gemm N}: square SGEMM on all threads. */
    static final class GemmWorkload implements ProbeWorkload {
        @Override
        public String name() {
            return "gemm";
        }

        @Override
        public Timed prepare(String[] a) {
            int n = Integer.parseInt(a[0]);
            float[] x = Workloads.random(1, n * n), y = Workloads.random(2, n * n), c = new float[n * n];
            Workloads.gemm(n, x, y, c);
            Workloads.verifyGemm(n, x, y, c);
            return timed(() -> Workloads.gemm(n, x, y, c), 2.0 * n * n * n, "516 entries of C (corners + random) vs float64 dot products");
        }
    }

    /** {@code conv fwd|bwdi|bwdw N CIN COUT HW K STRIDE PAD}: one pass of one layer. */
    static final class ConvWorkload implements ProbeWorkload {
        @Override
        public String name() {
            return "conv";
        }

        @Override
        public Timed prepare(String[] a) {
            Workloads.Pass pass = switch (a[0]) {
                case "fwd" -> Workloads.Pass.FORWARD;
                case "bwdi" -> Workloads.Pass.BACKWARD_INPUT;
                case "bwdw" -> Workloads.Pass.BACKWARD_WEIGHT;
                default -> throw new IllegalArgumentException("[probe] conv pass must be fwd, bwdi or bwdw, got " + a[0]);
            };
            int[] v = Arrays.stream(a, 1, 8).mapToInt(Integer::parseInt).toArray();
            Workloads.Conv c = new Workloads.Conv(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
            Workloads.verifyConv(c, pass);
            Workloads.ConvData d = Workloads.ConvData.random(c, 3);
            Workloads.verifyConvAtBatch(d, pass);
            return timed(inSteps(() -> d.run(Workloads.VECTOR, pass)), c.flop(),
                    "vs the float64 scalar backend: batch 2, and the timed batch (" + (pass == Workloads.Pass.BACKWARD_WEIGHT ? "all of it" : "first and last image") + ")");
        }
    }

    /** {@code resnet20convs BATCH}: forward, backward-input and backward-weight of all 21 ResNet-20 convolutions. */
    static final class Resnet20ConvsWorkload implements ProbeWorkload {
        @Override
        public String name() {
            return "resnet20convs";
        }

        @Override
        public Timed prepare(String[] a) {
            List<Workloads.Conv> convs = Workloads.resnet20(Integer.parseInt(a[0]));
            for (Workloads.Conv c : new java.util.LinkedHashSet<>(convs))
                for (Workloads.Pass p : Workloads.Pass.values()) Workloads.verifyConv(c, p);
            List<Workloads.ConvData> data = convs.stream().map(c -> Workloads.ConvData.random(c, 5)).toList();
            for (Workloads.ConvData d : data) // the distinct layers at the timed batch, forward and backward-input (cheap to check)
                if (data.indexOf(d) == data.stream().map(Workloads.ConvData::conv).toList().indexOf(d.conv()))
                    for (Workloads.Pass p : List.of(Workloads.Pass.FORWARD, Workloads.Pass.BACKWARD_INPUT)) Workloads.verifyConvAtBatch(d, p);
            double flop = 3 * convs.stream().mapToDouble(Workloads.Conv::flop).sum();
            return timed(inSteps(() -> {
                for (Workloads.ConvData d : data)
                    for (Workloads.Pass p : Workloads.Pass.values()) d.run(Workloads.VECTOR, p);
            }), flop, "every distinct layer and pass vs the float64 scalar backend at batch 2; fwd and bwd-input also at the timed batch");
        }
    }
}
