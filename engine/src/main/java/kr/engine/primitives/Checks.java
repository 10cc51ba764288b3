package kr.engine.primitives;

import kr.engine.Shapes;
import kr.engine.Tensor;

/** Input validation shared by the primitives; every message starts with the op's name. */
final class Checks {
    private Checks() {}

    /** All non-null tensors share the first one's dtype and device. */
    static void compatible(String op, Tensor... ts) {
        Tensor first = null;
        for (Tensor t : ts) {
            if (t == null) continue;
            if (first == null) {
                first = t;
                continue;
            }
            if (t.dtype() != first.dtype())
                throw new IllegalArgumentException("[" + op + "] dtype mismatch: " + first.dtype() + " " + Shapes.str(first.shape()) + " vs "
                        + t.dtype() + " " + Shapes.str(t.shape()));
            if (!t.device().equals(first.device()))
                throw new IllegalArgumentException("[" + op + "] device mismatch: " + Shapes.str(first.shape()) + " on " + first.device()
                        + " vs " + Shapes.str(t.shape()) + " on " + t.device());
        }
    }

    static void rank(String op, String what, Tensor t, int rank) {
        if (t.dim() != rank)
            throw new IllegalArgumentException("[" + op + "] expects a " + rank + "-d " + what + ", got shape " + Shapes.str(t.shape()));
    }

    static IllegalArgumentException fail(String op, String message) {
        return new IllegalArgumentException("[" + op + "] " + message);
    }

    /** Sums {@code g} over the dims that broadcasting expanded, so it takes {@code shape}. */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Shapes.same(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int n = 0;
        int[] dims = new int[gs.length];
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims[n++] = i;
        }
        Tensor r = n == 0 ? g : g.sum(java.util.Arrays.copyOf(dims, n), true);
        return r.reshape(shape);
    }
}
