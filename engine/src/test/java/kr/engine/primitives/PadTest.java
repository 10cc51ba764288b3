package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.NonScalarShape;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Constant padding (torch.nn.functional.pad order): the vjp against float64 central differences,
 * and the forward values (the input inside, the constant outside).
 */
class PadTest {
    @Property
    void pad(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length;
        int[] pads = new int[2 * (1 + rng.nextInt(r))];
        for (int i = 0; i < pads.length; i++) pads[i] = rng.nextInt(3);
        double value = rng.nextGaussian();
        Input x = input(rng, normal(), layout, shape);
        assertGradients("pad " + Arrays.toString(pads) + (twice ? " * pad(x * x)" : ""), List.of(x), xs -> {
            Tensor y = xs.get(0).pad(value, pads);
            return twice ? y.mul(xs.get(0).mul(xs.get(0)).pad(value, pads)) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = v.pad(value, pads);
            int[] before = new int[r];
            for (int i = 0; i < pads.length / 2; i++) before[r - 1 - i] = pads[2 * i];
            for (int i = 0; i < y.numel(); i++) {
                int[] idx = Shapes.unravel(i, y.shape());
                int[] src = new int[r];
                boolean inside = true;
                for (int k = 0; k < r; k++) {
                    src[k] = idx[k] - before[k];
                    inside &= src[k] >= 0 && src[k] < shape[k];
                }
                assertEquals(inside ? v.get(src) : value, y.get(idx), "pad " + Arrays.toString(pads) + " at " + Shapes.str(idx));
            }
        }
    }
}
