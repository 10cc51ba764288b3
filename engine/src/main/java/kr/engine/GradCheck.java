package kr.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Checks analytic gradients against central finite differences in float64, like
 * {@code torch.autograd.gradcheck}. The function is evaluated on float64 copies of the inputs; its
 * output is reduced with fixed random weights so every output element is tested. A non-contiguous
 * input keeps its layout: permuted and step-sliced views keep their strides and offset (gaps
 * included), and expanded (stride 0) dims get storage of their own so every element is a variable.
 *
 * <pre>{@code
 * GradCheck.Result r = GradCheck.check(xs -> xs.get(0).mul(xs.get(1)).tanh(),
 *         List.of(Tensor.randn(new Rng(1), 3, 4), Tensor.randn(new Rng(2), 4)));
 * if (!r.passed()) throw new AssertionError(r);   // names input, index, analytic, numeric
 * }</pre>
 */
public final class GradCheck {
    private GradCheck() {}

    /** Tolerances: an element passes when {@code |analytic - numeric| <= atol + rtol * |numeric|}. */
    public record Options(double eps, double atol, double rtol, long seed) {
        public static final Options DEFAULT = new Options(1e-6, 1e-5, 1e-3, 12345);
    }

    /**
     * The worst element over all inputs: where it is and the two values that disagree most; {@code
     * failed} of {@code checked} elements were outside the tolerance, and {@code inputs} describes
     * each input's shape and strides so a failure can be reproduced.
     */
    public record Result(boolean passed, int input, int[] index, double analytic, double numeric, double error, int checked, int failed,
            String inputs) {
        @Override
        public String toString() {
            return (passed ? "passed" : "FAILED") + ": worst element is input " + input + " at " + java.util.Arrays.toString(index)
                    + ": analytic " + analytic + " vs numeric " + numeric + " (error " + error + "; " + failed + " of " + checked
                    + " elements outside tolerance; inputs " + inputs + ")";
        }
    }

    public static Result check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        return check(f, inputs, Options.DEFAULT);
    }

    /**
     * Compares d(sum(w * f(inputs)))/d(inputs) computed by backward with central differences.
     * Inputs may be views (their layout is kept); all are checked.
     */
    public static Result check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, Options o) {
        List<Tensor> xs = new ArrayList<>();
        for (Tensor t : inputs) xs.add(asF64Leaf(t));
        Tensor y0;
        try (var ng = Grad.noGrad()) {
            y0 = f.apply(xs);
        }
        Rng rng = new Rng(o.seed());
        double[] w = new double[y0.numel()];
        for (int i = 0; i < w.length; i++) w[i] = rng.nextDouble() * 2 - 1;
        Tensor wt = Tensor.wrap(kr.engine.backend.CpuStorage.of(w), y0.shape()); // Tensor.of would make a 0-d shape [1]
        for (Tensor x : xs) x.zeroGrad();
        Tensor y = f.apply(xs);
        if (!y.requiresGrad()) throw new IllegalArgumentException("[gradcheck] the function's output does not depend on any input");
        y.mul(wt).sum().backward();

        int worstInput = -1;
        int[] worstIdx = new int[0];
        double worstA = 0, worstN = 0, worstErr = -1, worstRatio = -1;
        boolean passed = true;
        int checked = 0, failed = 0;
        for (int k = 0; k < xs.size(); k++) {
            Tensor x = xs.get(k);
            double[] analytic = x.grad() == null ? new double[x.numel()] : x.grad().toDoubleArray();
            double[] data = ((kr.engine.backend.CpuStorage) x.storage()).doubles();
            int[] shape = x.shape(), strides = x.strides();
            for (int i = 0; i < x.numel(); i++) {
                int[] idx = Shapes.unravel(i, shape);
                int pos = x.offset();
                for (int d = 0; d < idx.length; d++) pos += idx[d] * strides[d];
                double orig = data[pos];
                data[pos] = orig + o.eps();
                double plus = weighted(f, xs, w);
                data[pos] = orig - o.eps();
                double minus = weighted(f, xs, w);
                data[pos] = orig;
                double numeric = (plus - minus) / (2 * o.eps());
                double err = Math.abs(analytic[i] - numeric);
                double ratio = err / (o.atol() + o.rtol() * Math.abs(numeric));
                if (!(ratio <= 1)) {
                    passed = false;
                    failed++;
                }
                if (ratio > worstRatio || Double.isNaN(ratio)) {
                    worstRatio = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
                    worstInput = k;
                    worstIdx = idx;
                    worstA = analytic[i];
                    worstN = numeric;
                    worstErr = err;
                }
                checked++;
            }
        }
        StringBuilder desc = new StringBuilder();
        for (Tensor x : xs) {
            if (desc.length() > 0) desc.append(", ");
            desc.append(Shapes.str(x.shape()));
            if (!x.isContiguous()) desc.append(" strides ").append(Shapes.str(x.strides())).append(" offset ").append(x.offset());
        }
        return new Result(passed, worstInput, worstIdx, worstA, worstN, worstErr, checked, failed, desc.toString());
    }

    private static double weighted(Function<List<Tensor>, Tensor> f, List<Tensor> xs, double[] w) {
        try (var ng = Grad.noGrad()) {
            double[] y = f.apply(xs).toDoubleArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += w[i] * y[i];
            return s;
        }
    }

    /**
     * A float64 CPU leaf with the same logical values and the same layout as {@code t}: contiguous,
     * or the same strides and offset, or (for expanded views, whose stride-0 dims alias one element)
     * the same dim order over storage of its own.
     */
    private static Tensor asF64Leaf(Tensor t) {
        double[] v = t.detach().toDoubleArray();
        int[] shape = t.shape();
        if (t.isContiguous()) return Tensor.wrap(kr.engine.backend.CpuStorage.of(v), shape).requiresGrad(true); // not Tensor.of: 0-d stays 0-d
        int r = t.dim();
        int[] st = t.strides(), vs;
        int off;
        boolean aliased = false;
        for (int i = 0; i < r; i++) if (shape[i] > 1 && st[i] == 0) aliased = true;
        if (!aliased) {
            vs = st;
            off = t.offset();
        } else {
            // permute-sort the strides, allocate, and view
            Integer[] order = new Integer[r];
            for (int i = 0; i < r; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Integer.compare(st[b], st[a]));
            int[] base = new int[r];
            for (int i = 0; i < r; i++) base[i] = shape[order[i]];
            int[] bs = Shapes.contiguousStrides(base);
            vs = new int[r];
            for (int i = 0; i < r; i++) vs[order[i]] = bs[i];
            off = 1;
        }
        long size = off + 1;
        for (int i = 0; i < r; i++) size += (long) Math.max(shape[i] - 1, 0) * vs[i];
        Tensor view = Tensor.wrap(kr.engine.backend.CpuStorage.of(new double[(int) size]), shape, vs, off);
        try (var ng = Grad.noGrad()) {
            kr.engine.backend.Backends.cpu("scalar").copyInto(view, Tensor.wrap(kr.engine.backend.CpuStorage.of(v), shape));
        }
        return view.requiresGrad(true);
    }
}
