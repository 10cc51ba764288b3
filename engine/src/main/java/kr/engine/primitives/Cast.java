package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.DType;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Converts between float32 and float64; the gradient is cast back. */
public record Cast(DType to) implements Primitive {
    public static Tensor apply(Tensor x, DType to) {
        return Autograd.record(new Cast(to), Backends.of(x.device()).cast(x, to), x);
    }

    @Override
    public String name() {
        return "cast";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {g.to(in[0].dtype())};
    }
}
