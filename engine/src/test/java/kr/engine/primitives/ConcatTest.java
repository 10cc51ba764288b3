package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.ArrayList;
import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.NonScalarShape;
import kr.engine.Rng;
import kr.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The vjp of cat against float64 central differences: 1 to 3 pieces along any dim (empty pieces
 * included), non-contiguous pieces, and in some tries the first piece listed twice.
 */
class ConcatTest {
    @Property
    void cat(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll @IntRange(min = 1, max = 3) int pieces, @ForAll Layout layout,
            @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, d = rng.nextInt(r), dim = rng.nextBoolean() ? d - r : d;
        List<Input> in = new ArrayList<>();
        for (int i = 0; i < pieces; i++) {
            int[] s = shape.clone();
            s[d] = rng.nextInt(4);
            in.add(input(rng, normal(), s[d] == 0 ? Layout.CONTIGUOUS : layout, s));
        }
        assertGradients("cat(dim " + dim + ")" + (twice ? " with piece 0 twice" : ""), in, xs -> {
            List<Tensor> parts = new ArrayList<>(xs);
            if (twice) parts.add(xs.get(0));
            return Concat.apply(parts.toArray(new Tensor[0]), dim);
        });
    }
}
