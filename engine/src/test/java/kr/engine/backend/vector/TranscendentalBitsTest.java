package kr.engine.backend.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * exp, log, sigmoid, tanh, pow and log-softmax of the vector backend are the float64 reference
 * rounded once, at every position and however hot the JIT is. Vector API transcendentals (SVML once
 * C2 compiles them) give other bits than their interpreted fallback, which made a resumed run differ
 * from an uninterrupted one in the last bit on some CPUs; this guards against their return.
 */
class TranscendentalBitsTest {
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
}
