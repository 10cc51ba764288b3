// conv.cu: 2-d convolution (PyTorch semantics: stride, padding, dilation, groups), forward and both
// backward passes, on dense NCHW tensors. Two algorithms:
//  * implicit GEMM (the default): the gemm_core tile loops with functors that gather input patches
//    on the fly, one GEMM per group (blockIdx.z), no im2col buffer:
//      forward          Y[g]  (cog x N*Ho*Wo)   = W[g] (cog x cg*kh*kw)   * patches(X)
//      backward input   dX[g] (cg x N*H*W)      = W[g]^T (cg x cog*kh*kw) * patches(dY) (a gather: no atomics)
//      backward weight  dW[g] (cog x cg*kh*kw)  = dY[g] (cog x N*Ho*Wo)   * patches(X)^T, split over K
//                       into S partial sums (blockIdx.z = g*S + s) that conv2d_sum_splits adds in order;
//  * direct (depthwise and other convolutions with few channels per group, where a GEMM tile would
//    be mostly empty): a thread per output (input) element, a block per weight element.
// The implicit kernels come in four block tiles: 128x128 and, for few channels (M <= 16, 32, 64), the
// narrower _m16 (16x256), _m32 (32x128) and _m64 (64x128), so a 16-channel layer does not leave 7/8
// of each tile empty. The *_tf32 variants (compute_80+ PTX only, 128x128) run the tensor-core core;
// kr.tf32 turns them on.
#include "gemm_core.cuh"

struct ConvGeom {
    int N, C, H, W, Co, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups, cg, cog;
};

// ---- forward: A = weights of group grp, B = input patches, C = output ----

struct FwdA {
    const float* w;
    int K;
    bool kFastest;
    __device__ float operator()(int m, int k) const { return w[(size_t) m * K + k]; }
};

struct FwdB {
    const float* x;
    ConvGeom g;
    int grp;
    bool nFastest;
    __device__ float operator()(int k, int n) const {
        int khw = g.kh * g.kw, ic = k / khw, r = k - ic * khw, ky = r / g.kw, kx = r - ky * g.kw;
        int hw = g.Ho * g.Wo, b = n / hw, q = n - b * hw, oy = q / g.Wo, ox = q - oy * g.Wo;
        int iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
        if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) return 0.f;
        return x[((size_t) (b * g.C + grp * g.cg + ic) * g.H + iy) * g.W + ix];
    }
};

struct FwdC {
    float* y;
    ConvGeom g;
    int grp;
    __device__ void operator()(int m, int n, float v) const {
        int hw = g.Ho * g.Wo, b = n / hw, q = n - b * hw;
        y[(size_t) (b * g.Co + grp * g.cog + m) * hw + q] = v;
    }
};

#define FWD_SETUP                                                     \
    int grp = blockIdx.z, K = g.cg * g.kh * g.kw;                     \
    FwdA A{w + (size_t) grp * g.cog * K, K, true};                    \
    FwdB B{x, g, grp, true};                                          \
    FwdC C{y, g, grp};

// The 128x128 tile, and (suffix _m16, _m32, _m64) the narrower tiles for few output channels.
#define CONV_FWD(suffix, BM, BN, TM)                                                                                                       \
    extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_fwd_implicit##suffix(float* y, const float* x, const float* w, ConvGeom g) { \
        FWD_SETUP                                                                                                                          \
        gemm_f32_tile_t<BM, BN, TM>(A, B, C, g.cog, g.N * g.Ho * g.Wo, 0, K);                                                              \
    }
CONV_FWD(, 128, 128, 8)
CONV_FWD(_m64, 64, 128, 4)
CONV_FWD(_m32, 32, 128, 2)
CONV_FWD(_m16, 16, 256, 2)

// ---- backward input: A = transposed weights, B = output-gradient patches, C = input gradient ----

struct BiA {
    const float* w;
    ConvGeom g;
    int grp;
    bool kFastest;
    __device__ float operator()(int m, int k) const {
        int khw = g.kh * g.kw, oc = k / khw, r = k - oc * khw;
        return w[((size_t) (grp * g.cog + oc) * g.cg + m) * khw + r];
    }
};

