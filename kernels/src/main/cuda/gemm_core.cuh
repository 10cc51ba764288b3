// gemm_core.cuh: the block-tile GEMM main loops shared by gemm.cu and conv.cu (implicit GEMM).
// A block computes the 128x128 tile (blockIdx.y, blockIdx.x) of C[M, N] = sum_k A(m, k) B(k, n)
// over k in [k0, k1). A, B and C are functors, so the same loop multiplies strided matrices, a
// convolution's weights by its input patches gathered on the fly (no im2col buffer), or writes a
// split-K partial. A functor's kFastest / nFastest flag says which index is unit-stride in memory,
// so the tile loads walk along it (coalesced).
//
// fp32 core: 256 threads, BK = 8, each thread accumulates an 8x8 sub-tile (rows ty*4..+3 and
// 64+ty*4..+3, likewise columns) from float4 shared-memory reads; 2*128*8 floats of shared memory,
// padded by 4 per row so the transposing stores do not collide in banks. Narrower tiles (16, 32 or
// 64 rows) use the same loop with 2 or 4 rows per thread.
// TF32 core (sm_80+): 8 warps as 2 (m) x 4 (n), each warp a 64x32 tile of mma.sync.m16n8k8 tf32
// with fp32 accumulation; BK = 16; operands rounded to tf32 (cvt.rna) when stored to shared memory.
#pragma once
#include "kr_common.cuh"
#include <stdint.h>

#define GEMM_BM 128
#define GEMM_BN 128
#define GEMM_THREADS 256
#define GEMM_BK 8
#define GEMM_PAD 4

// The fp32 core for a BM x BN block tile: 256 threads as (BM/TM) x (BN/8), each accumulating TM x 8
// (rows ty*TM.. or, for TM = 8, ty*4.. and BM/2 + ty*4..; columns tx*4.. and BN/2 + tx*4..).
// gemm_f32_tile is the 128 x 128 tile; the narrower ones serve convolutions with few channels,
// where a 128-row tile would be mostly empty.
template <int BM, int BN, int TM, class LA, class LB, class SC>
__device__ __forceinline__ void gemm_f32_tile_t(const LA& A, const LB& B, const SC& C, int M, int N, int k0, int k1) {
    constexpr int TN = 8, TX = BN / TN;
    static_assert((BM / TM) * TX == GEMM_THREADS, "a tile needs 256 threads");
    static_assert(TM == 2 || TM == 4 || TM == 8, "TM is 2, 4 or 8");
    static_assert(BN * GEMM_BK % GEMM_THREADS == 0, "B tile loads are whole rounds");
    __shared__ __align__(16) float As[GEMM_BK][BM + GEMM_PAD];
    __shared__ __align__(16) float Bs[GEMM_BK][BN + GEMM_PAD];
    const int tid = threadIdx.x, tx = threadIdx.x % TX, ty = threadIdx.x / TX;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.f;
    for (int kt = k0; kt < k1; kt += GEMM_BK) {
#pragma unroll
        for (int r = 0; r < (BM * GEMM_BK + GEMM_THREADS - 1) / GEMM_THREADS; r++) { // a constant count: unrolled
            unsigned idx = tid + r * GEMM_THREADS; // unsigned: the divisions by powers of two are shifts
            int mm, kk;
            if ((BM * GEMM_BK) % GEMM_THREADS != 0 && idx >= BM * GEMM_BK) break;
            if (A.kFastest) { mm = idx / GEMM_BK; kk = idx % GEMM_BK; } else { kk = idx / BM; mm = idx % BM; }
            int m = m0 + mm, k = kt + kk;
            As[kk][mm] = (m < M && k < k1) ? A(m, k) : 0.f;
        }
#pragma unroll
        for (int r = 0; r < BN * GEMM_BK / GEMM_THREADS; r++) {
            unsigned idx = tid + r * GEMM_THREADS;
            int nn, kk;
            if (B.nFastest) { kk = idx / BN; nn = idx % BN; } else { nn = idx / GEMM_BK; kk = idx % GEMM_BK; }
            int n = n0 + nn, k = kt + kk;
            Bs[kk][nn] = (n < N && k < k1) ? B(k, n) : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; kk++) {
            float a[TM], b[TN];
            if constexpr (TM == 8) {
                float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
                float4 a1 = *reinterpret_cast<const float4*>(&As[kk][BM / 2 + ty * 4]);
                a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w; a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
            } else if constexpr (TM == 4) {
                float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
                a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
            } else {
                float2 a0 = *reinterpret_cast<const float2*>(&As[kk][ty * 2]);
                a[0] = a0.x; a[1] = a0.y;
            }
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][BN / 2 + tx * 4]);
            b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w; b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int m = m0 + (TM == 8 ? (i < 4 ? ty * 4 + i : BM / 2 + ty * 4 + i - 4) : ty * TM + i);
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; j++) {
            int n = n0 + (j < 4 ? tx * 4 + j : BN / 2 + tx * 4 + j - 4);
            if (n < N) C(m, n, acc[i][j]);
        }
    }
}

