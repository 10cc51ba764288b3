package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Index of the maximum along one dim (first on ties), stored as values of the input's dtype. */
public record ArgMax(int dim) implements Primitive {
    public static Tensor apply(Tensor x, int dim, boolean keepdim) {
        int d = Shapes.normDim("argmax", dim, x.dim());
        if (x.dim() == 0) return Tensor.zerosLike(x);
        if (x.shape(d) == 0) throw Checks.fail("argmax", "cannot take the argmax over empty dimension " + d + " of " + Shapes.str(x.shape()));
        Tensor y = Backends.of(x.device()).argmax(x, d);
        if (!keepdim) {
            int[] xs = x.shape();
            int[] out = new int[xs.length - 1];
            for (int i = 0, k = 0; i < xs.length; i++) if (i != d) out[k++] = xs[i];
            y = Tensor.wrap(y.storage(), out);
        }
        return Autograd.record(new ArgMax(d), y, x);
    }

    @Override
    public String name() {
        return "argmax";
    }

    @Override
    public boolean differentiable() {
        return false;
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[1];
    }
}
