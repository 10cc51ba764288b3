package kr.nn;

import kr.engine.Rng;
import kr.engine.Tensor;

/** Inverted dropout, active only in training mode. */
public class Dropout extends Module {
    private final double p;
    private final Rng rng;

    public Dropout(double p) {
        this(p, Init.rng().fork());
    }

    public Dropout(double p, Rng rng) {
        if (p < 0 || p > 1) throw new IllegalArgumentException("[dropout] probability must be in [0, 1], got " + p);
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var s = traced()) {
            return F.dropout(x, p, isTraining(), rng);
        }
    }
}
