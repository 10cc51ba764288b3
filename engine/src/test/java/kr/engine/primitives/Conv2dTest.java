package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Conv2dParams;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The vjp of conv2d (input and weight) against float64 central differences over stride, padding,
 * dilation, groups (depthwise included) and non-square kernels, with non-contiguous operands.
 */
class Conv2dTest {
    @Property
    void conv2d(@ForAll @IntRange(min = 1, max = 2) int n, @ForAll @IntRange(min = 1, max = 2) int groups,
            @ForAll @IntRange(min = 1, max = 2) int cinPerGroup, @ForAll @IntRange(min = 1, max = 2) int coutPerGroup,
            @ForAll boolean depthwise, @ForAll @IntRange(min = 1, max = 3) int kh, @ForAll @IntRange(min = 1, max = 3) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh, @ForAll @IntRange(min = 1, max = 3) int sw, @ForAll @IntRange(min = 0, max = 2) int ph,
            @ForAll @IntRange(min = 0, max = 2) int pw, @ForAll @IntRange(min = 1, max = 2) int dh, @ForAll @IntRange(min = 1, max = 2) int dw,
            @ForAll @IntRange(min = 0, max = 2) int extraH, @ForAll @IntRange(min = 0, max = 2) int extraW, @ForAll Layout lx,
            @ForAll Layout lw, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        // depthwise: one input channel per group, groups == channels (up to 3)
        int g = depthwise ? groups + rng.nextInt(2) : groups, cg = depthwise ? 1 : cinPerGroup;
        int c = g * cg, co = g * coutPerGroup;
        int h = Math.max(1, dh * (kh - 1) + 1 - 2 * ph) + extraH, w = Math.max(1, dw * (kw - 1) + 1 - 2 * pw) + extraW;
        Conv2dParams p = new Conv2dParams(sh, sw, ph, pw, dh, dw, g);
        Input x = input(rng, normal(), lx, n, c, h, w), wt = input(rng, normal(), lw, co, cg, kh, kw);
        assertGradients("conv2d " + p + (twice ? " twice" : ""), List.of(x, wt), xs -> {
            Tensor y = Conv2d.apply(xs.get(0), xs.get(1), p);
            return twice ? y.mul(Conv2d.apply(xs.get(0), xs.get(1), p)) : y;
        });
    }

    @Example
    void rejectsAnInputSmallerThanTheDilatedKernel() {
        // PyTorch: "Kernel size can't be greater than actual input size", whatever the stride
        Tensor x = Tensor.zeros(1, 1, 2, 2), w = Tensor.zeros(1, 1, 3, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2d.apply(x, w, Conv2dParams.of(2, 0)));
        assertTrue(e.getMessage().startsWith("[conv2d] input [1, 1, 2, 2] is too small"), e.getMessage());
        assertArrayEquals(new int[] {1, 1, 1, 1}, Conv2d.apply(x, w, Conv2dParams.of(2, 1)).shape());
    }
}
