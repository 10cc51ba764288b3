package kr.bench.gpu;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jcuda.driver.CUdeviceptr;
import kr.cuda.CudaBackend;
import kr.cuda.CudaDriver;
import kr.cuda.CudaStorage;
import kr.cuda.FusedSgd;
import kr.cuda.GraphedStep;
import kr.bench.ProbeServer;
import kr.data.Batch;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.KrKernels;
import kr.engine.backend.StepBounds;
import kr.engine.backend.StepCapture;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import kr.train.GraphedTrainStep;
import kr.train.StepRunner;

/**
 * The kr side of {@code bench/gpu/compare.py} (issue 6: kr's CUDA training step against PyTorch's
 * on the same GPU). One command per stdin line, one JSON line back ({@link ProbeServer}); every workload is checked
 * before it is timed (a wrong kernel answers {@code {"error": ...}}, never a time):
 *
 * <pre>
 * info
 * check MODEL BATCH PREC                cuda step vs the CPU backend (float32): loss and every gradient within
 *                                       StepBounds.FP32 or .TF32 (norms sized by PyTorch's own spread against float64)
 * checkgraph MODEL BATCH STEPS          STEPS steps replayed as a CUDA graph (GraphedTrainStep) vs the
 *                                       trainer's eager path on cuda: every parameter and buffer
 * step MODEL BATCH MODE PREC STEPS ROUNDS SECONDS
 *                                       ms per step, MODE trainer (Trainer's eager step: uploads, per-parameter
 *                                       SGD, loss read every step) | eager (GraphedTrainStep without a graph) |
 *                                       graph; PREC fp32 | tf32; wall clock between device synchronisations;
 *                                       fewer steps per round when ROUNDS x STEPS would take over SECONDS
 * gemm N PREC                           N^3 SGEMM (checked at 256 first), GPU time
 * membw N                               GB/s (read + written) of the copy, sparse-recoding, fused recoding+SGD,
 *                                       per-parameter and multi-tensor SGD kernels on N floats (checked first)
 * quit
 * </pre>
 *
 * Run: {@code java --add-modules jdk.incubator.vector -cp 'lib/*' kr.bench.gpu.GpuSpeed}
 */
public final class GpuSpeed {
    private static final Device CUDA = Device.cuda(0);

    private final CudaBackend be;

    private GpuSpeed(CudaBackend be) {
        this.be = be;
    }

    public static void main(String[] args) throws Exception {
        if (!CudaDriver.available()) {
            System.out.println(ProbeServer.json(Map.of("error", CudaDriver.unavailableReason())));
            System.exit(2);
        }
        GpuSpeed g = new GpuSpeed((CudaBackend) Backends.of(CUDA));
        ProbeServer.serve(Map.of("info", w -> g.info(), "check", w -> g.check(w[0], Integer.parseInt(w[1]), w[2]),
                "checkgraph", w -> g.checkGraph(w[0], Integer.parseInt(w[1]), Integer.parseInt(w[2])),
                "step", w -> g.step(w[0], Integer.parseInt(w[1]), w[2], w[3], Integer.parseInt(w[4]), Integer.parseInt(w[5]), Double.parseDouble(w[6])),
                "gemm", w -> g.gemm(Integer.parseInt(w[0]), w[1]), "membw", w -> g.memoryBound(Integer.parseInt(w[0]))));
    }

