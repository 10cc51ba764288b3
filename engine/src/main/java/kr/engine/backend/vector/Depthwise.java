package kr.engine.backend.vector;

import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.vector.ConvKernels.Geometry;

/**
 * Depthwise convolutions (groups == channels, {@code m = co / c} output channels per input channel),
 * vectorized across channels: each image is transposed to padded HWC so the channels of one pixel
 * are one run of vectors, every tap is then a vector multiply-add per pixel, and results are
 * transposed back. This costs the same per pixel for any plane size, stride or dilation (vectorizing
 * along rows instead is hopeless on 4x4 planes). Parallel over images; backward-weight sums
 * per-thread partials in chunk order, so it is deterministic for a fixed thread count.
 */
final class Depthwise {
    private Depthwise() {}

    private static final VectorSpecies<Float> S = Kernels.S;
    private static final int VL = Kernels.VL;

    private static int roundUp(int x, int r) {
        return (x + r - 1) / r * r;
    }

    /** Per-thread buffers: padded input (HWC), output or gradient (HWC); padding stays zero for the same key. */
    private static final class Scratch {
        float[] in = new float[0], out = new float[0];
        Object inKey;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Sizes: channels padded to whole vectors (cp), padded input plane hp x wp. */
    private record Plan(Geometry g, int cp, int hp, int wp, int taps, int[] tapOff) {
        static Plan of(Geometry g) {
            Conv2dParams p = g.p();
            int cp = roundUp(g.c(), VL), hp = g.h() + 2 * p.padH(), wp = g.w() + 2 * p.padW(), taps = g.kh() * g.kw();
            int[] off = new int[taps];
            for (int ky = 0; ky < g.kh(); ky++)
                for (int kx = 0; kx < g.kw(); kx++) off[ky * g.kw() + kx] = (ky * p.dilationH() * wp + kx * p.dilationW()) * cp;
            return new Plan(g, cp, hp, wp, taps, off);
        }

        int m() {
            return g.cog();
        }

        /** HWC offset of the top-left input pixel read by output pixel (oy, ox). */
        int origin(int oy, int ox) {
            return (oy * g.p().strideH() * wp + ox * g.p().strideW()) * cp;
        }

        /** Weights as [j][tap][cp] for output channel ic * m + j, zero on padding lanes. */
        float[] packWeights(float[] w, int wOff) {
            float[] p = new float[m() * taps * cp];
            for (int ic = 0; ic < g.c(); ic++)
                for (int j = 0; j < m(); j++)
                    for (int t = 0; t < taps; t++) p[(j * taps + t) * cp + ic] = w[wOff + (ic * m() + j) * taps + t];
            return p;
        }

        /** Copies image b of x into the padded HWC buffer (zeroing it first unless it already holds this layout). */
        float[] input(Scratch s, float[] x, int xOff, int b) {
            int size = hp * wp * cp;
            Object key = List.of(hp, wp, cp, g.h(), g.w());
            if (s.in.length < size || !key.equals(s.inKey)) {
                s.in = s.in.length < size ? new float[size] : s.in;
                Arrays.fill(s.in, 0, size, 0f);
                s.inKey = key;
            }
            int ph = g.p().padH(), pw = g.p().padW();
            Transpose.toPixelMajor(x, xOff + b * g.c() * g.inPlane(), g.c(), g.h(), g.w(), g.inPlane(), s.in, (ph * wp + pw) * cp, wp, cp);
            return s.in;
        }

        /** Output (or output gradient) plane set j of image b: channel ic is plane (b * co + ic * m + j). */
        int outPlanes(int b, int j) {
            return (b * g.co() + j) * g.outPlane();
        }
    }

    // ------------------------------------------------------------------ forward

    static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, Geometry g) {
        Plan pl = Plan.of(g);
        float[] wt = pl.packWeights(w, wOff);
        int cp = pl.cp(), ohw = g.outPlane();
        Parallel.forRange(g.n(), 1, (chunk, lo, hi) -> {
            Scratch s = SCRATCH.get();
            if (s.out.length < ohw * cp) s.out = new float[ohw * cp];
            float[] out = s.out;
            for (int b = lo; b < hi; b++) {
                float[] in = pl.input(s, x, xOff, b);
                for (int j = 0; j < pl.m(); j++) {
                    int wj = j * pl.taps() * cp;
                    for (int oy = 0; oy < g.ho(); oy++)
                        for (int ox = 0; ox < g.wo(); ox++) {
                            int o = pl.origin(oy, ox), d = (oy * g.wo() + ox) * cp;
                            for (int c0 = 0; c0 < cp; c0 += VL) {
                                FloatVector acc = FloatVector.zero(S);
                                for (int t = 0; t < pl.taps(); t++)
                                    acc = FloatVector.fromArray(S, in, o + pl.tapOff()[t] + c0).fma(FloatVector.fromArray(S, wt, wj + t * cp + c0), acc);
                                acc.intoArray(out, d + c0);
                            }
                        }
                    toChannelMajor(out, 0, ohw, g.c(), cp, y, pl.outPlanes(b, j), pl.m() * ohw);
                }
            }
        });
    }

