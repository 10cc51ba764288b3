package kr.engine.backend.vector;

import kr.engine.Tensor;
import kr.engine.backend.Pool2dParams;

/**
 * Float32 max and average pooling over {@code [N, C, H, W]} and their gradients, parallel over
 * the N*C planes (each plane's writes stay inside the plane, so the scatters of the backward passes
 * need no synchronisation and are deterministic). The per-plane loops are static methods rather
 * than code inside the chunk lambdas, so the JIT compiles them early and whole.
 */
final class PoolKernels {
    private PoolKernels() {}

    /** Returns {y, argmax} with argmax the flat index within each input plane, stored as float32 (exact below 2^24). */
    static Tensor[] maxPool2d(Tensor x, Pool2dParams p) {
        int[] xs = x.shape();
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = p.outH(h), wo = p.outW(w), ohw = ho * wo;
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), y = Vec.out(planes * ohw), idx = new float[planes * ohw];
        int base = in.offset();
        Parallel.forRange(planes, Vec.grainFor((long) h * w), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) maxPlane(a, base + pl * h * w, h, w, p, y, idx, pl * ohw, ho, wo);
        });
        int[] os = {xs[0], xs[1], ho, wo};
        return new Tensor[] {Vec.wrap(y, os), Vec.wrap(idx, os)};
    }

    private static void maxPlane(float[] a, int po, int h, int w, Pool2dParams p, float[] y, float[] idx, int yo, int ho, int wo) {
        if (p.kernelH() == 2 && p.kernelW() == 2 && p.strideH() == 2 && p.strideW() == 2 && p.padH() == 0 && p.padW() == 0 && 2 * ho <= h
                && 2 * wo <= w) {
            maxPlane2x2(a, po, w, y, idx, yo, ho, wo);
            return;
        }
        for (int oy = 0; oy < ho; oy++) {
            int y0 = Math.max(oy * p.strideH() - p.padH(), 0), y1 = Math.min(oy * p.strideH() - p.padH() + p.kernelH(), h);
            for (int ox = 0; ox < wo; ox++) {
                int x0 = Math.max(ox * p.strideW() - p.padW(), 0), x1 = Math.min(ox * p.strideW() - p.padW() + p.kernelW(), w);
                int bi = y0 * w + x0;
                float best = a[po + bi];
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        float v = a[po + iy * w + ix];
                        // the reference's rule: first maximum; a NaN is taken and ends its window row
                        if (v > best || Float.isNaN(v)) {
                            best = v;
                            bi = iy * w + ix;
                            if (Float.isNaN(v)) break;
                        }
                    }
                y[yo + oy * wo + ox] = best;
                idx[yo + oy * wo + ox] = bi;
            }
        }
    }

    /** The common 2x2, stride 2 window lying inside the plane: the general loop unrolled (v != v tests NaN). */
    private static void maxPlane2x2(float[] a, int po, int w, float[] y, float[] idx, int yo, int ho, int wo) {
        for (int oy = 0; oy < ho; oy++) {
            int r0 = 2 * oy * w, r1 = r0 + w;
            for (int ox = 0; ox < wo; ox++) {
                int i0 = r0 + 2 * ox, i2 = r1 + 2 * ox, bi = i0;
                float v0 = a[po + i0], v1 = a[po + i0 + 1], v2 = a[po + i2], v3 = a[po + i2 + 1], best = v0;
                if (v0 == v0 && (v1 > best || v1 != v1)) {
                    best = v1;
                    bi = i0 + 1;
                }
                if (v2 > best || v2 != v2) {
                    best = v2;
                    bi = i2;
                }
                if (v2 == v2 && (v3 > best || v3 != v3)) {
                    best = v3;
                    bi = i2 + 1;
                }
                y[yo + oy * wo + ox] = best;
                idx[yo + oy * wo + ox] = bi;
            }
        }
    }

    static Tensor maxPool2dBackward(Tensor gy, Tensor argmax, int[] xs) {
        int planes = xs[0] * xs[1], hw = xs[2] * xs[3];
        Tensor gin = Vec.dense(gy), iin = Vec.dense(argmax);
        float[] g = Vec.floats(gin), idx = Vec.floats(iin), gx = Vec.out(planes * hw);
        int ohw = gin.numel() / Math.max(planes, 1), gb = gin.offset(), ib = iin.offset();
        Parallel.forRange(planes, Vec.grainFor(hw), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) scatterPlane(g, gb + pl * ohw, idx, ib + pl * ohw, ohw, gx, pl * hw);
        });
        return Vec.wrap(gx, xs.clone());
    }

    private static void scatterPlane(float[] g, int go, float[] idx, int io, int n, float[] gx, int xo) {
        for (int o = 0; o < n; o++) gx[xo + (int) idx[io + o]] += g[go + o];
    }

    /** {@code div[oy * wo + ox]} is PyTorch's divisor for each window (see ScalarBackend.avgDivisor). */
    static Tensor avgPool2d(Tensor x, Pool2dParams p, int[] div) {
        int[] xs = x.shape();
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = p.outH(h), wo = p.outW(w), ohw = ho * wo;
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), y = Vec.out(planes * ohw);
        int base = in.offset();
        Parallel.forRange(planes, Vec.grainFor((long) h * w), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) avgPlane(a, base + pl * h * w, h, w, p, div, y, pl * ohw, ho, wo);
        });
        return Vec.wrap(y, new int[] {xs[0], xs[1], ho, wo});
    }

    private static void avgPlane(float[] a, int po, int h, int w, Pool2dParams p, int[] div, float[] y, int yo, int ho, int wo) {
        for (int oy = 0; oy < ho; oy++) {
            int y0 = Math.max(oy * p.strideH() - p.padH(), 0), y1 = Math.min(oy * p.strideH() - p.padH() + p.kernelH(), h);
            for (int ox = 0; ox < wo; ox++) {
                int x0 = Math.max(ox * p.strideW() - p.padW(), 0), x1 = Math.min(ox * p.strideW() - p.padW() + p.kernelW(), w);
                float s = 0;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) s += a[po + iy * w + ix];
                y[yo + oy * wo + ox] = s / div[oy * wo + ox];
            }
        }
    }

    static Tensor avgPool2dBackward(Tensor gy, int[] xs, Pool2dParams p, int[] div) {
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = gy.shape(2), wo = gy.shape(3), ohw = ho * wo;
        Tensor gin = Vec.dense(gy);
        float[] g = Vec.floats(gin), gx = Vec.out(planes * h * w);
        int gb = gin.offset();
        Parallel.forRange(planes, Vec.grainFor((long) h * w), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) avgPlaneBackward(g, gb + pl * ohw, h, w, p, div, gx, pl * h * w, ho, wo);
        });
        return Vec.wrap(gx, xs.clone());
    }

    private static void avgPlaneBackward(float[] g, int go, int h, int w, Pool2dParams p, int[] div, float[] gx, int xo, int ho, int wo) {
        for (int oy = 0; oy < ho; oy++) {
            int y0 = Math.max(oy * p.strideH() - p.padH(), 0), y1 = Math.min(oy * p.strideH() - p.padH() + p.kernelH(), h);
            for (int ox = 0; ox < wo; ox++) {
                int x0 = Math.max(ox * p.strideW() - p.padW(), 0), x1 = Math.min(ox * p.strideW() - p.padW() + p.kernelW(), w);
                float gv = g[go + oy * wo + ox] / div[oy * wo + ox];
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) gx[xo + iy * w + ix] += gv;
            }
        }
    }
}
