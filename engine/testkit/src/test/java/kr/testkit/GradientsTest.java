package kr.testkit;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import kr.engine.GradCheck;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.testkit.GradProperty.Input;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The kit passes right gradients and, in every layout, reports wrong ones. */
class GradientsTest {
    /** Forward x^3, backward 2x: the surrogate's gradient flows, the detached rest only shifts the value. */
    private static Tensor cubeWithWrongGradient(Tensor x) {
        Tensor surrogate = x.mul(x);
        return surrogate.add(x.pow(3).sub(surrogate).detach());
    }

    @Property(tries = 100)
    void aRightGradientPasses(@ForAll("pairs") List<Input> xs) {
        Gradients.check("x * tanh(y) + x", xs, ops -> ops.get(0).mul(ops.get(1).tanh()).add(ops.get(0)));
    }

    /** On [1, 2] the wrong gradient 2x is at least 1 away from 3x^2 at every element, whatever the layout. */
    @Property(tries = 100)
    void aWrongGradientFailsInEveryLayout(@ForAll("cubeInputs") Input x) {
        AssertionError e = assertThrows(AssertionError.class, () -> Gradients.check("cube", List.of(x), xs -> cubeWithWrongGradient(xs.get(0))));
        assertTrue(e.getMessage().startsWith("cube with inputs [" + x + "]: FAILED"), e.getMessage());
        GradCheck.Result r = Gradients.result(List.of(x), xs -> cubeWithWrongGradient(xs.get(0)), GradCheck.Options.DEFAULT);
        // leaf elements a step-sliced view skips have no gradient either way, so not all elements fail
        assertTrue(!r.passed() && r.failed() > 0, r.toString());
    }

    @Example
    void plainTensorsKeepTheirLayout() {
        Rng rng = new Rng(7);
        Tensor a = Tensor.randn(rng, 3, 2).f64().t(); // a transposed view: [2, 3] with strides [1, 2]
        Tensor b = Tensor.randn(rng, 3, 4).f64();
        Gradients.check("matmul", xs -> xs.get(0).matmul(xs.get(1)), a, b);
        AssertionError e = assertThrows(AssertionError.class, () -> Gradients.check("cube", xs -> cubeWithWrongGradient(xs.get(0)), a));
        assertTrue(e.getMessage().contains("[2, 3] strides [1, 2]"), e.getMessage());
    }

    @Property(tries = 100)
    void shapesStayInBounds(@ForAll("matrixOrCube") int[] shape) {
        assertTrue(shape.length >= 2 && shape.length <= 3, "rank " + shape.length);
        for (int d : shape) assertTrue(d >= 1 && d <= 5, "dim " + d);
    }

    @Property(tries = 50)
    void operandsHaveTheGeneratedShape(@ForAll("pairs") List<Input> xs) {
        assertEquals(2, xs.size());
        assertArrayEquals(xs.get(0).shape(), xs.get(1).shape());
        for (Input x : xs) assertArrayEquals(x.shape(), x.view().apply(x.leaf()).shape(), x.toString());
    }

    @Example
    void badArgumentsNameTheKit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorArbitraries.shapes(3, 2, 1));
        assertTrue(e.getMessage().startsWith("[testkit] "), e.getMessage());
    }

    @Provide
    Arbitrary<List<Input>> pairs() {
        return TensorArbitraries.operands(TensorArbitraries.shapes(), GradProperty.normal(), GradProperty.normal());
    }

    @Provide
    Arbitrary<Input> cubeInputs() {
        return TensorArbitraries.operand(TensorArbitraries.shapes(), GradProperty.uniform(1, 2));
    }

    @Provide
    Arbitrary<int[]> matrixOrCube() {
        return TensorArbitraries.shapes(2, 3, 5);
    }
}
