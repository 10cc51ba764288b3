// kr.cu: KR's fused sparse-recoding kernel (Backend.sparseRecoding), the GPU twin of the vector
// backend's KrKernels: one pass over a parameter reads the prior A, the weight W and the gradient,
// builds the mask M = |A| >= threshold in registers, adds beta*M*(W - A) to the gradient in place
// and sums M*(W - A)^2 into per-block partials (double; the host adds them in block order, so the
// logged value is deterministic). No temporaries. sparse_recoding_sgd_f32 also applies the SGD
// momentum update to W in the same pass (the penalty is computed from W before the update).
// sparse_recoding_dev_f32 reads beta from device memory and leaves its partials there (for
// step.cu's sum_partials_f64): the variant a captured CUDA graph runs, with no host round trip.
// thr is the smallest float >= the double threshold, so |a| >= thr exactly when |a| >= threshold.
#include "kr_common.cuh"

// The shared pass: gradient update in place, returns this block's sum of M*(W - A)^2 (valid in thread 0).
__device__ __forceinline__ double kr_recode(float* grad, const float* w, const Layout& lw, const float* prior, const Layout& la, int n,
        float thr, double beta) {
    double acc = 0.0;
    KR_FOR(i, n) {
        float a = prior[kr_at(la, i)];
        if (fabsf(a) >= thr) {
            double d = (double) w[kr_at(lw, i)] - (double) a;
            grad[i] = (float) ((double) grad[i] + beta * d);
            acc += d * d;
        }
    }
    return kr_block_sum(acc);
}

extern "C" __global__ void sparse_recoding_f32(double* partial, float* grad, const float* w, Layout lw, const float* prior, Layout la,
        int n, float thr, double beta) {
    double acc = kr_recode(grad, w, lw, prior, la, n, thr, beta);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

extern "C" __global__ void sparse_recoding_dev_f32(double* partial, float* grad, const float* w, Layout lw, const float* prior, Layout la,
        int n, float thr, const double* beta) {
    double acc = kr_recode(grad, w, lw, prior, la, n, thr, beta[0]);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// The same, then SGD on the dense W with the updated gradient (Backend.sgdStep's semantics).
extern "C" __global__ void sparse_recoding_sgd_f32(double* partial, float* grad, float* w, float* buf, const float* prior, Layout la,
        int n, float thr, double beta, double lr, double momentum, double dampening, double wd, int nesterov, int first) {
    double acc = 0.0;
    KR_FOR(i, n) {
        float a = prior[kr_at(la, i)];
        double wv = (double) w[i], g = (double) grad[i];
        if (fabsf(a) >= thr) {
            double d = wv - (double) a;
            g = (double) (float) (g + beta * d); // the gradient as stored, as the two-kernel sequence sees it
            grad[i] = (float) g;
            acc += d * d;
        }
        kr_sgd_update(w, buf, i, g, lr, momentum, dampening, wd, nesterov, first);
    }
    acc = kr_block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
