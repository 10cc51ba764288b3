package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** {@code y = cond != 0 ? a : b} with broadcasting; the condition gets no gradient. */
public record Where() implements Primitive {
    public static Tensor apply(Tensor cond, Tensor a, Tensor b) {
        Checks.compatible("where", cond, a, b);
        int[] out = Shapes.broadcast("where", Shapes.broadcast("where", cond.shape(), a.shape()), b.shape());
        Tensor y = Backends.of(a.device()).where(cond, a, b, out);
        return Autograd.record(new Where(), y, cond, a, b);
    }

    @Override
    public String name() {
        return "where";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor c = in[0];
        Tensor zero = g.like(0.0);
        Tensor ga = needs[1] ? Checks.sumTo(Tensor.where(c, g, zero), in[1].shape()) : null;
        Tensor gb = needs[2] ? Checks.sumTo(Tensor.where(c, zero, g), in[2].shape()) : null;
        return new Tensor[] {null, ga, gb};
    }
}
