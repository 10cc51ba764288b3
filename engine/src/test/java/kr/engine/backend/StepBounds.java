package kr.engine.backend;

import java.util.Locale;
import java.util.Map;

/**
 * How close a whole training step on cuda must come to the CPU backend's, in norms rather than per
 * element: a network with batch norm at initialisation amplifies rounding, so two correct float32
 * implementations differ by far more than one kernel's tolerance. The bounds sit a few times above
 * PyTorch's own spread against float64, measured by {@code bench/gpu/sensitivity.py} on the same
 * models (figures in each reason); a wrong kernel is off by O(1).
 *
 * <pre>{@code
 * StepBounds.Result r = StepBounds.compare(cudaGrads, cpuGrads, cudaLoss, cpuLoss);
 * StepBounds.FP32.check("resnet20", r); // throws, naming the worst parameter
 * }</pre>
 */
public enum StepBounds {
    FP32(2e-5, 2e-2, 0.2, "PyTorch 1.13 float32 vs float64, one step at initialisation, batch 128 unless said (CPU, bench/gpu/sensitivity.py):"
            + " gradients' relative L2 6.8e-4 (resnet8x4) to 3.8e-3 (resnet56) and 4.8e-3 (resnet20, batch 32); worst parameter"
            + " max|a-e|/max|e| 0.014 to 0.042. cuda and CPU are each about that far from float64, so their distance is up to ~2x that;"
            + " the bounds leave another 2-4x"),
    TF32(1e-2, 0.6, 1.0, "PyTorch with TF32 convolutions and products (operands rounded to 10-bit mantissas, emulated on the CPU) vs float64,"
            + " same steps: relative L2 0.034 (resnet8x4) to 0.25 (resnet56), worst parameter up to 0.51: only a gross error (a wrong kernel,"
            + " relative L2 ~1) exceeds this; the TF32 kernels themselves are checked per op against Tolerances.TF32");

    /** Bounds on |loss - loss'| / |loss'|, the gradients' relative L2 over all parameters, and the worst parameter's max|a - e| / max|e|. */
    public final double loss, gradL2, worst;
    public final String reason;

    StepBounds(double loss, double gradL2, double worst, String reason) {
        this.loss = loss;
        this.gradL2 = gradL2;
        this.worst = worst;
        this.reason = reason;
    }

    /** One step's distance from the reference: loss, gradients' relative L2, worst parameter and where. */
    public record Result(double lossRel, double gradL2, double worst, String worstAt) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "loss %.3g, gradients' relative L2 %.3g, worst %s off by %.3g of its scale", lossRel, gradL2, worstAt, worst);
        }
    }

    /** Compares gradients (same names, same sizes) and losses of a step with the reference step's. */
    public static Result compare(Map<String, float[]> grads, Map<String, float[]> refGrads, double loss, double refLoss) {
        double num = 0, den = 0, worst = 0;
        String at = "";
        for (Map.Entry<String, float[]> en : refGrads.entrySet()) {
            float[] a = grads.get(en.getKey()), e = en.getValue();
            if (a == null || a.length != e.length)
                throw new IllegalArgumentException("[step bounds] gradient of " + en.getKey() + " is missing or has " + (a == null ? 0 : a.length)
                        + " elements instead of " + e.length);
            for (int i = 0; i < e.length; i++) {
                double diff = (double) a[i] - e[i];
                num += diff * diff;
                den += (double) e[i] * e[i];
            }
            double r = scaledMaxError(a, e);
            if (r > worst) {
                worst = r;
                at = en.getKey();
            }
        }
        double l2 = Math.sqrt(num / Math.max(den, 1e-300));
        return new Result(Math.abs(loss - refLoss) / Math.max(Math.abs(refLoss), 1e-30), Double.isNaN(l2) ? Double.POSITIVE_INFINITY : l2, worst, at);
    }

    /** max |a - e| over the tensor relative to max |e| (infinite when a value is NaN): a wrong kernel gives O(1). */
    public static double scaledMaxError(float[] a, float[] e) {
        double d = 0, s = 1e-30;
        for (int i = 0; i < e.length; i++) {
            d = Math.max(d, Math.abs((double) a[i] - e[i]));
            s = Math.max(s, Math.abs(e[i]));
        }
        return Double.isNaN(d) ? Double.POSITIVE_INFINITY : d / s;
    }

    public boolean holds(Result r) {
        return r.lossRel() <= loss && r.gradL2() <= gradL2 && r.worst() <= worst;
    }

    /** Throws when {@code r} is outside these bounds, naming {@code what} and the bound. */
    public void check(String what, Result r) {
        if (!holds(r))
            throw new IllegalStateException("[" + what + "] the cuda step differs from the CPU backend's: " + r + " (" + this + ")");
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s bounds: loss %.0e, relative L2 %.2g, worst %.2g: %s", name(), loss, gradL2, worst, reason);
    }
}
