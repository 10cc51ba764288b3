package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.Pool2dParams;

/** Max pooling over {@code [N, C, H, W]}; the gradient goes to the (first) maximum of each window. */
public final class MaxPool2d implements Primitive {
    private final Pool2dParams params;
    private Tensor argmax;

    private MaxPool2d(Pool2dParams params, Tensor argmax) {
        this.params = params;
        this.argmax = argmax;
    }

    public static Tensor apply(Tensor x, Pool2dParams p) {
        Checks.rank("max_pool2d", "input [N, C, H, W]", x, 4);
        int[] xs = x.shape();
        if (p.outH(xs[2]) <= 0 || p.outW(xs[3]) <= 0)
            throw Checks.fail("max_pool2d", "input " + Shapes.str(xs) + " is too small for " + p);
        Tensor[] r = Backends.of(x.device()).maxPool2d(x, p);
        return Autograd.record(new MaxPool2d(p, r[1]), r[0], x);
    }

    @Override
    public String name() {
        return "max_pool2d";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {Backends.of(g.device()).maxPool2dBackward(g, argmax, in[0].shape())};
    }
}
