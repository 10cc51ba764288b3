package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.CompareOp;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Comparisons are not differentiable: the output carries no gradient even when the inputs do, and
 * its values match a direct element-by-element computation under broadcasting (with many ties).
 */
class CompareTest {
    @Property
    void valuesAreRightAndCarryNoGradient(@ForAll CompareOp op, @ForAll(supplier = SmallShape.class) int[] shape, @ForAll boolean swap,
            @ForAll Layout la, @ForAll Layout lb, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] other = broadcastPartner(rng, shape);
        Input ia = input(rng, integers(-1, 1), la, swap ? other : shape), ib = input(rng, integers(-1, 1), lb, swap ? shape : other);
        try (var s = Backends.use("scalar")) {
            Tensor a = ia.view().apply(ia.leaf().requiresGrad(true)), b = ib.view().apply(ib.leaf().requiresGrad(true));
            Tensor y = Compare.apply(op, a, b);
            assertFalse(y.requiresGrad(), op + " output must not require grad");
            assertNull(y.gradFn());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
            assertTrue(e.getMessage().startsWith("[backward]"), e.getMessage());
            int[] out = Shapes.broadcast("test", a.shape(), b.shape());
            assertArrayEquals(out, y.shape());
            for (int i = 0; i < y.numel(); i++) {
                int[] idx = Shapes.unravel(i, out);
                double want = op.test(broadcastAt(a, idx), broadcastAt(b, idx)) ? 1 : 0;
                assertEquals(want, y.get(idx), op + " at " + Shapes.str(idx) + " of " + ia + " vs " + ib);
            }
        }
    }

    /** Used as a mask, a comparison passes gradient only through the masked operand. */
    @Property
    void asMaskPassesGradientOnlyThroughTheMaskedValue(@ForAll CompareOp op, @ForAll(supplier = SmallShape.class) int[] shape,
            @ForAll Layout la, @ForAll Layout lb, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Input a = input(rng, lattice(0.03), la, shape), b = input(rng, lattice(0.07), lb, broadcastPartner(rng, shape));
        assertGradients("a * (a " + op + " b) + b * (b " + op + " a)", List.of(a, b), xs -> {
            Tensor x = xs.get(0), y = xs.get(1);
            return x.mul(Compare.apply(op, x, y)).add(y.mul(Compare.apply(op, y, x)));
        });
    }
}
