package kr.testkit;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import kr.engine.GradCheck;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.CpuStorage;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ArbitrarySupplier;

/**
 * The building blocks of a jqwik gradient property: operand layouts, value domains that keep
 * finite differences away from kinks and ties, and an assertion that runs {@link GradCheck} on the
 * scalar reference backend. The engine's own properties (one test class per primitive in
 * {@code kr.engine.primitives}, plus {@code kr.nn.FunctionalGradTest}) are written with it; for
 * the short form see {@link Gradients} and {@link TensorArbitraries}.
 *
 * <pre>{@code
 * Input x = GradProperty.input(new Rng(seed), GradProperty.normal(), Layout.STEPPED, 2, 3);
 * GradProperty.assertGradients("tanh", List.of(x), xs -> xs.get(0).tanh());
 * }</pre>
 */
public final class GradProperty {
    private GradProperty() {}

    /**
     * How an operand is laid out in memory. The view is built inside the checked function from a
     * leaf (so the view primitive is part of the graph), except STRIDED_LEAF, where the leaf handed
     * to GradCheck is itself a step-sliced, permuted view.
     */
    public enum Layout { CONTIGUOUS, PERMUTED, STEPPED, EXPANDED, STRIDED_LEAF }

    /** Draws {@code n} values; each domain keeps one kind of op away from its kinks. */
    @FunctionalInterface
    public interface Values {
        /** {@code n} values drawn from {@code rng}. */
        double[] draw(Rng rng, int n);
    }

    /** Standard normal values, for smooth ops: {@code input(rng, normal(), Layout.PERMUTED, 2, 3)}. */
    public static Values normal() {
        return (rng, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = rng.nextGaussian();
            return v;
        };
    }

    /** Uniform in [lo, hi), e.g. {@code uniform(0.3, 3)} keeps log and sqrt away from 0. */
    public static Values uniform(double lo, double hi) {
        return (rng, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng.nextDouble();
            return v;
        };
    }

    /** |v| in [lo, hi] with a random sign: no value near the kink of abs/relu or the pole of 1/x. */
    public static Values awayFromZero(double lo, double hi) {
        return (rng, n) -> {
            double[] v = uniform(lo, hi).draw(rng, n);
            for (int i = 0; i < n; i++) if (rng.nextBoolean()) v[i] = -v[i];
            return v;
        };
    }

    /** Pairwise distinct values at least 0.06 apart (no ties for max, max-pool, ...). */
    public static Values distinct() {
        return (rng, n) -> {
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            rng.shuffle(perm);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = (perm[i] - n / 2.0) * 0.07 + 0.01 * rng.nextDouble();
            return v;
        };
    }

    /**
     * Values {@code k * 0.1 + shift} for integer k in [-20, 20]: two lattices with shifts 0.03 and
     * 0.07 never come closer than 0.04, so max/min of one against the other has no ties.
     */
    public static Values lattice(double shift) {
        return (rng, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = (rng.nextInt(41) - 20) * 0.1 + shift;
            return v;
        };
    }

    /** Small integers in [lo, hi]: many ties, for comparisons and argmax. */
    public static Values integers(int lo, int hi) {
        return (rng, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = lo + rng.nextInt(hi - lo + 1);
            return v;
        };
    }

    /** A float64 tensor of {@code shape} (0-d when shape is empty) holding {@code v}. */
    public static Tensor f64(double[] v, int... shape) {
        return Tensor.wrap(CpuStorage.of(v.clone()), shape);
    }

    /** A float64 tensor of {@code shape} filled from {@code values}. */
    public static Tensor f64(Rng rng, Values values, int... shape) {
        return f64(values.draw(rng, Shapes.numel(shape)), shape);
    }

    /**
     * One operand: the leaf GradCheck perturbs and the view that turns it into the operand of
     * logical shape {@code shape}; {@code layout} says how, for failure messages.
     */
    public record Input(Tensor leaf, UnaryOperator<Tensor> view, int[] shape, String layout) {
        @Override
        public String toString() {
            return Shapes.str(shape) + " " + layout;
        }
    }

