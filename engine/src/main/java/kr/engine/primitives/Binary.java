package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.BinaryOp;

/** Elementwise {@code y = a op b} with NumPy broadcasting. */
public record Binary(BinaryOp op) implements Primitive {
    public static Tensor apply(BinaryOp op, Tensor a, Tensor b) {
        Checks.compatible(op.opName(), a, b);
        int[] out = Shapes.broadcast(op.opName(), a.shape(), b.shape());
        Tensor y = Backends.of(a.device()).binary(op, a, b, out);
        return Autograd.record(new Binary(op), y, a, b);
    }

    @Override
    public String name() {
        return op.opName();
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor a = in[0], b = in[1];
        Tensor ga = null, gb = null;
        switch (op) {
            case ADD:
                ga = g;
                gb = g;
                break;
            case SUB:
                ga = g;
                gb = needs[1] ? g.neg() : null;
                break;
            case MUL:
                ga = needs[0] ? g.mul(b) : null;
                gb = needs[1] ? g.mul(a) : null;
                break;
            case DIV:
                ga = needs[0] ? g.div(b) : null;
                gb = needs[1] ? g.mul(y).div(b).neg() : null;
                break;
            case MAX:
            case MIN: {
                // ties split the gradient evenly, as in PyTorch
                Tensor win = op == BinaryOp.MAX ? a.gt(b) : a.lt(b);
                Tensor half = a.eq(b).mul(0.5);
                Tensor wa = win.add(half);
                ga = needs[0] ? g.mul(wa) : null;
                gb = needs[1] ? g.mul(wa.rsub(1.0)) : null;
                break;
            }
            default:
                throw new AssertionError(op);
        }
        return new Tensor[] {needs[0] ? Checks.sumTo(ga, a.shape()) : null, needs[1] ? Checks.sumTo(gb, b.shape()) : null};
    }
}
