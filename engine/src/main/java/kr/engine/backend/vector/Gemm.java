package kr.engine.backend.vector;

/**
 * Single-precision GEMM on row-major arrays: {@code C = alpha * op(A) * op(B) + beta * C} where
 * op(A) is [m, k] and op(B) is [k, n]. (Seam for the packed, cache-blocked Vector API kernel.)
 */
public final class Gemm {
    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b,
            int bOff, int ldb, float beta, float[] c, int cOff, int ldc, boolean parallel) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
            }
        }
    }
}
