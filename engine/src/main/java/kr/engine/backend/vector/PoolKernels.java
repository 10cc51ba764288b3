package kr.engine.backend.vector;

import kr.engine.Tensor;
import kr.engine.backend.Pool2dParams;

/**
 * Float32 max and average pooling over {@code [N, C, H, W]} and their gradients, parallel over
 * the N*C planes (each plane's writes stay inside the plane, so the scatters of the backward passes
 * need no synchronisation and are deterministic).
 */
final class PoolKernels {
    private PoolKernels() {}

    /** Returns {y, argmax} with argmax the flat index within each input plane, stored as float32 (exact below 2^24). */
    static Tensor[] maxPool2d(Tensor x, Pool2dParams p) {
        int[] xs = x.shape();
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = p.outH(h), wo = p.outW(w), ohw = ho * wo;
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), y = new float[planes * ohw], idx = new float[planes * ohw];
        int base = in.offset();
        Parallel.forRange(planes, Vec.grainFor((long) h * w), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int po = base + pl * h * w;
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int bi = -1;
                        for (int ky = 0; ky < p.kernelH(); ky++) {
                            int iy = oy * p.strideH() - p.padH() + ky;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < p.kernelW(); kx++) {
                                int ix = ox * p.strideW() - p.padW() + kx;
                                if (ix < 0 || ix >= w) continue;
                                float v = a[po + iy * w + ix];
                                // same rule as the reference: first maximum, a NaN wins and ends its window row
                                if (bi < 0 || v > best || Float.isNaN(v)) {
                                    best = v;
                                    bi = iy * w + ix;
                                    if (Float.isNaN(v)) break;
                                }
                            }
                        }
                        int o = pl * ohw + oy * wo + ox;
                        y[o] = best;
                        idx[o] = bi;
                    }
            }
        });
        int[] os = {xs[0], xs[1], ho, wo};
        return new Tensor[] {Vec.wrap(y, os), Vec.wrap(idx, os)};
    }

    static Tensor maxPool2dBackward(Tensor gy, Tensor argmax, int[] xs) {
        int planes = xs[0] * xs[1], hw = xs[2] * xs[3];
        Tensor gin = Vec.dense(gy), iin = Vec.dense(argmax);
        float[] g = Vec.floats(gin), idx = Vec.floats(iin), gx = new float[planes * hw];
        int ohw = gin.numel() / Math.max(planes, 1), gb = gin.offset(), ib = iin.offset();
        Parallel.forRange(planes, Vec.grainFor(hw), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++)
                for (int o = pl * ohw, e = o + ohw; o < e; o++) gx[pl * hw + (int) idx[ib + o]] += g[gb + o];
        });
        return Vec.wrap(gx, xs.clone());
    }

    /** {@code div[oy * wo + ox]} is PyTorch's divisor for each window (see ScalarBackend.avgDivisor). */
    static Tensor avgPool2d(Tensor x, Pool2dParams p, int[] div) {
        int[] xs = x.shape();
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = p.outH(h), wo = p.outW(w), ohw = ho * wo;
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), y = new float[planes * ohw];
        int base = in.offset();
        Parallel.forRange(planes, Vec.grainFor((long) h * w), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int po = base + pl * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    int y0 = Math.max(oy * p.strideH() - p.padH(), 0), y1 = Math.min(oy * p.strideH() - p.padH() + p.kernelH(), h);
                    for (int ox = 0; ox < wo; ox++) {
                        int x0 = Math.max(ox * p.strideW() - p.padW(), 0), x1 = Math.min(ox * p.strideW() - p.padW() + p.kernelW(), w);
                        float s = 0;
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) s += a[po + iy * w + ix];
                        y[pl * ohw + oy * wo + ox] = s / div[oy * wo + ox];
                    }
                }
            }
        });
        return Vec.wrap(y, new int[] {xs[0], xs[1], ho, wo});
    }

    static Tensor avgPool2dBackward(Tensor gy, int[] xs, Pool2dParams p, int[] div) {
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = gy.shape(2), wo = gy.shape(3), ohw = ho * wo;
        Tensor gin = Vec.dense(gy);
        float[] g = Vec.floats(gin), gx = new float[planes * h * w];
        int gb = gin.offset();
        Parallel.forRange(planes, Vec.grainFor((long) h * w), (c, lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int po = pl * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    int y0 = Math.max(oy * p.strideH() - p.padH(), 0), y1 = Math.min(oy * p.strideH() - p.padH() + p.kernelH(), h);
                    for (int ox = 0; ox < wo; ox++) {
                        int x0 = Math.max(ox * p.strideW() - p.padW(), 0), x1 = Math.min(ox * p.strideW() - p.padW() + p.kernelW(), w);
                        float gv = g[gb + pl * ohw + oy * wo + ox] / div[oy * wo + ox];
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) gx[po + iy * w + ix] += gv;
                    }
                }
            }
        });
        return Vec.wrap(gx, xs.clone());
    }
}
