// kr.cu: KR's fused sparse-recoding kernel (KrKernels.sparseRecoding), the GPU twin of the vector
// backend's SparseRecodingKernels: one pass over a parameter reads the prior A, the weight W and the gradient,
// builds the mask M = |A| >= threshold in registers, adds beta*M*(W - A) to the gradient in place
// and sums M*(W - A)^2 into per-block partials (double; the host adds them in block order, so the
// logged value is deterministic). No temporaries. sparse_recoding_sgd_f32 also applies the SGD
// momentum update to W in the same pass (the penalty is computed from W before the update).
// thr is the smallest float >= the double threshold, so |a| >= thr exactly when |a| >= threshold.
#include "kr_common.cuh"

// One element: the mask, the penalty gradient added to g; returns M*(W - A)^2.
__device__ __forceinline__ double kr_recode_one(float& g, float w, float a, float thr, double beta) {
    if (!(fabsf(a) >= thr)) return 0.0;
    double d = (double) w - (double) a;
    g = (float) ((double) g + beta * d);
    return d * d;
}

// The shared pass: gradient update in place, returns this block's sum of M*(W - A)^2 (valid in thread 0).
// Dense, 16-byte-aligned operands go four floats per load (a memory-bound pass needs the bytes in flight).
__device__ __forceinline__ double kr_recode(float* grad, const float* w, const Layout& lw, const float* prior, const Layout& la, int n,
        float thr, double beta) {
    double acc = 0.0;
    const float *wp = w + lw.offset, *ap = prior + la.offset;
    if (lw.rank < 0 && la.rank < 0 && kr_aligned16(grad, wp, ap)) {
        int n4 = n >> 2;
        KR_FOR(j, n4) {
            float4 a = reinterpret_cast<const float4*>(ap)[j], wv = reinterpret_cast<const float4*>(wp)[j];
            float4 g = reinterpret_cast<float4*>(grad)[j];
            acc += kr_recode_one(g.x, wv.x, a.x, thr, beta) + kr_recode_one(g.y, wv.y, a.y, thr, beta) + kr_recode_one(g.z, wv.z, a.z, thr, beta)
                    + kr_recode_one(g.w, wv.w, a.w, thr, beta);
            reinterpret_cast<float4*>(grad)[j] = g;
        }
        for (int i = (n4 << 2) + blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) acc += kr_recode_one(grad[i], wp[i], ap[i], thr, beta);
    } else {
        KR_FOR(i, n) {
            float a = prior[kr_at(la, i)];
            if (fabsf(a) >= thr) acc += kr_recode_one(grad[i], w[kr_at(lw, i)], a, thr, beta);
        }
    }
    return kr_block_sum(acc);
}

extern "C" __global__ void sparse_recoding_f32(double* partial, float* grad, const float* w, Layout lw, const float* prior, Layout la,
        int n, float thr, double beta) {
    double acc = kr_recode(grad, w, lw, prior, la, n, thr, beta);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// The same, then SGD on the dense W with the updated gradient (Backend.sgdStep's semantics).
__device__ __forceinline__ double kr_recode_sgd_one(float& g, float& w, float& buf, float a, float thr, double beta, double lr, double momentum,
        double dampening, double wd, int nesterov, int first) {
    double r = kr_recode_one(g, w, a, thr, beta); // the gradient as stored, as the two-kernel sequence sees it
    kr_sgd_values(w, buf, (double) g, lr, momentum, dampening, wd, nesterov, first);
    return r;
}

extern "C" __global__ void sparse_recoding_sgd_f32(double* partial, float* grad, float* w, float* buf, const float* prior, Layout la,
        int n, float thr, double beta, double lr, double momentum, double dampening, double wd, int nesterov, int first) {
    double acc = 0.0;
    const float* ap = prior + la.offset;
    bool mom = momentum != 0.0;
    if (la.rank < 0 && kr_aligned16(grad, w, ap, mom ? buf : nullptr)) {
        int n4 = n >> 2;
        KR_FOR(j, n4) {
            float4 a = reinterpret_cast<const float4*>(ap)[j], g = reinterpret_cast<float4*>(grad)[j], wv = reinterpret_cast<float4*>(w)[j];
            float4 b = mom && !first ? reinterpret_cast<float4*>(buf)[j] : make_float4(0.f, 0.f, 0.f, 0.f);
            acc += kr_recode_sgd_one(g.x, wv.x, b.x, a.x, thr, beta, lr, momentum, dampening, wd, nesterov, first)
                    + kr_recode_sgd_one(g.y, wv.y, b.y, a.y, thr, beta, lr, momentum, dampening, wd, nesterov, first)
                    + kr_recode_sgd_one(g.z, wv.z, b.z, a.z, thr, beta, lr, momentum, dampening, wd, nesterov, first)
                    + kr_recode_sgd_one(g.w, wv.w, b.w, a.w, thr, beta, lr, momentum, dampening, wd, nesterov, first);
            reinterpret_cast<float4*>(grad)[j] = g;
            reinterpret_cast<float4*>(w)[j] = wv;
            if (mom) reinterpret_cast<float4*>(buf)[j] = b;
        }
        for (int i = (n4 << 2) + blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
            float bv = mom && !first ? buf[i] : 0.f;
            acc += kr_recode_sgd_one(grad[i], w[i], bv, ap[i], thr, beta, lr, momentum, dampening, wd, nesterov, first);
            if (mom) buf[i] = bv;
        }
    } else {
        KR_FOR(i, n) {
            float bv = mom && !first ? buf[i] : 0.f;
            acc += kr_recode_sgd_one(grad[i], w[i], bv, prior[kr_at(la, i)], thr, beta, lr, momentum, dampening, wd, nesterov, first);
            if (mom) buf[i] = bv;
        }
    }
    acc = kr_block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
