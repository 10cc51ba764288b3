package kr.models;

import kr.engine.Tensor;
import kr.nn.Conv2d;
import kr.nn.Init;
import kr.nn.Linear;

/**
 * Builds layers with RepDistiller's initialisation and counts the multiply-accumulates of one
 * image as the network is assembled (each conv is told its input size, so no forward pass is
 * needed to know a model's cost).
 */
final class Arch {
    /** How RepDistiller's files initialise their classifier layer. */
    enum LinearInit {
        /** PyTorch's default (resnet.py, resnetv2.py). */
        TORCH_DEFAULT,
        /** Default weight, zero bias (wrn.py). */
        ZERO_BIAS,
        /** N(0, 0.01) weight, zero bias (vgg.py, mobilenetv2.py). */
        NORMAL_001
    }

    private long macs;

    long macs() {
        return macs;
    }

    /** Output size of a convolution or pooling window along one axis. */
    static int outSize(int size, int kernel, int stride, int padding) {
        return (size + 2 * padding - kernel) / stride + 1;
    }

    /**
     * A square conv with kaiming_normal(fan_out) weights (what every RepDistiller file uses, whether
     * written as kaiming_normal_ or as normal_(0, sqrt(2/(k*k*out)))) and a zero bias.
     */
    Conv2d conv(int in, int out, int kernel, int stride, int padding, int groups, boolean bias, int inSize) {
        Conv2d c = new Conv2d(in, out, kernel, stride, padding, 1, groups, bias);
        c.weight.setData(Init.kaimingNormal(c.weight.shape(), Init.FanMode.FAN_OUT, Init.rng()));
        if (bias) c.bias.setData(Tensor.zeros(out));
        int o = outSize(inSize, kernel, stride, padding);
        macs += (long) out * (in / groups) * kernel * kernel * o * o;
        return c;
    }

    Conv2d conv(int in, int out, int kernel, int stride, int padding, int inSize) {
        return conv(in, out, kernel, stride, padding, 1, false, inSize);
    }

    Linear linear(int in, int out, LinearInit init) {
        Linear l = new Linear(in, out);
        if (init == LinearInit.NORMAL_001) l.weight.setData(Tensor.normal(Init.rng(), 0, 0.01, out, in));
        if (init != LinearInit.TORCH_DEFAULT) l.bias.setData(Tensor.zeros(out));
        macs += (long) in * out;
        return l;
    }
}
