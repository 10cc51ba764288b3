package kr.nn;

import kr.engine.Tensor;

/** {@code y = x W^T + b} with PyTorch's default initialisation. */
public class Linear extends Module {
    public final Tensor weight;
    public final Tensor bias;

    public Linear(int in, int out) {
        this(in, out, true);
    }

    public Linear(int in, int out, boolean bias) {
        weight = param("weight", Init.torchDefaultWeight(new int[] {out, in}, Init.rng()));
        this.bias = bias ? param("bias", Init.torchDefaultBias(out, in, Init.rng())) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var s = traced()) {
            return F.linear(x, weight, bias);
        }
    }
}
