// pooling.cu: max and average pooling over dense [planes, H, W] (planes = N*C), forward and
// backward, PyTorch semantics (padding, ceil mode, count_include_pad). Forward: a thread per
// output. Backward: a thread per input element gathers the outputs whose windows cover it, in
// increasing output order (no atomics: deterministic, and the same order as the reference).
// Window sums accumulate in double. Max-pool argmax is the flat index within the plane, as a float.
#include "kr_common.cuh"

struct Pool {
    int planes, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, ceil, countPad;
};

extern "C" __global__ void maxpool2d_fwd_f32(float* y, float* argmax, const float* x, Pool p) {
    int n = p.planes * p.Ho * p.Wo;
    KR_FOR(i, n) {
        int ox = i % p.Wo, t = i / p.Wo, oy = t % p.Ho, pl = t / p.Ho;
        const float* xp = x + (size_t) pl * p.H * p.W;
        float best = __int_as_float(0xff800000);
        int bi = -1;
        // the reference's loop, kept literally: a NaN ends its row and a NaN in a later row replaces it
        for (int ky = 0; ky < p.kh; ky++) {
            int iy = oy * p.sh - p.ph + ky;
            if (iy < 0 || iy >= p.H) continue;
            for (int kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.sw - p.pw + kx;
                if (ix < 0 || ix >= p.W) continue;
                float c = xp[iy * p.W + ix];
                if (bi < 0 || c > best || isnan(c)) {
                    best = c;
                    bi = iy * p.W + ix;
                    if (isnan(c)) break;
                }
            }
        }
        y[i] = best;
        argmax[i] = (float) bi;
    }
}

// Outputs [lo, hi] along one axis whose window (start o*s - pad, length k) covers input index i.
__device__ __forceinline__ void covering(int i, int k, int s, int pad, int outN, int& lo, int& hi) {
    int a = i + pad - k + 1;
    lo = a <= 0 ? 0 : (a + s - 1) / s;
    hi = min(outN - 1, (i + pad) / s);
}

extern "C" __global__ void maxpool2d_bwd_f32(float* gx, const float* gy, const float* argmax, Pool p) {
    int n = p.planes * p.H * p.W;
    KR_FOR(i, n) {
        int ix = i % p.W, t = i / p.W, iy = t % p.H, pl = t / p.H;
        int y0, y1, x0, x1;
        covering(iy, p.kh, p.sh, p.ph, p.Ho, y0, y1);
        covering(ix, p.kw, p.sw, p.pw, p.Wo, x0, x1);
        size_t base = (size_t) pl * p.Ho * p.Wo;
        float here = (float) (iy * p.W + ix);
        double acc = 0.0;
        for (int oy = y0; oy <= y1; oy++)
            for (int ox = x0; ox <= x1; ox++)
                if (argmax[base + oy * p.Wo + ox] == here) acc += (double) gy[base + oy * p.Wo + ox];
        gx[i] = (float) acc;
    }
}

// PyTorch's divisor for output (oy, ox): the padded window extent, or its valid part.
__device__ __forceinline__ int avg_divisor(const Pool& p, int oy, int ox) {
    int y0 = oy * p.sh - p.ph, x0 = ox * p.sw - p.pw;
    int y1 = min(y0 + p.kh, p.H + p.ph), x1 = min(x0 + p.kw, p.W + p.pw);
    if (p.countPad) return (y1 - y0) * (x1 - x0);
    return (min(y1, p.H) - max(y0, 0)) * (min(x1, p.W) - max(x0, 0));
}

extern "C" __global__ void avgpool2d_fwd_f32(float* y, const float* x, Pool p) {
    int n = p.planes * p.Ho * p.Wo;
    KR_FOR(i, n) {
        int ox = i % p.Wo, t = i / p.Wo, oy = t % p.Ho, pl = t / p.Ho;
        const float* xp = x + (size_t) pl * p.H * p.W;
        double s = 0.0;
        for (int ky = 0; ky < p.kh; ky++) {
            int iy = oy * p.sh - p.ph + ky;
            if (iy < 0 || iy >= p.H) continue;
            for (int kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.sw - p.pw + kx;
                if (ix >= 0 && ix < p.W) s += (double) xp[iy * p.W + ix];
            }
        }
        y[i] = (float) (s / avg_divisor(p, oy, ox));
    }
}

extern "C" __global__ void avgpool2d_bwd_f32(float* gx, const float* gy, Pool p) {
    int n = p.planes * p.H * p.W;
    KR_FOR(i, n) {
        int ix = i % p.W, t = i / p.W, iy = t % p.H, pl = t / p.H;
        int y0, y1, x0, x1;
        covering(iy, p.kh, p.sh, p.ph, p.Ho, y0, y1);
        covering(ix, p.kw, p.sw, p.pw, p.Wo, x0, x1);
        size_t base = (size_t) pl * p.Ho * p.Wo;
        double acc = 0.0;
        for (int oy = y0; oy <= y1; oy++)
            for (int ox = x0; ox <= x1; ox++) acc += (double) gy[base + oy * p.Wo + ox] / avg_divisor(p, oy, ox);
        gx[i] = (float) acc;
    }
}
