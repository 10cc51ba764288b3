package kr.engine.primitives;

import kr.engine.Autograd;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;

/** Same elements, new shape: a view when the strides allow it, otherwise a copy. */
public record Reshape(int[] inShape) implements Primitive {
    public static Tensor apply(Tensor x, int[] shape) {
        int[] xs = x.shape();
        int[] ns = resolve(xs, shape);
        if (Shapes.same(xs, ns)) return x;
        int[] st = viewStrides(xs, x.strides(), ns);
        Tensor y = st != null ? Tensor.wrap(x.storage(), ns, st, x.offset()) : Tensor.wrap(Backends.of(x.device()).copy(x).storage(), ns);
        return Autograd.record(new Reshape(xs), y, x);
    }

    private static int[] resolve(int[] xs, int[] shape) {
        int n = Shapes.numel(xs);
        int[] ns = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < ns.length; i++) {
            if (ns[i] == -1) {
                if (infer >= 0) throw Checks.fail("reshape", "only one dimension can be -1, got " + Shapes.str(shape));
                infer = i;
            } else if (ns[i] < 0) {
                throw Checks.fail("reshape", "invalid dimension " + ns[i] + " in " + Shapes.str(shape));
            } else known *= ns[i];
        }
        if (infer >= 0) {
            if (known == 0 || n % known != 0)
                throw Checks.fail("reshape", "cannot reshape " + Shapes.str(xs) + " (" + n + " elements) into " + Shapes.str(shape));
            ns[infer] = (int) (n / known);
        } else if (known != n) {
            throw Checks.fail("reshape", "cannot reshape " + Shapes.str(xs) + " (" + n + " elements) into " + Shapes.str(shape));
        }
        return ns;
    }

    /** Strides viewing (shape, strides) as newShape without a copy, or null (PyTorch's computeStride). */
    static int[] viewStrides(int[] shape, int[] strides, int[] newShape) {
        if (Shapes.numel(shape) == 0) return Shapes.contiguousStrides(newShape);
        int[] ns = new int[newShape.length];
        int viewD = newShape.length - 1;
        int chunkBase = strides.length == 0 ? 1 : strides[strides.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    ns[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            if (shape.length != 0) return null;
            for (; viewD >= 0; viewD--) ns[viewD] = 1;
        }
        return ns;
    }

    @Override
    public String name() {
        return "reshape";
    }

    @Override
    public Tensor[] vjp(Tensor g, Tensor[] in, Tensor y, boolean[] needs) {
        return new Tensor[] {g.reshape(inShape)};
    }
}