    /**
     * The inverse of {@link Transpose#toPixelMajor} for a dense run of pixels: pixel p channel i at
     * {@code src[so + p * pixStride + i]} goes to {@code dst[dO + i * planeStride + p]}.
     */
    static void toChannelMajor(float[] src, int so, int pixels, int channels, int pixStride, float[] dst, int dO, int planeStride) {
        int p0 = 0;
        if (Transpose.blocks() && channels % VL == 0) {
            int[] off = new int[VL];
            for (int r = 0; r < VL; r++) off[r] = r * planeStride;
            for (; p0 + VL <= pixels; p0 += VL)
                for (int c0 = 0; c0 < channels; c0 += VL) Transpose.block(src, so + p0 * pixStride + c0, pixStride, dst, dO + c0 * planeStride + p0, off);
        }
        for (int i = 0; i < channels; i++)
            for (int p = p0; p < pixels; p++) dst[dO + i * planeStride + p] = src[so + p * pixStride + i];
    }

    // ------------------------------------------------------------------ backward input

    static void backwardInput(float[] gy, int gyOff, float[] w, int wOff, float[] gx, Geometry g) {
        Plan pl = Plan.of(g);
        float[] wt = pl.packWeights(w, wOff);
        int cp = pl.cp(), ohw = g.outPlane(), ph = g.p().padH(), pw = g.p().padW();
        Parallel.forRange(g.n(), 1, (chunk, lo, hi) -> {
            Scratch s = SCRATCH.get();
            int padded = pl.hp() * pl.wp() * cp;
            // out holds the padded HWC input gradient, followed by one image of the output gradient in HWC
            if (s.out.length < padded + ohw * cp) s.out = new float[padded + ohw * cp];
            float[] acc = s.out;
            for (int b = lo; b < hi; b++) {
                Arrays.fill(acc, 0, padded, 0f);
                for (int j = 0; j < pl.m(); j++) {
                    Transpose.toPixelMajor(gy, gyOff + pl.outPlanes(b, j), g.c(), g.ho(), g.wo(), pl.m() * ohw, acc, padded, g.wo(), cp);
                    int wj = j * pl.taps() * cp;
                    for (int oy = 0; oy < g.ho(); oy++)
                        for (int ox = 0; ox < g.wo(); ox++) {
                            int o = pl.origin(oy, ox), src = padded + (oy * g.wo() + ox) * cp;
                            for (int c0 = 0; c0 < cp; c0 += VL) {
                                FloatVector gv = FloatVector.fromArray(S, acc, src + c0);
                                for (int t = 0; t < pl.taps(); t++) {
                                    int d = o + pl.tapOff()[t] + c0;
                                    gv.fma(FloatVector.fromArray(S, wt, wj + t * cp + c0), FloatVector.fromArray(S, acc, d)).intoArray(acc, d);
                                }
                            }
                        }
                }
                for (int iy = 0; iy < g.h(); iy++)
                    toChannelMajor(acc, ((iy + ph) * pl.wp() + pw) * cp, g.w(), g.c(), cp, gx, b * g.c() * g.inPlane() + iy * g.w(), g.inPlane());
            }
        });
    }

    // ------------------------------------------------------------------ backward weight

