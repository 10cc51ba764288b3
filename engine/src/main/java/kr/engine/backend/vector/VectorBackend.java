package kr.engine.backend.vector;

import kr.engine.DType;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.CompareOp;
import kr.engine.backend.Pool2dParams;
import kr.engine.backend.ReduceOp;
import kr.engine.backend.UnaryOp;
import kr.engine.backend.scalar.ScalarBackend;

/**
 * The fast CPU backend: float32 kernels on the Vector API ({@code jdk.incubator.vector}),
 * multi-threaded through {@link Parallel}. Anything it does not specialise (float64, unusual
 * layouts) falls through to the reference implementation it extends.
 *
 * <p>Kernels live in {@code Elementwise} (any strided/broadcast layout via {@code StridedRuns}),
 * {@code Reductions}, {@code NormKernels} (batchNorm, logSoftmax), {@code PoolKernels} and
 * {@code OptimKernels}; {@code BackendConformanceTest} checks every one against the reference.
 */
public class VectorBackend extends ScalarBackend {
    @Override
    public String name() {
        return "vector";
    }

    // ------------------------------------------------------------------ matmul and convolution (Gemm, ConvKernels)

    /** Batched matmuls smaller than this (multiply-adds each) are spread over threads by batch instead of inside the GEMM. */
    private static final long SMALL_GEMM = 1L << 21;

    /** {@code t} itself when it is already dense, else a contiguous copy (float32 kernels read raw arrays). */
    private kr.engine.Tensor gemmInput(kr.engine.Tensor t) {
        return t.isContiguous() ? t : copy(t);
    }

