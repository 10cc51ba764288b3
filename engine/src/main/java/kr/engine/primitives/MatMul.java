package kr.engine.primitives;

import java.util.Arrays;
import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Batched matrix product {@code [..., M, K] x [..., K, N] -> [..., M, N]}, batch dims broadcast. */
public record MatMul() implements Primitive {
    public static Tensor apply(Tensor a, Tensor b) {
        Checks.compatible("matmul", a, b);
        int[] as = a.shape(), bs = b.shape();
        if (as.length < 2 || bs.length < 2 || as[as.length - 1] != bs[bs.length - 2])
            throw Checks.fail("matmul", "cannot multiply " + Shapes.str(as) + " by " + Shapes.str(bs));
        int[] batch = Shapes.broadcast("matmul", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        int[] out = Shapes.concat(batch, as[as.length - 2], bs[bs.length - 1]);
        Tensor y = Backends.of(a.device()).matmul(a, b, out);
        return Autograd.record(new MatMul(), y, a, b);
    }

    @Override
    public String name() {
        return "matmul";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor a = in[0], b = in[1];
        Tensor ga = needs[0] ? Checks.sumTo(g.matmul(b.transpose(-1, -2)), a.shape()) : null;
        Tensor gb = needs[1] ? Checks.sumTo(a.transpose(-1, -2).matmul(g), b.shape()) : null;
        return new Tensor[] {ga, gb};
    }
}
