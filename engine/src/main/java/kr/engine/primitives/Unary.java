package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.UnaryOp;

/** Elementwise {@code y = f(x)} for f in {@link UnaryOp}. */
public record Unary(UnaryOp op) implements Primitive {
    public static Tensor apply(UnaryOp op, Tensor x) {
        Tensor y = Backends.of(x.device()).unary(op, x);
        return Autograd.record(new Unary(op), y, x);
    }

    @Override
    public String name() {
        return op.opName();
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor x = in[0];
        Tensor gx;
        switch (op) {
            case NEG: gx = g.neg(); break;
            case EXP: gx = g.mul(y); break;
            case LOG: gx = g.div(x); break;
            case SQRT: gx = g.div(y.mul(2.0)); break;
            case ABS: gx = g.mul(x.sign()); break;
            case RELU: gx = Backends.of(g.device()).reluBackward(x, g); break;
            case SIGMOID: gx = g.mul(y.mul(y.rsub(1.0))); break;
            case TANH: gx = g.mul(y.mul(y).rsub(1.0)); break;
            case SIGN: gx = Tensor.zerosLike(x); break;
            default: throw new AssertionError(op);
        }
        return new Tensor[] {gx};
    }
}
