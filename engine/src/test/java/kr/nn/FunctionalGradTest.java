package kr.nn;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.NonScalarShape;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The composed functions users rely on have no vjp of their own; their gradients (float64 central
 * differences) and, where a direct formula is short, their values must still be right.
 */
class FunctionalGradTest {
    private static final double TOL = 1e-9;

    @Property
    void crossEntropyWithIntegerLabels(@ForAll @IntRange(min = 1, max = 4) int n, @ForAll @IntRange(min = 1, max = 5) int c,
            @ForAll boolean smooth, @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        double eps = smooth ? 0.5 * rng.nextDouble() : 0;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = rng.nextInt(c);
        Input x = input(rng, uniform(-3, 3), layout, n, c);
        assertGradients("cross_entropy(labels " + Arrays.toString(labels) + ", smoothing " + eps + ")", List.of(x),
                xs -> F.crossEntropy(xs.get(0), labels, eps));
        double[] z = values(x);
        double want = 0;
        for (int i = 0; i < n; i++) {
            double lse = logSumExp(z, i * c, c, 1);
            for (int j = 0; j < c; j++) want -= ((j == labels[i] ? 1 - eps : 0) + eps / c) * (z[i * c + j] - lse);
        }
        assertClose(want / n, scalar(() -> F.crossEntropy(operand(x), labels, eps)), "cross_entropy");
    }

    /** Soft targets are an input too: the loss is linear in them. */
    @Property
    void crossEntropyWithSoftTargets(@ForAll @IntRange(min = 1, max = 4) int n, @ForAll @IntRange(min = 1, max = 5) int c,
            @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Input x = input(rng, uniform(-3, 3), layout, n, c), t = input(rng, uniform(0, 1), Layout.CONTIGUOUS, n, c);
        assertGradients("cross_entropy(soft targets)", List.of(x, t), xs -> F.crossEntropy(xs.get(0), xs.get(1)));
    }

    @Property
    void klDivWithTemperature(@ForAll @IntRange(min = 1, max = 4) int n, @ForAll @IntRange(min = 1, max = 5) int c,
            @ForAll Layout ls, @ForAll Layout lt, @ForAll long seed) {
        Rng rng = new Rng(seed);
        double temp = 0.5 + 4.5 * rng.nextDouble();
        Input s = input(rng, uniform(-3, 3), ls, n, c), t = input(rng, uniform(-3, 3), lt, n, c);
        assertGradients("kl_div(T " + temp + ")", List.of(s, t), xs -> F.klDiv(xs.get(0), xs.get(1), temp));
        double[] sv = values(s), tv = values(t);
        double want = 0;
        for (int i = 0; i < n; i++) {
            double ls_ = logSumExp(sv, i * c, c, temp), lt_ = logSumExp(tv, i * c, c, temp);
            for (int j = 0; j < c; j++) {
                double logPt = tv[i * c + j] / temp - lt_, logPs = sv[i * c + j] / temp - ls_;
                want += Math.exp(logPt) * (logPt - logPs);
            }
        }
        assertClose(want / n * temp * temp, scalar(() -> F.klDiv(operand(s), operand(t), temp)), "kl_div");
    }

    @Property
    void mse(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Input a = input(rng, normal(), la, shape), b = input(rng, normal(), lb, shape);
        assertGradients("mse", List.of(a, b), xs -> F.mse(xs.get(0), xs.get(1)));
        double[] av = values(a), bv = values(b);
        double want = 0;
        for (int i = 0; i < av.length; i++) want += (av[i] - bv[i]) * (av[i] - bv[i]) / av.length;
        assertClose(want, scalar(() -> F.mse(operand(a), operand(b))), "mse");
    }

    /** Two shifted lattices: a - b is never 0, the kink of |.|. */
    @Property
    void l1(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Input a = input(rng, lattice(0.03), la, shape), b = input(rng, lattice(0.07), lb, shape);
        assertGradients("l1", List.of(a, b), xs -> F.l1(xs.get(0), xs.get(1)));
    }

    @Property
    void softmax(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, d = rng.nextInt(r), dim = rng.nextBoolean() ? d - r : d;
        Input x = input(rng, uniform(-4, 4), layout, shape);
        assertGradients("softmax(dim " + dim + ")", List.of(x), xs -> F.softmax(xs.get(0), dim));
        try (var s = Backends.use("scalar")) {
            double[] sums = F.softmax(operand(x), dim).sum(dim, false).toDoubleArray();
            for (double v : sums) assertEquals(1.0, v, TOL);
        }
    }

