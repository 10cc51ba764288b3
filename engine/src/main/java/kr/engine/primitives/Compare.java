package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.CompareOp;

/** Elementwise comparison with broadcasting: 1 where true, 0 where false. Not differentiable. */
public record Compare(CompareOp op) implements Primitive {
    public static Tensor apply(CompareOp op, Tensor a, Tensor b) {
        Checks.compatible(op.opName(), a, b);
        int[] out = Shapes.broadcast(op.opName(), a.shape(), b.shape());
        Tensor y = Backends.of(a.device()).compare(op, a, b, out);
        return Autograd.record(new Compare(op), y, a, b);
    }

    @Override
    public String name() {
        return op.opName();
    }

    @Override
    public boolean differentiable() {
        return false;
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[2];
    }
}
