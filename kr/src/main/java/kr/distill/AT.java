package kr.distill;

import java.util.List;
import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.F;

/**
 * Attention transfer (Zagoruyko &amp; Komodakis 2017), as RepDistiller: for each stage feature pair,
 * {@code mean((a(s) - a(t))^2)} with {@code a(f) = normalize(mean_c(f^p).flatten())}, summed over
 * the stage features (all features but the first and the embedding). Spatial sizes are matched
 * by adaptive average pooling of the larger map.
 */
public final class AT extends Distiller {
    private final double p;

    public AT(double p) {
        this.p = p;
    }

    static Tensor attention(Tensor f, double p) {
        Tensor a = (p == 2 ? f.mul(f) : f.pow(p)).mean(1, false);
        return Ops.normalize(Ops.rows(a), 1);
    }

    public static Tensor pairLoss(Tensor fs, Tensor ft, double p) {
        int hs = fs.shape(2), ht = ft.shape(2);
        if (hs > ht) fs = F.adaptiveAvgPool2d(fs, ht, ht);
        else if (hs < ht) ft = F.adaptiveAvgPool2d(ft, hs, hs);
        Tensor d = attention(fs, p).sub(attention(ft, p));
        return d.mul(d).mean();
    }

    public static Tensor loss(List<Tensor> fs, List<Tensor> ft, double p) {
        if (fs.size() != ft.size())
            throw new IllegalArgumentException("[at] student has " + fs.size() + " stage features, teacher " + ft.size());
        Tensor total = null;
        for (int i = 0; i < fs.size(); i++) {
            Tensor l = pairLoss(fs.get(i), ft.get(i), p);
            total = total == null ? l : total.add(l);
        }
        return total;
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        List<Tensor> a = s.features(), b = t.features();
        return loss(a.subList(1, a.size() - 1), b.subList(1, b.size() - 1), p);
    }
}
