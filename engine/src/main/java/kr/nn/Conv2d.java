package kr.nn;

import kr.engine.Tensor;
import kr.engine.backend.Conv2dParams;

/** 2-d convolution layer (weight {@code [Co, Ci/groups, k, k]}), PyTorch's default initialisation. */
public class Conv2d extends Module {
    public final Tensor weight;
    public final Tensor bias;
    public final Conv2dParams params;
    public final int inChannels, outChannels, kernel;

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias) {
        this(in, out, kernel, stride, padding, 1, 1, bias);
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
        if (in % groups != 0 || out % groups != 0)
            throw new IllegalArgumentException("[conv2d] channels " + in + " -> " + out + " are not divisible by groups=" + groups);
        this.inChannels = in;
        this.outChannels = out;
        this.kernel = kernel;
        this.params = new Conv2dParams(stride, stride, padding, padding, dilation, dilation, groups);
        int[] ws = {out, in / groups, kernel, kernel};
        weight = param("weight", Init.torchDefaultWeight(ws, Init.rng()));
        this.bias = bias ? param("bias", Init.torchDefaultBias(out, Init.fans(ws)[0], Init.rng())) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var s = traced()) {
            return F.conv2d(x, weight, bias, params);
        }
    }
}
