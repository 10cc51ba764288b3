// batchnorm.cu: fused batch normalization over every dim but 1 of a dense [N, C, inner] tensor.
// Forward: bn_partial sums x and x^2 (double) over slices of each channel, S blocks per channel so
// that even C = 16 fills the GPU; bn_finish turns the partials (added in order: deterministic)
// into mean and invstd = 1/sqrt(biased var + eps); bn_apply writes y = (x - mean)*invstd*gamma + beta.
// Backward: bn_bwd_partial sums g and g*xhat, bn_bwd_finish gives dbeta, dgamma and per-channel
// coefficients, bn_bwd_apply writes dx = gamma*invstd*(g - (sum g + xhat*sum g*xhat)/m).
// Two reads of x (and of g) per pass; one write of y (dx).
#include "kr_common.cuh"

// Block (s, c) covers elements [s*chunk, (s+1)*chunk) of channel c's N*inner.
__device__ __forceinline__ int bn_index(int j, int c, int C, int inner) {
    int n = j / inner;
    return (n * C + c) * inner + (j - n * inner);
}

extern "C" __global__ void bn_partial_f32(double* partial, const float* x, int N, int C, int inner, int S) {
    int s = blockIdx.x, c = blockIdx.y, total = N * inner;
    int chunk = (total + S - 1) / S, lo = s * chunk, hi = min(total, lo + chunk);
    double sum = 0.0, sq = 0.0;
    for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
        double v = (double) x[bn_index(j, c, C, inner)];
        sum += v;
        sq += v * v;
    }
    sum = kr_block_sum(sum);
    sq = kr_block_sum(sq);
    if (threadIdx.x == 0) {
        partial[(c * S + s) * 2] = sum;
        partial[(c * S + s) * 2 + 1] = sq;
    }
}

// One thread per channel. var = E[x^2] - mean^2 in double: float inputs leave ~29 spare bits.
extern "C" __global__ void bn_finish_f32(float* mean, float* invstd, const double* partial, int C, int S, double m, double eps) {
    KR_FOR(c, C) {
        double sum = 0.0, sq = 0.0;
        for (int s = 0; s < S; s++) {
            sum += partial[(c * S + s) * 2];
            sq += partial[(c * S + s) * 2 + 1];
        }
        double mu = sum / m, var = fmax(sq / m - mu * mu, 0.0);
        mean[c] = (float) mu;
        invstd[c] = (float) (1.0 / sqrt(var + eps));
    }
}

extern "C" __global__ void bn_apply_f32(float* y, const float* x, const float* mean, const float* invstd, const float* gamma,
        const float* beta, int n, int C, int inner) {
    KR_FOR(i, n) {
        int c = (i / inner) % C;
        y[i] = (x[i] - mean[c]) * (invstd[c] * gamma[c]) + beta[c];
    }
}

extern "C" __global__ void bn_bwd_partial_f32(double* partial, const float* gy, const float* x, const float* mean, const float* invstd,
        int N, int C, int inner, int S) {
    int s = blockIdx.x, c = blockIdx.y, total = N * inner;
    int chunk = (total + S - 1) / S, lo = s * chunk, hi = min(total, lo + chunk);
    double mu = (double) mean[c], inv = (double) invstd[c];
    double sg = 0.0, sgx = 0.0;
    for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
        int k = bn_index(j, c, C, inner);
        double g = (double) gy[k];
        sg += g;
        sgx += g * ((double) x[k] - mu) * inv;
    }
    sg = kr_block_sum(sg);
    sgx = kr_block_sum(sgx);
    if (threadIdx.x == 0) {
        partial[(c * S + s) * 2] = sg;
        partial[(c * S + s) * 2 + 1] = sgx;
    }
}

// coef[c] = {gamma*invstd, gamma*invstd*sum(g)/m, gamma*invstd*sum(g*xhat)/m} for bn_bwd_apply.
extern "C" __global__ void bn_bwd_finish_f32(float* dgamma, float* dbeta, float* coef, const double* partial, const float* gamma,
        const float* invstd, int C, int S, double m) {
    KR_FOR(c, C) {
        double sg = 0.0, sgx = 0.0;
        for (int s = 0; s < S; s++) {
            sg += partial[(c * S + s) * 2];
            sgx += partial[(c * S + s) * 2 + 1];
        }
        dbeta[c] = (float) sg;
        dgamma[c] = (float) sgx;
        double scale = (double) gamma[c] * (double) invstd[c];
        coef[c * 3] = (float) scale;
        coef[c * 3 + 1] = (float) (scale * sg / m);
        coef[c * 3 + 2] = (float) (scale * sgx / m);
    }
}

extern "C" __global__ void bn_bwd_apply_f32(float* dx, const float* gy, const float* x, const float* mean, const float* invstd,
        const float* coef, int n, int C, int inner) {
    KR_FOR(i, n) {
        int c = (i / inner) % C;
        float xhat = (x[i] - mean[c]) * invstd[c];
        dx[i] = coef[c * 3] * gy[i] - (coef[c * 3 + 1] + xhat * coef[c * 3 + 2]);
    }
}
