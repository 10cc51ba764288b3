package kr.distill;

import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.F;

/**
 * Decoupled KD (Zhao et al. 2022), as mdistiller: target-class KD (binary KL of the target vs the
 * rest) weighted alpha plus non-target-class KD (KL over the non-target classes, the target masked
 * out with -1000) weighted beta, both times T^2 / N, ramped in linearly over {@code warmup} epochs.
 */
public final class DKD extends Distiller {
    private final double alpha, beta, temperature, warmup;
    private double epoch;

    public DKD(double alpha, double beta, double temperature, double warmupEpochs) {
        this.alpha = alpha;
        this.beta = beta;
        this.temperature = temperature;
        this.warmup = warmupEpochs;
    }

    public static Tensor loss(Tensor s, Tensor t, int[] labels, double alpha, double beta, double temperature) {
        int n = s.shape(0), c = s.shape(1);
        Tensor gt = F.oneHot(labels, c, s.dtype(), s.device());
        Tensor other = gt.rsub(1.0);
        Tensor ps = F.softmax(s.div(temperature), 1), pt = F.softmax(t.div(temperature), 1);
        // [N, 2]: probability of the target class and of all the others
        Tensor bs = Tensor.cat(1, ps.mul(gt).sum(1, true), ps.mul(other).sum(1, true));
        Tensor bt = Tensor.cat(1, pt.mul(gt).sum(1, true), pt.mul(other).sum(1, true));
        double t2 = temperature * temperature / n;
        Tensor tckd = Ops.klSum(bs.log(), bt).mul(t2);
        Tensor mask = gt.mul(1000.0);
        Tensor pt2 = F.softmax(t.div(temperature).sub(mask), 1);
        Tensor ls2 = F.logSoftmax(s.div(temperature).sub(mask), 1);
        Tensor nckd = Ops.klSum(ls2, pt2).mul(t2);
        return tckd.mul(alpha).add(nckd.mul(beta));
    }

    @Override
    public void setEpoch(double epoch) {
        this.epoch = epoch;
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        double ramp = warmup <= 0 ? 1 : Math.min(epoch / warmup, 1.0);
        return loss(s.logits(), t.logits(), batch.labels(), alpha, beta, temperature).mul(ramp);
    }
}
