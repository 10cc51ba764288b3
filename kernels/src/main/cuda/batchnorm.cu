// batchnorm.cu: fused batch normalization over every dim but 1 of a dense [N, C, inner] tensor.
// Forward: bn_partial sums x and x^2 (double) over slices of each channel, S blocks per channel so
// that even C = 16 fills the GPU; bn_finish turns the partials (added in order: deterministic)
// into mean and invstd = 1/sqrt(biased var + eps); bn_apply writes y = (x - mean)*invstd*gamma + beta.
// Backward: bn_bwd_partial sums g, g*(x - mean) and x - mean (double), bn_bwd_finish gives dbeta,
// dgamma and per-channel coefficients, bn_bwd_apply writes dx = gamma*invstd*(g - (sum g + xhat*sum g*xhat)/m).
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

// Sums per slice: g, g*(x - mean) and x - mean. The last recovers the part of the batch mean that
// rounding the saved mean to float32 lost, which matters when the mean is large next to the spread.
extern "C" __global__ void bn_bwd_partial_f32(double* partial, const float* gy, const float* x, const float* mean, int N, int C, int inner, int S) {
    int s = blockIdx.x, c = blockIdx.y, total = N * inner;
    int chunk = (total + S - 1) / S, lo = s * chunk, hi = min(total, lo + chunk);
    double mu = (double) mean[c];
    double sg = 0.0, sgx = 0.0, sx = 0.0;
    for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
        int k = bn_index(j, c, C, inner);
        double g = (double) gy[k], xc = (double) x[k] - mu;
        sg += g;
        sgx += g * xc;
        sx += xc;
    }
    sg = kr_block_sum(sg);
    sgx = kr_block_sum(sgx);
    sx = kr_block_sum(sx);
    if (threadIdx.x == 0) {
        partial[(c * S + s) * 3] = sg;
        partial[(c * S + s) * 3 + 1] = sgx;
        partial[(c * S + s) * 3 + 2] = sx;
    }
}

// dx = gamma*inv/m * (m*g - sum(g) - xhat*sum(g*xhat)) = ka*g + kb*(x - mean - lo) + kc, with
// coef[c] = {ka, kb, kc, lo}: the form of the CPU backend, no large terms that cancel.
extern "C" __global__ void bn_bwd_finish_f32(float* dgamma, float* dbeta, float* coef, const double* partial, const float* gamma,
        const float* invstd, int C, int S, double m) {
    KR_FOR(c, C) {
        double sg = 0.0, s1 = 0.0, sx = 0.0;
        for (int s = 0; s < S; s++) {
            sg += partial[(c * S + s) * 3];
            s1 += partial[(c * S + s) * 3 + 1];
            sx += partial[(c * S + s) * 3 + 2];
        }
        double lo = sx / m, iv = (double) invstd[c], ga = (double) gamma[c], sgx = (s1 - lo * sg) * iv; // sgx = sum(g * xhat)
        dbeta[c] = (float) sg;
        dgamma[c] = (float) sgx;
        coef[c * 4] = (float) (ga * iv);
        coef[c * 4 + 1] = (float) (-ga * iv * iv * sgx / m);
        coef[c * 4 + 2] = (float) (-ga * iv * sg / m);
        coef[c * 4 + 3] = (float) lo;
    }
}

extern "C" __global__ void bn_bwd_apply_f32(float* dx, const float* gy, const float* x, const float* mean, const float* coef, int n, int C, int inner) {
    KR_FOR(i, n) {
        int c = (i / inner) % C;
        const float* k = coef + c * 4;
        dx[i] = gy[i] * k[0] + (x[i] - mean[c] - k[3]) * k[1] + k[2];
    }
}
