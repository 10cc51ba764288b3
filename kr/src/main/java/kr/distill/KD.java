package kr.distill;

import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.F;

/**
 * Hinton et al. 2015: {@code T^2 * KL(softmax(t/T) || softmax(s/T))} averaged over the batch
 * (RepDistiller's DistillKL; default T = 4).
 */
public final class KD extends Distiller {
    private final double temperature;

    public KD(double temperature) {
        this.temperature = temperature;
    }

    public static Tensor loss(Tensor studentLogits, Tensor teacherLogits, double temperature) {
        return F.klDiv(studentLogits, teacherLogits, temperature);
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        return loss(s.logits(), t.logits(), temperature);
    }
}
