package kr.train;

import java.util.Iterator;
import kr.data.Batch;
import kr.data.Loader;
import kr.engine.Device;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.F;

/**
 * Test-set evaluation: mean cross-entropy (no smoothing), top-1 and top-5 accuracy, with the model
 * in eval mode and no graph recorded. The model's previous mode is restored.
 *
 * <pre>{@code Evaluator.Result r = Evaluator.evaluate(model, testLoader, Device.CPU); System.out.println(r.top1()); }</pre>
 */
public final class Evaluator {
    private Evaluator() {}

    public record Result(int count, double loss, double top1, double top5) {}

    public static Result evaluate(Classifier model, Loader loader, Device device) {
        boolean was = model.isTraining();
        model.eval();
        double lossSum = 0;
        long c1 = 0, c5 = 0;
        int n = 0;
        try (var ng = Grad.noGrad()) {
            for (Iterator<Batch> it = loader.epoch(0, 0); it.hasNext(); ) {
                Batch b = it.next();
                Tensor logits = model.forward(b.images().to(device));
                lossSum += F.crossEntropy(logits, b.labels()).item() * b.labels().length;
                float[] v = logits.toFloatArray();
                c1 += correct(v, logits.shape(1), b.labels(), 1);
                c5 += correct(v, logits.shape(1), b.labels(), 5);
                n += b.labels().length;
            }
        } finally {
            model.train(was);
        }
        return new Result(n, n == 0 ? Double.NaN : lossSum / n, n == 0 ? 0 : (double) c1 / n, n == 0 ? 0 : (double) c5 / n);
    }

    /**
     * How many rows of {@code logits} ({@code [N, classes]} row-major) rank their label within the
     * top {@code k}. Ties go to the lower class index, as argmax does; a NaN logit never counts.
     */
    public static int correct(float[] logits, int classes, int[] labels, int k) {
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            int base = i * classes, y = labels[i];
            float t = logits[base + y];
            if (Float.isNaN(t)) continue;
            int rank = 0;
            for (int j = 0; j < classes && rank < k; j++) {
                float v = logits[base + j];
                if (v > t || (v == t && j < y) || Float.isNaN(v)) rank++;
            }
            if (rank < k) ok++;
        }
        return ok;
    }
}
