package kr.distill;

import kr.data.Batch;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.models.Classifier;

/**
 * Relational KD (Park et al. 2019), as RepDistiller: distance-wise loss (pairwise distances
 * normalized by their mean over distinct pairs, smooth-L1) and angle-wise loss (cosines of the
 * angles formed by triplets, smooth-L1), weighted {@code wd = 25}, {@code wa = 50}, on the embedding.
 */
public final class RKD extends Distiller {
    private final double wd, wa;

    public RKD(double wd, double wa) {
        this.wd = wd;
        this.wa = wa;
    }

    static Tensor distances(Tensor e) {
        Tensor d = Ops.pdist(e, 1e-12);
        Tensor count;
        try (var ng = Grad.noGrad()) {
            count = d.detach().gt(0.0).sum();
        }
        return d.div(d.sum().div(count));
    }

    static Tensor angles(Tensor e) {
        Tensor diff = e.unsqueeze(0).sub(e.unsqueeze(1)); // [N, N, D]: e_j - e_i
        Tensor nd = Ops.normalize(diff, 2);
        return nd.matmul(nd.transpose(1, 2)).reshape(-1);
    }

    public static Tensor loss(Tensor fs, Tensor ft, double wd, double wa) {
        Tensor s = Ops.rows(fs), t = Ops.rows(ft);
        Tensor td, ta;
        try (var ng = Grad.noGrad()) {
            td = distances(t.detach());
            ta = angles(t.detach());
        }
        Tensor ld = Ops.smoothL1(distances(s), td);
        Tensor la = Ops.smoothL1(angles(s), ta);
        return ld.mul(wd).add(la.mul(wa));
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        return loss(s.features().get(s.features().size() - 1), t.features().get(t.features().size() - 1), wd, wa);
    }
}
