package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.testkit.GradProperty.Values;
import kr.engine.Rng;
import kr.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;

/**
 * The vjp of {@code x^p} against float64 central differences. Fractional exponents get positive
 * inputs, negative integer ones inputs away from 0; non-negative integer exponents also see exact
 * zeros, where the gradient is finite (0 for p = 0, as in PyTorch).
 */
class PowTest {
    private static final double[] EXPONENTS = {-2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3};

    @Property
    void pow(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        double p = EXPONENTS[rng.nextInt(EXPONENTS.length)];
        boolean integer = p == Math.rint(p);
        Values values = !integer ? uniform(0.3, 2) : p < 0 ? awayFromZero(0.3, 2) : withZeros(uniform(-2, 2));
        Input x = input(rng, values, layout, shape);
        assertGradients("x^" + p + (twice ? " * x" : ""), List.of(x), xs -> {
            Tensor y = xs.get(0).pow(p);
            return twice ? y.mul(xs.get(0)) : y;
        });
    }

    /** Any finite exponent on positive inputs. */
    @Property
    void anyExponentOnPositiveInputs(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll @DoubleRange(min = -3, max = 3) double p,
            @ForAll Layout layout, @ForAll long seed) {
        Input x = input(new Rng(seed), uniform(0.3, 2), layout, shape);
        assertGradients("x^" + p, List.of(x), xs -> xs.get(0).pow(p));
    }

    /** About a third of the values replaced by exact zeros. */
    private static Values withZeros(Values v) {
        return (rng, n) -> {
            double[] d = v.draw(rng, n);
            for (int i = 0; i < n; i++) if (rng.nextInt(3) == 0) d[i] = 0;
            return d;
        };
    }
}
