package kr.engine.backend.vector;

import java.util.Arrays;
import kr.engine.backend.Conv2dParams;

/**
 * Float32 2-d convolution (forward, backward-input, backward-weight) on contiguous NCHW arrays,
 * PyTorch semantics: stride, padding, dilation, groups; no bias.
 *
 * <p>Three algorithms, chosen per call ({@link Path}; measurements in bench/NOTES.md):
 * <ul>
 *   <li>{@link DirectConv}: implicit GEMM over a padded (stride-phase split) copy of each image, no
 *       im2col; the default whenever the batch splits evenly over threads.
 *   <li>im2col + {@link Gemm} per image and group with a per-thread column buffer (1x1 stride-1
 *       layers read the input in place); used for small odd batches, where the GEMM itself is split
 *       over threads, and for the forward pass of 1x1 strided layers. Backward-input is
 *       {@code W^T x dY} then col2im.
 *   <li>{@link Depthwise} (groups == channels): vectorized across channels.
 * </ul>
 * Weight gradients sum per-thread partials in chunk order: deterministic for a fixed thread count.
 *
 * <pre>{@code
 * ConvKernels.Geometry g = ConvKernels.Geometry.of(new int[] {8, 16, 32, 32}, new int[] {16, 16, 3, 3}, Conv2dParams.of(1, 1));
 * float[] y = new float[g.outputSize()];
 * ConvKernels.forward(x, 0, w, 0, y, g);
 * }</pre>
 */
public final class ConvKernels {
    private ConvKernels() {}

    /** Sizes of one convolution: input [n, c, h, w], weight [co, cg, kh, kw], output [n, co, ho, wo]. */
    public record Geometry(int n, int c, int h, int w, int co, int cg, int kh, int kw, int ho, int wo, Conv2dParams p) {
        public static Geometry of(int[] xs, int[] ws, Conv2dParams p) {
            return new Geometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[2], ws[3], p.outH(xs[2], ws[2]), p.outW(xs[3], ws[3]), p);
        }

        int groups() {
            return p.groups();
        }

        /** Output channels per group. */
        int cog() {
            return co / p.groups();
        }

        /** Rows of the column matrix: one per (input channel of the group, ky, kx). */
        int kdim() {
            return cg * kh * kw;
        }

        int inPlane() {
            return h * w;
        }

        int outPlane() {
            return ho * wo;
        }

        public int inputSize() {
            return n * c * h * w;
        }

        public int outputSize() {
            return n * co * ho * wo;
        }

        public int weightSize() {
            return co * cg * kh * kw;
        }

        boolean depthwise() {
            return cg == 1 && p.groups() == c && p.groups() > 1;
        }

        /** A 1x1 kernel at stride 1 without padding reads the input planes as they are. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0 && p.padW() == 0;
        }
    }

    /** Per-thread column buffer, grown on demand and kept for the next call. */
    private static final ThreadLocal<float[][]> COLUMNS = ThreadLocal.withInitial(() -> new float[1][0]);

    private static float[] columns(int size) {
        float[][] holder = COLUMNS.get();
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }

    /**
     * Images are split over threads when there are enough of them to balance; otherwise each GEMM
     * is split instead (GEMM results do not depend on its split, so both give the same bits).
     */
    private static boolean overImages(int n) {
        int t = Parallel.chunks(Integer.MAX_VALUE, 1); // 1 when single-threaded or already inside a parallel region
        return t == 1 || n % t == 0 || n >= 4 * t;
    }

    // ------------------------------------------------------------------ forward

