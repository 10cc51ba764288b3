package kr.distill;

import java.util.Locale;
import kr.engine.Shapes;
import kr.engine.Tensor;

/**
 * Knowledge aggregation (KR, Liu et al. 2019): pools a teacher convolution's weights
 * {@code [CoT, CiT, kT, kT]} to a student layer's shape {@code [CoS, CiS, kS, kS]}.
 * <ul>
 *   <li>output filters: the CoT filters are split into CoS contiguous, disjoint groups and each group is pooled into one filter ({@link FilterPool}, mean by default);
 *   <li>input channels: the CiT channels are split into CiS groups and SUMMED, so that a convolution
 *       of an input that is constant within each group (the student's input as the group average)
 *       gives the same response;
 *   <li>kernel: when kT > kS the taps are pooled spatially over adaptive windows ({@link SpatialPool},
 *       sum by default for the same reason); when {@code kT < kS} the teacher kernel is centred in zeros.
 * </ul>
 * A linear layer {@code [out, in]} is pooled the same way as a 1x1 convolution.
 *
 * <pre>{@code Tensor prior = Aggregation.pool(teacherConv.weight, new int[] {16, 16, 3, 3}, FilterPool.MEAN, SpatialPool.SUM); }</pre>
 */
public final class Aggregation {
    private Aggregation() {}

    /** How the filters of one output group become one filter. */
    public enum FilterPool {
        /** Element-wise mean of the group's filters (default). */
        MEAN,
        /** Element-wise, the entry of largest magnitude (sign kept). */
        MAX_MAGNITUDE,
        /** Element-wise root mean square, with the sign of the mean. */
        L2;

        public static FilterPool parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** How kT x kT taps become kS x kS taps when the teacher kernel is larger. */
    public enum SpatialPool {
        /** Sum over each window: preserves the response to locally constant inputs (default). */
        SUM,
        /** Mean over each window. */
        MEAN;

        public static SpatialPool parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** Start of group g when n items are split into m <= n contiguous, disjoint, non-empty groups. */
    static int lo(int g, int n, int m) {
        return (int) ((long) g * n / m);
    }

    /** End (exclusive) of group g; see {@link #lo}. */
    static int hi(int g, int n, int m) {
        return (int) ((long) (g + 1) * n / m);
    }

    /** Pools teacher weight {@code w} (2-d or 4-d) to {@code target} (same rank). */
    public static Tensor pool(Tensor w, int[] target, FilterPool fp, SpatialPool sp) {
        int[] ws = w.shape();
        if (ws.length != target.length || (ws.length != 4 && ws.length != 2))
            throw new IllegalArgumentException("[aggregate] cannot pool teacher weight " + Shapes.str(ws) + " to student shape " + Shapes.str(target));
        if (ws.length == 2) {
            Tensor r = pool(w.reshape(ws[0], ws[1], 1, 1), new int[] {target[0], target[1], 1, 1}, fp, sp);
            return r.reshape(target);
        }
        if (ws[2] != ws[3] || target[2] != target[3])
            throw new IllegalArgumentException("[aggregate] only square kernels are supported, got " + Shapes.str(ws) + " -> " + Shapes.str(target));
        int coT = ws[0], ciT = ws[1], kT = ws[2], coS = target[0], ciS = target[1], kS = target[2];
        if (coS > coT || ciS > ciT)
            throw new IllegalArgumentException("[aggregate] the student layer " + Shapes.str(target) + " is wider than the teacher's "
                    + Shapes.str(ws) + "; aggregation only pools down");
        double[] v = w.detach().toDoubleArray();
        // 1) input channels: sum within groups -> [coT, ciS, kT, kT]
        double[] a = new double[coT * ciS * kT * kT];
        for (int o = 0; o < coT; o++)
            for (int g = 0; g < ciS; g++)
                for (int i = lo(g, ciT, ciS); i < hi(g, ciT, ciS); i++)
                    for (int t = 0; t < kT * kT; t++) a[((o * ciS + g) * kT * kT) + t] += v[(o * ciT + i) * kT * kT + t];
        // 2) output filters: pool within groups -> [coS, ciS, kT, kT]
        int fl = ciS * kT * kT;
        double[] b = new double[coS * fl];
        for (int g = 0; g < coS; g++) {
            int from = lo(g, coT, coS), to = hi(g, coT, coS), n = to - from;
            for (int e = 0; e < fl; e++) {
                double sum = 0, sq = 0, best = 0;
                for (int o = from; o < to; o++) {
                    double x = a[o * fl + e];
                    sum += x;
                    sq += x * x;
                    if (Math.abs(x) > Math.abs(best)) best = x;
                }
                b[g * fl + e] = switch (fp) {
                    case MEAN -> sum / n;
                    case MAX_MAGNITUDE -> best;
                    case L2 -> Math.copySign(Math.sqrt(sq / n), sum);
                };
            }
        }
        // 3) kernel taps
        double[] c = new double[coS * ciS * kS * kS];
        for (int f = 0; f < coS * ciS; f++) {
            if (kT >= kS) {
                for (int y = 0; y < kS; y++)
                    for (int x = 0; x < kS; x++) {
                        double s = 0;
                        int cnt = 0;
                        for (int ty = lo(y, kT, kS); ty < hi(y, kT, kS); ty++)
                            for (int tx = lo(x, kT, kS); tx < hi(x, kT, kS); tx++) {
                                s += b[f * kT * kT + ty * kT + tx];
                                cnt++;
                            }
                        c[f * kS * kS + y * kS + x] = sp == SpatialPool.SUM ? s : s / cnt;
                    }
            } else {
                int off = (kS - kT) / 2;
                for (int y = 0; y < kT; y++)
                    for (int x = 0; x < kT; x++) c[f * kS * kS + (y + off) * kS + x + off] = b[f * kT * kT + y * kT + x];
            }
        }
        return Tensor.of(c, target).to(w.dtype());
    }
}
