package kr.engine.backend;

import java.util.Optional;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Tensor;

/**
 * The kernels behind the primitives. A backend computes; it never records autograd graphs and never
 * validates user input (the primitives do both). Inputs may be arbitrary strided views; outputs are
 * new contiguous tensors on the backend's device unless a method says otherwise.
 *
 * <p>The scalar backend is the living definition of every kernel; other backends are tested against
 * it. Backends are found through {@link java.util.ServiceLoader} ({@link BackendProvider}) and chosen
 * in one place, {@link Backends}.
 */
public interface Backend {
    String name();

    Device device();

    // ---- storage and creation ----

    /** A new contiguous tensor filled with {@code value}. */
    Tensor full(int[] shape, DType dtype, double value);

    /** A new tensor holding a copy of {@code data} (row-major). */
    Tensor fromArray(float[] data, int[] shape);

    Tensor fromArray(double[] data, int[] shape);

    /** Elements of {@code t} in logical row-major order, widened to double. */
    double[] toDoubleArray(Tensor t);

    /** Elements of {@code t} in logical row-major order, narrowed to float. */
    float[] toFloatArray(Tensor t);

    // ---- elementwise ----

    Tensor unary(UnaryOp op, Tensor x);

    /** ReLU's vector-Jacobian product in one pass: {@code x > 0 ? g : 0} (PyTorch's threshold_backward); same shapes. */
    Tensor reluBackward(Tensor x, Tensor g);

    Tensor pow(Tensor x, double exponent);