    /** The nine tap sums of one channel vector kept in registers over one sweep of the image (3x3 kernels). */
    private static void weight3x3(Plan pl, float[] gyh, float[] in, int c0, float[] acc, int a) {
        Geometry g = pl.g();
        int cp = pl.cp();
        int[] to = pl.tapOff();
        int t0 = to[0] + c0, t1 = to[1] + c0, t2 = to[2] + c0, t3 = to[3] + c0, t4 = to[4] + c0, t5 = to[5] + c0, t6 = to[6] + c0, t7 = to[7] + c0,
                t8 = to[8] + c0;
        FloatVector s0 = FloatVector.fromArray(S, acc, a), s1 = FloatVector.fromArray(S, acc, a + cp), s2 = FloatVector.fromArray(S, acc, a + 2 * cp);
        FloatVector s3 = FloatVector.fromArray(S, acc, a + 3 * cp), s4 = FloatVector.fromArray(S, acc, a + 4 * cp), s5 = FloatVector.fromArray(S, acc, a + 5 * cp);
        FloatVector s6 = FloatVector.fromArray(S, acc, a + 6 * cp), s7 = FloatVector.fromArray(S, acc, a + 7 * cp), s8 = FloatVector.fromArray(S, acc, a + 8 * cp);
        for (int oy = 0; oy < g.ho(); oy++)
            for (int ox = 0; ox < g.wo(); ox++) {
                FloatVector gv = FloatVector.fromArray(S, gyh, (oy * g.wo() + ox) * cp + c0);
                int o = pl.origin(oy, ox);
                s0 = gv.fma(FloatVector.fromArray(S, in, o + t0), s0);
                s1 = gv.fma(FloatVector.fromArray(S, in, o + t1), s1);
                s2 = gv.fma(FloatVector.fromArray(S, in, o + t2), s2);
                s3 = gv.fma(FloatVector.fromArray(S, in, o + t3), s3);
                s4 = gv.fma(FloatVector.fromArray(S, in, o + t4), s4);
                s5 = gv.fma(FloatVector.fromArray(S, in, o + t5), s5);
                s6 = gv.fma(FloatVector.fromArray(S, in, o + t6), s6);
                s7 = gv.fma(FloatVector.fromArray(S, in, o + t7), s7);
                s8 = gv.fma(FloatVector.fromArray(S, in, o + t8), s8);
            }
        s0.intoArray(acc, a);
        s1.intoArray(acc, a + cp);
        s2.intoArray(acc, a + 2 * cp);
        s3.intoArray(acc, a + 3 * cp);
        s4.intoArray(acc, a + 4 * cp);
        s5.intoArray(acc, a + 5 * cp);
        s6.intoArray(acc, a + 6 * cp);
        s7.intoArray(acc, a + 7 * cp);
        s8.intoArray(acc, a + 8 * cp);
    }

    static void backwardWeight(float[] gy, int gyOff, float[] x, int xOff, float[] gw, Geometry g) {
        Plan pl = Plan.of(g);
        int cp = pl.cp(), ohw = g.outPlane(), size = pl.m() * pl.taps() * cp;
        int chunks = Parallel.chunks(g.n(), 1);
        float[][] partial = new float[chunks][];
        Parallel.forRange(g.n(), 1, (chunk, lo, hi) -> {
            Scratch s = SCRATCH.get();
            if (s.out.length < ohw * cp) s.out = new float[ohw * cp];
            float[] gyh = s.out, acc = new float[size];
            for (int b = lo; b < hi; b++) {
                float[] in = pl.input(s, x, xOff, b);
                for (int j = 0; j < pl.m(); j++) {
                    Transpose.toPixelMajor(gy, gyOff + pl.outPlanes(b, j), g.c(), g.ho(), g.wo(), pl.m() * ohw, gyh, 0, g.wo(), cp);
                    for (int c0 = 0; c0 < cp; c0 += VL) {
                        if (pl.taps() == 9) {
                            weight3x3(pl, gyh, in, c0, acc, (j * 9) * cp + c0);
                            continue;
                        }
                        for (int t = 0; t < pl.taps(); t++) {
                            int a = (j * pl.taps() + t) * cp + c0, to = pl.tapOff()[t] + c0;
                            FloatVector sum = FloatVector.fromArray(S, acc, a);
                            for (int oy = 0; oy < g.ho(); oy++)
                                for (int ox = 0; ox < g.wo(); ox++)
                                    sum = FloatVector.fromArray(S, gyh, (oy * g.wo() + ox) * cp + c0).fma(FloatVector.fromArray(S, in, pl.origin(oy, ox) + to), sum);
                            sum.intoArray(acc, a);
                        }
                    }
                }
            }
            partial[chunk] = acc;
        });
        for (int ch = 1; ch < chunks; ch++) // fixed summation order: deterministic for a given thread count
            for (int i = 0; i < size; i++) partial[0][i] += partial[ch][i];
        for (int ic = 0; ic < g.c(); ic++)
            for (int j = 0; j < pl.m(); j++)
                for (int t = 0; t < pl.taps(); t++) gw[(ic * pl.m() + j) * pl.taps() + t] = partial[0][(j * pl.taps() + t) * cp + ic];
    }
}
