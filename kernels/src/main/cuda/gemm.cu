// gemm.cu: batched matrix products C[z] = A[z] B[z] for any strided operands. A(m, k) sits at
// a + batchOffset(z) + m*ars + k*acs (likewise B), so transposed, stepped and broadcast-batch
// operands are read in place; C is dense [batch, M, N]. gemm_f32 is the fp32 tile core of
// gemm_core.cuh; gemm_tf32 (only in the compute_80+ PTX) the tensor-core one, used when kr.tf32
// is on. Blocks over the batch: blockIdx.z + z0 (the host launches 65535 at a time).
#include "gemm_core.cuh"

struct MatA {
    const float* p;
    int rs, cs;
    bool kFastest;
    __device__ float operator()(int m, int k) const { return p[(size_t) m * rs + (size_t) k * cs]; }
};

struct MatB {
    const float* p;
    int rs, cs;
    bool nFastest;
    __device__ float operator()(int k, int n) const { return p[(size_t) k * rs + (size_t) n * cs]; }
};

struct MatC {
    float* p;
    int ld;
    __device__ void operator()(int m, int n, float v) const { p[(size_t) m * ld + n] = v; }
};

#define GEMM_ARGS float *c, const float *a, Layout ba, int ars, int acs, const float *b, Layout bb, int brs, int bcs, int M, int N, int K, int z0
#define GEMM_SETUP                                                        \
    int z = blockIdx.z + z0;                                              \
    MatA A{a + kr_at(ba, z), ars, acs, acs == 1 || K == 1};               \
    MatB B{b + kr_at(bb, z), brs, bcs, bcs == 1 || N == 1};               \
    MatC C{c + (size_t) z * M * N, N};

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_f32(GEMM_ARGS) {
    GEMM_SETUP
    gemm_f32_tile(A, B, C, M, N, 0, K);
}

#ifdef KR_HAS_TF32
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_tf32(GEMM_ARGS) {
    GEMM_SETUP
    gemm_tf32_tile(A, B, C, M, N, 0, K);
}
#endif