struct BiB {
    const float* gy;
    ConvGeom g;
    int grp;
    bool nFastest;
    __device__ float operator()(int k, int n) const {
        int khw = g.kh * g.kw, oc = k / khw, r = k - oc * khw, ky = r / g.kw, kx = r - ky * g.kw;
        int hw = g.H * g.W, b = n / hw, q = n - b * hw, iy = q / g.W, ix = q - iy * g.W;
        int ty = iy + g.ph - ky * g.dh, tx = ix + g.pw - kx * g.dw;
        if (ty < 0 || tx < 0) return 0.f;
        int oy = ty / g.sh, ox = tx / g.sw;
        if (oy * g.sh != ty || ox * g.sw != tx || oy >= g.Ho || ox >= g.Wo) return 0.f;
        return gy[((size_t) (b * g.Co + grp * g.cog + oc) * g.Ho + oy) * g.Wo + ox];
    }
};

struct BiC {
    float* gx;
    ConvGeom g;
    int grp;
    __device__ void operator()(int m, int n, float v) const {
        int hw = g.H * g.W, b = n / hw, q = n - b * hw;
        gx[(size_t) (b * g.C + grp * g.cg + m) * hw + q] = v;
    }
};

#define BI_SETUP                \
    int grp = blockIdx.z;       \
    BiA A{w, g, grp, true};     \
    BiB B{gy, g, grp, true};    \
    BiC C{gx, g, grp};

#define CONV_BI(suffix, BM, BN, TM)                                                                                                              \
    extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_bwd_input_implicit##suffix(float* gx, const float* gy, const float* w, ConvGeom g) { \
        BI_SETUP                                                                                                                                  \
        gemm_f32_tile_t<BM, BN, TM>(A, B, C, g.cg, g.N * g.H * g.W, 0, g.cog * g.kh * g.kw);                                                       \
    }
CONV_BI(, 128, 128, 8)
CONV_BI(_m64, 64, 128, 4)
CONV_BI(_m32, 32, 128, 2)
CONV_BI(_m16, 16, 256, 2)

// ---- backward weight: A = output gradient, B = transposed input patches, C = partial weight gradient ----

struct BwA {
    const float* gy;
    ConvGeom g;
    int grp;
    bool kFastest;
    __device__ float operator()(int m, int k) const {
        int hw = g.Ho * g.Wo, b = k / hw, q = k - b * hw;
        return gy[(size_t) (b * g.Co + grp * g.cog + m) * hw + q];
    }
};

struct BwB {
    const float* x;
    ConvGeom g;
    int grp;
    bool nFastest;
    __device__ float operator()(int k, int n) const {
        int khw = g.kh * g.kw, ic = n / khw, r = n - ic * khw, ky = r / g.kw, kx = r - ky * g.kw;
        int hw = g.Ho * g.Wo, b = k / hw, q = k - b * hw, oy = q / g.Wo, ox = q - oy * g.Wo;
        int iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
        if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) return 0.f;
        return x[((size_t) (b * g.C + grp * g.cg + ic) * g.H + iy) * g.W + ix];
    }
};

struct SplitC {
    float* p;
    int ld;
    __device__ void operator()(int m, int n, float v) const { p[(size_t) m * ld + n] = v; }
};

#define BW_SETUP                                                                         \
    int grp = blockIdx.z / S, s = blockIdx.z - grp * S;                                  \
    int K = g.N * g.Ho * g.Wo, Ncols = g.cg * g.kh * g.kw;                               \
    int chunk = (K + S - 1) / S, k0 = s * chunk, k1 = min(K, k0 + chunk);                \
    BwA A{gy, g, grp, true};                                                             \
    BwB B{x, g, grp, false};                                                             \
    SplitC C{out + ((size_t) s * g.Co + grp * g.cog) * Ncols, Ncols};

// out is [S, Co, cg*kh*kw]: the weight gradient itself when S == 1.
#define CONV_BW(suffix, BM, BN, TM)                                                                                                                     \
    extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_bwd_weight_implicit##suffix(float* out, const float* gy, const float* x, ConvGeom g, int S) { \
        BW_SETUP                                                                                                                                         \
        gemm_f32_tile_t<BM, BN, TM>(A, B, C, g.cog, Ncols, k0, k1);                                                                                       \
    }
CONV_BW(, 128, 128, 8)
CONV_BW(_m64, 64, 128, 4)
CONV_BW(_m32, 32, 128, 2)
CONV_BW(_m16, 16, 256, 2)

// gw[i] = sum over s of partial[s*len + i], in order.
extern "C" __global__ void conv2d_sum_splits(float* gw, const float* partial, int len, int S) {
    KR_FOR(i, len) {
        float acc = 0.f;
        for (int s = 0; s < S; s++) acc += partial[(size_t) s * len + i];
        gw[i] = acc;
    }
}

