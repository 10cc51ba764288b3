package kr.engine.primitives;

import static kr.testkit.GradProperty.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.engine.Device;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.SmallShape;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** A CPU to CPU transfer: a fresh copy of the values, and the gradient travels back unchanged. */
class TransferTest {
    @Property
    void cpuToCpu(@ForAll(supplier = SmallShape.class) int[] shape, @ForAll Layout layout, @ForAll boolean twice, @ForAll long seed) {
        Input x = input(new Rng(seed), normal(), layout, shape);
        assertGradients("to cpu" + (twice ? " * x" : ""), List.of(x), xs -> {
            Tensor y = Transfer.apply(xs.get(0), Device.CPU);
            return twice ? y.mul(xs.get(0)) : y;
        });
        try (var s = Backends.use("scalar")) {
            Tensor v = x.view().apply(x.leaf());
            Tensor y = Transfer.apply(v, Device.CPU);
            assertNotSame(v.storage(), y.storage());
            assertArrayEquals(v.shape(), y.shape());
            assertArrayEquals(v.toDoubleArray(), y.toDoubleArray());
            assertEquals(Device.CPU, y.device());
        }
    }
}
