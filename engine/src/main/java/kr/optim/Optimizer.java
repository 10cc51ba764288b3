package kr.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.engine.Grad;
import kr.engine.Tensor;

/**
 * Updates parameters in place from their {@code .grad()}. The learning rate is a plain field that
 * schedules set before each step; per-parameter state is exposed for checkpoints.
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    protected double lr;
    protected long steps;

    protected Optimizer(List<Tensor> params, double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("[optim] learning rate must be >= 0, got " + lr);
        this.params = new ArrayList<>(params);
        this.lr = lr;
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("[optim] learning rate must be >= 0, got " + lr);
        this.lr = lr;
    }

    public long stepCount() {
        return steps;
    }

    public List<Tensor> params() {
        return java.util.Collections.unmodifiableList(params);
    }

    /** Applies one update to every parameter that has a gradient. */
    public final void step() {
        steps++;
        try (var ng = Grad.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.grad() != null) update(i, p, p.grad());
            }
        }
    }

    protected abstract void update(int index, Tensor p, Tensor g);

    /** Counts an update applied outside {@link #step()} (a fused GPU kernel, a replayed CUDA graph), for checkpoints. */
    public void countStep() {
        steps++;
    }

    public void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    /** State tensors by name ("3.momentum_buffer", ...) plus the step count, for checkpoints. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        saveState(m);
        return m;
    }

    protected abstract void saveState(Map<String, Tensor> out);

    /** Restores what {@link #stateDict} saved (tensors are copied). */
    public abstract void loadStateDict(Map<String, Tensor> state, long steps);

    protected static Tensor copyOf(Tensor t) {
        return t.detach().copy();
    }
}
