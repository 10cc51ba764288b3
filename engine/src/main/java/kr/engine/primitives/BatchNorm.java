package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/**
 * Batch normalization with the batch's statistics over every dim but 1 (training mode):
 * {@code y = (x - mean) * invstd * gamma + beta}, optionally followed in the same pass by ReLU
 * (conv-bn-relu) or by a residual's add and ReLU (the end of a residual block). Backward reads ReLU's
 * mask from y, so the pre-ReLU values are never kept. Evaluation with running statistics is an
 * affine map composed by the layer.
 *
 * <pre>{@code
 * Tensor h = BatchNorm.apply(x, gamma, beta, 1e-5, true).y();             // relu(batch_norm(x))
 * Tensor out = BatchNorm.applyAddRelu(x, gamma, beta, skip, 1e-5).y();    // relu(batch_norm(x) + skip)
 * }</pre>
 */
public final class BatchNorm implements Primitive {
    private Tensor mean;
    private Tensor invstd;
    private final boolean relu, residual;

    private BatchNorm(Tensor mean, Tensor invstd, boolean relu, boolean residual) {
        this.mean = mean;
        this.invstd = invstd;
        this.relu = relu;
        this.residual = residual;
    }

    /** The normalized output with the batch mean and 1/sqrt(biased variance + eps), both [C]. */
    public record Result(Tensor y, Tensor mean, Tensor invstd) {}

    public static Result apply(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return apply(x, gamma, beta, eps, false);
    }

    /** With {@code relu}, y is {@code relu(batch_norm(x))} (mean and invstd as without). */
    public static Result apply(Tensor x, Tensor gamma, Tensor beta, double eps, boolean relu) {
        check(x, gamma, beta, eps);
        var be = Backends.of(x.device());
        Tensor[] r = relu ? be.batchNormRelu(x, gamma, beta, eps) : be.batchNorm(x, gamma, beta, eps);
        Tensor y = Autograd.record(new BatchNorm(r[1], r[2], relu, false), r[0], x, gamma, beta);
        return new Result(y, r[1], r[2]);
    }

    /** {@code relu(batch_norm(x) + residual)}, residual of x's shape; its gradient is the masked gradient. */
    public static Result applyAddRelu(Tensor x, Tensor gamma, Tensor beta, Tensor residual, double eps) {
        check(x, gamma, beta, eps);
        Checks.compatible("batch_norm", x, residual);
        if (!Shapes.same(x.shape(), residual.shape()))
            throw Checks.fail("batch_norm", "residual " + Shapes.str(residual.shape()) + " must have the input's shape " + Shapes.str(x.shape()));
        Tensor[] r = Backends.of(x.device()).batchNormAddRelu(x, gamma, beta, residual, eps);
        Tensor y = Autograd.record(new BatchNorm(r[1], r[2], true, true), r[0], x, gamma, beta, residual);
        return new Result(y, r[1], r[2]);
    }

    private static void check(Tensor x, Tensor gamma, Tensor beta, double eps) {
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
    }

    @Override
    public String name() {
        return residual ? "batch_norm_add_relu" : relu ? "batch_norm_relu" : "batch_norm";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        var be = Backends.of(g.device());
        if (residual) { // ReLU's mask once, shared by the residual and batch norm
            Tensor gm = be.reluBackward(y, g);
            Tensor[] r = be.batchNormBackward(gm, in[0], in[1], mean, invstd);
            return new Tensor[] {needs[0] ? r[0] : null, needs[1] ? r[1] : null, needs[2] ? r[2] : null, needs[3] ? gm : null};
        }
        Tensor[] r = relu ? be.batchNormReluBackward(g, y, in[0], in[1], mean, invstd) : be.batchNormBackward(g, in[0], in[1], mean, invstd);
        return new Tensor[] {needs[0] ? r[0] : null, needs[1] ? r[1] : null, needs[2] ? r[2] : null};
    }
}