    /** x of rank 1 to 3, bias or none. */
    @Property
    void linear(@ForAll @IntRange(min = 0, max = 2) int lead, @ForAll @IntRange(min = 1, max = 3) int in,
            @ForAll @IntRange(min = 1, max = 3) int out, @ForAll boolean bias, @ForAll Layout lx, @ForAll Layout lw, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] xs = new int[lead + 1];
        for (int i = 0; i < lead; i++) xs[i] = 1 + rng.nextInt(3);
        xs[lead] = in;
        List<Input> ins = new ArrayList<>(List.of(input(rng, normal(), lx, xs), input(rng, normal(), lw, out, in)));
        if (bias) ins.add(input(rng, normal(), Layout.CONTIGUOUS, out));
        assertGradients("linear " + Shapes.str(xs) + " x [" + out + ", " + in + "]" + (bias ? " + b" : ""), ins,
                v -> F.linear(v.get(0), v.get(1), bias ? v.get(2) : null));
    }

    /** Eval mode uses the running statistics; all five inputs get gradients (weight and bias optional). */
    @Property
    void batchNormInEvalMode(@ForAll @IntRange(min = 1, max = 3) int n, @ForAll @IntRange(min = 1, max = 3) int c,
            @ForAll @IntRange(min = 0, max = 2) int spatialRank, @ForAll boolean affine, @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] shape = new int[2 + spatialRank];
        shape[0] = n;
        shape[1] = c;
        for (int i = 2; i < shape.length; i++) shape[i] = 1 + rng.nextInt(3);
        double eps = 1e-5;
        List<Input> ins = new ArrayList<>(List.of(input(rng, normal(), layout, shape), input(rng, normal(), Layout.CONTIGUOUS, c),
                input(rng, uniform(0.5, 2), Layout.CONTIGUOUS, c)));
        if (affine) {
            ins.add(input(rng, normal(), Layout.CONTIGUOUS, c));
            ins.add(input(rng, normal(), Layout.CONTIGUOUS, c));
        }
        assertGradients("batch_norm eval " + Shapes.str(shape) + (affine ? " affine" : ""), ins,
                v -> F.batchNorm(v.get(0), v.get(1), v.get(2), affine ? v.get(3) : null, affine ? v.get(4) : null, false, 0.1, eps));
        double[] x = values(ins.get(0)), rm = values(ins.get(1)), rv = values(ins.get(2));
        double[] w = affine ? values(ins.get(3)) : null, b = affine ? values(ins.get(4)) : null;
        int inner = x.length / (n * c);
        double[] want = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = i / inner % c;
            want[i] = (x[i] - rm[ch]) / Math.sqrt(rv[ch] + eps) * (affine ? w[ch] : 1) + (affine ? b[ch] : 0);
        }
        try (var s = Backends.use("scalar")) {
            Tensor y = F.batchNorm(operand(ins.get(0)), operand(ins.get(1)), operand(ins.get(2)), affine ? operand(ins.get(3)) : null,
                    affine ? operand(ins.get(4)) : null, false, 0.1, eps);
            assertArrayEquals(want, y.toDoubleArray(), TOL);
        }
    }

    /** Output sizes that divide the input and ones that do not (overlapping windows, PyTorch's bounds). */
    @Property
    void adaptiveAvgPool2d(@ForAll @IntRange(min = 1, max = 2) int n, @ForAll @IntRange(min = 1, max = 2) int c,
            @ForAll @IntRange(min = 1, max = 6) int h, @ForAll @IntRange(min = 1, max = 6) int w, @ForAll @IntRange(min = 1, max = 4) int oh,
            @ForAll @IntRange(min = 1, max = 4) int ow, @ForAll Layout layout, @ForAll long seed) {
        Input x = input(new Rng(seed), normal(), layout, n, c, h, w);
        assertGradients("adaptive_avg_pool2d [" + h + ", " + w + "] -> [" + oh + ", " + ow + "]", List.of(x),
                xs -> F.adaptiveAvgPool2d(xs.get(0), oh, ow));
        double[] v = values(x), want = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    int h0 = (int) Math.floor((double) i * h / oh), h1 = (int) Math.ceil((double) (i + 1) * h / oh);
                    int w0 = (int) Math.floor((double) j * w / ow), w1 = (int) Math.ceil((double) (j + 1) * w / ow);
                    double s = 0;
                    for (int y = h0; y < h1; y++)
                        for (int z = w0; z < w1; z++) s += v[(p * h + y) * w + z];
                    want[(p * oh + i) * ow + j] = s / ((h1 - h0) * (w1 - w0));
                }
        try (var s = Backends.use("scalar")) {
            assertArrayEquals(want, F.adaptiveAvgPool2d(operand(x), oh, ow).toDoubleArray(), TOL);
        }
    }

    /** variance, std (when over at least two distinct values) and mean over any dims. */
    @Property
    void varianceStdMean(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll boolean unbiased, @ForAll boolean keepdim,
            @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length;
        List<Integer> picked = new ArrayList<>();
        for (int d = 0; d < r; d++) if (rng.nextBoolean()) picked.add(rng.nextBoolean() ? d - r : d);
        if (picked.isEmpty()) picked.add(rng.nextInt(r));
        int[] dims = picked.stream().mapToInt(Integer::intValue).toArray();
        int count = 1;
        for (int d : dims) count *= shape[d < 0 ? d + r : d];
        boolean std = count >= 2 && layout != Layout.EXPANDED; // expanded copies can make the variance 0, where sqrt has no gradient
        Input x = input(rng, distinct(), layout, shape);
        String what = (std ? "std" : "variance") + "(dims " + Arrays.toString(dims) + ", unbiased " + unbiased + ", keepdim " + keepdim + ")";
        assertGradients(what + " + mean", List.of(x), xs -> {
            Tensor v = std ? xs.get(0).std(dims, unbiased, keepdim) : xs.get(0).variance(dims, unbiased, keepdim);
            return v.add(xs.get(0).mean(dims, keepdim));
        });
        try (var s = Backends.use("scalar")) {
            Tensor t = operand(x);
            int[] all = new int[r];
            for (int d = 0; d < r; d++) all[d] = d;
            double[] v = t.toDoubleArray();
            double mean = Arrays.stream(v).average().orElse(0), ss = 0;
            for (double e : v) ss += (e - mean) * (e - mean);
            assertClose(mean, t.mean().item(), "mean");
            assertClose(ss / (unbiased ? Math.max(v.length - 1, 1) : v.length), t.variance(all, unbiased, false).item(), "variance");
        }
    }

    /** Values and bounds on shifted lattices: no value sits on a bound. */
    @Property
    void clamp(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        double lo = (rng.nextInt(15) - 14) * 0.1 + 0.07, hi = lo + (1 + rng.nextInt(15)) * 0.1;
        Input x = input(rng, lattice(0.03), layout, shape);
        assertGradients("clamp(" + lo + ", " + hi + ")", List.of(x), xs -> xs.get(0).clamp(lo, hi));
    }

    @Property
    void stack(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll @IntRange(min = 1, max = 3) int count, @ForAll Layout layout,
            @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length + 1, d = rng.nextInt(r), dim = rng.nextBoolean() ? d - r : d;
        List<Input> ins = new ArrayList<>();
        for (int i = 0; i < count; i++) ins.add(input(rng, normal(), layout, shape));
        assertGradients("stack(dim " + dim + ")" + (twice ? " with tensor 0 twice" : ""), ins, xs -> {
            List<Tensor> parts = new ArrayList<>(xs);
            if (twice) parts.add(xs.get(0));
            return Tensor.stack(parts, dim);
        });
    }

    // ------------------------------------------------------------------ direct computations

    private static Tensor operand(Input x) {
        return x.view().apply(x.leaf());
    }

    private static double[] values(Input x) {
        try (var s = Backends.use("scalar")) {
            return operand(x).toDoubleArray();
        }
    }

    private static double scalar(java.util.function.Supplier<Tensor> f) {
        try (var s = Backends.use("scalar")) {
            return f.get().item();
        }
    }

    /** log(sum_j exp(v[off + j] / t)) over one row of {@code c} values. */
    private static double logSumExp(double[] v, int off, int c, double t) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (int j = 0; j < c; j++) m = Math.max(m, v[off + j] / t);
        for (int j = 0; j < c; j++) s += Math.exp(v[off + j] / t - m);
        return m + Math.log(s);
    }

    private static void assertClose(double want, double got, String what) {
        assertEquals(want, got, TOL * Math.max(1, Math.abs(want)), what);
    }
}
