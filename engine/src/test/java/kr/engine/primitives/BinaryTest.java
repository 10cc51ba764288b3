package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.testkit.GradProperty.Values;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.BinaryOp;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The vjp of every {@link BinaryOp} against float64 central differences, with broadcasting (a
 * partner shape with dropped leading dims and size-1 dims, on either side) and, in some tries,
 * {@code op(a, a) + op(a, b)} so one operand feeds two nodes and both slots of one node.
 */
class BinaryTest {
    @Property
    void add(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean swap,
            @ForAll boolean twice, @ForAll long seed) {
        check(BinaryOp.ADD, normal(), normal(), shape, la, lb, swap, twice, seed);
    }

    @Property
    void sub(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean swap,
            @ForAll boolean twice, @ForAll long seed) {
        check(BinaryOp.SUB, normal(), normal(), shape, la, lb, swap, twice, seed);
    }

    @Property
    void mul(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean swap,
            @ForAll boolean twice, @ForAll long seed) {
        check(BinaryOp.MUL, normal(), normal(), shape, la, lb, swap, twice, seed);
    }

    /** Both operands away from 0: a / a needs a != 0 too. */
    @Property
    void div(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean swap,
            @ForAll boolean twice, @ForAll long seed) {
        check(BinaryOp.DIV, awayFromZero(0.5, 2), awayFromZero(0.5, 2), shape, la, lb, swap, twice, seed);
    }

    /** Two shifted lattices never tie; max(a, a) ties everywhere and must split the gradient evenly. */
    @Property
    void max(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean swap,
            @ForAll boolean twice, @ForAll long seed) {
        check(BinaryOp.MAX, lattice(0.03), lattice(0.07), shape, la, lb, swap, twice, seed);
    }

    @Property
    void min(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean swap,
            @ForAll boolean twice, @ForAll long seed) {
        check(BinaryOp.MIN, lattice(0.03), lattice(0.07), shape, la, lb, swap, twice, seed);
    }

    private static void check(BinaryOp op, Values va, Values vb, int[] shape, Layout la, Layout lb, boolean swap, boolean twice, long seed) {
        Rng rng = new Rng(seed);
        int[] other = broadcastPartner(rng, shape);
        Input a = input(rng, va, la, swap ? other : shape);
        Input b = input(rng, vb, lb, swap ? shape : other);
        assertGradients(op.opName() + (twice ? "(a, a) + " : "") + op.opName() + "(a, b)", List.of(a, b), xs -> {
            Tensor x = xs.get(0), y = xs.get(1);
            Tensor r = Binary.apply(op, x, y);
            return twice ? Binary.apply(op, x, x).add(r) : r;
        });
    }
}
