package kr.engine.backend.vector;

import static kr.engine.backend.vector.Vec.L;
import static kr.engine.backend.vector.Vec.S;

import jdk.incubator.vector.FloatVector;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.ReduceOp;

/**
 * Float32 reductions. A contiguous input whose reduced and kept dims collapse into at most four
 * blocks {@code [Ko, Rm, Ki, Ri]} (trailing, leading, middle and the per-channel
 * {@code [N, C, H, W] -> [1, C, 1, 1]} cases) is reduced in place; other patterns are first
 * permuted into {@code [kept..., reduced...]} and copied. Each output element is produced by one
 * thread in a fixed order, so results do not depend on scheduling.
 */
final class Reductions {
    private Reductions() {}

    /** Rows of {@code Ki} kept elements processed together in the {@code Ri == 1} case (fits L1). */
    private static final int COL_TILE = 1024;
    /** Rows summed in float32 before flushing into the double totals. */
    private static final int ROW_FLUSH = 64;

    static Tensor reduce(ReduceOp op, Tensor x, boolean[] dims) {
        int[] xs = x.shape();
        int[] os = xs.clone();
        for (int d = 0; d < xs.length; d++) if (dims[d]) os[d] = 1;
        // collapse into alternating kept/reduced blocks, dropping size-1 dims
        int[] size = new int[xs.length];
        boolean[] red = new boolean[xs.length];
        int nb = 0;
        for (int d = 0; d < xs.length; d++) {
            if (xs[d] == 1) continue;
            if (nb > 0 && red[nb - 1] == dims[d]) size[nb - 1] *= xs[d];
            else {
                size[nb] = xs[d];
                red[nb++] = dims[d];
            }
        }
        long[] blk = canonical(size, red, nb); // {Ko, Rm, Ki, Ri} or null
        Tensor in;
        if (blk != null) in = Vec.dense(x);
        else { // permute to [kept..., reduced...] and copy: one trailing reduction
            int r = xs.length, k = 0;
            int[] perm = new int[r];
            for (int d = 0; d < r; d++) if (!dims[d]) perm[k++] = d;
            for (int d = 0; d < r; d++) if (dims[d]) perm[k++] = d;
            int[] ps = new int[r], pst = new int[r], st = x.strides();
            long kept = 1;
            for (int d = 0; d < r; d++) {
                ps[d] = xs[perm[d]];
                pst[d] = st[perm[d]];
                if (!dims[perm[d]]) kept *= ps[d];
            }
            in = Elementwise.copy(Tensor.wrap(x.storage(), ps, pst, x.offset()));
            blk = new long[] {kept, 1, 1, Shapes.numel(xs) / Math.max(kept, 1)};
        }
        int ko = (int) blk[0], rm = (int) blk[1], ki = (int) blk[2], ri = (int) blk[3];
        float[] a = Vec.floats(in), y = Vec.out(ko * ki);
        int base = in.offset();
        boolean sum = op == ReduceOp.SUM;
        if (ri > 1 || ki == 1) { // each output is a sum of rm runs of ri contiguous elements
            Parallel.forRange(ko * ki, Vec.grainFor((long) rm * ri), (c, lo, hi) -> {
                for (int o = lo; o < hi; o++) {
                    int start = base + ((o / ki) * rm * ki + o % ki) * ri;
                    y[o] = sum ? (float) Vec.sumRuns(a, start, rm, ki * ri, ri) : Vec.maxRuns(a, start, rm, ki * ri, ri);
                }
            });
        } else { // ri == 1: rows of ki contiguous outputs accumulate rm input rows
            Parallel.forRange(ko * ki, Vec.grainFor(rm), (c, lo, hi) -> {
                for (int o = lo; o < hi;) {
                    int row = o / ki, col = o % ki, len = Math.min(Math.min(ki - col, hi - o), COL_TILE);
                    int start = base + row * rm * ki + col;
                    if (sum) sumRows(a, start, rm, ki, len, y, o);
                    else maxRows(a, start, rm, ki, len, y, o);
                    o += len;
                }
            });
        }
        return Vec.wrap(y, os);
    }

    /**
     * {@code [Ko, Rm, Ki, Ri]} sizes for blocks that fit the pattern K R K R read from the back (the
     * innermost block is Ri when reduced, Ki when kept; missing blocks are 1), else null.
     */
    private static long[] canonical(int[] size, boolean[] red, int nb) {
        long[] b = {1, 1, 1, 1};
        int slot = 3;
        for (int i = nb - 1; i >= 0; i--) {
            int want = red[i] ? 1 : 0; // slots 0, 2 are kept; 1, 3 reduced
            while (slot >= 0 && slot % 2 != want) slot--;
            if (slot < 0) return null;
            b[slot--] = size[i];
        }
        return b;
    }

