// kr_common.cuh: what every kr kernel family shares. A Layout describes one strided (or broadcast,
// stride 0) view of a tensor so kernels read any view in place; rank -1 marks a dense view
// (element i at offset + i), which skips the index arithmetic.
#pragma once
#include <stdint.h>

#define KR_MAX_DIMS 8

// Passed by value as a kernel argument: int rank, int offset, int shape[8], int stride[8] (72 bytes).
struct Layout {
    int rank;
    int offset;
    int shape[KR_MAX_DIMS];
    int stride[KR_MAX_DIMS];
};

// Storage index of logical (row-major) element i of the view.
__device__ __forceinline__ int kr_at(const Layout& L, int i) {
    if (L.rank < 0) return L.offset + i;
    int off = L.offset;
    for (int d = L.rank - 1; d >= 0; --d) {
        int s = L.shape[d];
        int q = i / s;
        off += (i - q * s) * L.stride[d];
        i = q;
    }
    return off;
}

// Grid-stride loop over [0, n).
#define KR_FOR(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

__device__ __forceinline__ double kr_warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// Sum over a block (blockDim.x a multiple of 32, at most 1024); the result is valid in thread 0.
// Fixed shape of the tree: the result does not depend on scheduling (deterministic).
__device__ __forceinline__ double kr_block_sum(double v) {
    __shared__ double part[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = kr_warp_sum(v);
    __syncthreads(); // part may still be read by a previous call
    if (lane == 0) part[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = threadIdx.x < warps ? part[threadIdx.x] : 0.0;
    if (warp == 0) v = kr_warp_sum(v);
    return v;
}

// max as the reference defines it: NaN wins, else the larger value.
__device__ __forceinline__ float kr_max(float a, float b) {
    if (isnan(a)) return a;
    if (isnan(b)) return b;
    return b > a ? b : a;
}

// One SGD element update with torch.optim.SGD's semantics (L2 weight decay, momentum with
// dampening, Nesterov; on the first step the buffer starts as the gradient), arithmetic in double,
// each stored value rounded once. buf is unused when momentum is 0. Shared by sgd_step_f32,
// sparse_recoding_sgd_f32 and the multi-tensor sgd_multi_f32, so all three round alike
// (kr_sgd_values on registers, kr_sgd_update on memory).
__device__ __forceinline__ void kr_sgd_values(float& p, float& buf, double g, double lr, double momentum, double dampening, double wd,
        int nesterov, int first) {
    double pv = (double) p;
    double d = g + wd * pv;
    if (momentum != 0.0) {
        double b = first ? d : momentum * (double) buf + (1.0 - dampening) * d;
        buf = (float) b;
        d = nesterov ? d + momentum * b : b;
    }
    p = (float) (pv - lr * d);
}

__device__ __forceinline__ void kr_sgd_update(float* p, float* buf, int i, double g, double lr, double momentum, double dampening,
        double wd, int nesterov, int first) {
    float pv = p[i], bv = momentum != 0.0 && !first ? buf[i] : 0.f;
    kr_sgd_values(pv, bv, g, lr, momentum, dampening, wd, nesterov, first);
    p[i] = pv;
    if (momentum != 0.0) buf[i] = bv;
}

// Whether every pointer is 16-byte aligned (a float4 path may read them).
__device__ __forceinline__ bool kr_aligned16(const void* a, const void* b, const void* c, const void* d = nullptr) {
    return ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(c) | reinterpret_cast<uintptr_t>(d)) & 15) == 0;
}
