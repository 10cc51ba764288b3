package kr.train;

import java.util.Map;
import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.F;
import kr.nn.Module;

/**
 * What the trainer minimises for one batch. Plain cross-entropy is the default; a distillation
 * method (KD, FitNets, AT, KR, ...) implements this to combine the student's outputs with a
 * teacher's, and returns named scalars (e.g. "ce", "kd") that are averaged into the epoch metrics.
 * Trainable parts of the method itself (regressors, embeddings) go in {@link #module()}: the
 * trainer optimises them with the model and saves them in checkpoints.
 *
 * <pre>{@code
 * Objective kd = (model, batch, ctx) -> {
 *     Tensor s = model.forward(batch.images());
 *     Tensor t; try (var ng = Grad.noGrad()) { t = teacher.forward(batch.images()); }
 *     Tensor ce = F.crossEntropy(s, batch.labels()), kl = F.klDiv(s, t, 4);
 *     return new Objective.Result(ce.mul(0.1).add(kl.mul(0.9)), s, Map.of("ce", ce.item(), "kd", kl.item()));
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Objective {
    /** The loss to minimise, the student's logits (for train accuracy) and named scalars to log. */
    record Result(Tensor loss, Tensor logits, Map<String, Double> logs) {
        public Result {
            logs = logs == null ? Map.of() : Map.copyOf(logs);
        }
    }

    /** Computes the loss of {@code model} on {@code batch} (images already on the model's device). */
    Result compute(Classifier model, Batch batch, StepContext ctx);

    /** Extra trainable state of the method (null: none). Saved under the prefix "objective.". */
    default Module module() {
        return null;
    }

    /** Cross-entropy with label smoothing {@code eps} (0: none). */
    static Objective crossEntropy(double eps) {
        return (model, batch, ctx) -> {
            Tensor logits = model.forward(batch.images());
            return new Result(F.crossEntropy(logits, batch.labels(), eps), logits, Map.of());
        };
    }
}