    /** {@code a op b} with both broadcast to {@code outShape}. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] outShape);

    Tensor compare(CompareOp op, Tensor a, Tensor b, int[] outShape);

    /** {@code cond != 0 ? a : b}, all broadcast to {@code outShape}. */
    Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape);

    /** A contiguous copy (also materialises broadcast views). */
    Tensor copy(Tensor x);

    Tensor cast(Tensor x, DType dtype);

    // ---- reductions ----

    /** Reduces the dims flagged in {@code dims}; the result keeps them with size 1. */
    Tensor reduce(ReduceOp op, Tensor x, boolean[] dims);

    /** Index of the maximum along {@code dim} (first on ties), as values of x's dtype; keeps the dim. */
    Tensor argmax(Tensor x, int dim);

    // ---- linear algebra and convolution ----

    /** Batched matrix product {@code [..., M, K] x [..., K, N]} with batch dims broadcast to {@code outShape}. */
    Tensor matmul(Tensor a, Tensor b, int[] outShape);

    /** {@code x [N, C, H, W]} convolved with {@code w [Co, C/groups, kh, kw]}; no bias. */
    Tensor conv2d(Tensor x, Tensor w, Conv2dParams p);

    /** Gradient of conv2d with respect to its input. */
    Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p);

    /** Gradient of conv2d with respect to its weight. */
    Tensor conv2dBackwardWeight(Tensor gy, Tensor x, int[] wShape, Conv2dParams p);

    // ---- pooling ----

    /** Returns {output, argmax} where argmax holds the flat index within each input plane. */
    Tensor[] maxPool2d(Tensor x, Pool2dParams p);

    Tensor maxPool2dBackward(Tensor gy, Tensor argmax, int[] xShape);

    Tensor avgPool2d(Tensor x, Pool2dParams p);

    Tensor avgPool2dBackward(Tensor gy, int[] xShape, Pool2dParams p);

    // ---- normalization and softmax ----

    /**
     * Batch normalization with batch statistics over every dim but 1: returns {y, mean[C], invstd[C]}
     * where invstd = 1/sqrt(biased var + eps).
     */
    Tensor[] batchNorm(Tensor x, Tensor gamma, Tensor beta, double eps);

    /** Returns {dx, dgamma, dbeta} for {@link #batchNorm}. */
    Tensor[] batchNormBackward(Tensor gy, Tensor x, Tensor gamma, Tensor mean, Tensor invstd);

    /**
     * {@link #batchNorm} followed by ReLU: returns {relu(y), mean[C], invstd[C]}. A backend fuses the
     * two where it saves a pass over the data; the default composes them, and a fused kernel must
     * give the same bits as this composition.
     */
    default Tensor[] batchNormRelu(Tensor x, Tensor gamma, Tensor beta, double eps) {
        Tensor[] r = batchNorm(x, gamma, beta, eps);
        return new Tensor[] {unary(UnaryOp.RELU, r[0]), r[1], r[2]};
    }

    /**
     * {@code relu(batchNorm(x) + residual)} with {@code residual} of x's shape (a residual block's end):
     * returns {y, mean[C], invstd[C]}. Its backward composes {@link #reluBackward} and
     * {@link #batchNormBackward} (the masked gradient is also the residual's). The default composes
     * the ops; a fused kernel must give the same bits.
     */
    default Tensor[] batchNormAddRelu(Tensor x, Tensor gamma, Tensor beta, Tensor residual, double eps) {
        Tensor[] r = batchNorm(x, gamma, beta, eps);
        return new Tensor[] {unary(UnaryOp.RELU, binary(BinaryOp.ADD, r[0], residual, x.shape())), r[1], r[2]};
    }

    /**
     * Returns {dx, dgamma, dbeta} for {@link #batchNormRelu} given its output {@code y} (ReLU passes
     * the gradient where y > 0); the default composes {@link #reluBackward} and {@link #batchNormBackward}.
     */
    default Tensor[] batchNormReluBackward(Tensor gy, Tensor y, Tensor x, Tensor gamma, Tensor mean, Tensor invstd) {
        return batchNormBackward(reluBackward(y, gy), x, gamma, mean, invstd);
    }

    Tensor logSoftmax(Tensor x, int dim);

    // ---- structure ----

    Tensor concat(Tensor[] xs, int dim, int[] outShape);

    /** Constant padding: {@code before[d]} and {@code after[d]} elements on each side of dim d. */
    Tensor pad(Tensor x, int[] before, int[] after, double value);

    // ---- in place (optimizers, gradient accumulation; never recorded) ----

    /** {@code dst = src}, with src broadcast to dst's shape; dst may be any strided view. */
    void copyInto(Tensor dst, Tensor src);

    /** {@code dst += alpha * src} elementwise; both have the same shape, dst contiguous. */
    void addInto(Tensor dst, Tensor src, double alpha);

    /** {@code dst *= alpha} for a contiguous dst. */
    void scaleInPlace(Tensor dst, double alpha);

    /**
     * One SGD step in place (PyTorch semantics): {@code g += wd*p; buf = momentum*buf + (1-dampening)*g}
     * (on the first step {@code buf = g}); {@code g = nesterov ? g + momentum*buf : buf}; {@code p -= lr*g}.
     * {@code buf} may be null when momentum is 0.
     */
    void sgdStep(Tensor p, Tensor g, Tensor buf, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov, boolean firstStep);

    /**
     * One Adam/AdamW step in place. {@code decoupled} selects AdamW ({@code p -= lr*wd*p}) over
     * L2 regularisation ({@code g += wd*p}); {@code step} counts from 1 for bias correction.
     */
    void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
            double weightDecay, boolean decoupled, long step);

    /** Sum of squares of all elements, in double (gradient clipping, norms, anomaly checks). */
    double sumOfSquares(Tensor x);

    /** Flat index (logical order) of the first NaN or infinite element, or -1. */
    long firstNonFinite(Tensor x);

    // ---- extensions ----

    /**
     * A capability beyond the kernels every op needs: a method's fused kernels ({@link KrKernels}),
     * a device profiler ({@link DeviceProfiler}), graph capture for whole training steps
     * ({@link StepCapture}); empty where this backend has none. The default finds interfaces the
     * backend itself implements.
     *
     * <pre>{@code
     * KrKernels kr = Backends.of(w.device()).extension(KrKernels.class).orElseThrow();
     * }</pre>
     */
    default <T> Optional<T> extension(Class<T> type) {
        return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
    }
}
