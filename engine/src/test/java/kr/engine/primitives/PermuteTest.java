package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Permute by a random permutation (negative dims too): the vjp against float64 central
 * differences and the forward values ({@code y[i] = x[i permuted back]}), always a view.
 */
class PermuteTest {
    @Property
    void permute(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length;
        int[] perm = permutation(rng, r), arg = perm.clone();
        for (int i = 0; i < r; i++) if (rng.nextBoolean()) arg[i] -= r;
        Input x = input(rng, normal(), layout, shape);
        assertGradients("permute " + Arrays.toString(arg) + (twice ? " twice" : ""), List.of(x), xs -> {
            Tensor y = Permute.apply(xs.get(0), arg);
            return twice ? y.mul(Permute.apply(xs.get(0), arg)) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = v.permute(arg);
            assertSame(v.storage(), y.storage());
            for (int i = 0; i < y.numel(); i++) {
                int[] idx = Shapes.unravel(i, y.shape()), src = new int[r];
                for (int k = 0; k < r; k++) src[perm[k]] = idx[k];
                assertEquals(v.get(src), y.get(idx));
            }
        }
    }
}