    private Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", be.context().toString());
        m.put("gemm", be.gemmPath());
        m.put("java", Runtime.version().toString());
        m.put("graphs", GraphedStep.enabled());
        return m;
    }

    /** The engine configuration with TF32 on or off (and graphs as given) until the scope closes. */
    private static Backends.Scope precision(String prec, boolean graphs) {
        if (!prec.equals("fp32") && !prec.equals("tf32")) throw new IllegalArgumentException("[gpu speed] precision must be fp32 or tf32, got '" + prec + "'");
        return Backends.configure(Backends.config().withTf32(prec.equals("tf32")).withCudaGraphs(graphs));
    }

    private StepCapture capture() {
        return be.extension(StepCapture.class).orElseThrow();
    }

    static int[] labels(int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (i * 7) % classes;
        return y;
    }

    /** Worst over tensors of max |a - e| / max |e|, and where. */
    private record Worst(double rel, String where) {
        Worst max(String what, float[] a, float[] e) {
            double r = StepBounds.scaledMaxError(a, e);
            return r > rel ? new Worst(r, what) : this;
        }
    }

    /** One batch step on cuda ({@code prec}) and on the CPU backend (float32) from the same weights: loss and every gradient. */
    private Map<String, Object> check(String model, int batch, String prec) {
        try (var p = precision(prec, true)) {
            return checkStep(model, batch, prec);
        }
    }

    private Map<String, Object> checkStep(String model, int batch, String prec) {
        Init.manualSeed(0);
        Classifier gpu = Models.create(model, 10);
        gpu.to(CUDA);
        Init.manualSeed(0);
        Classifier cpu = Models.create(model, 10);
        Tensor x = Tensor.randn(new Rng(2), batch, 3, 32, 32);
        int[] y = labels(batch, 10);
        Tensor lg = F.crossEntropy(gpu.forward(x.to(CUDA)), y), lc = F.crossEntropy(cpu.forward(x), y);
        lg.backward();
        lc.backward();
        Map<String, float[]> ag = new LinkedHashMap<>(), ec = new LinkedHashMap<>();
        Map<String, Tensor> pg = gpu.namedParameters(), pc = cpu.namedParameters();
        for (String k : pc.keySet()) {
            ag.put(k, pg.get(k).grad().toFloatArray());
            ec.put(k, pc.get(k).grad().toFloatArray());
        }
        StepBounds.Result r = StepBounds.compare(ag, ec, lg.item(), lc.item());
        (prec.equals("tf32") ? StepBounds.TF32 : StepBounds.FP32).check("gpu speed] [" + model + " " + prec, r);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("prec", prec);
        m.put("loss_cuda", lg.item());
        m.put("loss_cpu", lc.item());
        m.put("worst_rel", r.worst());
        m.put("worst_at", r.worstAt());
        m.put("grad_l2_rel", r.gradL2());
        return m;
    }

    private static Tensor images(int batch, int k) {
        return Tensor.randn(new Rng(100 + k), batch, 3, 32, 32);
    }

    /**
     * STEPS steps of the trainer's eager cuda path on one copy of the model and of GraphedTrainStep
     * (graph replays from the third step) on another, same weights and batches: every parameter and
     * buffer must agree (the kernels are the same, so they should agree bit for bit).
     */
    private Map<String, Object> checkGraph(String model, int batch, int steps) {
        try (var p = precision("fp32", true)) {
            return checkGraphed(model, batch, steps);
        }
    }

    private Map<String, Object> checkGraphed(String model, int batch, int steps) {
        if (steps < 3) throw new IllegalArgumentException("[gpu speed] checkgraph needs 3 steps at least (warm-up, capture, replay)");
        Init.manualSeed(0);
        Classifier a = Models.create(model, 10);
        a.to(CUDA);
        SGD oa = new SGD(a.parameters(), 0.05, 0.9, 5e-4, false);
        Init.manualSeed(0);
        Classifier b = Models.create(model, 10);
        b.to(CUDA);
        SGD ob = new SGD(b.parameters(), 0.05, 0.9, 5e-4, false);
        int[] y = labels(batch, 10);
        double eagerLoss = 0;
        for (int k = 0; k < steps; k++) {
            oa.zeroGrad();
            Tensor l = F.crossEntropy(a.forward(images(batch, k).to(CUDA)), y);
            l.backward();
            oa.step();
            eagerLoss += l.item() * batch;
        }
        StepRunner.Drained d;
        String how;
        try (GraphedTrainStep g = new GraphedTrainStep(capture(), b, ob, 0.0)) {
            for (int k = 0; k < steps; k++) g.step(new Batch(images(batch, k), y, null), 0.05, null);
            d = g.drain();
            how = g.describe();
            if (GraphedStep.enabled() && !g.graph().replaying())
                throw new IllegalStateException("[gpu speed] " + model + ": the step was not replayed as a graph: " + how);
        }
        Worst w = new Worst(0, "");
        Map<String, Tensor> sa = a.stateDict(), sb = b.stateDict();
        for (String k : sa.keySet()) w = w.max(k, sb.get(k).to(DType.F32).toFloatArray(), sa.get(k).to(DType.F32).toFloatArray());
        double lossRel = Math.abs(d.lossSum() - eagerLoss) / Math.abs(eagerLoss);
        if (!(w.rel() <= 1e-6 && lossRel <= 1e-6 && d.seen() == (long) steps * batch))
            throw new IllegalStateException(String.format(Locale.ROOT, "[gpu speed] %s: graph replay differs from the eager step: %s off by %.3g of its scale,"
                    + " loss sum %.9g vs %.9g, %d images counted of %d (%s)", model, w.where(), w.rel(), d.lossSum(), eagerLoss, d.seen(), steps * batch, how));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("worst_rel", w.rel());
        m.put("worst_at", w.where());
        m.put("loss_rel", lossRel);
        m.put("graph", how);
        return m;
    }

    /** Wall-clock ms per training step, median over rounds (the device is synchronised before and after each round). */
    private Map<String, Object> step(String model, int batch, String mode, String prec, int steps, int rounds, double seconds) {
        try (var p = precision(prec, !mode.equals("eager"))) { // eager: GraphedTrainStep's body without a graph
            return timeStep(model, batch, mode, prec, steps, rounds, seconds);
        }
    }

    private Map<String, Object> timeStep(String model, int batch, String mode, String prec, int steps, int rounds, double seconds) {
        Init.manualSeed(0);
        Classifier net = Models.create(model, 10);
        net.to(CUDA);
        SGD opt = new SGD(net.parameters(), 0.05, 0.9, 5e-4, false);
        int[] y = labels(batch, 10);
        Batch data = new Batch(images(batch, 0), y, null);
        Runnable one;
        GraphedTrainStep g = null;
        switch (mode) {
            case "trainer" -> one = () -> { // Trainer's eager step: upload, per-parameter SGD, loss and logits read back
                Tensor x = data.images().to(CUDA);
                opt.zeroGrad();
                Tensor z = net.forward(x);
                Tensor l = F.crossEntropy(z, y);
                double v = l.item();
                l.backward();
                opt.step();
                float[] logits = z.toFloatArray(); // the trainer's accuracy count reads them
                if (Double.isNaN(v) || logits.length != batch * 10) throw new IllegalStateException("[gpu speed] NaN loss");
            };
            case "eager", "graph" -> {
                GraphedTrainStep gs = new GraphedTrainStep(capture(), net, opt, 0.0);
                g = gs;
                one = () -> gs.step(data, 0.05, null);
            }
            default -> throw new IllegalArgumentException("[gpu speed] mode must be trainer, eager or graph, got '" + mode + "'");
        }
        try {
            for (int i = 0; i < 2; i++) one.run(); // warm-up (graph: eager, then capture + launch)
            drainOrSync(g);
            long w0 = System.nanoTime();
            one.run(); // (graph: the first replay) also sizes the rounds
            drainOrSync(g);
            double first = (System.nanoTime() - w0) / 1e9;
            steps = (int) Math.max(2, Math.min(steps, seconds / rounds / Math.max(first, 1e-6)));
            double[] ms = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) one.run();
                drainOrSync(g);
                ms[r] = (System.nanoTime() - t0) / 1e6 / steps;
            }
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model);
            m.put("mode", mode);
            m.put("prec", prec);
            m.put("ms", sorted[rounds / 2]);
            m.put("samples", ms);
            m.put("steps_per_round", steps);
            m.put("how", g == null ? "Trainer's eager step" : g.describe());
            m.put("memory", be.memoryStats().toString());
            return m;
        } finally {
            if (g != null) g.close();
            be.emptyCache(); // PyTorch shares the device
        }
    }

    private void drainOrSync(GraphedTrainStep g) {
        if (g == null) {
            be.synchronize();
            return;
        }
        StepRunner.Drained d = g.drain();
        if (d.firstNonFinite() > 0) throw new IllegalStateException("[gpu speed] non-finite loss in a timed step");
    }

    /** Square SGEMM, checked against the CPU backend at 256 first; GPU time over 5 rounds. */
    private Map<String, Object> gemm(int n, String prec) {
        try (var p = precision(prec, true)) {
            return timeGemm(n, prec);
        }
    }

    private Map<String, Object> timeGemm(int n, String prec) {
        Rng r = new Rng(3);
        Tensor sa = Tensor.uniform(r, -1, 1, 256, 256), sb = Tensor.uniform(r, -1, 1, 256, 256);
        float[] got = sa.to(CUDA).matmul(sb.to(CUDA)).toFloatArray(), exp = sa.matmul(sb).toFloatArray();
        double bound = prec.equals("tf32") ? 1e-2 : 1e-5;
        Worst w = new Worst(0, "").max("gemm 256", got, exp);
        if (!(w.rel() <= bound))
            throw new IllegalStateException(String.format(Locale.ROOT, "[gpu speed] %s gemm at 256 differs from the CPU: %.3g of the scale (bound %.0g)", prec, w.rel(), bound));
        Tensor a = Tensor.uniform(r, -1, 1, n, n).to(CUDA), b = Tensor.uniform(r, -1, 1, n, n).to(CUDA);
        int[] o = {n, n};
        double ms = GpuTimer.ms(be, n >= 4096 ? 3 : 10, 5, () -> be.matmul(a, b, o));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", n);
        m.put("prec", prec);
        m.put("ms", ms);
        m.put("tflops", 2.0 * n * n * n / ms / 1e9);
        m.put("check_rel", w.rel());
        m.put("path", be.tf32() ? "kr gemm_tf32" : be.gemmPath());
        return m;
    }

    /**
     * Memory-bound kernels on n floats: copy, sparse recoding (KR's fused penalty, as the eager
     * trainer runs it), sparse recoding + SGD in one pass, SGD per parameter, multi-tensor SGD. Each
     * is checked first on a small input against the CPU backend. GB/s counts bytes read + written
     * once (the recoding writes the gradient only where the mask is set).
     */
    private Map<String, Object> memoryBound(int n) {
        try (var p = precision("fp32", true)) {
            return timeMemoryBound(n);
        }
    }

    private Map<String, Object> timeMemoryBound(int n) {
        checkRecoding();
        int m = 1 << 20, reps = Math.max(1, n / m);
        Rng r = new Rng(5);
        Tensor small = Tensor.uniform(r, -1, 1, m), smallPrior = Tensor.uniform(r, -1, 1, m);
        // n floats on the device without generating n random numbers on the host: a 1 Mi pattern repeated
        Tensor w = tile(small, reps), prior = tile(smallPrior, reps), grad = tile(small.mul(0.5), reps), buf = tile(small.mul(0.25), reps);
        int len = w.numel();
        double thr = 0.5; // |uniform(-1, 1)| >= 0.5: half the entries
        long masked = 0;
        for (float v : smallPrior.toFloatArray()) if (Math.abs(v) >= CudaBackend.floatThreshold(thr)) masked++;
        double frac = masked / (double) m;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", len);
        out.put("mask_fraction", frac);
        CudaStorage keep = be.rawStorage(8L * be.recodeBlocks(len)); // the partials' storage lives as long as this call
        CUdeviceptr part = keep.pointer();
        put(out, "copy", 8.0 * len, GpuTimer.ms(be, 10, 5, () -> be.copy(w)));
        put(out, "sparse_recoding", (12 + 4 * frac) * len, GpuTimer.ms(be, 10, 5, () -> be.launchSparseRecoding(part, grad, w, prior, thr, 1e-9)));
        put(out, "sparse_recoding_sgd", (16 + 8 + 4 * frac) * len,
                GpuTimer.ms(be, 10, 5, () -> be.launchSparseRecodingSgd(part, grad, w, prior, buf, thr, 1e-9, 1e-9, 0.9, 0, 0, false, false)));
        put(out, "sgd_step", 20.0 * len, GpuTimer.ms(be, 10, 5, () -> be.sgdStep(w, grad, buf, 1e-9, 0.9, 0, 0, false, false)));
        Tensor p = w.detach();
        p.requiresGrad(true);
        SGD opt = new SGD(List.of(p), 1e-9, 0.9, 0, false);
        FusedSgd f = FusedSgd.bind(be, opt);
        f.step(); // the first step (fresh buffer) rewrites the flags: not timed
        put(out, "sgd_multi", 20.0 * len, GpuTimer.ms(be, 10, 5, f::step));
        java.lang.ref.Reference.reachabilityFence(keep);
        be.emptyCache();
        return out;
    }

    private static void put(Map<String, Object> out, String what, double bytes, double ms) {
        out.put(what + "_ms", ms);
        out.put(what + "_gbs", bytes / ms / 1e6);
    }

    /** {@code x} (1-d, on the host) repeated {@code k} times, on the device. */
    private static Tensor tile(Tensor x, int k) {
        return x.to(CUDA).reshape(1, -1).expand(k, x.numel()).contiguous().reshape(-1);
    }

    /** The fused recoding kernels against the float64 reference (scalar backend) on 100,003 elements (an odd size: a partial last block). */
    private void checkRecoding() {
        Rng r = new Rng(7);
        int n = 100_003;
        Tensor w = Tensor.uniform(r, -1, 1, n), a = Tensor.uniform(r, -1, 1, n), g = Tensor.uniform(r, -1, 1, n), b = Tensor.uniform(r, -1, 1, n);
        Tensor gc = g.copy(), gd = g.to(CUDA);
        KrKernels cpu = Backends.cpu("scalar").extension(KrKernels.class).orElseThrow(); // computes in double like the kernels: agreement to rounding
        double sc = cpu.sparseRecoding(gc, w, a, 0.5, 0.01), sd = be.sparseRecoding(gd, w.to(CUDA), a.to(CUDA), 0.5, 0.01);
        Worst worst = new Worst(0, "").max("sparse recoding gradient", gd.toFloatArray(), gc.toFloatArray());
        if (!(worst.rel() <= 1e-6 && Math.abs(sc - sd) <= 1e-9 * Math.abs(sc)))
            throw new IllegalStateException(String.format(Locale.ROOT, "[gpu speed] sparse recoding differs from the CPU: gradient %.3g, sum %.9g vs %.9g", worst.rel(), sd, sc));
        Tensor wc = w.copy(), bc = b.copy(), g2 = g.copy(), wd = w.to(CUDA), bd = b.to(CUDA), g2d = g.to(CUDA);
        double s1 = cpu.sparseRecoding(g2, wc, a, 0.5, 0.01);
        Backends.cpu("scalar").sgdStep(wc, g2, bc, 0.1, 0.9, 0, 5e-4, false, false);
        double s2 = be.sparseRecodingSgd(g2d, wd, a.to(CUDA), bd, 0.5, 0.01, 0.1, 0.9, 0, 5e-4, false, false);
        worst = new Worst(0, "").max("recoding+sgd weight", wd.toFloatArray(), wc.toFloatArray()).max("recoding+sgd buffer", bd.toFloatArray(), bc.toFloatArray());
        if (!(worst.rel() <= 1e-6 && Math.abs(s1 - s2) <= 1e-9 * Math.abs(s1)))
            throw new IllegalStateException(String.format(Locale.ROOT, "[gpu speed] fused recoding+SGD differs from the CPU: %s %.3g, sum %.9g vs %.9g", worst.where(), worst.rel(), s2, s1));
    }
}
