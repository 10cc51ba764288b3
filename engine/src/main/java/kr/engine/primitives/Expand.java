package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;

/** Broadcasts size-1 dims (and new leading dims) to a larger shape; a view with stride 0. */
public record Expand(int[] inShape) implements Primitive {
    public static Tensor apply(Tensor x, int[] shape) {
        int[] xs = x.shape(), st = x.strides();
        int r = shape.length, lead = r - xs.length;
        if (lead < 0) throw Checks.fail("expand", "cannot expand " + Shapes.str(xs) + " to fewer dims " + Shapes.str(shape));
        int[] ns = new int[r], nst = new int[r];
        for (int i = 0; i < r; i++) {
            int want = shape[i];
            if (i < lead) {
                if (want < 0) throw Checks.fail("expand", "-1 is not allowed for the new leading dim " + i + " in " + Shapes.str(shape));
                ns[i] = want;
                nst[i] = 0;
                continue;
            }
            int have = xs[i - lead];
            if (want == -1 || want == have) {
                ns[i] = have;
                nst[i] = st[i - lead];
            } else if (have == 1 && want >= 0) {
                ns[i] = want;
                nst[i] = 0;
            } else {
                throw Checks.fail("expand", "cannot expand " + Shapes.str(xs) + " to " + Shapes.str(shape) + " (dim " + i + ": " + have
                        + " -> " + want + ")");
            }
        }
        if (Shapes.same(ns, xs)) return x;
        return Autograd.record(new Expand(xs), Tensor.wrap(x.storage(), ns, nst, x.offset()), x);
    }

    @Override
    public String name() {
        return "expand";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {Checks.sumTo(g, inShape)};
    }
}
