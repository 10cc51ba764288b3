package kr.optim;

import java.util.List;
import java.util.Map;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, matching
 * torch.optim.SGD.
 *
 * <pre>{@code SGD opt = new SGD(model.parameters(), 0.1, 0.9, 5e-4, false); loss.backward(); opt.step(); opt.zeroGrad(); }</pre>
 */
public class SGD extends Optimizer {
    private final double momentum, dampening, weightDecay;
    private final boolean nesterov;
    private final Tensor[] buffers;

    public SGD(List<Tensor> params, double lr, double momentum, double weightDecay, boolean nesterov) {
        this(params, lr, momentum, 0.0, weightDecay, nesterov);
    }

    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, lr);
        if (momentum < 0 || weightDecay < 0) throw new IllegalArgumentException("[sgd] momentum and weight decay must be >= 0");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new IllegalArgumentException("[sgd] Nesterov momentum requires momentum > 0 and zero dampening");
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new Tensor[this.params.size()];
    }

    public double momentum() {
        return momentum;
    }

    public double dampening() {
        return dampening;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public boolean nesterov() {
        return nesterov;
    }

    /** The momentum buffer of parameter {@code i} (null before its first update, and without momentum). */
    public Tensor momentumBuffer(int i) {
        return buffers[i];
    }

    /**
     * Creates parameter {@code i}'s momentum buffer (zeros, as its first update would) unless it
     * exists or there is no momentum; true when it was created now, i.e. the next update of
     * parameter {@code i} is its first (the buffer then starts as the gradient). For fused updates
     * outside {@link #step()}, e.g. one kernel over all parameters on a GPU.
     */
    public boolean ensureMomentumBuffer(int i) {
        if (momentum == 0 || buffers[i] != null) return false;
        buffers[i] = Tensor.zerosLike(params.get(i));
        return true;
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        boolean first = false;
        if (momentum != 0 && buffers[i] == null) {
            buffers[i] = Tensor.zerosLike(p);
            first = true;
        }
        Backends.of(p.device()).sgdStep(p, g, buffers[i], lr, momentum, dampening, weightDecay, nesterov, first);
    }

    @Override
    protected void saveState(Map<String, Tensor> out) {
        for (int i = 0; i < buffers.length; i++) if (buffers[i] != null) out.put(i + ".momentum_buffer", buffers[i]);
    }

    @Override
    public void loadStateDict(Map<String, Tensor> state, long steps) {
        for (int i = 0; i < buffers.length; i++) {
            Tensor t = state.get(i + ".momentum_buffer");
            buffers[i] = t == null ? null : copyOf(t).to(params.get(i).device());
        }
        this.steps = steps;
    }
}
