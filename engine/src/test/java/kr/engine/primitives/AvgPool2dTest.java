package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Pool2dParams;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The vjp of average pooling against float64 central differences over non-square kernels,
 * strides, padding, ceil mode and count_include_pad both ways (the divisor of partial windows).
 */
class AvgPool2dTest {
    @Property
    void avgPool2d(@ForAll @IntRange(min = 1, max = 2) int n, @ForAll @IntRange(min = 1, max = 2) int c,
            @ForAll @IntRange(min = 1, max = 3) int kh, @ForAll @IntRange(min = 1, max = 3) int kw, @ForAll @IntRange(min = 1, max = 3) int sh,
            @ForAll @IntRange(min = 1, max = 3) int sw, @ForAll @IntRange(min = 0, max = 1) int ph, @ForAll @IntRange(min = 0, max = 1) int pw,
            @ForAll boolean ceil, @ForAll boolean countIncludePad, @ForAll @IntRange(min = 0, max = 3) int extraH,
            @ForAll @IntRange(min = 0, max = 3) int extraW, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Pool2dParams p = new Pool2dParams(kh, kw, sh, sw, Math.min(ph, kh / 2), Math.min(pw, kw / 2), ceil, countIncludePad);
        int h = Math.max(1, kh - 2 * p.padH()) + extraH, w = Math.max(1, kw - 2 * p.padW()) + extraW;
        Input x = input(new Rng(seed), normal(), layout, n, c, h, w);
        assertGradients("avg_pool2d " + p + (twice ? " twice" : ""), List.of(x), xs -> {
            Tensor y = AvgPool2d.apply(xs.get(0), p);
            return twice ? y.mul(AvgPool2d.apply(xs.get(0), p)) : y;
        });
    }
}
