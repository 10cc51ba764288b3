package kr.engine.backend.vector;

import java.util.Arrays;

/**
 * An elementwise traversal of several strided operands, cut into runs along the innermost dim.
 * Dims of size 1 are dropped and neighbouring dims that every operand walks with matching strides
 * are merged, so a contiguous tensor is one long run and {@code [N, C, H, W] op [1, C, 1, 1]} is
 * runs of H*W where the second operand has stride 0. Kernels then only see each operand's start
 * position and its fixed inner stride (1: contiguous, 0: broadcast, else strided).
 *
 * <pre>{@code
 * StridedRuns r = StridedRuns.of(outShape, new int[][] {outStrides, aStrides}, new int[] {0, a.offset()});
 * r.forEach(GRAIN, (pos, len, tile) -> ...);   // pos[k]: where operand k starts this run
 * }</pre>
 */
final class StridedRuns {
    /** Longest run handed to a kernel; bounds the scratch a kernel needs to pack an operand. */
    static final int MAX_RUN = 2048;

    private final int[] shape;
    private final int[][] strides;
    private final int[] offsets;
    private final int numel;

    /** One run: operand k starts at {@code pos[k]} (read-only) and advances by its inner stride for {@code len} elements. */
    @FunctionalInterface
    interface Body {
        void run(int[] pos, int len, Tile tile);
    }

    /** Per-chunk scratch for packing strided or broadcast operands into dense runs. */
    static final class Tile {
        private final float[][] bufs = new float[4][];

        /** Operand data as a dense run in scratch slot {@code k}: a gather (any stride) or a fill (stride 0). */
        float[] pack(int k, float[] src, int pos, int stride, int len) {
            float[] b = bufs[k];
            if (b == null) b = bufs[k] = new float[MAX_RUN];
            if (stride == 0) Arrays.fill(b, 0, len, src[pos]);
            else for (int i = 0; i < len; i++) b[i] = src[pos + i * stride];
            return b;
        }
    }

    private StridedRuns(int[] shape, int[][] strides, int[] offsets, int numel) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        this.numel = numel;
    }

    /** Collapses {@code shape} walked by operands with {@code strides[k]} starting at {@code offsets[k]}. */
    static StridedRuns of(int[] shape, int[][] strides, int[] offsets) {
        int ops = strides.length, r = shape.length;
        long n = 1;
        for (int s : shape) n *= s;
        int[] cs = new int[Math.max(r, 1)];
        int[][] cst = new int[ops][Math.max(r, 1)];
        int m = 0;
        for (int d = 0; d < r; d++) {
            if (shape[d] == 1) continue;
            boolean merge = m > 0;
            for (int k = 0; merge && k < ops; k++) merge = cst[k][m - 1] == strides[k][d] * shape[d];
            if (merge) {
                cs[m - 1] *= shape[d];
                for (int k = 0; k < ops; k++) cst[k][m - 1] = strides[k][d];
            } else {
                cs[m] = shape[d];
                for (int k = 0; k < ops; k++) cst[k][m] = strides[k][d];
                m++;
            }
        }
        if (m == 0) { // a single element (or none): one run of length numel
            cs[0] = (int) n;
            m = 1;
        }
        int[][] st = new int[ops][];
        for (int k = 0; k < ops; k++) st[k] = Arrays.copyOf(cst[k], m);
        return new StridedRuns(Arrays.copyOf(cs, m), st, offsets.clone(), (int) n);
    }

    int numel() {
        return numel;
    }

    /** Rank after collapsing (at least 1). */
    int rank() {
        return shape.length;
    }

    int size(int d) {
        return shape[d];
    }

    int stride(int k, int d) {
        return strides[k][d];
    }

    int offset(int k) {
        return offsets[k];
    }

    /** Stride of operand k along the run (1 contiguous, 0 broadcast). */
    int innerStride(int k) {
        return strides[k][shape.length - 1];
    }

    /** Runs {@code body} over all runs, split over threads by element ranges of at least {@code grain}. */
    void forEach(int grain, Body body) {
        Parallel.forRange(numel, grain, (c, lo, hi) -> walk(lo, hi, body));
    }

    /** Visits the runs covering logical elements {@code [lo, hi)} in row-major order. */
    void walk(int lo, int hi, Body body) {
        int r = shape.length, ops = offsets.length, inner = shape[r - 1];
        int[] idx = new int[r];
        int[] base = offsets.clone();
        int row = lo / inner, col = lo % inner;
        for (int d = r - 2; d >= 0; d--) {
            idx[d] = row % shape[d];
            row /= shape[d];
            for (int k = 0; k < ops; k++) base[k] += idx[d] * strides[k][d];
        }
        int[] pos = new int[ops];
        Tile tile = new Tile();
        for (int cur = lo; cur < hi;) {
            int len = Math.min(Math.min(inner - col, hi - cur), MAX_RUN);
            for (int k = 0; k < ops; k++) pos[k] = base[k] + col * strides[k][r - 1];
            body.run(pos, len, tile);
            cur += len;
            col += len;
            if (col == inner && cur < hi) {
                col = 0;
                for (int d = r - 2; d >= 0; d--) { // odometer over the outer dims
                    for (int k = 0; k < ops; k++) base[k] += strides[k][d];
                    if (++idx[d] < shape[d]) break;
                    idx[d] = 0;
                    for (int k = 0; k < ops; k++) base[k] -= strides[k][d] * shape[d];
                }
            }
        }
    }
}
