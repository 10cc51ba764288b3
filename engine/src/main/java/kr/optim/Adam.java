package kr.optim;

import java.util.List;
import java.util.Map;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/**
 * Adam (L2 weight decay added to the gradient) or, with {@code decoupled}, AdamW (decay applied to
 * the weights), matching torch.optim.Adam / AdamW.
 */
public class Adam extends Optimizer {
    private final double beta1, beta2, eps, weightDecay;
    private final boolean decoupled;
    private final Tensor[] m, v;
    private final long[] t;

    public Adam(List<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(params, lr);
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || !(eps > 0) || weightDecay < 0)
            throw new IllegalArgumentException("[adam] invalid hyper-parameters beta1=" + beta1 + " beta2=" + beta2 + " eps=" + eps + " wd="
                    + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        this.m = new Tensor[this.params.size()];
        this.v = new Tensor[this.params.size()];
        this.t = new long[this.params.size()];
    }

    /** AdamW with PyTorch's defaults (weight decay 0.01). */
    public static Adam adamW(List<Tensor> params, double lr, double weightDecay) {
        return new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        if (m[i] == null) {
            m[i] = Tensor.zerosLike(p);
            v[i] = Tensor.zerosLike(p);
        }
        t[i]++;
        Backends.of(p.device()).adamStep(p, g, m[i], v[i], lr, beta1, beta2, eps, weightDecay, decoupled, t[i]);
    }

    @Override
    protected void saveState(Map<String, Tensor> out) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] == null) continue;
            out.put(i + ".exp_avg", m[i]);
            out.put(i + ".exp_avg_sq", v[i]);
            out.put(i + ".step", Tensor.scalar(t[i]).to(kr.engine.DType.F64));
        }
    }

    @Override
    public void loadStateDict(Map<String, Tensor> state, long steps) {
        for (int i = 0; i < m.length; i++) {
            Tensor a = state.get(i + ".exp_avg");
            m[i] = a == null ? null : copyOf(a).to(params.get(i).device());
            Tensor b = state.get(i + ".exp_avg_sq");
            v[i] = b == null ? null : copyOf(b).to(params.get(i).device());
            Tensor s = state.get(i + ".step");
            t[i] = s == null ? 0 : (long) s.item();
        }
        this.steps = steps;
    }
}
