package kr.distill;

import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;

/**
 * Probabilistic knowledge transfer (Passalis &amp; Tefas 2018), as RepDistiller: cosine similarities of
 * the embeddings mapped to [0, 1] and row-normalized into conditional probabilities, compared by
 * {@code mean(p_t * log((p_t + eps) / (p_s + eps)))} with eps = 1e-7.
 */
public final class PKT extends Distiller {
    private static final double EPS = 1e-7;

    static Tensor probabilities(Tensor f) {
        Tensor x = Ops.rows(f);
        Tensor xn = x.div(Ops.norm(x, 1).add(EPS));
        Tensor sim = xn.matmul(xn.t()).add(1.0).div(2.0);
        return sim.div(sim.sum(1, true));
    }

    public static Tensor loss(Tensor fs, Tensor ft) {
        Tensor ps = probabilities(fs), pt = probabilities(ft);
        return pt.mul(pt.add(EPS).div(ps.add(EPS)).log()).mean();
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        return loss(s.features().get(s.features().size() - 1), t.features().get(t.features().size() - 1));
    }
}