    /** An operand of logical {@code shape} laid out as {@code layout}, values from {@code values}. */
    public static Input input(Rng rng, Values values, Layout layout, int... shape) {
        int r = shape.length;
        switch (layout) {
            case PERMUTED: {
                if (r < 2) return input(rng, values, Layout.STEPPED, shape); // nothing to permute: still not contiguous
                int[] perm = permutation(rng, r); // the operand is leaf.permute(perm)
                int[] leafShape = new int[r];
                for (int j = 0; j < r; j++) leafShape[perm[j]] = shape[j];
                return new Input(f64(rng, values, leafShape), x -> x.permute(perm), shape.clone(), "permute" + Arrays.toString(perm));
            }
            case STEPPED: {
                if (r < 1) break;
                int d = rng.nextInt(r), step = 2 + rng.nextInt(2), start = rng.nextInt(step);
                int end = shape[d] == 0 ? start : start + (shape[d] - 1) * step + 1;
                int[] leafShape = shape.clone();
                leafShape[d] = end + rng.nextInt(2);
                return new Input(f64(rng, values, leafShape), x -> x.slice(d, start, end, step), shape.clone(),
                        "slice(dim " + d + ", " + start + ":" + end + ":" + step + ") of " + Shapes.str(leafShape));
            }
            case EXPANDED: {
                int lead = 0;
                while (lead < r && rng.nextBoolean()) lead++; // dims the expand adds in front
                int[] leafShape = Arrays.copyOfRange(shape, lead, r);
                boolean any = lead > 0;
                for (int i = 0; i < leafShape.length; i++) {
                    if (leafShape[i] > 1 && rng.nextBoolean()) {
                        leafShape[i] = 1;
                        any = true;
                    }
                }
                if (!any) break;
                return new Input(f64(rng, values, leafShape), x -> x.expand(shape), shape.clone(), "expand of " + Shapes.str(leafShape));
            }
            case STRIDED_LEAF: {
                if (r < 1) break;
                // a leaf that is itself a view: every other element of a permuted buffer
                int[] perm = permutation(rng, r);
                int[] bufShape = new int[r];
                for (int j = 0; j < r; j++) bufShape[perm[j]] = shape[j];
                int last = r - 1;
                bufShape[last] = bufShape[last] * 2;
                Tensor leaf = f64(rng, values, bufShape).slice(last, 1, bufShape[last], 2).permute(perm).detach();
                return new Input(leaf, x -> x, shape.clone(), "leaf with strides " + Shapes.str(leaf.strides()));
            }
            default:
                break;
        }
        return new Input(f64(rng, values, shape), x -> x, shape.clone(), "contiguous");
    }

    /** A random permutation of {@code 0..r-1}. */
    public static int[] permutation(Rng rng, int r) {
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        rng.shuffle(p);
        return p;
    }

    /**
     * A shape that broadcasts with {@code shape} to {@code shape}: some leading dims dropped, some
     * dims set to 1.
     */
    public static int[] broadcastPartner(Rng rng, int[] shape) {
        int drop = rng.nextInt(shape.length + 1);
        if (rng.nextBoolean()) drop = 0;
        int[] p = Arrays.copyOfRange(shape, drop, shape.length);
        for (int i = 0; i < p.length; i++) if (rng.nextInt(3) == 0) p[i] = 1;
        return p;
    }

    /** The element of {@code t} that broadcasting reads at {@code outIdx} of a larger shape (a direct, loop-free definition). */
    public static double broadcastAt(Tensor t, int[] outIdx) {
        int[] ts = t.shape();
        int[] idx = new int[ts.length];
        for (int i = 0; i < ts.length; i++) idx[i] = ts[i] == 1 ? 0 : outIdx[outIdx.length - ts.length + i];
        return t.get(idx);
    }

    /** Fails with the case description and GradCheck's report unless all gradients agree. */
    public static void assertGradients(String what, List<Input> inputs, Function<List<Tensor>, Tensor> f) {
        assertGradients(what, inputs, f, GradCheck.Options.DEFAULT);
    }

    /** As {@link #assertGradients(String, List, Function)} with explicit tolerances. */
    public static void assertGradients(String what, List<Input> inputs, Function<List<Tensor>, Tensor> f, GradCheck.Options o) {
        Gradients.check(what, inputs, f, o);
    }

    /** Shapes of rank 0 to 4 with dims 1 to 3 (size-1 dims are common); rank and dims uniform, not biased small. */
    public static final class SmallShape implements ArbitrarySupplier<int[]> {
        @Override
        public Arbitrary<int[]> get() {
            return shapes(0);
        }
    }

    /** Shapes of rank 1 to 4 with dims 1 to 3. */
    public static final class NonScalarShape implements ArbitrarySupplier<int[]> {
        @Override
        public Arbitrary<int[]> get() {
            return shapes(1);
        }
    }

    private static Arbitrary<int[]> shapes(int minRank) {
        return TensorArbitraries.shapes(minRank, 4, 3);
    }
}
