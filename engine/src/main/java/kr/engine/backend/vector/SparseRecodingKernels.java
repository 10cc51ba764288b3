package kr.engine.backend.vector;

import static kr.engine.backend.vector.Vec.GRAIN;
import static kr.engine.backend.vector.Vec.L;
import static kr.engine.backend.vector.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import kr.engine.Tensor;

/**
 * KR's fused sparse-recoding kernel ({@link kr.engine.backend.KrKernels#sparseRecoding}): one pass
 * over a parameter reads the prior, the weight and the gradient, builds the mask
 * {@code |A| >= threshold} in registers, adds {@code beta * M * (W - A)} to the gradient and
 * accumulates {@code M * (W - A)^2}; no temporaries. Per-chunk partial sums are combined in chunk
 * order, so the logged value is reproducible for a fixed thread count.
 */
final class SparseRecodingKernels {
    private SparseRecodingKernels() {}

    static double sparseRecoding(Tensor grad, Tensor w, Tensor prior, double threshold, double beta) {
        Tensor wd = Vec.dense(w), ad = Vec.dense(prior);
        float[] ga = Vec.floats(grad), wa = Vec.floats(wd), aa = Vec.floats(ad);
        int go = grad.offset(), wo = wd.offset(), ao = ad.offset(), n = grad.numel();
        // the smallest float >= threshold: for float |a|, |a| >= t exactly when |a| >= threshold
        float t = (float) threshold;
        if (t < threshold) t = Math.nextUp(t);
        final float thr = t, b = (float) beta;
        double[] part = new double[Math.max(Parallel.chunks(n, GRAIN), 1)];
        Parallel.forRange(n, GRAIN, (c, lo, hi) -> {
            FloatVector acc = FloatVector.zero(S);
            double total = 0;
            int i = lo, ub = lo + S.loopBound(hi - lo), pending = 0;
            for (; i < ub; i += L) {
                FloatVector a = FloatVector.fromArray(S, aa, ao + i);
                VectorMask<Float> m = a.abs().compare(VectorOperators.GE, thr);
                FloatVector d = FloatVector.fromArray(S, wa, wo + i).sub(a);
                FloatVector.fromArray(S, ga, go + i).add(d.mul(b), m).intoArray(ga, go + i);
                acc = acc.add(d.mul(d), m);
                if ((pending += L) >= Vec.FLUSH) { // bounded float blocks flushed into a double
                    total += Vec.sumLanes(acc);
                    acc = FloatVector.zero(S);
                    pending = 0;
                }
            }
            total += Vec.sumLanes(acc);
            for (; i < hi; i++) {
                float a = aa[ao + i];
                if (Math.abs(a) < thr) continue;
                float d = wa[wo + i] - a;
                ga[go + i] += b * d;
                total += d * d;
            }
            part[c] = total;
        });
        double s = 0;
        for (double p : part) s += p;
        return s;
    }
}
