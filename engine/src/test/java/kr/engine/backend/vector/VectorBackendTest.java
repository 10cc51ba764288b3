package kr.engine.backend.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import kr.engine.DType;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.ReduceOp;
import kr.engine.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * Properties of the vector backend beyond matching the reference (that is BackendConformanceTest):
 * run collapsing, repeatability, float64 fall-through and aliasing.
 */
class VectorBackendTest {
    static final Backend VEC = Backends.cpu("vector"), REF = Backends.cpu("scalar");

    @Test
    void runsCollapseTheBiasPatternIntoContiguousAndBroadcastOperands() {
        // out [8, 16, 5, 7] contiguous, x contiguous, bias [1, 16, 1, 1] broadcast: rows of 35 with bias stride 0
        int[] out = {8, 16, 5, 7};
        StridedRuns r = StridedRuns.of(out, new int[][] {{560, 35, 7, 1}, {560, 35, 7, 1}, {0, 1, 0, 0}}, new int[] {0, 0, 0});
        assertEquals(1, r.innerStride(0));
        assertEquals(1, r.innerStride(1));
        assertEquals(0, r.innerStride(2));
        int[] runs = new int[1], firstLen = new int[1];
        r.walk(0, r.numel(), (pos, len, tile) -> {
            if (runs[0]++ == 0) firstLen[0] = len;
        });
        assertEquals(8 * 16, runs[0]);
        assertEquals(35, firstLen[0]);
        // a contiguous tensor is one long run, cut only at MAX_RUN
        StridedRuns flat = StridedRuns.of(out, new int[][] {{560, 35, 7, 1}}, new int[] {0});
        int[] n = new int[1];
        flat.walk(0, flat.numel(), (pos, len, tile) -> n[0]++);
        assertEquals((8 * 560 + StridedRuns.MAX_RUN - 1) / StridedRuns.MAX_RUN, n[0]);
    }

    @Test
    void walkingAnyElementRangeVisitsExactlyThoseElements() {
        int[] shape = {3, 4, 5};
        int[][] st = {{20, 5, 1}, {1, 15, 3}}; // operand 1 is a permuted view
        StridedRuns r = StridedRuns.of(shape, st, new int[] {0, 2});
        int[] seen = new int[60];
        int[] src = new int[60];
        for (int[] range : new int[][] {{0, 7}, {7, 33}, {33, 60}})
            r.walk(range[0], range[1], (pos, len, tile) -> {
                for (int i = 0; i < len; i++) {
                    seen[pos[0] + i * r.innerStride(0)]++;
                    src[pos[0] + i * r.innerStride(0)] = pos[1] + i * r.innerStride(1);
                }
            });
        for (int i = 0; i < 60; i++) {
            assertEquals(1, seen[i], "element " + i);
            int a = i / 20, b = i / 5 % 4, c = i % 5;
            assertEquals(2 + a + 15 * b + 3 * c, src[i], "source of element " + i);
        }
    }

    @Test
    void resultsRepeatBitForBit() {
        Rng rng = new Rng(3);
        Tensor x = Tensor.randn(rng, 64, 16, 12, 12), g = Tensor.randn(rng, 64, 16, 12, 12), bias = Tensor.randn(rng, 1, 16, 1, 1);
        Tensor gamma = Tensor.rand(rng, 16), beta = Tensor.randn(rng, 16);
        boolean[] perChannel = {true, false, true, true};
        for (int rep = 0; rep < 2; rep++) {
            assertArrayEquals(VEC.reduce(ReduceOp.SUM, x, perChannel).toFloatArray(), VEC.reduce(ReduceOp.SUM, x, perChannel).toFloatArray());
            Tensor[] a = VEC.batchNorm(x, gamma, beta, 1e-5), b = VEC.batchNorm(x, gamma, beta, 1e-5);
            for (int k = 0; k < 3; k++) assertArrayEquals(a[k].toFloatArray(), b[k].toFloatArray());
            Tensor[] da = VEC.batchNormBackward(g, x, gamma, a[1], a[2]), db = VEC.batchNormBackward(g, x, gamma, a[1], a[2]);
            for (int k = 0; k < 3; k++) assertArrayEquals(da[k].toFloatArray(), db[k].toFloatArray());
            assertEquals(VEC.sumOfSquares(x), VEC.sumOfSquares(x));
            assertArrayEquals(VEC.binary(BinaryOp.ADD, x, bias, x.shape()).toFloatArray(), VEC.binary(BinaryOp.ADD, x, bias, x.shape()).toFloatArray());
        }
    }

