// softmax.cu: log-softmax along one dim of a dense [outer, n, inner] tensor (the engine composes
// cross-entropy from it). One warp per (outer, inner) row: a max pass, a sum of exp(x - max) in
// double, then x - (max + log(sum)) rounded once. Rows are read with stride inner, so inner > 1
// is uncoalesced; the classifier case (dim 1 of [N, C], inner = 1) is the fast one.
#include "kr_common.cuh"

extern "C" __global__ void log_softmax_f32(float* y, const float* x, int outer, int n, int inner) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp >= outer * inner) return;
    int o = warp / inner, i = warp - o * inner;
    size_t base = (size_t) o * n * inner + i;
    float mx = __int_as_float(0xff800000);
    for (int k = lane; k < n; k += 32) mx = kr_max(mx, x[base + (size_t) k * inner]);
    for (int off = 16; off > 0; off >>= 1) mx = kr_max(mx, __shfl_xor_sync(0xffffffffu, mx, off));
    double s = 0.0;
    for (int k = lane; k < n; k += 32) s += (double) expf(x[base + (size_t) k * inner] - mx);
    for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
    double lse = (double) mx + log(s);
    for (int k = lane; k < n; k += 32) y[base + (size_t) k * inner] = (float) ((double) x[base + (size_t) k * inner] - lse);
}
