package kr.distill;

import java.util.Arrays;
import kr.engine.Tensor;

/**
 * The sparse recoding penalty of KR: only the most important entries of a prior {@code A} (mask
 * {@code M = |A| >= threshold}) pull the student weight {@code W}; the student's gradient gets
 * {@code beta * M * (W - A)}, the gradient of {@code beta/2 * ||M * (W - A)||^2}.
 */
public final class SparseRecoding {
    private SparseRecoding() {}

    /** The smallest |A| kept when keeping the top {@code rho} fraction by magnitude (rho in (0, 1]). */
    public static double topRhoThreshold(Tensor prior, double rho) {
        if (!(rho > 0 && rho <= 1)) throw new IllegalArgumentException("[kr] rho must be in (0, 1], got " + rho);
        double[] a = prior.detach().toDoubleArray();
        for (int i = 0; i < a.length; i++) a[i] = Math.abs(a[i]);
        Arrays.sort(a);
        int keep = (int) Math.max(1, Math.ceil(rho * a.length));
        return a[a.length - keep];
    }

    /** Threshold for the soft mode {@code |A| > lambda}. */
    public static double softThreshold(double lambda) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("[kr] lambda must be >= 0, got " + lambda);
        return Math.nextUp(lambda);
    }

    /** The mask {@code |A| >= threshold} as 0/1 values (composed reference). */
    public static Tensor mask(Tensor prior, double threshold) {
        return prior.abs().ge(threshold);
    }

    /**
     * The penalty {@code beta/2 * ||M * (W - A)||^2} composed of primitives; its gradient with respect
     * to W is the penalty gradient. This is the reference the fused kernel is tested against.
     */
    public static Tensor penalty(Tensor w, Tensor prior, double threshold, double beta) {
        Tensor d = w.sub(prior.detach()).mul(mask(prior.detach(), threshold));
        return d.mul(d).sum().mul(beta / 2);
    }
}
