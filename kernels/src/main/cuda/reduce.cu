// reduce.cu: sum and max over any set of dims, argmax, sum of squares, first non-finite index.
// A reduction is M outputs of R terms each: output m starts at kr_at(kept, m) and term j sits a
// further kr_at(red, j) away, so any strided view is reduced in place. Sums accumulate in double
// (inputs are float32, so the result is the exact sum rounded once for all but huge R); trees
// have a fixed shape and block partials are combined in order: results are deterministic.
// Few long rows (small M, large R) split each row over S blocks (reduce_partial + reduce_finish);
// many short rows use a warp per output (reduce_warp).
#include "kr_common.cuh"

enum { R_SUM, R_MAX };

// One warp per output; 8 warps per block.
extern "C" __global__ void reduce_warp_f32(float* out, const float* x, Layout kept, Layout red, int M, int R, int op) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp >= M) return;
    int base = kr_at(kept, warp);
    if (op == R_SUM) {
        double s = 0.0;
        for (int j = lane; j < R; j += 32) s += (double) x[base + kr_at(red, j)];
        s = kr_warp_sum(s);
        if (lane == 0) out[warp] = (float) s;
    } else {
        float m = __int_as_float(0xff800000); // -inf: the max of nothing, as in the reference
        for (int j = lane; j < R; j += 32) m = kr_max(m, x[base + kr_at(red, j)]);
        for (int o = 16; o > 0; o >>= 1) m = kr_max(m, __shfl_down_sync(0xffffffffu, m, o));
        if (lane == 0) out[warp] = m;
    }
}

// Block (s, m) reduces terms [s*chunk, (s+1)*chunk) of output m into partial[m*S + s].
extern "C" __global__ void reduce_partial_f32(double* partial, const float* x, Layout kept, Layout red, int M, int R, int S, int op) {
    int s = blockIdx.x, m = blockIdx.y;
    int chunk = (R + S - 1) / S, lo = s * chunk, hi = min(R, lo + chunk);
    int base = kr_at(kept, m);
    if (op == R_SUM) {
        double acc = 0.0;
        for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) acc += (double) x[base + kr_at(red, j)];
        acc = kr_block_sum(acc);
        if (threadIdx.x == 0) partial[m * S + s] = acc;
    } else {
        __shared__ float part[32];
        float v = __int_as_float(0xff800000);
        for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) v = kr_max(v, x[base + kr_at(red, j)]);
        for (int o = 16; o > 0; o >>= 1) v = kr_max(v, __shfl_down_sync(0xffffffffu, v, o));
        if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int w = 1; w < (int) (blockDim.x >> 5); w++) v = kr_max(v, part[w]);
            partial[m * S + s] = (double) v;
        }
    }
}

extern "C" __global__ void reduce_finish_f32(float* out, const double* partial, int M, int S, int op) {
    KR_FOR(m, M) {
        if (op == R_SUM) {
            double acc = 0.0;
            for (int s = 0; s < S; s++) acc += partial[m * S + s];
            out[m] = (float) acc;
        } else {
            float v = __int_as_float(0xff800000);
            for (int s = 0; s < S; s++) v = kr_max(v, (float) partial[m * S + s]);
            out[m] = v;
        }
    }
}

// Whether (va, ia) beats (vb, ib) for argmax: NaN first, then the larger value, then the smaller index.
__device__ __forceinline__ bool argmax_better(float va, int ia, float vb, int ib) {
    bool na = isnan(va), nb = isnan(vb);
    if (na || nb) return na && (!nb || ia < ib);
    if (va != vb) return va > vb;
    return ia < ib;
}

// x dense [outer, n, inner]; one warp per (o, i); the index is written as a float (exact below 2^24).
extern "C" __global__ void argmax_f32(float* out, const float* x, int outer, int n, int inner) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp >= outer * inner) return;
    int o = warp / inner, i = warp - o * inner;
    const float* row = x + (size_t) o * n * inner + i;
    float bv = 0.f;
    int bi = -1;
    for (int k = lane; k < n; k += 32) {
        float v = row[(size_t) k * inner];
        if (bi < 0 || argmax_better(v, k, bv, bi)) {
            bv = v;
            bi = k;
        }
    }
    for (int off = 16; off > 0; off >>= 1) {
        float ov = __shfl_down_sync(0xffffffffu, bv, off);
        int oi = __shfl_down_sync(0xffffffffu, bi, off);
        if (oi >= 0 && (bi < 0 || argmax_better(ov, oi, bv, bi))) {
            bv = ov;
            bi = oi;
        }
    }
    if (lane == 0) out[warp] = (float) bi;
}

// Per-block sums of squares; the host adds the partials in block order.
extern "C" __global__ void sumsq_partial_f32(double* partial, const float* x, Layout lx, int n) {
    double acc = 0.0;
    KR_FOR(i, n) {
        double v = (double) x[kr_at(lx, i)];
        acc += v * v;
    }
    acc = kr_block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// *first = min(*first, i) over non-finite elements; the host initialises *first to INT_MAX.
extern "C" __global__ void first_nonfinite_f32(int* first, const float* x, Layout lx, int n) {
    KR_FOR(i, n) {
        if (!isfinite(x[kr_at(lx, i)])) atomicMin(first, i);
    }
}
