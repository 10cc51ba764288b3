package kr.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Checks analytic gradients against central finite differences in float64, like
 * {@code torch.autograd.gradcheck}. The function is evaluated on float64 copies of the inputs; its
 * output is reduced with fixed random weights so every output element is tested.
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

    /** The worst element over all inputs: where it is and the two values that disagree most. */
    public record Result(boolean passed, int input, int[] index, double analytic, double numeric, double error, int checked) {
        @Override
        public String toString() {
            return (passed ? "passed" : "FAILED") + ": worst element is input " + input + " at " + java.util.Arrays.toString(index)
                    + ": analytic " + analytic + " vs numeric " + numeric + " (error " + error + ", " + checked + " elements checked)";
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
        Tensor wt = Tensor.of(w, y0.shape().length == 0 ? new int[0] : y0.shape());
        for (Tensor x : xs) x.zeroGrad();
        Tensor y = f.apply(xs);
        if (!y.requiresGrad()) throw new IllegalArgumentException("[gradcheck] the function's output does not depend on any input");
        y.mul(wt).sum().backward();

        int worstInput = -1;
        int[] worstIdx = new int[0];
        double worstA = 0, worstN = 0, worstErr = -1, worstRatio = -1;
        boolean passed = true;
        int checked = 0;
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
                if (!(ratio <= 1)) passed = false;
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
        return new Result(passed, worstInput, worstIdx, worstA, worstN, worstErr, checked);
    }

    private static double weighted(Function<List<Tensor>, Tensor> f, List<Tensor> xs, double[] w) {
        try (var ng = Grad.noGrad()) {
            double[] y = f.apply(xs).toDoubleArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += w[i] * y[i];
            return s;
        }
    }

    /** A float64 CPU leaf with the same logical values and the same stride pattern as {@code t}. */
    private static Tensor asF64Leaf(Tensor t) {
        double[] v = t.detach().toDoubleArray();
        if (t.isContiguous()) return Tensor.of(v, t.shape().length == 0 ? new int[0] : t.shape()).requiresGrad(true);
        // keep non-contiguous layouts: permute-sort the strides, allocate, and view
        int r = t.dim();
        Integer[] order = new Integer[r];
        for (int i = 0; i < r; i++) order[i] = i;
        int[] st = t.strides();
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(st[b], st[a]));
        int[] shape = t.shape(), base = new int[r];
        for (int i = 0; i < r; i++) base[i] = shape[order[i]];
        int[] bs = Shapes.contiguousStrides(base), vs = new int[r];
        for (int i = 0; i < r; i++) vs[order[i]] = bs[i];
        double[] data = new double[v.length + 1];
        Tensor view = Tensor.wrap(kr.engine.backend.CpuStorage.of(data), shape, vs, 1);
        try (var ng = Grad.noGrad()) {
            kr.engine.backend.Backends.cpu("scalar").copyInto(view, Tensor.of(v, shape.length == 0 ? new int[0] : shape));
        }
        return view.requiresGrad(true);
    }
}
