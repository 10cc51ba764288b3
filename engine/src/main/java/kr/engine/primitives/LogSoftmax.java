package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** {@code y = x - logsumexp(x, dim)}, computed stably; softmax is {@code exp} of it. */
public record LogSoftmax(int dim) implements Primitive {
    public static Tensor apply(Tensor x, int dim) {
        if (x.dim() == 0) throw Checks.fail("log_softmax", "expects at least one dimension, got a scalar");
        int d = Shapes.normDim("log_softmax", dim, x.dim());
        Tensor y = Backends.of(x.device()).logSoftmax(x, d);
        return Autograd.record(new LogSoftmax(d), y, x);
    }

    @Override
    public String name() {
        return "log_softmax";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {g.sub(y.exp().mul(g.sum(dim, true)))};
    }
}
