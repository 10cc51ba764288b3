package kr.engine.primitives;

import static kr.testkit.GradProperty.*;

import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.NonScalarShape;
import kr.engine.Rng;
import kr.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The vjp of log_softmax along any dim (negative too) against float64 central differences. */
class LogSoftmaxTest {
    @Property
    void logSoftmax(@ForAll(supplier = NonScalarShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int r = shape.length, d = rng.nextInt(r), dim = rng.nextBoolean() ? d - r : d;
        Input x = input(rng, uniform(-4, 4), layout, shape);
        assertGradients("log_softmax(dim " + dim + ")" + (twice ? " * x" : ""), List.of(x), xs -> {
            Tensor y = LogSoftmax.apply(xs.get(0), dim);
            return twice ? y.mul(xs.get(0)) : y;
        });
    }
}