    @Test
    void batchNormReluGivesTheBitsOfBatchNormThenRelu() {
        // the fused kernel must be a drop-in for the two ops (trained weights and resumed runs repeat bit for bit)
        for (int[] shape : new int[][] {{8, 16, 32, 32}, {16, 64, 8, 8}, {3, 5, 7, 5}, {6, 3}}) {
            Rng rng = new Rng(shape[1]);
            Tensor x = Tensor.randn(rng, shape).mul(3).add(1), gy = Tensor.randn(rng, shape);
            Tensor gamma = Tensor.rand(rng, shape[1]), beta = Tensor.randn(rng, shape[1]); // beta < 0 zeroes most of a channel
            Tensor[] plain = VEC.batchNorm(x, gamma, beta, 1e-5), fused = VEC.batchNormRelu(x, gamma, beta, 1e-5);
            Tensor y = VEC.unary(UnaryOp.RELU, plain[0]);
            String what = java.util.Arrays.toString(shape);
            assertArrayEquals(y.toFloatArray(), fused[0].toFloatArray(), "y " + what);
            for (int k = 1; k < 3; k++) assertArrayEquals(plain[k].toFloatArray(), fused[k].toFloatArray(), "statistic " + k + " " + what);
            Tensor[] composed = VEC.batchNormBackward(VEC.reluBackward(plain[0], gy), x, gamma, plain[1], plain[2]);
            Tensor[] fusedBack = VEC.batchNormReluBackward(gy, fused[0], x, gamma, fused[1], fused[2]);
            for (int k = 0; k < 3; k++) assertArrayEquals(composed[k].toFloatArray(), fusedBack[k].toFloatArray(), "gradient " + k + " " + what);
            Tensor skip = Tensor.randn(rng, shape), skipView = Tensor.randn(rng, shape).transpose(0, 1).contiguous().transpose(0, 1);
            for (Tensor s : new Tensor[] {skip, skipView}) {
                Tensor added = VEC.unary(UnaryOp.RELU, VEC.binary(BinaryOp.ADD, plain[0], s, shape));
                Tensor[] withSkip = VEC.batchNormAddRelu(x, gamma, beta, s, 1e-5);
                assertArrayEquals(added.toFloatArray(), withSkip[0].toFloatArray(), "y with a residual " + what);
            }
            int zeros = 0;
            for (float v : fused[0].toFloatArray()) zeros += v == 0 ? 1 : 0;
            assertEquals(true, zeros > 0 && zeros < x.numel(), "the mask cuts some elements, not all: " + zeros + " " + what);
        }
    }

    @Test
    void float64GoesToTheReferenceUnchanged() {
        Tensor x = Tensor.randn(new Rng(4), 5, 7).to(DType.F64), y = Tensor.randn(new Rng(5), 7).to(DType.F64);
        assertArrayEquals(REF.unary(UnaryOp.EXP, x).toDoubleArray(), VEC.unary(UnaryOp.EXP, x).toDoubleArray());
        assertArrayEquals(REF.binary(BinaryOp.DIV, x, y, x.shape()).toDoubleArray(), VEC.binary(BinaryOp.DIV, x, y, x.shape()).toDoubleArray());
        assertEquals(DType.F64, VEC.reduce(ReduceOp.SUM, x, new boolean[] {true, false}).dtype());
    }

    @Test
    void copyIntoAnOverlappingViewReadsTheSourceFirst() {
        float[] d = {0, 1, 2, 3, 4, 5, 6, 7};
        Tensor base = Tensor.of(d);
        Tensor dst = Tensor.wrap(base.storage(), new int[] {6}, new int[] {1}, 2), src = Tensor.wrap(base.storage(), new int[] {6}, new int[] {1}, 0);
        VEC.copyInto(dst, src);
        assertArrayEquals(new float[] {0, 1, 0, 1, 2, 3, 4, 5}, base.toFloatArray());
    }
}
