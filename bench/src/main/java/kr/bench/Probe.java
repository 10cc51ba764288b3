package kr.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import jdk.incubator.vector.FloatVector;
import kr.engine.backend.vector.Gemm;

/**
 * Times kr workloads on request, for bench/compare.py, which interleaves them with NumPy and PyTorch
 * runs so that all see the same machine load. One command per line on stdin, one JSON line back:
 *
 * <pre>
 * info                                  -> {"java": ..., "threads": 2, "vector_bits": 512, ...}
 * run REPS gemm 1024                    -> {"cmd": "gemm 1024", "ms": [..], "gflop": 2.147}
 * run REPS conv fwd|bwdi|bwdw N CIN COUT HW K STRIDE PAD
 * run REPS resnet20convs BATCH          (forward + both backward passes of every ResNet-20 convolution)
 * quit
 * </pre>
 *
 * The first {@code run} of a command prepares and verifies it (a wrong kernel reports an error, never a
 * time) and warms it up; later ones reuse the inputs.
 */
public final class Probe {
    private static final Map<String, ProbeWorkload> WORKLOADS = new HashMap<>();
    private static final Map<String, ProbeWorkload.Timed> PREPARED = new HashMap<>();

    static {
        register(new GemmWorkload());
        register(new ConvWorkload());
        register(new Resnet20ConvsWorkload());
        register(new TrainStepWorkload());
        for (ProbeWorkload w : ServiceLoader.load(ProbeWorkload.class)) register(w);
    }

    private Probe() {}

    private static void register(ProbeWorkload w) {
        WORKLOADS.put(w.name(), w);
    }

    public static void main(String[] args) throws Exception {
        ProbeServer.serve(Map.of("info", w -> info(), "run", w -> run(Integer.parseInt(w[0]), Arrays.copyOfRange(w, 1, w.length))));
    }

    private static Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("java", Runtime.version().toString());
        m.put("threads", kr.engine.backend.Backends.config().threads());
        m.put("vector_bits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        m.put("gemm_kernel", Gemm.MR + "x" + Gemm.NR);
        m.put("workloads", String.join(",", WORKLOADS.keySet()));
        return m;
    }

    private static Map<String, Object> run(int reps, String[] cmd) {
        String key = String.join(" ", cmd);
        ProbeWorkload.Timed t = PREPARED.get(key);
        if (t == null) {
            ProbeWorkload w = WORKLOADS.get(cmd[0]);
            if (w == null) throw new IllegalArgumentException("[probe] unknown workload '" + cmd[0] + "'; known: " + WORKLOADS.keySet());
            t = w.prepare(Arrays.copyOfRange(cmd, 1, cmd.length));
            long until = System.nanoTime() + 2_000_000_000L; // warm up: the JIT and the per-thread buffers
            for (int i = 0; i < 3 || System.nanoTime() < until && i < 50; i++) t.run();
            PREPARED.put(key, t);
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            t.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", key);
        m.put("ms", ms);
        m.put("gflop", t.flop() / 1e9);
        return m;
    }

    private static ProbeWorkload.Timed timed(Runnable r, double flop) {
        return new ProbeWorkload.Timed() {
            @Override
            public void run() {
                r.run();
            }

            @Override
            public double flop() {
                return flop;
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
            return timed(() -> Workloads.gemm(n, x, y, c), 2.0 * n * n * n);
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
            return timed(() -> d.run(Workloads.VECTOR, pass), c.flop());
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
            double flop = 3 * convs.stream().mapToDouble(Workloads.Conv::flop).sum();
            return timed(() -> {
                for (Workloads.ConvData d : data)
                    for (Workloads.Pass p : Workloads.Pass.values()) d.run(Workloads.VECTOR, p);
            }, flop);
        }
    }
}
