package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.engine.DType;
import kr.engine.GradCheck;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Casts pass the gradient through, converted back to the input's dtype: float64 to float64, a
 * float32 round trip (checked with a large step, as float32 rounding swamps a 1e-6 one; the
 * function is linear so the step costs no accuracy), and a float32 leaf used in float64.
 */
class CastTest {
    @Property
    void castToFloat64(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Input x = input(new Rng(seed), normal(), layout, shape);
        assertGradients("cast f64" + (twice ? " * x" : ""), List.of(x), xs -> {
            Tensor y = Cast.apply(xs.get(0), DType.F64);
            return twice ? y.mul(xs.get(0)) : y;
        });
    }

    @Property
    void float32RoundTrip(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Input x = input(new Rng(seed), normal(), layout, shape);
        GradCheck.Options o = new GradCheck.Options(1e-2, 1e-4, 1e-3, 7);
        assertGradients("f64 -> f32 -> f64" + (twice ? " twice" : ""), List.of(x), xs -> {
            Tensor y = Cast.apply(Cast.apply(xs.get(0), DType.F32).mul(3.0), DType.F64);
            return twice ? y.add(Cast.apply(xs.get(0), DType.F32).f64()) : y;
        }, o);
    }

    @Property
    void float32LeafGetsAFloat32Gradient(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll long seed) {
        try (var s = Backends.use("scalar")) {
            Tensor x = Tensor.randn(new Rng(seed), shape.length == 0 ? new int[] {1} : shape).reshape(shape).detach().requiresGrad(true);
            Tensor y = x.f64();
            y.mul(y).sum().backward(); // d/dx = 2x
            assertEquals(DType.F32, x.grad().dtype());
            float[] xv = x.toFloatArray(), g = x.grad().toFloatArray();
            for (int i = 0; i < xv.length; i++) assertEquals(2 * xv[i], g[i], 1e-6f * Math.max(1, Math.abs(xv[i])));
        }
    }
}
