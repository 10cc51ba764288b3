package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.testkit.GradProperty.Values;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.ReduceOp;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The vjp of sum and max over any set of dims (negative aliases included), keepdim or not, against
 * float64 central differences. Max draws distinct values; an EXPANDED layout still ties copies of
 * one leaf element, and the even split of the gradient among them must add up to the whole.
 */
class ReduceTest {
    @Property
    void sum(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll boolean keepdim, @ForAll Layout layout, @ForAll boolean twice,
            @ForAll long seed) {
        check(ReduceOp.SUM, normal(), shape, keepdim, layout, twice, seed);
    }

    @Property
    void max(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll boolean keepdim, @ForAll Layout layout, @ForAll boolean twice,
            @ForAll long seed) {
        check(ReduceOp.MAX, distinct(), shape, keepdim, layout, twice, seed);
    }

    private static void check(ReduceOp op, Values values, int[] shape, boolean keepdim, Layout layout, boolean twice, long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length;
        int n = r == 0 ? 1 : 1 + rng.nextInt(r);
        int[] dims = new int[n];
        for (int i = 0; i < n; i++) {
            int d = r == 0 ? 0 : rng.nextInt(r);
            dims[i] = rng.nextBoolean() ? d - Math.max(r, 1) : d; // negative alias of the same dim
        }
        Input x = input(rng, values, layout, shape);
        String what = op.opName() + "(dims " + java.util.Arrays.toString(dims) + ", keepdim " + keepdim + ")";
        assertGradients(twice ? what + " * " + op.opName() + "(x, keepdim) * x" : what, List.of(x), xs -> {
            Tensor v = xs.get(0);
            Tensor y = Reduce.apply(op, v, dims, keepdim);
            return twice ? y.mul(y).sum().mul(Reduce.apply(op, v, dims, true)).mul(v) : y;
        });
    }
}
