package kr.distill;

import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;

/**
 * Similarity-preserving KD (Tung &amp; Mori 2019), as RepDistiller: batch Gram matrices of the last
 * stage feature, row-normalized, compared by {@code ||G_t - G_s||_F^2 / N^2}.
 */
public final class SP extends Distiller {
    public static Tensor loss(Tensor fs, Tensor ft) {
        int n = fs.shape(0);
        Tensor a = Ops.rows(fs), b = Ops.rows(ft);
        Tensor gs = Ops.normalize(a.matmul(a.t()), 1), gt = Ops.normalize(b.matmul(b.t()), 1);
        Tensor d = gt.sub(gs);
        return d.mul(d).sum().div((double) n * n);
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        return loss(s.features().get(s.features().size() - 2), t.features().get(t.features().size() - 2));
    }
}
