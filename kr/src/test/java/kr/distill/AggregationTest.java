package kr.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import kr.engine.DType;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.nn.F;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Properties of KR's knowledge aggregation pooling and of the fused sparse recoding kernel. */
class AggregationTest {
    static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), shape).to(DType.F64);
    }

    @Property(tries = 200)
    void poolsToTheStudentShapeForAnyPair(@ForAll @IntRange(min = 1, max = 12) int coS, @ForAll @IntRange(min = 0, max = 12) int coExtra,
            @ForAll @IntRange(min = 1, max = 6) int ciS, @ForAll @IntRange(min = 0, max = 6) int ciExtra,
            @ForAll @IntRange(min = 1, max = 5) int kT, @ForAll @IntRange(min = 1, max = 5) int kS, @ForAll long seed) {
        int[] target = {coS, ciS, kS, kS};
        Tensor w = randn(seed, coS + coExtra, ciS + ciExtra, kT, kT);
        for (Aggregation.FilterPool fp : Aggregation.FilterPool.values())
            for (Aggregation.SpatialPool sp : Aggregation.SpatialPool.values())
                assertArrayEquals(target, Aggregation.pool(w, target, fp, sp).shape());
    }

    @Property(tries = 200)
    void meanPoolingOfIdenticalFiltersReturnsTheFilter(@ForAll @IntRange(min = 1, max = 8) int coS, @ForAll @IntRange(min = 1, max = 4) int rep,
            @ForAll @IntRange(min = 1, max = 5) int ci, @ForAll @IntRange(min = 1, max = 3) int k, @ForAll long seed) {
        Tensor f = randn(seed, coS, 1, ci, k, k);
        Tensor teacher = f.expand(coS, rep, ci, k, k).reshape(coS * rep, ci, k, k); // each filter repeated rep times in a row
        Tensor pooled = Aggregation.pool(teacher, new int[] {coS, ci, k, k}, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM);
        assertArrayEquals(f.reshape(coS, ci, k, k).toDoubleArray(), pooled.toDoubleArray(), 1e-12);
        Tensor maxed = Aggregation.pool(teacher, new int[] {coS, ci, k, k}, Aggregation.FilterPool.MAX_MAGNITUDE, Aggregation.SpatialPool.SUM);
        assertArrayEquals(f.reshape(coS, ci, k, k).toDoubleArray(), maxed.toDoubleArray(), 1e-12);
    }

    @Property(tries = 200)
    void sumOverInputGroupsPreservesConvolutionOfChannelConstantInput(@ForAll @IntRange(min = 1, max = 6) int co,
            @ForAll @IntRange(min = 1, max = 4) int ciS, @ForAll @IntRange(min = 0, max = 7) int ciExtra,
            @ForAll @IntRange(min = 1, max = 3) int k, @ForAll long seed) {
        int ciT = ciS + ciExtra;
        Tensor wT = randn(seed, co, ciT, k, k);
        Tensor xS = randn(seed + 1, 2, ciS, 5, 5);
        // the teacher's input: channel i carries the student's channel of the group i falls in
        int[] group = new int[ciT];
        for (int g = 0; g < ciS; g++)
            for (int i = Aggregation.lo(g, ciT, ciS); i < Aggregation.hi(g, ciT, ciS); i++) group[i] = g;
        Tensor[] chans = new Tensor[ciT];
        for (int i = 0; i < ciT; i++) chans[i] = xS.narrow(1, group[i], 1);
        Tensor xT = Tensor.cat(1, chans);
        try (var s = Backends.use("scalar")) {
            Tensor yT = F.conv2d(xT, wT, null, 1, k / 2);
            Tensor yS = F.conv2d(xS, Aggregation.pool(wT, new int[] {co, ciS, k, k}, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM),
                    null, 1, k / 2);
            assertArrayEquals(yT.toDoubleArray(), yS.toDoubleArray(), 1e-9);
        }
    }

    @Property(tries = 200)
    void spatialSumPreservesResponseToConstantInput(@ForAll @IntRange(min = 2, max = 5) int kT, @ForAll long seed) {
        Tensor wT = randn(seed, 3, 2, kT, kT);
        Tensor x = Tensor.full(0.7, DType.F64, kr.engine.Device.CPU, 1, 2, 6, 6);
        try (var s = Backends.use("scalar")) {
            double yT = F.conv2d(x, wT, null, 1, 0).narrow(2, 0, 1).narrow(3, 0, 1).sum().item();
            double yS = F.conv2d(x, Aggregation.pool(wT, new int[] {3, 2, 1, 1}, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM),
                    null, 1, 0).narrow(2, 0, 1).narrow(3, 0, 1).sum().item();
            assertEquals(yT, yS, 1e-9);
        }
    }

    @Property(tries = 200)
    void fusedPenaltyEqualsComposedPrimitives(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll @IntRange(min = 1, max = 100) int rhoPct,
            @ForAll long seed) {
        Tensor prior = Tensor.randn(new Rng(seed), n), w0 = Tensor.randn(new Rng(seed + 1), n), g0 = Tensor.randn(new Rng(seed + 2), n);
        double thr = SparseRecoding.topRhoThreshold(prior, rhoPct / 100.0), beta = 0.05;
        for (String backend : Backends.available(kr.engine.Device.Kind.CPU)) {
            try (var s = Backends.use(backend)) {
                // composed: grad of beta/2 ||M (W - A)||^2 added to an existing gradient
                Tensor w = w0.copy().requiresGrad(true);
                Tensor pen = SparseRecoding.penalty(w, prior, thr, beta);
                pen.backward();
                Tensor expected = g0.add(w.grad());
                Tensor grad = g0.copy();
                double sum = kr.engine.backend.KrKernels.of(grad.device()).sparseRecoding(grad, w0, prior, thr, beta);
                assertArrayEquals(expected.toFloatArray(), grad.toFloatArray(), 1e-5f, backend);
                assertEquals(pen.item(), beta / 2 * sum, 1e-5 * Math.max(1, Math.abs(pen.item())), backend);
            }
        }
    }

    @Test
    void topRhoKeepsTheLargestMagnitudes() {
        Tensor a = Tensor.of(new float[] {0.1f, -5f, 2f, -0.5f, 3f});
        double thr = SparseRecoding.topRhoThreshold(a, 0.4);
        assertEquals(3.0, thr, 1e-6);
        assertArrayEquals(new float[] {0, 1, 0, 0, 1}, SparseRecoding.mask(a, thr).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> SparseRecoding.topRhoThreshold(a, 0));
    }

    @Test
    void wideningIsRejectedWithTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Aggregation.pool(Tensor.zeros(4, 4, 3, 3), new int[] {8, 4, 3, 3}, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM));
        assertTrue(e.getMessage().startsWith("[aggregate]") && e.getMessage().contains("[8, 4, 3, 3]"), e.getMessage());
    }
}
