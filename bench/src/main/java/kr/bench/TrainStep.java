package kr.bench;

import java.util.List;
import java.util.Map;
import kr.engine.DType;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;

/**
 * One training step of a zoo model (forward, cross-entropy, backward, SGD with momentum and weight
 * decay) on random data, as PyTorch's reference step in bench/compare.py. Before it is timed, a
 * step on a small batch is checked against the float64 scalar reference on the same weights.
 */
public final class TrainStep implements ProbeWorkload.Timed {
    private final Classifier net;
    private final SGD opt;
    private final Tensor x;
    private final int[] y;
    private final double flop;
    private final Models.Summary summary;

    /** {@code model} with {@code classes} outputs, batch {@code batch} of 3x32x32 images. */
    public TrainStep(String model, int batch, int classes) {
        check(model, classes);
        Init.manualSeed(0);
        net = Models.create(model, classes);
        opt = new SGD(net.parameters(), 0.05, 0.9, 5e-4, false);
        x = Tensor.randn(new Rng(1), batch, 3, 32, 32);
        y = labels(batch, classes);
        summary = Models.summary(model, classes);
        flop = 3.0 * 2 * summary.macs() * batch; // forward + two backward passes
    }

    static int[] labels(int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % classes;
        return y;
    }

    @Override
    public void run() {
        opt.zeroGrad();
        F.crossEntropy(net.forward(x), y).backward();
        opt.step();
    }

    @Override
    public double flop() {
        return flop;
    }

    @Override
    public Map<String, Object> facts() {
        return Map.of("params", (double) summary.params(), "macs_per_image", (double) summary.macs());
    }

    @Override
    public String check() {
        return "loss and every parameter gradient of a batch-4 step vs the float64 scalar backend (same weights)";
    }

    /** Loss and every parameter gradient of one batch-4 step: default backend (float32) against the reference (float64). */
    static void check(String model, int classes) {
        Init.manualSeed(0);
        Classifier a = Models.create(model, classes);
        Init.manualSeed(0);
        Classifier r = Models.create(model, classes);
        for (Tensor p : r.stateDict().values()) p.setData(p.detach().to(DType.F64));
        Tensor x = Tensor.randn(new Rng(2), 4, 3, 32, 32);
        int[] y = labels(4, classes);
        Tensor la = F.crossEntropy(a.forward(x), y);
        la.backward();
        Tensor lr;
        try (var s = Backends.use("scalar")) {
            lr = F.crossEntropy(r.forward(x.to(DType.F64)), y);
            lr.backward();
        }
        compare(model + " loss", la, lr);
        Map<String, Tensor> ga = a.namedParameters(), gr = r.namedParameters();
        for (String k : List.copyOf(ga.keySet())) compare(model + " grad " + k, ga.get(k).grad(), gr.get(k).grad());
    }

    /** max|a - e| <= 2e-3 * max|e| (float32 through ~20 layers of accumulation against float64). */
    private static void compare(String what, Tensor actual, Tensor expected) {
        double[] a = actual.toDoubleArray(), e = expected.toDoubleArray();
        double num = 0, den = 1e-12;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs(a[i] - e[i]));
            den = Math.max(den, Math.abs(e[i]));
        }
        if (!(num <= 2e-3 * den))
            throw new IllegalStateException("[bench] " + what + " differs from the float64 reference: max error " + num + " vs scale " + den);
    }
}