#ifdef KR_HAS_TF32
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_fwd_implicit_tf32(float* y, const float* x, const float* w, ConvGeom g) {
    FWD_SETUP
    gemm_tf32_tile(A, B, C, g.cog, g.N * g.Ho * g.Wo, 0, K);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_bwd_input_implicit_tf32(float* gx, const float* gy, const float* w, ConvGeom g) {
    BI_SETUP
    gemm_tf32_tile(A, B, C, g.cg, g.N * g.H * g.W, 0, g.cog * g.kh * g.kw);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_bwd_weight_implicit_tf32(float* out, const float* gy, const float* x, ConvGeom g, int S) {
    BW_SETUP
    gemm_tf32_tile(A, B, C, g.cog, Ncols, k0, k1);
}
#endif

// ---- direct kernels (few channels per group) ----

extern "C" __global__ void conv2d_fwd_direct(float* y, const float* x, const float* w, ConvGeom g) {
    int n = g.N * g.Co * g.Ho * g.Wo;
    KR_FOR(i, n) {
        int ox = i % g.Wo, t = i / g.Wo, oy = t % g.Ho;
        t /= g.Ho;
        int oc = t % g.Co, b = t / g.Co, grp = oc / g.cog;
        float s = 0.f;
        for (int ic = 0; ic < g.cg; ic++) {
            const float* xp = x + (size_t) (b * g.C + grp * g.cg + ic) * g.H * g.W;
            const float* wp = w + (size_t) (oc * g.cg + ic) * g.kh * g.kw;
            for (int ky = 0; ky < g.kh; ky++) {
                int iy = oy * g.sh - g.ph + ky * g.dh;
                if (iy < 0 || iy >= g.H) continue;
                for (int kx = 0; kx < g.kw; kx++) {
                    int ix = ox * g.sw - g.pw + kx * g.dw;
                    if (ix >= 0 && ix < g.W) s = fmaf(xp[iy * g.W + ix], wp[ky * g.kw + kx], s);
                }
            }
        }
        y[i] = s;
    }
}

extern "C" __global__ void conv2d_bwd_input_direct(float* gx, const float* gy, const float* w, ConvGeom g) {
    int n = g.N * g.C * g.H * g.W;
    KR_FOR(i, n) {
        int ix = i % g.W, t = i / g.W, iy = t % g.H;
        t /= g.H;
        int c = t % g.C, b = t / g.C, grp = c / g.cg, ic = c - grp * g.cg;
        float s = 0.f;
        for (int oc = grp * g.cog; oc < (grp + 1) * g.cog; oc++) {
            const float* gp = gy + (size_t) (b * g.Co + oc) * g.Ho * g.Wo;
            const float* wp = w + (size_t) (oc * g.cg + ic) * g.kh * g.kw;
            for (int ky = 0; ky < g.kh; ky++) {
                int ty = iy + g.ph - ky * g.dh;
                if (ty < 0) continue;
                int oy = ty / g.sh;
                if (oy * g.sh != ty || oy >= g.Ho) continue;
                for (int kx = 0; kx < g.kw; kx++) {
                    int tx = ix + g.pw - kx * g.dw;
                    if (tx < 0) continue;
                    int ox = tx / g.sw;
                    if (ox * g.sw == tx && ox < g.Wo) s = fmaf(gp[oy * g.Wo + ox], wp[ky * g.kw + kx], s);
                }
            }
        }
        gx[i] = s;
    }
}

// One block per weight element (oc, ic, ky, kx): a double block sum over N*Ho*Wo terms.
extern "C" __global__ void conv2d_bwd_weight_direct(float* gw, const float* gy, const float* x, ConvGeom g) {
    int e = blockIdx.x;
    int kx = e % g.kw, t = e / g.kw, ky = t % g.kh;
    t /= g.kh;
    int ic = t % g.cg, oc = t / g.cg, grp = oc / g.cog;
    int hw = g.Ho * g.Wo, total = g.N * hw;
    double acc = 0.0;
    for (int j = threadIdx.x; j < total; j += blockDim.x) {
        int b = j / hw, q = j - b * hw, oy = q / g.Wo, ox = q - oy * g.Wo;
        int iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
        if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
        acc += (double) gy[(size_t) (b * g.Co + oc) * hw + q] * (double) x[((size_t) (b * g.C + grp * g.cg + ic) * g.H + iy) * g.W + ix];
    }
    acc = kr_block_sum(acc);
    if (threadIdx.x == 0) gw[e] = (float) acc;
}