    @Override
    public kr.engine.Tensor matmul(kr.engine.Tensor a, kr.engine.Tensor b, int[] out) {
        if (!f32(a, b)) return super.matmul(a, b, out);
        int r = out.length, m = out[r - 2], n = out[r - 1], k = a.shape(-1);
        int[] batch = java.util.Arrays.copyOf(out, r - 2);
        int nb = kr.engine.Shapes.numel(batch);
        float[] c = kr.engine.backend.CpuStorage.outputArray(nb * m * n, false); // beta 0: the GEMM writes C without reading it
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
        if (!f32(x, w)) return super.conv2d(x, w, p);
        x = gemmInput(x);
        w = gemmInput(w);
        ConvKernels.Geometry g = ConvKernels.Geometry.of(x.shape(), w.shape(), p);
        float[] y = kr.engine.backend.CpuStorage.outputArray(g.outputSize(), false);
        ConvKernels.forward(st(x).floats(), x.offset(), st(w).floats(), w.offset(), y, g);
        return kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(y), new int[] {g.n(), g.co(), g.ho(), g.wo()});
    }

    @Override
    public kr.engine.Tensor conv2dBackwardInput(kr.engine.Tensor gy, kr.engine.Tensor w, int[] xShape, kr.engine.backend.Conv2dParams p) {
        if (!f32(gy, w)) return super.conv2dBackwardInput(gy, w, xShape, p);
        gy = gemmInput(gy);
        w = gemmInput(w);
        ConvKernels.Geometry g = ConvKernels.Geometry.of(xShape, w.shape(), p);
        float[] gx = kr.engine.backend.CpuStorage.outputArray(g.inputSize(), false);
        ConvKernels.backwardInput(st(gy).floats(), gy.offset(), st(w).floats(), w.offset(), gx, g);
        return kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(gx), xShape.clone());
    }

    @Override
    public kr.engine.Tensor conv2dBackwardWeight(kr.engine.Tensor gy, kr.engine.Tensor x, int[] wShape, kr.engine.backend.Conv2dParams p) {
        if (!f32(gy, x)) return super.conv2dBackwardWeight(gy, x, wShape, p);
        gy = gemmInput(gy);
        x = gemmInput(x);
        ConvKernels.Geometry g = ConvKernels.Geometry.of(x.shape(), wShape, p);
        float[] gw = kr.engine.backend.CpuStorage.outputArray(g.weightSize(), false);
        ConvKernels.backwardWeight(st(gy).floats(), gy.offset(), st(x).floats(), x.offset(), gw, g);
        return kr.engine.Tensor.wrap(kr.engine.backend.CpuStorage.of(gw), wShape.clone());
    }

    // ------------------------------------------------------------------ elementwise, reductions, normalization, softmax, pooling, in place
    // Each override takes the float32 fast path and leaves float64 and mixed dtypes to the reference.

    /** Whether every non-null tensor is float32 (then the vector kernels apply). */
    private static boolean f32(Tensor... ts) {
        for (Tensor t : ts) if (t != null && t.dtype() != DType.F32) return false;
        return true;
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        if (!f32(t) || t.isContiguous()) return super.toFloatArray(t);
        return Vec.floats(Elementwise.copy(t));
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        return f32(x) ? Elementwise.unary(op, x) : super.unary(op, x);
    }

    @Override
    public Tensor pow(Tensor x, double exponent) {
        return f32(x) ? Elementwise.pow(x, exponent) : super.pow(x, exponent);
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] outShape) {
        return f32(a, b) ? Elementwise.binary(op, a, b, outShape) : super.binary(op, a, b, outShape);
    }

    @Override
    public Tensor compare(CompareOp op, Tensor a, Tensor b, int[] outShape) {
        return f32(a, b) ? Elementwise.compare(op, a, b, outShape) : super.compare(op, a, b, outShape);
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape) {
        return f32(cond, a, b) ? Elementwise.where(cond, a, b, outShape) : super.where(cond, a, b, outShape);
    }

    @Override
    public Tensor copy(Tensor x) {
        return f32(x) ? Elementwise.copy(x) : super.copy(x);
    }

    @Override
    public Tensor cast(Tensor x, DType dtype) {
        if (!f32(x)) return super.cast(x, dtype);
        return dtype == DType.F32 ? Elementwise.copy(x) : Elementwise.toF64(x);
    }

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, boolean[] dims) {
        return f32(x) && x.numel() > 0 ? Reductions.reduce(op, x, dims) : super.reduce(op, x, dims);
    }

    @Override
    public Tensor argmax(Tensor x, int dim) {
        // indices are stored as float32 values, exact below 2^24
        return f32(x) && x.shape(dim) <= (1 << 24) ? Reductions.argmax(x, dim) : super.argmax(x, dim);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        return f32(x) ? Reductions.sumOfSquares(x) : super.sumOfSquares(x);
    }

    @Override
    public long firstNonFinite(Tensor x) {
        return f32(x) ? Reductions.firstNonFinite(x) : super.firstNonFinite(x);
    }

    @Override
    public Tensor[] batchNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return f32(x, gamma, beta) ? NormKernels.batchNorm(x, gamma, beta, null, eps, false) : super.batchNorm(x, gamma, beta, eps);
    }

    @Override
    public Tensor[] batchNormBackward(Tensor gy, Tensor x, Tensor gamma, Tensor mean, Tensor invstd) {
        return f32(gy, x, gamma, mean, invstd) ? NormKernels.batchNormBackward(gy, null, x, gamma, mean, invstd)
                : super.batchNormBackward(gy, x, gamma, mean, invstd);
    }

    @Override
    public Tensor[] batchNormRelu(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return f32(x, gamma, beta) ? NormKernels.batchNorm(x, gamma, beta, null, eps, true) : super.batchNormRelu(x, gamma, beta, eps);
    }

    @Override
    public Tensor[] batchNormAddRelu(Tensor x, Tensor gamma, Tensor beta, Tensor residual, double eps) {
        return f32(x, gamma, beta, residual) && Shapes.same(x.shape(), residual.shape())
                ? NormKernels.batchNorm(x, gamma, beta, residual, eps, true) : super.batchNormAddRelu(x, gamma, beta, residual, eps);
    }

    @Override
    public Tensor[] batchNormReluBackward(Tensor gy, Tensor y, Tensor x, Tensor gamma, Tensor mean, Tensor invstd) {
        return f32(gy, y, x, gamma, mean, invstd) ? NormKernels.batchNormBackward(gy, y, x, gamma, mean, invstd)
                : super.batchNormReluBackward(gy, y, x, gamma, mean, invstd);
    }

    @Override
    public Tensor logSoftmax(Tensor x, int dim) {
        return f32(x) ? NormKernels.logSoftmax(x, dim) : super.logSoftmax(x, dim);
    }

    @Override
    public Tensor[] maxPool2d(Tensor x, Pool2dParams p) {
        // the argmax plane index is stored as float32, exact below 2^24
        return f32(x) && x.shape(2) * x.shape(3) <= (1 << 24) ? PoolKernels.maxPool2d(x, p) : super.maxPool2d(x, p);
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gy, Tensor argmax, int[] xShape) {
        return f32(gy, argmax) ? PoolKernels.maxPool2dBackward(gy, argmax, xShape) : super.maxPool2dBackward(gy, argmax, xShape);
    }

    /** PyTorch's divisor of every output window, computed once per call. */
    private static int[] avgDivisors(Pool2dParams p, int h, int w, int ho, int wo) {
        int[] div = new int[ho * wo];
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) div[oy * wo + ox] = avgDivisor(p, h, w, oy, ox);
        return div;
    }

    @Override
    public Tensor avgPool2d(Tensor x, Pool2dParams p) {
        if (!f32(x)) return super.avgPool2d(x, p);
        int h = x.shape(2), w = x.shape(3);
        return PoolKernels.avgPool2d(x, p, avgDivisors(p, h, w, p.outH(h), p.outW(w)));
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gy, int[] xShape, Pool2dParams p) {
        if (!f32(gy)) return super.avgPool2dBackward(gy, xShape, p);
        return PoolKernels.avgPool2dBackward(gy, xShape, p, avgDivisors(p, xShape[2], xShape[3], gy.shape(2), gy.shape(3)));
    }

    // concat and pad are inherited: the reference composes them from full() and copyInto(), which
    // dispatch to the vector copy below.

    @Override
    public void copyInto(Tensor dst, Tensor src) {
        if (!f32(dst, src)) {
            super.copyInto(dst, src);
            return;
        }
        // the kernel writes while it reads: copy a source that shares dst's storage first
        Elementwise.copyInto(dst, src.storage() == dst.storage() ? Elementwise.copy(src) : src);
    }

    @Override
    public void addInto(Tensor dst, Tensor src, double alpha) {
        if (f32(dst, src) && dst.isContiguous()) Elementwise.addInto(dst, src.storage() == dst.storage() ? Elementwise.copy(src) : src, alpha);
        else super.addInto(dst, src, alpha);
    }

    @Override
    public void scaleInPlace(Tensor dst, double alpha) {
        if (f32(dst) && dst.isContiguous()) Elementwise.scaleInPlace(dst, alpha);
        else super.scaleInPlace(dst, alpha);
    }

    @Override
    public void sgdStep(Tensor p, Tensor g, Tensor buf, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov, boolean firstStep) {
        requireDense("sgd", p, buf);
        if (f32(p, g, buf) && (momentum == 0 || buf != null))
            OptimKernels.sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        else super.sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    @Override
    public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean decoupled, long step) {
        requireDense("adam", p, m, v);
        if (f32(p, g, m, v)) OptimKernels.adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
        else super.adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
    }

    // ------------------------------------------------------------------ KR sparse recoding, relu backward

    @Override
    public double sparseRecoding(Tensor grad, Tensor w, Tensor prior, double threshold, double beta) {
        requireDense("sparse_recoding", grad);
        return f32(grad, w, prior) ? SparseRecodingKernels.sparseRecoding(grad, w, prior, threshold, beta) : super.sparseRecoding(grad, w, prior, threshold, beta);
    }

    @Override
    public Tensor reluBackward(Tensor x, Tensor g) {
        return f32(x, g) && Shapes.same(x.shape(), g.shape()) ? Elementwise.reluBackward(x, g) : super.reluBackward(x, g);
    }
}
