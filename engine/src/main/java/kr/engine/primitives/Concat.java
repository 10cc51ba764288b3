package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Joins tensors along one dim; all other dims must agree. */
public record Concat(int dim, int[] sizes) implements Primitive {
    public static Tensor apply(Tensor[] xs, int dim) {
        if (xs.length == 0) throw Checks.fail("cat", "needs at least one tensor");
        Checks.compatible("cat", xs);
        int[] s0 = xs[0].shape();
        if (s0.length == 0) throw Checks.fail("cat", "cannot concatenate 0-d tensors");
        int d = Shapes.normDim("cat", dim, s0.length);
        int[] sizes = new int[xs.length];
        int total = 0;
        for (int i = 0; i < xs.length; i++) {
            int[] s = xs[i].shape();
            boolean ok = s.length == s0.length;
            for (int k = 0; ok && k < s.length; k++) ok = k == d || s[k] == s0[k];
            if (!ok)
                throw Checks.fail("cat", "tensor " + i + " has shape " + Shapes.str(s) + " but tensor 0 has " + Shapes.str(s0)
                        + " (only dim " + d + " may differ)");
            sizes[i] = s[d];
            total += s[d];
        }
        int[] out = s0.clone();
        out[d] = total;
        Tensor y = Backends.of(xs[0].device()).concat(xs, d, out);
        return Autograd.record(new Concat(d, sizes), y, xs);
    }

    @Override
    public String name() {
        return "cat";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor[] r = new Tensor[in.length];
        int off = 0;
        for (int i = 0; i < in.length; i++) {
            if (needs[i]) r[i] = g.narrow(dim, off, sizes[i]);
            off += sizes[i];
        }
        return r;
    }
}
