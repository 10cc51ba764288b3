package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.ReduceOp;

/**
 * Sum or max over a set of dims, keeping them (size 1) or not. The max gradient is shared evenly
 * among tied maxima, as in PyTorch's amax.
 */
public record Reduce(ReduceOp op, boolean[] dims, boolean keepdim, int[] keptShape) implements Primitive {
    public static Tensor apply(ReduceOp op, Tensor x, int[] dims, boolean keepdim) {
        String name = op.opName();
        int r = x.dim();
        boolean[] flags = new boolean[r];
        for (int d : dims) {
            int k = Shapes.normDim(name, d, r);
            if (r > 0) flags[k] = true;
        }
        int[] xs = x.shape();
        int[] kept = xs.clone();
        int n = 0;
        for (int i = 0; i < r; i++) {
            if (flags[i]) {
                if (op == ReduceOp.MAX && xs[i] == 0)
                    throw Checks.fail(name, "cannot take the max over empty dimension " + i + " of " + Shapes.str(xs));
                kept[i] = 1;
            } else n++;
        }
        Tensor y = Backends.of(x.device()).reduce(op, x, flags);
        if (!keepdim) {
            int[] out = new int[n];
            for (int i = 0, k = 0; i < r; i++) if (!flags[i]) out[k++] = xs[i];
            y = Tensor.wrap(y.storage(), out); // the kernel's output is contiguous: dropping size-1 dims is free
        }
        return Autograd.record(new Reduce(op, flags, keepdim, kept), y, x);
    }

    @Override
    public String name() {
        return op.opName();
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor x = in[0];
        Tensor gk = g.reshape(keptShape);
        if (op == ReduceOp.SUM) return new Tensor[] {gk.expand(x.shape())};
        Tensor mask = x.eq(y.reshape(keptShape));
        int[] rd = reducedDims();
        Tensor count = rd.length == 0 ? mask : mask.sum(rd, true);
        return new Tensor[] {mask.mul(gk.div(count))};
    }

    private int[] reducedDims() {
        int n = 0;
        for (boolean b : dims) if (b) n++;
        int[] r = new int[n];
        for (int i = 0, k = 0; i < dims.length; i++) if (dims[i]) r[k++] = i;
        return r;
    }
}
