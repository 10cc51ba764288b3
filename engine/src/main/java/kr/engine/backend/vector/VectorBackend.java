package kr.engine.backend.vector;

import kr.engine.backend.scalar.ScalarBackend;

/**
 * The fast CPU backend: float32 kernels on the Vector API ({@code jdk.incubator.vector}),
 * multi-threaded through {@link Parallel}. Anything it does not specialise (float64, unusual
 * layouts) falls through to the reference implementation it extends.
 */
public class VectorBackend extends ScalarBackend {
    @Override
    public String name() {
        return "vector";
    }

    // ================================================================== matmul and convolution
    // (Gemm, ConvKernels) -- overrides of matmul, conv2d, conv2dBackwardInput, conv2dBackwardWeight go here

    /** Batched matmuls smaller than this (multiply-adds each) are spread over threads by batch instead of inside the GEMM. */
    private static final long SMALL_GEMM = 1L << 21;

    /** {@code t} itself when it is already dense, else a contiguous copy (float32 kernels read raw arrays). */
    private kr.engine.Tensor gemmInput(kr.engine.Tensor t) {
        return t.isContiguous() ? t : copy(t);
    }

    private static boolean gemmFloat32(kr.engine.Tensor... ts) {
        for (kr.engine.Tensor t : ts)
            if (t.dtype() != kr.engine.DType.F32) return false;
        return true;
    }

    @Override
    public kr.engine.Tensor matmul(kr.engine.Tensor a, kr.engine.Tensor b, int[] out) {
        if (!gemmFloat32(a, b)) return super.matmul(a, b, out);
        int r = out.length, m = out[r - 2], n = out[r - 1], k = a.shape(-1);
        int[] batch = java.util.Arrays.copyOf(out, r - 2);
        int nb = kr.engine.Shapes.numel(batch);
        float[] c = new float[nb * m * n];
        kr.engine.Tensor result = kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(c), out);
        if (c.length == 0) return result;
        int[] sa = kr.engine.Shapes.broadcastStrides(a.shape(), a.strides(), kr.engine.Shapes.concat(batch, m, k));
        int[] sb = kr.engine.Shapes.broadcastStrides(b.shape(), b.strides(), kr.engine.Shapes.concat(batch, k, n));
        // a matrix is usable in place when one of its two dims is unit-stride (else copy it densely)
        if (!(sa[r - 1] == 1 || k == 1 || sa[r - 2] == 1 || m == 1)) {
            a = copy(a);
            sa = kr.engine.Shapes.broadcastStrides(a.shape(), a.strides(), kr.engine.Shapes.concat(batch, m, k));
        }
        if (!(sb[r - 1] == 1 || n == 1 || sb[r - 2] == 1 || k == 1)) {
            b = copy(b);
            sb = kr.engine.Shapes.broadcastStrides(b.shape(), b.strides(), kr.engine.Shapes.concat(batch, k, n));
        }
        boolean transA = !(sa[r - 1] == 1 || k == 1), transB = !(sb[r - 1] == 1 || n == 1);
        int lda = transA ? sa[r - 1] : sa[r - 2], ldb = transB ? sb[r - 1] : sb[r - 2];
        float[] av = st(a).floats(), bv = st(b).floats();
        int[] aOff = matmulBatchOffsets(batch, sa, a.offset()), bOff = matmulBatchOffsets(batch, sb, b.offset());
        boolean foldBatch = nb > 1 && !transA && matmulSameStep(aOff, m * lda) && matmulSameStep(bOff, 0);
        if (foldBatch) {
            // b is shared by every batch and a's matrices are stacked rows: one GEMM of nb*m rows
            Gemm.sgemm(false, transB, nb * m, n, k, 1f, av, aOff[0], lda, bv, bOff[0], ldb, 0f, c, 0, n, true);
        } else if (nb >= Parallel.threads() && (long) m * n * k < SMALL_GEMM) {
            final boolean tA = transA, tB = transB;
            Parallel.forRange(nb, 1, (chunk, lo, hi) -> {
                for (int q = lo; q < hi; q++)
                    Gemm.sgemm(tA, tB, m, n, k, 1f, av, aOff[q], lda, bv, bOff[q], ldb, 0f, c, q * m * n, n, false);
            });
        } else {
            for (int q = 0; q < nb; q++) Gemm.sgemm(transA, transB, m, n, k, 1f, av, aOff[q], lda, bv, bOff[q], ldb, 0f, c, q * m * n, n, true);
        }
        return result;
    }

    /** Storage offset of every batch matrix, in row-major batch order. */
    private static int[] matmulBatchOffsets(int[] batch, int[] strides, int base) {
        int nb = kr.engine.Shapes.numel(batch);
        int[] off = new int[nb];
        int[] idx = new int[batch.length];
        for (int q = 0; q < nb; q++) {
            int o = base;
            for (int d = 0; d < batch.length; d++) o += idx[d] * strides[d];
            off[q] = o;
            for (int d = batch.length - 1; d >= 0 && ++idx[d] == batch[d]; d--) idx[d] = 0;
        }
        return off;
    }

    private static boolean matmulSameStep(int[] off, int step) {
        for (int q = 1; q < off.length; q++)
            if (off[q] - off[q - 1] != step) return false;
        return true;
    }

    @Override
    public kr.engine.Tensor conv2d(kr.engine.Tensor x, kr.engine.Tensor w, kr.engine.backend.Conv2dParams p) {
        if (!gemmFloat32(x, w)) return super.conv2d(x, w, p);
        x = gemmInput(x);
        w = gemmInput(w);
        ConvKernels.Geometry g = ConvKernels.Geometry.of(x.shape(), w.shape(), p);
        float[] y = new float[g.outputSize()];
        ConvKernels.forward(st(x).floats(), x.offset(), st(w).floats(), w.offset(), y, g);
        return kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(y), new int[] {g.n(), g.co(), g.ho(), g.wo()});
    }

    @Override
    public kr.engine.Tensor conv2dBackwardInput(kr.engine.Tensor gy, kr.engine.Tensor w, int[] xShape, kr.engine.backend.Conv2dParams p) {
        if (!gemmFloat32(gy, w)) return super.conv2dBackwardInput(gy, w, xShape, p);
        gy = gemmInput(gy);
        w = gemmInput(w);
        ConvKernels.Geometry g = ConvKernels.Geometry.of(xShape, w.shape(), p);
        float[] gx = new float[g.inputSize()];
        ConvKernels.backwardInput(st(gy).floats(), gy.offset(), st(w).floats(), w.offset(), gx, g);
        return kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(gx), xShape.clone());
    }

    @Override
    public kr.engine.Tensor conv2dBackwardWeight(kr.engine.Tensor gy, kr.engine.Tensor x, int[] wShape, kr.engine.backend.Conv2dParams p) {
        if (!gemmFloat32(gy, x)) return super.conv2dBackwardWeight(gy, x, wShape, p);
        gy = gemmInput(gy);
        x = gemmInput(x);
        ConvKernels.Geometry g = ConvKernels.Geometry.of(x.shape(), wShape, p);
        float[] gw = new float[g.weightSize()];
        ConvKernels.backwardWeight(st(gy).floats(), gy.offset(), st(x).floats(), x.offset(), gw, g);
        return kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(gw), wShape.clone());
    }

    // ================================================================== end of matmul and convolution

    // ================================================================== elementwise, reductions, normalization,
    // pooling, softmax, structure and in-place kernels go below

    // ================================================================== end
}
