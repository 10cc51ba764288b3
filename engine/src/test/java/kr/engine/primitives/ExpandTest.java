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
 * Expand size-1 dims and add leading dims (-1 keeps a dim): the vjp (a sum over the expanded dims)
 * against float64 central differences, and the forward values read by broadcasting.
 */
class ExpandTest {
    @Property
    void expand(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, lead = rng.nextInt(3);
        int[] in = shape.clone(), target = new int[lead + r];
        for (int i = 0; i < lead; i++) target[i] = 1 + rng.nextInt(3);
        for (int i = 0; i < r; i++) {
            if (rng.nextInt(3) == 0) in[i] = 1; // a size-1 dim the expand stretches
            target[lead + i] = in[i] == 1 ? 1 + rng.nextInt(3) : rng.nextBoolean() ? -1 : in[i];
        }
        Input x = input(rng, normal(), layout, in);
        assertGradients("expand " + Shapes.str(in) + " to " + Arrays.toString(target) + (twice ? " * x" : ""), List.of(x), xs -> {
            Tensor y = Expand.apply(xs.get(0), target);
            return twice ? y.mul(xs.get(0)) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = v.expand(target);
            for (int i = 0; i < y.numel(); i++) {
                int[] idx = Shapes.unravel(i, y.shape());
                assertEquals(broadcastAt(v, idx), y.get(idx));
            }
        }
    }
}
