package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Pool2dParams;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The vjp of max pooling against float64 central differences over non-square kernels, strides,
 * padding and ceil mode. Values are distinct so no window has a tie (an EXPANDED layout ties only
 * copies of one leaf element, which still sum to the right gradient).
 */
class MaxPool2dTest {
    @Property
    void maxPool2d(@ForAll @IntRange(min = 1, max = 2) int n, @ForAll @IntRange(min = 1, max = 2) int c,
            @ForAll @IntRange(min = 1, max = 3) int kh, @ForAll @IntRange(min = 1, max = 3) int kw, @ForAll @IntRange(min = 1, max = 3) int sh,
            @ForAll @IntRange(min = 1, max = 3) int sw, @ForAll @IntRange(min = 0, max = 1) int ph, @ForAll @IntRange(min = 0, max = 1) int pw,
            @ForAll boolean ceil, @ForAll @IntRange(min = 0, max = 3) int extraH, @ForAll @IntRange(min = 0, max = 3) int extraW,
            @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Pool2dParams p = new Pool2dParams(kh, kw, sh, sw, Math.min(ph, kh / 2), Math.min(pw, kw / 2), ceil, true);
        int h = Math.max(1, kh - 2 * p.padH()) + extraH, w = Math.max(1, kw - 2 * p.padW()) + extraW;
        Input x = input(new Rng(seed), distinct(), layout, n, c, h, w);
        assertGradients("max_pool2d " + p + (twice ? " twice" : ""), List.of(x), xs -> {
            Tensor y = MaxPool2d.apply(xs.get(0), p);
            return twice ? y.mul(MaxPool2d.apply(xs.get(0), p)) : y;
        });
    }

    @Example
    void outputSizesFollowPyTorch() {
        // floor mode: a 1x1 input has no complete 2x2 window (PyTorch: "Output size is too small")
        Tensor x = Tensor.zeros(1, 1, 1, 1);
        Pool2dParams floor = new Pool2dParams(2, 2, 2, 2, 0, 0, false, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaxPool2d.apply(x, floor));
        assertTrue(e.getMessage().startsWith("[max_pool2d] input [1, 1, 1, 1] is too small"), e.getMessage());
        // ceil mode keeps the partial window, as PyTorch does
        assertArrayEquals(new int[] {1, 1, 1, 1}, MaxPool2d.apply(x, new Pool2dParams(2, 2, 2, 2, 0, 0, true, true)).shape());
        assertArrayEquals(new int[] {1, 1, 3, 3}, MaxPool2d.apply(Tensor.zeros(1, 1, 5, 5), new Pool2dParams(2, 2, 2, 2, 0, 0, true, true)).shape());
        assertArrayEquals(new int[] {1, 1, 2, 2}, MaxPool2d.apply(Tensor.zeros(1, 1, 5, 5), new Pool2dParams(2, 2, 2, 2, 0, 0, false, true)).shape());
    }
}
