package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The vjp of batched matmul against float64 central differences: batch dims broadcast both ways
 * (dropped leading dims, size-1 dims), non-contiguous operands, and 1-d operands through
 * {@link Tensor#matmul} (promoted and squeezed as in torch.matmul).
 */
class MatMulTest {
    @Provide
    Arbitrary<int[]> batch() {
        return Arbitraries.integers().between(1, 3).array(int[].class).ofMaxSize(2);
    }

    /** In some tries {@code (a @ b) @ b^T}: b feeds two products, once through a transpose view. */
    @Property
    void batched(@ForAll("batch") int[] batch, @ForAll @IntRange(min = 1, max = 3) int m, @ForAll @IntRange(min = 1, max = 3) int k,
            @ForAll @IntRange(min = 1, max = 3) int n, @ForAll boolean swap, @ForAll Layout la, @ForAll Layout lb, @ForAll boolean twice,
            @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] other = broadcastPartner(rng, batch);
        Input a = input(rng, normal(), la, Shapes.concat(swap ? other : batch, m, k));
        Input b = input(rng, normal(), lb, Shapes.concat(swap ? batch : other, k, n));
        assertGradients(twice ? "(a @ b) @ b^T" : "a @ b", List.of(a, b), xs -> {
            Tensor y = MatMul.apply(xs.get(0), xs.get(1));
            return twice ? MatMul.apply(y, xs.get(1).transpose(-1, -2)) : y;
        });
    }

    /** vector @ vector (0-d result), vector @ [batch.., k, n], [batch.., m, k] @ vector; x @ x in some tries. */
    @Property
    void oneDimensionalOperands(@ForAll @IntRange(min = 0, max = 2) int kind, @ForAll("batch") int[] batch,
            @ForAll @IntRange(min = 1, max = 3) int mn, @ForAll @IntRange(min = 1, max = 3) int k, @ForAll Layout la, @ForAll Layout lb,
            @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] as = kind == 2 ? Shapes.concat(batch, mn, k) : new int[] {k};
        int[] bs = kind == 1 ? Shapes.concat(batch, k, mn) : new int[] {k};
        Input a = input(rng, normal(), la, as), b = input(rng, normal(), lb, bs);
        assertGradients(Shapes.str(as) + " @ " + Shapes.str(bs) + (twice ? " twice" : ""), List.of(a, b), xs -> {
            Tensor x = xs.get(0), y = xs.get(1);
            if (!twice) return x.matmul(y);
            return kind == 0 ? x.matmul(x).mul(x.matmul(y)) : x.matmul(y).mul(x.matmul(y));
        });
    }
}
