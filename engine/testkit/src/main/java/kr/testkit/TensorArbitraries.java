package kr.testkit;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.testkit.GradProperty.Input;
import kr.testkit.GradProperty.Layout;
import kr.testkit.GradProperty.Values;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;

/**
 * jqwik generators of shapes, tensors and gradient-check operands. Values come from a {@link
 * Values} domain drawn with a generated seed, so a failing case shrinks by shape and is reported by
 * shape and layout.
 *
 * <pre>{@code
 * @Provide
 * Arbitrary<List<Input>> predictionAndTarget() {
 *     return TensorArbitraries.operands(TensorArbitraries.shapes(1, 3, 4), GradProperty.normal(), GradProperty.normal());
 * }
 * }</pre>
 */
public final class TensorArbitraries {
    private TensorArbitraries() {}

    /** Shapes of rank 0 to 4 with dims 1 to 3, as {@link GradProperty.SmallShape}. */
    public static Arbitrary<int[]> shapes() {
        return shapes(0, 4, 3);
    }

    /**
     * Shapes of rank {@code minRank} to {@code maxRank} with dims 1 to {@code maxDim}; rank and
     * dims uniform (not biased small), so size-1 dims and the largest shapes both come up often.
     *
     * <pre>{@code
     * Arbitrary<int[]> matrices = TensorArbitraries.shapes(2, 2, 5);
     * }</pre>
     */
    public static Arbitrary<int[]> shapes(int minRank, int maxRank, int maxDim) {
        if (minRank < 0 || maxRank < minRank || maxDim < 1)
            throw new IllegalArgumentException("[testkit] shapes(minRank " + minRank + ", maxRank " + maxRank + ", maxDim " + maxDim
                    + "): need 0 <= minRank <= maxRank and maxDim >= 1");
        return Arbitraries.integers().between(1, maxDim).withDistribution(RandomDistribution.uniform()).array(int[].class)
                .ofMinSize(minRank).ofMaxSize(maxRank).withSizeDistribution(RandomDistribution.uniform());
    }

    /** Every {@link Layout}: contiguous, permuted, step-sliced, expanded and strided-leaf operands. */
    public static Arbitrary<Layout> layouts() {
        return Arbitraries.of(Layout.class);
    }

    /**
     * Contiguous float64 tensors of the given shapes holding values from {@code values}.
     *
     * <pre>{@code
     * Arbitrary<Tensor> xs = TensorArbitraries.tensors(TensorArbitraries.shapes(), GradProperty.uniform(-2, 2));
     * }</pre>
     */
    public static Arbitrary<Tensor> tensors(Arbitrary<int[]> shapes, Values values) {
        return Combinators.combine(shapes, Arbitraries.longs()).as((shape, seed) -> GradProperty.f64(new Rng(seed), values, shape));
    }

    /**
     * One gradient-check operand of a generated shape in any {@link Layout}.
     *
     * <pre>{@code
     * Arbitrary<Input> x = TensorArbitraries.operand(TensorArbitraries.shapes(), GradProperty.awayFromZero(0.1, 2));
     * }</pre>
     */
    public static Arbitrary<Input> operand(Arbitrary<int[]> shapes, Values values) {
        return operands(shapes, values).map(xs -> xs.get(0));
    }

    /**
     * Operands of one generated shape (e.g. logits and their targets), one per value domain, each
     * in its own {@link Layout}.
     *
     * <pre>{@code
     * Arbitrary<List<Input>> logitsAndTargets =
     *         TensorArbitraries.operands(TensorArbitraries.shapes(2, 2, 4), GradProperty.uniform(-3, 3), GradProperty.uniform(0, 1));
     * }</pre>
     */
    public static Arbitrary<List<Input>> operands(Arbitrary<int[]> shapes, Values... values) {
        if (values.length < 1) throw new IllegalArgumentException("[testkit] operands: need a value domain for at least one operand");
        Values[] domains = values.clone();
        return Combinators.combine(shapes, layouts().list().ofSize(domains.length), Arbitraries.longs()).as((shape, layouts, seed) -> {
            Rng rng = new Rng(seed);
            List<Input> xs = new ArrayList<>();
            for (int i = 0; i < domains.length; i++) xs.add(GradProperty.input(rng, domains[i], layouts.get(i), shape));
            return xs;
        });
    }
}
