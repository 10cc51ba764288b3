package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.testkit.GradProperty.Values;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.UnaryOp;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The vjp of every {@link UnaryOp} against float64 central differences. */
class UnaryTest {
    @Property
    void neg(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.NEG, normal(), shape, layout, twice, seed);
    }

    @Property
    void exp(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.EXP, uniform(-2, 2), shape, layout, twice, seed);
    }

    @Property
    void log(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.LOG, uniform(0.3, 3), shape, layout, twice, seed);
    }

    @Property
    void sqrt(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.SQRT, uniform(0.3, 3), shape, layout, twice, seed);
    }

    @Property
    void abs(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.ABS, awayFromZero(0.1, 2), shape, layout, twice, seed);
    }

    @Property
    void relu(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.RELU, awayFromZero(0.1, 2), shape, layout, twice, seed);
    }

    @Property
    void sigmoid(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.SIGMOID, uniform(-6, 6), shape, layout, twice, seed);
    }

    @Property
    void tanh(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.TANH, uniform(-3, 3), shape, layout, twice, seed);
    }

    /** Zero gradient; used twice, sign(x) * x = |x| has gradient sign(x). */
    @Property
    void sign(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        check(UnaryOp.SIGN, awayFromZero(0.1, 2), shape, layout, twice, seed);
    }

    private static void check(UnaryOp op, Values values, int[] shape, Layout layout, boolean twice, long seed) {
        Input x = input(new Rng(seed), values, layout, shape);
        assertGradients(op.opName() + (twice ? "(x) * x" : "(x)"), List.of(x), xs -> {
            Tensor y = Unary.apply(op, xs.get(0));
            return twice ? y.mul(xs.get(0)) : y;
        });
    }
}
