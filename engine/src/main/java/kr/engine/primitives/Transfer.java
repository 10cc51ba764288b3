package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;

/** Copies a tensor to another device through host memory; the gradient travels back. */
public record Transfer(Device to) implements Primitive {
    public static Tensor apply(Tensor x, Device to) {
        Backend src = Backends.of(x.device()), dst = Backends.of(to);
        Tensor y = x.dtype() == DType.F32 ? dst.fromArray(src.toFloatArray(x), x.shape()) : dst.fromArray(src.toDoubleArray(x), x.shape());
        return Autograd.record(new Transfer(to), y, x);
    }

    @Override
    public String name() {
        return "to_device";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {g.to(in[0].device())};
    }
}
