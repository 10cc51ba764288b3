package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;

/**
 * 2-d cross-correlation {@code x [N, C, H, W] * w [Co, C/groups, kh, kw] -> [N, Co, Ho, Wo]} with
 * stride, padding, dilation and groups (depthwise when groups == C). Bias is added by the caller.
 */
public record Conv2d(Conv2dParams params) implements Primitive {
    public static Tensor apply(Tensor x, Tensor w, Conv2dParams p) {
        Checks.compatible("conv2d", x, w);
        int[] xs = x.shape(), ws = w.shape();
        if (xs.length != 4 || ws.length != 4)
            throw Checks.fail("conv2d", "expects input [N, C, H, W] and weight [Co, C/groups, kh, kw], got " + Shapes.str(xs) + " and "
                    + Shapes.str(ws));
        if (xs[1] != ws[1] * p.groups() || ws[0] % p.groups() != 0)
            throw Checks.fail("conv2d", "input " + Shapes.str(xs) + " with " + xs[1] + " channels does not fit weight " + Shapes.str(ws)
                    + " with groups=" + p.groups());
        int ho = p.outH(xs[2], ws[2]), wo = p.outW(xs[3], ws[3]);
        if (ho <= 0 || wo <= 0)
            throw Checks.fail("conv2d", "input " + Shapes.str(xs) + " is too small for kernel " + ws[2] + "x" + ws[3] + " with " + p);
        Tensor y = Backends.of(x.device()).conv2d(x, w, p);
        return Autograd.record(new Conv2d(p), y, x, w);
    }

    @Override
    public String name() {
        return "conv2d";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor x = in[0], w = in[1];
        var be = Backends.of(g.device());
        Tensor gx = needs[0] ? be.conv2dBackwardInput(g, w, x.shape(), params) : null;
        Tensor gw = needs[1] ? be.conv2dBackwardWeight(g, x, w.shape(), params) : null;
        return new Tensor[] {gx, gw};
    }
}