template <class LA, class LB, class SC>
__device__ __forceinline__ void gemm_f32_tile(const LA& A, const LB& B, const SC& C, int M, int N, int k0, int k1) {
    gemm_f32_tile_t<GEMM_BM, GEMM_BN, 8>(A, B, C, M, N, k0, k1);
}

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
#define KR_HAS_TF32 1
#define TC_BK 16
#define TC_PAD 8

__device__ __forceinline__ uint32_t kr_to_tf32(float x) {
    uint32_t r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

__device__ __forceinline__ void kr_mma_tf32(float* d, const uint32_t* a, const uint32_t* b) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

template <class LA, class LB, class SC>
__device__ __forceinline__ void gemm_tf32_tile(const LA& A, const LB& B, const SC& C, int M, int N, int k0, int k1) {
    __shared__ uint32_t As[TC_BK][GEMM_BM + TC_PAD];
    __shared__ uint32_t Bs[TC_BK][GEMM_BN + TC_PAD];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32, g = lane >> 2, t = lane & 3;
    const int m0 = blockIdx.y * GEMM_BM, n0 = blockIdx.x * GEMM_BN;
    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[i][j][c] = 0.f;
    for (int kt = k0; kt < k1; kt += TC_BK) {
#pragma unroll
        for (int r = 0; r < 8; r++) {
            int idx = tid + r * GEMM_THREADS, mm, kk;
            if (A.kFastest) { mm = idx >> 4; kk = idx & 15; } else { kk = idx >> 7; mm = idx & 127; }
            int m = m0 + mm, k = kt + kk;
            As[kk][mm] = kr_to_tf32((m < M && k < k1) ? A(m, k) : 0.f);
        }
#pragma unroll
        for (int r = 0; r < 8; r++) {
            int idx = tid + r * GEMM_THREADS, nn, kk;
            if (B.nFastest) { kk = idx >> 7; nn = idx & 127; } else { nn = idx >> 4; kk = idx & 15; }
            int n = n0 + nn, k = kt + kk;
            Bs[kk][nn] = kr_to_tf32((n < N && k < k1) ? B(k, n) : 0.f);
        }
        __syncthreads();
#pragma unroll
        for (int ks = 0; ks < TC_BK; ks += 8) {
            uint32_t af[4][4], bf[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; mi++) { // A fragment (row-major 16x8): a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4)
                int r = wm + mi * 16 + g;
                af[mi][0] = As[ks + t][r];
                af[mi][1] = As[ks + t][r + 8];
                af[mi][2] = As[ks + t + 4][r];
                af[mi][3] = As[ks + t + 4][r + 8];
            }
#pragma unroll
            for (int ni = 0; ni < 4; ni++) { // B fragment (col-major 8x8): b0 (k = t, n = g), b1 (k = t+4, n = g)
                int c = wn + ni * 8 + g;
                bf[ni][0] = Bs[ks + t][c];
                bf[ni][1] = Bs[ks + t + 4][c];
            }
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++) kr_mma_tf32(acc[mi][ni], af[mi], bf[ni]);
        }
        __syncthreads();
    }
    // C fragment (16x8): c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1)
#pragma unroll
    for (int mi = 0; mi < 4; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++) {
            int m = m0 + wm + mi * 16 + g, n = n0 + wn + ni * 8 + 2 * t;
            if (m < M && n < N) C(m, n, acc[mi][ni][0]);
            if (m < M && n + 1 < N) C(m, n + 1, acc[mi][ni][1]);
            if (m + 8 < M && n < N) C(m + 8, n, acc[mi][ni][2]);
            if (m + 8 < M && n + 1 < N) C(m + 8, n + 1, acc[mi][ni][3]);
        }
}
#endif
