package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The vjp of {@code where(cond, a, b)} against float64 central differences, with cond, a and b
 * broadcast against each other. The condition is a constant (perturbing 0 would flip it), or, in
 * some tries, a comparison of {@code a} itself, which then feeds three places.
 */
class WhereTest {
    @Property
    void where(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean twice,
            @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] cs = broadcastPartner(rng, shape), as = broadcastPartner(rng, shape), bs = broadcastPartner(rng, shape);
        if (rng.nextBoolean()) as = shape; // make sure the full shape comes from somewhere
        else bs = shape;
        Tensor cond = f64(rng, integers(0, 1), cs);
        Input a = input(rng, awayFromZero(0.2, 2), la, as), b = input(rng, normal(), lb, bs);
        assertGradients(twice ? "where(a > 0, a, a * b)" : "where(cond " + java.util.Arrays.toString(cs) + ", a, b)", List.of(a, b), xs -> {
            Tensor x = xs.get(0), y = xs.get(1);
            return twice ? Where.apply(x.gt(0.0), x, x.mul(y)) : Where.apply(cond, x, y);
        });
    }
}
