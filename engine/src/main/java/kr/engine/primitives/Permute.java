package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;

/** Reorders dims; always a view. */
public record Permute(int[] perm) implements Primitive {
    public static Tensor apply(Tensor x, int[] perm) {
        int r = x.dim();
        if (perm.length != r) throw Checks.fail("permute", "needs " + r + " dims for shape " + Shapes.str(x.shape()) + ", got " + Shapes.str(perm));
        int[] p = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            p[i] = Shapes.normDim("permute", perm[i], r);
            if (seen[p[i]]) throw Checks.fail("permute", "repeated dim in " + Shapes.str(perm));
            seen[p[i]] = true;
        }
        int[] xs = x.shape(), st = x.strides();
        int[] ns = new int[r], nst = new int[r];
        for (int i = 0; i < r; i++) {
            ns[i] = xs[p[i]];
            nst[i] = st[p[i]];
        }
        return Autograd.record(new Permute(p), Tensor.wrap(x.storage(), ns, nst, x.offset()), x);
    }

    @Override
    public String name() {
        return "permute";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[perm[i]] = i;
        return new Tensor[] {g.permute(inv)};
    }
}
