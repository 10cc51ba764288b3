package kr.engine.backend.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The vector backend gives the same bits however hot the JIT is: exp, log, sigmoid, tanh, pow and
 * log-softmax are the float64 reference rounded once at every position, and sums do not depend on
 * the order C2 picks for a lane reduction. Vector API transcendentals (SVML once C2 compiles them)
 * and {@code reduceLanes(ADD)} (a tree on JDK 21+) differ from their interpreted fallback, which made
 * a resumed run differ from an uninterrupted one in the last bit; this guards against their return.
 */
class JitReproducibilityTest {
    private static final Backend VECTOR = Backends.cpu("vector");

    private static float[] inputs(int n, long seed, boolean positive) {
        Rng r = new Rng(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (positive ? 0.01 + 5 * r.nextDouble() : 6 * r.nextGaussian());
        return x;
    }

    @Test
    void unaryTranscendentalsAreTheReferenceRoundedOnceWhenHot() {
        int n = 203; // whole vectors and a tail
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.SIGMOID, UnaryOp.TANH}) {
            float[] x = inputs(n, op.ordinal(), op == UnaryOp.LOG);
            Tensor t = Tensor.of(x, n);
            for (int round = 0; round < 3000; round++) { // long enough for C2 to compile the kernel
                float[] y = VECTOR.unary(op, t).toFloatArray();
                if (round % 1000 != 999) continue;
                for (int i = 0; i < n; i++)
                    assertEquals(Float.floatToRawIntBits((float) op.apply(x[i])), Float.floatToRawIntBits(y[i]), op + " of " + x[i] + " at " + i);
            }
        }
    }

    @Test
    void powAndLogSoftmaxDoNotDependOnTheJit() {
        int n = 203;
        float[] x = inputs(n, 7, true);
        Tensor t = Tensor.of(x, n), rows = Tensor.of(inputs(4 * 50, 8, false), 4, 50), cols = Tensor.of(inputs(50 * 24, 9, false), 50, 24);
        float[] rows0 = VECTOR.logSoftmax(rows, 1).toFloatArray(), cols0 = VECTOR.logSoftmax(cols, 0).toFloatArray();
        for (int round = 0; round < 3000; round++) {
            float[] y = VECTOR.pow(t, 1.7).toFloatArray();
            if (round % 1000 != 999) continue;
            for (int i = 0; i < n; i++)
                assertEquals(Float.floatToRawIntBits((float) Math.pow(x[i], 1.7)), Float.floatToRawIntBits(y[i]), "pow of " + x[i] + " at " + i);
            assertEquals(java.util.Arrays.toString(rows0), java.util.Arrays.toString(VECTOR.logSoftmax(rows, 1).toFloatArray()), "log-softmax over rows");
            assertEquals(java.util.Arrays.toString(cols0), java.util.Arrays.toString(VECTOR.logSoftmax(cols, 0).toFloatArray()), "log-softmax over columns");
        }
    }

    @Test
    void sumsDoNotDependOnTheJit() {
        Tensor x = Tensor.of(inputs(3 * 4 * 37 * 5, 10, false), 3, 4, 37, 5);
        boolean[] all = {true, true, true, true}, nhw = {true, false, true, true};
        String sum0 = java.util.Arrays.toString(VECTOR.reduce(kr.engine.backend.ReduceOp.SUM, x, all).toFloatArray());
        String mean0 = java.util.Arrays.toString(VECTOR.reduce(kr.engine.backend.ReduceOp.SUM, x, nhw).toFloatArray());
        for (int round = 0; round < 3000; round++) {
            String sum = java.util.Arrays.toString(VECTOR.reduce(kr.engine.backend.ReduceOp.SUM, x, all).toFloatArray());
            String mean = java.util.Arrays.toString(VECTOR.reduce(kr.engine.backend.ReduceOp.SUM, x, nhw).toFloatArray());
            if (round % 1000 != 999) continue;
            assertEquals(sum0, sum, "sum of all elements");
            assertEquals(mean0, mean, "per-channel sum");
        }
    }
}
