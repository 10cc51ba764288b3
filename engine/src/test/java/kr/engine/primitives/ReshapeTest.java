package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Reshape to a random regrouping of the elements (size-1 dims inserted, one dim -1 in some tries)
 * from any layout: the vjp against float64 central differences, the forward values in row-major
 * order, and a view (shared storage) whenever the input is contiguous.
 */
class ReshapeTest {
    @Property
    void reshape(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Rng rng = new Rng(seed);
        int[] target = regroup(rng, Shapes.numel(shape));
        int[] resolved = target.clone();
        if (target.length > 0 && rng.nextBoolean()) target[rng.nextInt(target.length)] = -1;
        Input x = input(rng, normal(), layout, shape);
        assertGradients("reshape to " + Arrays.toString(target) + (twice ? " twice" : ""), List.of(x), xs -> {
            Tensor y = Reshape.apply(xs.get(0), target);
            return twice ? y.mul(xs.get(0).flatten().reshape(target)) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = v.reshape(target);
            assertArrayEquals(resolved, y.shape());
            assertArrayEquals(v.toDoubleArray(), y.toDoubleArray(), "reshape of " + x + " to " + Arrays.toString(target));
            if (v.isContiguous()) assertSame(v.storage(), y.storage(), "reshape of a contiguous tensor must be a view");
        }
    }

    /** The prime factors of n spread over up to four dims, with size-1 dims mixed in. */
    static int[] regroup(Rng rng, int n) {
        List<Integer> dims = new ArrayList<>();
        int k = rng.nextInt(5);
        for (int i = 0; i < k; i++) dims.add(1);
        if (dims.isEmpty() && n != 1) dims.add(1);
        int m = n;
        for (int p = 2; m > 1; p++) {
            while (m % p == 0) {
                int i = rng.nextInt(dims.size());
                dims.set(i, dims.get(i) * p);
                m /= p;
            }
        }
        int[] r = new int[dims.size()];
        for (int i = 0; i < r.length; i++) r[i] = dims.get(i);
        return r;
    }
}
