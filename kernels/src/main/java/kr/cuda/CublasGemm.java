package kr.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * cuBLAS SGEMM through JCublas2, used only where it loads: JCublas 12.x links against
 * libcublas.so.12, which CUDA 13 machines lack (then {@link #open} fails and kr's own GEMM kernel
 * runs; {@link CudaBackend#gemmPath()} says which). Only touched through {@link #open}, so a missing
 * library surfaces there as a LinkageError and nowhere else.
 */
final class CublasGemm implements AutoCloseable {
    private final cublasHandle handle = new cublasHandle();

    private CublasGemm(CudaContext ctx) {
        JCublas2.setExceptionsEnabled(false);
        int rc = JCublas2.cublasCreate(handle);
        if (rc != cublasStatus.CUBLAS_STATUS_SUCCESS) throw new CudaException("[cuda cublas] cublasCreate failed: " + cublasStatus.stringFor(rc));
        rc = JCublas2.cublasSetStream(handle, new cudaStream_t(ctx.stream()));
        if (rc != cublasStatus.CUBLAS_STATUS_SUCCESS) throw new CudaException("[cuda cublas] cublasSetStream failed: " + cublasStatus.stringFor(rc));
    }

    /** cuBLAS on ctx's stream; throws (LinkageError or CudaException) when it cannot be used. */
    static CublasGemm open(CudaContext ctx) {
        return new CublasGemm(ctx);
    }

    /**
     * Row-major {@code C[M, N] = A[M, K] B[K, N]} (C dense, ldc = N) where A(m, k) is at
     * {@code a + m*ars + k*acs} and one of its strides is 1 (likewise B). Returns false when the
     * layout is not one cuBLAS takes (the caller then runs kr's kernel).
     */
    boolean sgemm(Pointer c, Pointer a, int ars, int acs, Pointer b, int brs, int bcs, int m, int n, int k) {
        // Column-major view: C^T [N, M] = B^T [N, K] * A^T [K, M].
        int opB, ldb, opA, lda;
        if (bcs == 1 && brs >= Math.max(1, n)) { opB = cublasOperation.CUBLAS_OP_N; ldb = brs; }
        else if (brs == 1 && bcs >= Math.max(1, k)) { opB = cublasOperation.CUBLAS_OP_T; ldb = bcs; }
        else return false;
        if (acs == 1 && ars >= Math.max(1, k)) { opA = cublasOperation.CUBLAS_OP_N; lda = ars; }
        else if (ars == 1 && acs >= Math.max(1, m)) { opA = cublasOperation.CUBLAS_OP_T; lda = acs; }
        else return false;
        int rc = JCublas2.cublasSgemm(handle, opB, opA, n, m, k, Pointer.to(new float[] {1f}), b, ldb, a, lda, Pointer.to(new float[] {0f}), c, n);
        if (rc != cublasStatus.CUBLAS_STATUS_SUCCESS) throw new CudaException("[cuda matmul] cublasSgemm failed: " + cublasStatus.stringFor(rc));
        return true;
    }

    @Override
    public void close() {
        JCublas2.cublasDestroy(handle);
    }
}
