package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Elements {@code start, start+step, ... < end} of one dim; a view. Bounds are checked by the caller. */
public record Slice(int dim, int start, int end, int step) implements Primitive {
    public static Tensor apply(Tensor x, int dim, int start, int end, int step) {
        int[] xs = x.shape(), st = x.strides();
        if (start < 0 || end > xs[dim] || start > end || step < 1)
            throw Checks.fail("slice", "range [" + start + ":" + end + ":" + step + "] is invalid for dim " + dim + " of " + Shapes.str(xs));
        if (start == 0 && end == xs[dim] && step == 1) return x;
        int[] ns = xs.clone(), nst = st.clone();
        ns[dim] = (end - start + step - 1) / step;
        nst[dim] = st[dim] * step;
        int off = x.offset() + (ns[dim] == 0 ? 0 : start * st[dim]);
        return Autograd.record(new Slice(dim, start, end, step), Tensor.wrap(x.storage(), ns, nst, off), x);
    }

    @Override
    public String name() {
        return "slice";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        Tensor x = in[0];
        Tensor z = Tensor.zerosLike(x);
        Backends.of(z.device()).copyInto(apply(z, dim, start, end, step), g); // no graph: vjps run without recording
        return new Tensor[] {z};
    }
}
