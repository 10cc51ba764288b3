package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** A copy is the identity for gradients, contiguous, and does not alias its input. */
class CopyTest {
    @Property
    void copy(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Input x = input(new Rng(seed), normal(), layout, shape);
        assertGradients("copy" + (twice ? " * contiguous" : ""), List.of(x), xs -> {
            Tensor y = Copy.apply(xs.get(0));
            return twice ? y.mul(xs.get(0).contiguous()) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = v.copy();
            assertTrue(y.isContiguous());
            assertNotSame(v.storage(), y.storage());
            assertArrayEquals(v.toDoubleArray(), y.toDoubleArray());
        }
    }
}
