package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Constant padding: {@code before[d]} and {@code after[d]} extra elements on each side of dim d. */
public record Pad(int[] before, int[] after) implements Primitive {
    public static Tensor apply(Tensor x, int[] before, int[] after, double value) {
        int r = x.dim();
        if (before.length != r || after.length != r)
            throw Checks.fail("pad", "needs one (before, after) pair per dim of " + Shapes.str(x.shape()));
        for (int d = 0; d < r; d++)
            if (before[d] < 0 || after[d] < 0)
                throw Checks.fail("pad", "negative padding (" + before[d] + ", " + after[d] + ") on dim " + d + " is not supported");
        Tensor y = Backends.of(x.device()).pad(x, before.clone(), after.clone(), value);
        return Autograd.record(new Pad(before.clone(), after.clone()), y, x);
    }

    @Override
    public String name() {
        return "pad";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        int[] xs = in[0].shape();
        Tensor r = g;
        for (int d = 0; d < xs.length; d++) if (before[d] != 0 || after[d] != 0) r = r.narrow(d, before[d], xs[d]);
        return new Tensor[] {r};
    }
}
