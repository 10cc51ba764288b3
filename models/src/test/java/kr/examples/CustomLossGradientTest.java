package kr.examples;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.engine.Tensor;
import kr.nn.F;
import kr.testkit.GradProperty;
import kr.testkit.GradProperty.Input;
import kr.testkit.Gradients;
import kr.testkit.TensorArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * What a user of the engine writes to property-test a loss of their own with kr-engine-testkit:
 * random shapes, random memory layouts (permuted, sliced, expanded, strided views), gradients
 * against float64 central differences. Also shows that a wrong hand-written gradient is caught.
 */
class CustomLossGradientTest {
    /** Focal loss with soft targets: {@code -mean_n sum_c t * (1 - p)^gamma * log p}, p = softmax(logits). */
    static Tensor focalLoss(Tensor logits, Tensor targets, double gamma) {
        Tensor logp = F.logSoftmax(logits, 1);
        Tensor weight = logp.exp().rsub(1).pow(gamma);
        return targets.mul(weight).mul(logp).sum().neg().div(logits.shape(0));
    }

    /** Huber loss (mean) composed of engine ops: quadratic within {@code delta}, linear outside. */
    static Tensor huber(Tensor pred, Tensor target, double delta) {
        Tensor d = pred.sub(target), a = d.abs();
        return Tensor.where(a.lt(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta)).mean();
    }

    /**
     * Huber's value with a hand-derived gradient {@code clamp(d, -delta, delta) / n} (a custom
     * backward via the straight-through pattern: the surrogate's gradient, the detached value);
     * {@code clip = false} is the classic bug of forgetting the clipping.
     */
    static Tensor huberWithOwnGradient(Tensor pred, Tensor target, double delta, boolean clip) {
        Tensor d = pred.sub(target);
        Tensor g = (clip ? d.clamp(-delta, delta) : d).detach().div(d.numel());
        Tensor surrogate = g.mul(d).sum();
        return surrogate.add(huber(pred, target, delta).detach().sub(surrogate.detach()));
    }

    @Property(tries = 200)
    void focalLossGradient(@ForAll("logitsAndTargets") List<Input> xs) {
        Gradients.check("focal(gamma 2)", xs, ops -> focalLoss(ops.get(0), ops.get(1), 2.0));
    }

    @Property(tries = 200)
    void huberGradient(@ForAll("predictionAndTarget") List<Input> xs) {
        Gradients.check("huber(delta 1)", xs, ops -> huber(ops.get(0), ops.get(1), 1.0));
        Gradients.check("huber with own gradient", xs, ops -> huberWithOwnGradient(ops.get(0), ops.get(1), 1.0, true));
    }

    /** The unclipped gradient is wrong wherever |pred - target| > delta; the kit must say so. */
    @Example
    void aWrongHandWrittenGradientIsCaught() {
        Tensor pred = GradProperty.f64(new double[] {3.0, 0.2, -0.5, -2.5}, 2, 2), target = GradProperty.f64(new double[] {0, 0, 0, 0}, 2, 2);
        AssertionError e = assertThrows(AssertionError.class,
                () -> Gradients.check("huber, unclipped", ops -> huberWithOwnGradient(ops.get(0), ops.get(1), 1.0, false), pred, target));
        assertTrue(e.getMessage().startsWith("huber, unclipped with inputs"), e.getMessage());
        assertTrue(e.getMessage().contains("FAILED"), e.getMessage());
        // the same inputs with the clipping pass: the failure is the gradient, not the set-up
        Gradients.check("huber, clipped", ops -> huberWithOwnGradient(ops.get(0), ops.get(1), 1.0, true), pred, target);
    }

    @Provide
    Arbitrary<List<Input>> logitsAndTargets() {
        return TensorArbitraries.operands(TensorArbitraries.shapes(2, 2, 4), GradProperty.uniform(-3, 3), GradProperty.uniform(0, 1));
    }

    @Provide
    Arbitrary<List<Input>> predictionAndTarget() {
        return TensorArbitraries.operands(TensorArbitraries.shapes(), GradProperty.normal(), GradProperty.normal());
    }
}