    /** {@code y[n, co, ho, wo] = conv(x, w)}; y is fully overwritten. */
    public static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, Geometry g) {
        if (g.depthwise()) {
            Depthwise.forward(x, xOff, w, wOff, y, g);
            return;
        }
        boolean images = overImages(g.n());
        if (direct(g, images, Pass.FORWARD)) {
            DirectConv.Forward plan = DirectConv.Forward.of(w, wOff, g);
            Parallel.forRange(g.n(), 1, (chunk, lo, hi) -> DirectConv.forward(x, xOff, y, g, lo, hi, plan));
            return;
        }
        Parallel.forRange(g.n(), images ? 1 : Integer.MAX_VALUE, (chunk, lo, hi) -> {
            for (int b = lo; b < hi; b++) forwardImage(x, xOff, w, wOff, y, g, b, !images);
        });
    }

    /** Which algorithm runs grouped (non-depthwise) convolutions. */
    enum Path {
        /** {@link DirectConv} when images can be split over threads, except 1x1 forward passes and AVX-512's strided 1x1 backward-input (see {@link #direct}); else im2col + GEMM. */
        AUTO,
        /** {@link DirectConv} whenever it applies (tests). */
        DIRECT,
        /** im2col + GEMM always (tests and comparisons). */
        IM2COL,
        /** {@link DirectConv} with its position kernels (rows of output positions by vectors of channels) for every pass it applies to (tests). */
        POSITIONS
    }

    /** The installed engine configuration's {@code convPath} (-Dkr.conv.path=auto|direct|im2col, or a test's scope). */
    static Path path() {
        return Path.valueOf(kr.engine.backend.Backends.config().convPath().toUpperCase(java.util.Locale.ROOT));
    }

    /** The pass that asks {@link #direct}. */
    private enum Pass {
        FORWARD, BACKWARD_INPUT, BACKWARD_WEIGHT
    }

    /**
     * Measured (bench/NOTES.md): the direct path wins for every 3x3 layer of ResNet-20 in all three
     * passes and for both gradients of the 1x1 stride-2 shortcuts; for their forward pass im2col (a
     * strided subsample) + GEMM is 2-3x faster. 1x1 stride-1 layers need no im2col at all. At AVX-512
     * the shortcuts' backward-input is also faster by GEMM into columns and a scatter (Ice Lake Xeon,
     * C29: 16->32 2.47 ms against 4.29, 32->64 1.81 against 2.54; AVX2 measured no better, 2.84 / 2.06
     * against 2.74 / 1.74, so it keeps the direct pass).
     */
    private static boolean direct(Geometry g, boolean images, Pass pass) {
        if (!DirectConv.applies(g)) return false;
        boolean byGemm = g.kh() * g.kw() == 1 && (pass == Pass.FORWARD || pass == Pass.BACKWARD_INPUT && Kernels.WIDE && (g.p().strideH() > 1 || g.p().strideW() > 1));
        return switch (path()) {
            case AUTO -> images && !g.pointwise() && !byGemm;
            case DIRECT, POSITIONS -> true;
            case IM2COL -> false;
        };
    }

    private static void forwardImage(float[] x, int xOff, float[] w, int wOff, float[] y, Geometry g, int b, boolean parallel) {
        int cog = g.cog(), kd = g.kdim(), ohw = g.outPlane();
        for (int gi = 0; gi < g.groups(); gi++) {
            int xi = xOff + (b * g.c() + gi * g.cg()) * g.inPlane();
            int yi = (b * g.co() + gi * cog) * ohw;
            int wi = wOff + gi * cog * kd;
            if (g.pointwise()) {
                Gemm.sgemm(false, false, cog, ohw, kd, 1f, w, wi, kd, x, xi, ohw, 0f, y, yi, ohw, parallel);
            } else {
                float[] col = columns(kd * ohw);
                im2col(x, xi, g, col);
                Gemm.sgemm(false, false, cog, ohw, kd, 1f, w, wi, kd, col, 0, ohw, 0f, y, yi, ohw, parallel);
            }
        }
    }

    /**
     * Unfolds one group of one image ({@code cg} planes at {@code xi}) into {@code col[kdim][ho*wo]}:
     * row (ci, ky, kx) holds the input pixel under that tap for every output position, 0 in the padding.
     */
    static void im2col(float[] x, int xi, Geometry g, float[] col) {
        unfold(x, xi, g, col, true);
    }

    /** Adds the column matrix back onto one group of one image: the adjoint of {@link #im2col}. */
    static void col2im(float[] col, Geometry g, float[] x, int xi) {
        unfold(x, xi, g, col, false);
    }

    /** The (tap, output row) walk shared by im2col ({@code toColumns}) and col2im (adding back). */
    private static void unfold(float[] x, int xi, Geometry g, float[] col, boolean toColumns) {
        Conv2dParams p = g.p();
        int h = g.h(), w = g.w(), ho = g.ho(), wo = g.wo(), ohw = ho * wo;
        int sh = p.strideH(), sw = p.strideW(), ph = p.padH(), pw = p.padW(), dh = p.dilationH(), dw = p.dilationW();
        int row = 0;
        for (int ci = 0; ci < g.cg(); ci++) {
            int plane = xi + ci * h * w;
            for (int ky = 0; ky < g.kh(); ky++)
                for (int kx = 0; kx < g.kw(); kx++, row++) {
                    int c = row * ohw;
                    int shift = kx * dw - pw;
                    // output columns whose input column ox*sw + shift lies inside [0, w)
                    int lo = Math.max(0, Math.min(wo, ceilDiv(-shift, sw))), hi = Math.max(lo, Math.min(wo, ceilDiv(w - shift, sw)));
                    for (int oy = 0; oy < ho; oy++, c += wo) {
                        int iy = oy * sh - ph + ky * dh, xr = plane + iy * w + shift;
                        boolean inside = iy >= 0 && iy < h;
                        if (!toColumns) {
                            if (!inside) continue;
                            if (sw == 1) for (int ox = lo; ox < hi; ox++) x[xr + ox] += col[c + ox];
                            else for (int ox = lo; ox < hi; ox++) x[xr + ox * sw] += col[c + ox];
                        } else if (!inside) {
                            java.util.Arrays.fill(col, c, c + wo, 0f);
                        } else {
                            java.util.Arrays.fill(col, c, c + lo, 0f);
                            if (sw == 1) System.arraycopy(x, xr + lo, col, c + lo, hi - lo);
                            else for (int ox = lo; ox < hi; ox++) col[c + ox] = x[xr + ox * sw];
                            java.util.Arrays.fill(col, c + hi, c + wo, 0f);
                        }
                    }
                }
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    // ------------------------------------------------------------------ backward input

    /** {@code gx[n, c, h, w]} = gradient of conv2d with respect to its input; gx is fully overwritten. */
    public static void backwardInput(float[] gy, int gyOff, float[] w, int wOff, float[] gx, Geometry g) {
        if (g.depthwise()) {
            Depthwise.backwardInput(gy, gyOff, w, wOff, gx, g);
            return;
        }
        boolean images = overImages(g.n());
        if (direct(g, images, Pass.BACKWARD_INPUT)) {
            DirectConv.BackwardInput plan = DirectConv.BackwardInput.of(w, wOff, g);
            Parallel.forRange(g.n(), 1, (chunk, lo, hi) -> DirectConv.backwardInput(gy, gyOff, gx, g, lo, hi, plan));
            return;
        }
        Parallel.forRange(g.n(), images ? 1 : Integer.MAX_VALUE, (chunk, lo, hi) -> {
            for (int b = lo; b < hi; b++) backwardInputImage(gy, gyOff, w, wOff, gx, g, b, !images);
        });
    }

    private static void backwardInputImage(float[] gy, int gyOff, float[] w, int wOff, float[] gx, Geometry g, int b, boolean parallel) {
        int cog = g.cog(), kd = g.kdim(), ohw = g.outPlane();
        for (int gi = 0; gi < g.groups(); gi++) {
            int xi = (b * g.c() + gi * g.cg()) * g.inPlane();
            int yi = gyOff + (b * g.co() + gi * cog) * ohw;
            int wi = wOff + gi * cog * kd;
            if (g.pointwise()) {
                Gemm.sgemm(true, false, kd, ohw, cog, 1f, w, wi, kd, gy, yi, ohw, 0f, gx, xi, ohw, parallel);
            } else {
                float[] col = columns(kd * ohw);
                Gemm.sgemm(true, false, kd, ohw, cog, 1f, w, wi, kd, gy, yi, ohw, 0f, col, 0, ohw, parallel);
                java.util.Arrays.fill(gx, xi, xi + g.cg() * g.inPlane(), 0f);
                col2im(col, g, gx, xi);
            }
        }
    }

    // ------------------------------------------------------------------ backward weight

    /**
     * The weight gradient's per-chunk partials, kept by the calling thread across calls (the op runs on one caller at a
     * time; each chunk's worker zeroes its own): allocated per call they were a fresh 1.2 MB array at AVX2's 64->64 each
     * pass, wherever the young generation put it (C22).
     */
    private static final class Partials {
        float[][] arrays = new float[0][];

        float[][] take(int chunks, int size) {
            if (arrays.length < chunks) arrays = Arrays.copyOf(arrays, chunks);
            for (int c = 0; c < chunks; c++)
                if (arrays[c] == null || arrays[c].length < size) arrays[c] = new float[size];
            return arrays;
        }
    }

    private static final ThreadLocal<Partials> PARTIALS = ThreadLocal.withInitial(Partials::new);

    /** {@code gw[co, cg, kh, kw]} = gradient of conv2d with respect to its weight; gw is fully overwritten. */
    public static void backwardWeight(float[] gy, int gyOff, float[] x, int xOff, float[] gw, Geometry g) {
        if (g.depthwise()) {
            Depthwise.backwardWeight(gy, gyOff, x, xOff, gw, g);
            return;
        }
        boolean images = overImages(g.n());
        if (direct(g, images, Pass.BACKWARD_WEIGHT)) {
            DirectConv.WeightPlan plan = DirectConv.WeightPlan.of(g);
            int chunks = Parallel.chunks(g.n(), 1), size = plan.size(g);
            float[][] partial = PARTIALS.get().take(chunks, size);
            Parallel.forRange(g.n(), 1, (chunk, lo, hi) -> {
                Arrays.fill(partial[chunk], 0, size, 0f);
                DirectConv.backwardWeight(gy, gyOff, x, xOff, partial[chunk], g, lo, hi, plan);
            });
            for (int ch = 1; ch < chunks; ch++) // fixed summation order: deterministic for a given thread count
                for (int i = 0; i < size; i++) partial[0][i] += partial[ch][i];
            DirectConv.unpackWeightGradient(partial[0], g, plan, gw);
            return;
        }
        int chunks = images ? Parallel.chunks(g.n(), 1) : 1;
        float[][] partial = new float[chunks][];
        partial[0] = gw;
        Parallel.forRange(g.n(), images ? 1 : Integer.MAX_VALUE, (chunk, lo, hi) -> {
            float[] acc = chunk == 0 ? gw : (partial[chunk] = new float[gw.length]);
            for (int b = lo; b < hi; b++) backwardWeightImage(gy, gyOff, x, xOff, acc, g, b, b > lo, !images);
        });
        // fixed summation order over chunks: deterministic for a given thread count
        for (int ch = 1; ch < chunks; ch++) {
            float[] pc = partial[ch];
            for (int i = 0; i < gw.length; i++) gw[i] += pc[i];
        }
    }

    private static void backwardWeightImage(float[] gy, int gyOff, float[] x, int xOff, float[] gw, Geometry g, int b, boolean accumulate,
            boolean parallel) {
        int cog = g.cog(), kd = g.kdim(), ohw = g.outPlane();
        for (int gi = 0; gi < g.groups(); gi++) {
            int xi = xOff + (b * g.c() + gi * g.cg()) * g.inPlane();
            int yi = gyOff + (b * g.co() + gi * cog) * ohw;
            int wi = gi * cog * kd;
            float beta = accumulate ? 1f : 0f;
            if (g.pointwise()) {
                Gemm.sgemm(false, true, cog, kd, ohw, 1f, gy, yi, ohw, x, xi, ohw, beta, gw, wi, kd, parallel);
            } else {
                float[] col = columns(kd * ohw);
                im2col(x, xi, g, col);
                Gemm.sgemm(false, true, cog, kd, ohw, 1f, gy, yi, ohw, col, 0, ohw, beta, gw, wi, kd, parallel);
            }
        }
    }
}
