package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.NonScalarShape;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Argmax is not differentiable: its output carries no gradient, and its values are the first index
 * of the maximum along the dim (many ties drawn on purpose), matching a direct scan.
 */
class ArgMaxTest {
    @Property
    void firstIndexOfTheMaximumAndNoGradient(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll boolean keepdim,
            @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, d = rng.nextInt(r);
        int dim = rng.nextBoolean() ? d - r : d;
        Input in = input(rng, integers(-2, 2), layout, shape);
        try (var s = Backends.use("scalar")) {
            Tensor x = in.view().apply(in.leaf().requiresGrad(true));
            Tensor y = ArgMax.apply(x, dim, keepdim);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
            int[] want = shape.clone();
            want[d] = 1;
            if (!keepdim) want = Shapes.concat(Arrays.copyOf(shape, d), Arrays.copyOfRange(shape, d + 1, r));
            assertArrayEquals(want, y.shape());
            for (int i = 0; i < y.numel(); i++) {
                int[] oi = Shapes.unravel(i, want);
                int[] xi = keepdim ? oi.clone() : Shapes.concat(Arrays.copyOf(oi, d), Shapes.concat(new int[] {0}, Arrays.copyOfRange(oi, d, oi.length)));
                int best = 0;
                double bv = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < shape[d]; k++) {
                    xi[d] = k;
                    if (x.get(xi) > bv) {
                        bv = x.get(xi);
                        best = k;
                    }
                }
                assertEquals(best, y.get(oi), "argmax(dim " + dim + ") at " + Shapes.str(oi) + " of " + in);
            }
            // a flat argmax and a 0-d one
            double flatBest = 0, flatMax = Double.NEGATIVE_INFINITY;
            double[] v = x.toDoubleArray();
            for (int i = 0; i < v.length; i++) if (v[i] > flatMax) { flatMax = v[i]; flatBest = i; }
            assertEquals(flatBest, x.argmax().item());
            assertEquals(0.0, x.sum().argmax(0, false).item());
        }
    }
}