    /** {@code y[yo + j] = sum_r a[start + r * stride + j]} for j < len: float32 rows flushed into doubles. */
    private static void sumRows(float[] a, int start, int rows, int stride, int len, float[] y, int yo) {
        float[] acc = new float[len];
        double[] tot = new double[len];
        int ub = S.loopBound(len);
        for (int r = 0; r < rows; r++) {
            int o = start + r * stride, j = 0;
            for (; j < ub; j += L) FloatVector.fromArray(S, acc, j).add(FloatVector.fromArray(S, a, o + j)).intoArray(acc, j);
            for (; j < len; j++) acc[j] += a[o + j];
            if ((r + 1) % ROW_FLUSH == 0 || r == rows - 1) {
                for (j = 0; j < len; j++) {
                    tot[j] += acc[j];
                    acc[j] = 0;
                }
            }
        }
        for (int j = 0; j < len; j++) y[yo + j] = (float) tot[j];
    }

    private static void maxRows(float[] a, int start, int rows, int stride, int len, float[] y, int yo) {
        java.util.Arrays.fill(y, yo, yo + len, Float.NEGATIVE_INFINITY);
        int ub = S.loopBound(len);
        for (int r = 0; r < rows; r++) {
            int o = start + r * stride, j = 0;
            for (; j < ub; j += L) FloatVector.fromArray(S, y, yo + j).max(FloatVector.fromArray(S, a, o + j)).intoArray(y, yo + j);
            for (; j < len; j++) y[yo + j] = Math.max(y[yo + j], a[o + j]);
        }
    }

    /** Index of the first maximum along {@code dim} (a NaN beats everything; the first NaN wins), as float32 values. */
    static Tensor argmax(Tensor x, int dim) {
        int[] xs = x.shape();
        int outer = 1, inner = 1, n = xs[dim];
        for (int d = 0; d < dim; d++) outer *= xs[d];
        for (int d = dim + 1; d < xs.length; d++) inner *= xs[d];
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), y = Vec.out(outer * inner);
        int base = in.offset(), ni = inner;
        Parallel.forRange(outer * inner, Vec.grainFor(n), (c, lo, hi) -> {
            for (int o = lo; o < hi; o++) {
                int start = base + (o / ni) * n * ni + o % ni, best = 0;
                float bv = a[start];
                for (int k = 1; k < n; k++) {
                    float v = a[start + k * ni];
                    if (v > bv || (Float.isNaN(v) && !Float.isNaN(bv))) {
                        bv = v;
                        best = k;
                    }
                }
                y[o] = best;
            }
        });
        int[] os = xs.clone();
        os[dim] = 1;
        return Vec.wrap(y, os);
    }

    /** Sum of squares in double: per-chunk partials combined in chunk order. */
    static double sumOfSquares(Tensor x) {
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in);
        int n = in.numel(), off = in.offset();
        double[] part = new double[Math.max(Parallel.chunks(n, Vec.GRAIN), 1)];
        Parallel.forRange(n, Vec.GRAIN, (c, lo, hi) -> part[c] = Vec.sumOfSquares(a, off + lo, hi - lo));
        double s = 0;
        for (double p : part) s += p;
        return s;
    }

    /** Logical index of the first NaN or infinity, or -1. */
    static long firstNonFinite(Tensor x) {
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in);
        int n = in.numel(), off = in.offset();
        long[] first = new long[Math.max(Parallel.chunks(n, Vec.GRAIN), 1)];
        java.util.Arrays.fill(first, -1);
        Parallel.forRange(n, Vec.GRAIN, (c, lo, hi) -> {
            int i = lo, ub = lo + S.loopBound(hi - lo);
            for (; i < ub; i += L) {
                // |v| <= MAX_VALUE fails exactly for NaN and +-infinity
                if (!FloatVector.fromArray(S, a, off + i).abs().compare(jdk.incubator.vector.VectorOperators.LE, Float.MAX_VALUE).allTrue()) break;
            }
            for (; i < hi; i++) {
                if (!Float.isFinite(a[off + i])) {
                    first[c] = i;
                    return;
                }
            }
        });
        for (long f : first) if (f >= 0) return f;
        return -1;
    }
}
