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
 * The vjp of training-mode batch normalization (input, gamma and beta), alone and fused with ReLU,
 * against float64 central differences for inputs [N, C], [N, C, L] and [N, C, H, W], with
 * non-contiguous x, gamma and beta.
 */
class BatchNormTest {
    @Provide
    Arbitrary<int[]> spatial() {
        return Arbitraries.integers().between(1, 3).array(int[].class).ofMaxSize(2);
    }

    @Property
    void batchNorm(@ForAll @IntRange(min = 1, max = 3) int n, @ForAll @IntRange(min = 1, max = 3) int c, @ForAll("spatial") int[] spatial,
            @ForAll Layout layout, @ForAll boolean twice, @ForAll boolean relu, @ForAll long seed) {
        Rng rng = new Rng(seed);
        if (n * Shapes.numel(spatial) < 2) n = 2; // training mode needs two values per channel
        int[] shape = Shapes.concat(new int[] {n, c}, spatial);
        Input x = input(rng, normal(), layout, shape);
        Input gamma = input(rng, normal(), layout, c), beta = input(rng, normal(), layout, c);
        assertGradients((relu ? "batch_norm_relu " : "batch_norm ") + Shapes.str(shape) + (twice ? " * x" : ""), List.of(x, gamma, beta), xs -> {
            Tensor y = BatchNorm.apply(xs.get(0), xs.get(1), xs.get(2), 1e-5, relu).y();
            return twice ? y.mul(xs.get(0)) : y;
        });
    }

    @Property
    void batchNormAddRelu(@ForAll @IntRange(min = 1, max = 3) int n, @ForAll @IntRange(min = 1, max = 3) int c, @ForAll("spatial") int[] spatial,
            @ForAll Layout layout, @ForAll boolean skipIsX, @ForAll long seed) {
        Rng rng = new Rng(seed);
        if (n * Shapes.numel(spatial) < 2) n = 2;
        int[] shape = Shapes.concat(new int[] {n, c}, spatial);
        Input x = input(rng, normal(), layout, shape), skip = input(rng, normal(), layout, shape);
        Input gamma = input(rng, normal(), layout, c), beta = input(rng, normal(), layout, c);
        // skipIsX: the residual is x itself (an identity shortcut), so x's gradient has two paths
        assertGradients("batch_norm_add_relu " + Shapes.str(shape) + (skipIsX ? " skip = x" : ""), List.of(x, gamma, beta, skip),
                xs -> BatchNorm.applyAddRelu(xs.get(0), xs.get(1), xs.get(2), skipIsX ? xs.get(0) : xs.get(3), 1e-5).y());
    }
}
