package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.Pool2dParams;

/** Average pooling over {@code [N, C, H, W]} (count_include_pad as in PyTorch). */
public record AvgPool2d(Pool2dParams params) implements Primitive {
    public static Tensor apply(Tensor x, Pool2dParams p) {
        Checks.rank("avg_pool2d", "input [N, C, H, W]", x, 4);
        int[] xs = x.shape();
        if (p.outH(xs[2]) <= 0 || p.outW(xs[3]) <= 0)
            throw Checks.fail("avg_pool2d", "input " + Shapes.str(xs) + " is too small for " + p);
        Tensor y = Backends.of(x.device()).avgPool2d(x, p);
        return Autograd.record(new AvgPool2d(p), y, x);
    }

    @Override
    public String name() {
        return "avg_pool2d";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {Backends.of(g.device()).avgPool2dBackward(g, in[0].shape(), params)};
    }
}
