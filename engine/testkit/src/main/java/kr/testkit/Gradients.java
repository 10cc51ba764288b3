package kr.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import kr.engine.GradCheck;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.testkit.GradProperty.Input;

/**
 * Checks the gradient of a function of tensors (a layer, a loss, any composition of engine ops)
 * against float64 central differences, on the scalar reference backend, and fails with a report
 * that names the case, the worst element and both values. Pair it with {@link TensorArbitraries}
 * for a jqwik property:
 *
 * <pre>{@code
 * @Property(tries = 100)
 * void huberGradient(@ForAll("pairs") List<Input> xs) {
 *     Gradients.check("huber", xs, ops -> MyLosses.huber(ops.get(0), ops.get(1), 1.0));
 * }
 *
 * @Provide
 * Arbitrary<List<Input>> pairs() {
 *     return TensorArbitraries.operands(TensorArbitraries.shapes(), GradProperty.normal(), GradProperty.normal());
 * }
 * }</pre>
 */
public final class Gradients {
    private Gradients() {}

    /**
     * Fails with an {@link AssertionError} naming {@code what}, the operands and {@link GradCheck}'s
     * report unless every analytic gradient of {@code f} agrees with its numeric one.
     *
     * <pre>{@code
     * Gradients.check("x * tanh(x)", List.of(x), xs -> xs.get(0).tanh().mul(xs.get(0)));
     * }</pre>
     */
    public static void check(String what, List<Input> operands, Function<List<Tensor>, Tensor> f) {
        check(what, operands, f, GradCheck.Options.DEFAULT);
    }

    /** As {@link #check(String, List, Function)} with explicit step and tolerances. */
    public static void check(String what, List<Input> operands, Function<List<Tensor>, Tensor> f, GradCheck.Options o) {
        GradCheck.Result r = result(operands, f, o);
        if (!r.passed()) throw new AssertionError(what + " with inputs " + operands + ": " + r);
    }

    /**
     * As {@link #check(String, List, Function)} for plain tensors, each used as it is (its layout
     * is kept).
     *
     * <pre>{@code
     * Gradients.check("matmul", xs -> xs.get(0).matmul(xs.get(1)), Tensor.randn(rng, 2, 3), Tensor.randn(rng, 3, 4));
     * }</pre>
     */
    public static void check(String what, Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        List<Input> operands = new ArrayList<>();
        for (Tensor t : inputs) {
            String layout = t.isContiguous() ? "contiguous" : "strides " + Shapes.str(t.strides());
            operands.add(new Input(t, x -> x, t.shape(), layout));
        }
        check(what, operands, f);
    }

    /**
     * GradCheck's result without failing: each operand is its view applied to its leaf inside
     * {@code f}, so the view is part of the checked graph. For negative checks and own reporting.
     *
     * <pre>{@code
     * GradCheck.Result r = Gradients.result(List.of(x), xs -> xs.get(0).exp(), GradCheck.Options.DEFAULT);
     * if (!r.passed()) System.out.println(r);
     * }</pre>
     */
    public static GradCheck.Result result(List<Input> operands, Function<List<Tensor>, Tensor> f, GradCheck.Options o) {
        List<Tensor> leaves = new ArrayList<>();
        for (Input in : operands) leaves.add(in.leaf());
        // the float64 reference backend: finite differences in float32 would drown the signal
        try (var s = Backends.use("scalar")) {
            return GradCheck.check(xs -> {
                List<Tensor> ops = new ArrayList<>();
                for (int i = 0; i < xs.size(); i++) ops.add(operands.get(i).view().apply(xs.get(i)));
                return f.apply(ops);
            }, leaves, o);
        }
    }
}
