package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/**
 * Batch normalization with the batch's statistics over every dim but 1 (training mode):
 * {@code y = (x - mean) * invstd * gamma + beta}, optionally followed by ReLU in the same pass
 * (conv-bn-relu; its backward reads ReLU's mask from y, so the pre-ReLU output is never kept).
 * Evaluation with running statistics is an affine map composed by the layer.
 *
 * <pre>{@code Tensor y = BatchNorm.apply(x, gamma, beta, 1e-5, true).y(); // relu(batch_norm(x))}</pre>
 */
public final class BatchNorm implements Primitive {
    private Tensor mean;
    private Tensor invstd;
    private final boolean relu;

    private BatchNorm(Tensor mean, Tensor invstd, boolean relu) {
        this.mean = mean;
        this.invstd = invstd;
        this.relu = relu;
    }

    /** The normalized output with the batch mean and 1/sqrt(biased variance + eps), both [C]. */
    public record Result(Tensor y, Tensor mean, Tensor invstd) {}

    public static Result apply(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return apply(x, gamma, beta, eps, false);
    }

    /** With {@code relu}, y is {@code relu(batch_norm(x))} (mean and invstd as without). */
    public static Result apply(Tensor x, Tensor gamma, Tensor beta, double eps, boolean relu) {
        Checks.compatible("batch_norm", x, gamma, beta);
        int[] xs = x.shape();
        if (xs.length < 2) throw Checks.fail("batch_norm", "expects input [N, C, ...], got " + Shapes.str(xs));
        int c = xs[1];
        if (gamma.dim() != 1 || gamma.shape(0) != c || beta.dim() != 1 || beta.shape(0) != c)
            throw Checks.fail("batch_norm", "weight " + Shapes.str(gamma.shape()) + " and bias " + Shapes.str(beta.shape())
                    + " must both be [" + c + "] for input " + Shapes.str(xs));
        if (x.numel() / Math.max(c, 1) < 2)
            throw Checks.fail("batch_norm", "needs more than one value per channel in training mode, got input " + Shapes.str(xs));
        if (!(eps > 0)) throw Checks.fail("batch_norm", "eps must be positive, got " + eps);
        var be = Backends.of(x.device());
        Tensor[] r = relu ? be.batchNormRelu(x, gamma, beta, eps) : be.batchNorm(x, gamma, beta, eps);
        Tensor y = Autograd.record(new BatchNorm(r[1], r[2], relu), r[0], x, gamma, beta);
        return new Result(y, r[1], r[2]);
    }

    @Override
    public String name() {
        return relu ? "batch_norm_relu" : "batch_norm";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        var be = Backends.of(g.device());
        Tensor[] r = relu ? be.batchNormReluBackward(g, y, in[0], in[1], mean, invstd) : be.batchNormBackward(g, in[0], in[1], mean, invstd);
        return new Tensor[] {needs[0] ? r[0] : null, needs[1] ? r[1] : null, needs[2] ? r[2] : null};
    }
}
