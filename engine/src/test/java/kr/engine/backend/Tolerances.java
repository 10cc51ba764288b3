package kr.engine.backend;

/**
 * The one tolerance table of the backend conformance suite: a candidate value {@code a} matches the
 * float64 reference {@code e} when {@code |a - e| <= atol + rtol * |e|} (NaN must meet NaN and an
 * infinity the same infinity). Each kernel family says why its bound is what it is; the bounds are
 * sized for the suite's inputs (values of order 1, reductions of at most ~10^5 terms). A whole
 * training step is compared in norms instead (kr.cuda.StepBounds, in the kernels module): a network
 * amplifies rounding far beyond one kernel's bound.
 */
public enum Tolerances {
    EXACT(0, 0, "copies, views, casts, compare, where, argmax, max/relu/abs/neg/sign and max pooling move or select values without arithmetic"),
    ROUNDED(0, 1.2e-7, "add/sub/mul/div/sqrt/square are IEEE float32 ops: one rounding of the exact result, half an ulp (2^-24 relative)"),
    TRANSCENDENTAL(2e-7, 2e-6, "exp/log/tanh/sigmoid/pow: CUDA math functions are a few ulp off, plus float32 rounding (the vector backend rounds the reference once)"),
    SUM(1e-4, 2e-6, "sums and sums of squares of up to 1e5 O(1) terms: float32 lane sums flushed into double; error ~ sqrt(n)*ulp(partials), not ~|result|"),
    DOT(1e-4, 1e-4, "matmul and conv2d (+ backward): float32 dot products of up to ~600 O(1) terms; blocked kernels reorder the sum"),
    POOL(1e-7, 5e-7, "average pooling and pooling gradients: float32 sums of up to kernel^2 overlapping terms, then a division"),
    NORM(2e-6, 2e-5, "batchNorm forward/backward: float32 statistics over N*H*W, 1/sqrt(var+eps) amplifies the variance error"),
    SOFTMAX(2e-6, 2e-6, "logSoftmax: float32 max, a sum of exps (few-ulp exp) and a log, subtracted from inputs of order 10"),
    UPDATE(5e-7, 2e-6, "addInto/scaleInPlace/sgd/adam: a few float32 ops on O(1) terms (alpha, lr rounded to float32); results may cancel"),
    END_TO_END(1e-4, 1e-3, "forward+backward of a small network: float32 errors of every kernel compound through ~20 ops"),
    TF32(3e-2, 1e-2, "matmul/conv2d on TF32 tensor cores (cuda, -Dkr.tf32=true): operands rounded to 10-bit mantissas (2^-11 each), float32 sums;"
            + " ~sqrt(K)*2^-10*|a||b| for K <= 256 O(1) terms, up to 4 sigma");

    public final double atol;
    public final double rtol;
    public final String reason;

    Tolerances(double atol, double rtol, String reason) {
        this.atol = atol;
        this.rtol = rtol;
        this.reason = reason;
    }

    /** Whether {@code actual} is within this family's bound of {@code expected}. */
    public boolean close(double actual, double expected) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) return actual == expected;
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }

    @Override
    public String toString() {
        return name() + "(atol=" + atol + ", rtol=" + rtol + ": " + reason + ")";
    }
}
