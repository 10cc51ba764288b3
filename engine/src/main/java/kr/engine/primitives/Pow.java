package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Elementwise {@code y = x^p} for a constant exponent p. */
public record Pow(double exponent) implements Primitive {
    public static Tensor apply(Tensor x, double exponent) {
        if (!Double.isFinite(exponent)) throw Checks.fail("pow", "exponent must be finite, got " + exponent);
        Tensor y = Backends.of(x.device()).pow(x, exponent);
        return Autograd.record(new Pow(exponent), y, x);
    }

    @Override
    public String name() {
        return "pow";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor x = in[0];
        // x^0 is constant: its gradient is 0 even at x = 0, where 0 * x^-1 would be NaN (as in PyTorch)
        if (exponent == 0.0) return new Tensor[] {Tensor.zerosLike(g)};
        Tensor d = exponent == 2.0 ? x.mul(2.0) : exponent == 1.0 ? Tensor.onesLike(x) : x.pow(exponent - 1).mul(exponent);
        return new Tensor[] {g.mul(d)};
    }
}
