package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

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
 * Python-style slices {@code [start:end:step]} (negative and out-of-range bounds, empty results),
 * narrow and select: the vjp against float64 central differences and the forward values.
 */
class SliceTest {
    @Property
    void slice(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, d = rng.nextInt(r), dim = rng.nextBoolean() ? d - r : d;
        int start = rng.nextInt(9) - 4, end = rng.nextInt(9) - 4, step = 1 + rng.nextInt(3);
        if (rng.nextBoolean()) end = shape[d] + rng.nextInt(2); // often up to (or past) the end
        int fe = end;
        String what = "slice(dim " + dim + ", " + start + ":" + end + ":" + step + ")";
        Input x = input(rng, normal(), layout, shape);
        assertGradients(what + (twice ? " twice" : ""), List.of(x), xs -> {
            Tensor y = xs.get(0).slice(dim, start, fe, step);
            return twice ? y.mul(xs.get(0).slice(dim, start, fe, step)) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = v.slice(dim, start, fe, step);
            int n = shape[d];
            int s0 = start < 0 ? Math.max(start + n, 0) : Math.min(start, n), e0 = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
            int count = e0 <= s0 ? 0 : (e0 - s0 + step - 1) / step;
            assertEquals(count, y.shape(d), what + " of " + Shapes.str(shape));
            for (int i = 0; i < y.numel(); i++) {
                int[] idx = Shapes.unravel(i, y.shape()), src = idx.clone();
                src[d] = s0 + idx[d] * step;
                assertEquals(v.get(src), y.get(idx), what);
            }
        }
    }

    @Property
    void narrowAndSelect(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll Layout layout, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, d = rng.nextInt(r), len = 1 + rng.nextInt(shape[d]), start = rng.nextInt(shape[d] - len + 1);
        int e = rng.nextInt(r), idx = rng.nextInt(d == e ? len : shape[e]);
        int index = rng.nextBoolean() ? idx : idx - (d == e ? len : shape[e]); // negative: from the end
        Input x = input(rng, normal(), layout, shape);
        assertGradients("narrow(" + d + ", " + start + ", " + len + ").select(" + e + ", " + index + ")", List.of(x),
                xs -> xs.get(0).narrow(d, start, len).select(e, index));
    }
}
