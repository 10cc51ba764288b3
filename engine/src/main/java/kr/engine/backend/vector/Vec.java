package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.CpuStorage;

/**
 * Shared pieces of the vector kernels: the species, float32 storage access, and run sums that keep
 * float32 speed but double accuracy (lanes accumulate a bounded block in float32, then flush into a
 * double, so long reductions do not drift like a plain float sum).
 */
final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Elements a lane block accumulates in float32 before it is flushed into a double. */
    static final int FLUSH = 1024;
    /** Smallest number of elements worth handing to another thread. */
    static final int GRAIN = 1 << 15;

    private Vec() {}

    static float[] floats(Tensor t) {
        return ((CpuStorage) t.storage()).floats();
    }

    /** A zeroed output array, from the step arena when a step is open ({@link CpuStorage#outputArray}). */
    static float[] out(int n) {
        return CpuStorage.outputArray(n);
    }

    /** An output array the caller writes in full: unzeroed when drawn from a step arena (saves a memset per op). */
    static float[] written(int n) {
        return CpuStorage.outputArray(n, false);
    }

    static Tensor wrap(float[] data, int[] shape) {
        return Tensor.wrap(CpuStorage.of(data), shape);
    }

    /** {@code t} itself when contiguous, otherwise a contiguous copy (so kernels index densely from its offset). */
    static Tensor dense(Tensor t) {
        return t.isContiguous() ? t : Elementwise.copy(t);
    }

    /** Items per parallel chunk so that each chunk covers about {@link #GRAIN} elements of {@code work} each. */
    static int grainFor(long work) {
        return (int) Math.max(1, GRAIN / Math.max(work, 1));
    }

    static int[] contiguousStrides(int[] shape) {
        return Shapes.contiguousStrides(shape);
    }

    /**
     * Sum of the lanes of {@code v} in lane order, in double. {@code reduceLanes(ADD)} may add in any
     * order (C2 on JDK 21+ uses a tree, the interpreter a loop), so its bits would depend on the JIT.
     */
    static double sumLanes(FloatVector v) {
        double s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }

    /** Sum of {@code runs} runs of {@code len} elements starting {@code stride} apart from {@code base}. */
    static double sumRuns(float[] a, int base, int runs, int stride, int len) {
        double total = 0;
        FloatVector acc = FloatVector.zero(S);
        float tail = 0;
        int pending = 0;
        for (int r = 0; r < runs; r++) {
            for (int p = 0; p < len; p += FLUSH) { // long runs are cut so a block never exceeds FLUSH
                int o = base + r * stride + p, n = Math.min(FLUSH, len - p), i = 0, ub = S.loopBound(n);
                for (; i < ub; i += L) acc = acc.add(FloatVector.fromArray(S, a, o + i));
                for (; i < n; i++) tail += a[o + i];
                pending += n;
                if (pending >= FLUSH) {
                    total += sumLanes(acc) + tail;
                    acc = FloatVector.zero(S);
                    tail = 0;
                    pending = 0;
                }
            }
        }
        return total + sumLanes(acc) + tail;
    }

    /** Max (NaN-propagating, as Math.max) of {@code runs} runs laid out as in {@link #sumRuns}. */
    static float maxRuns(float[] a, int base, int runs, int stride, int len) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        float tail = Float.NEGATIVE_INFINITY;
        int ub = S.loopBound(len);
        for (int r = 0; r < runs; r++) {
            int o = base + r * stride, i = 0;
            for (; i < ub; i += L) acc = acc.max(FloatVector.fromArray(S, a, o + i));
            for (; i < len; i++) tail = Math.max(tail, a[o + i]);
        }
        return Math.max(acc.reduceLanes(VectorOperators.MAX), tail);
    }

    /** Sum of squares of {@code n} elements from {@code off}, flushed into a double per block. */
    static double sumOfSquares(float[] a, int off, int n) {
        double total = 0;
        for (int b = 0; b < n; b += FLUSH) {
            int o = off + b, len = Math.min(FLUSH, n - b), i = 0, ub = S.loopBound(len);
            FloatVector acc = FloatVector.zero(S);
            float tail = 0;
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(S, a, o + i);
                acc = acc.add(v.mul(v));
            }
            for (; i < len; i++) tail += a[o + i] * a[o + i];
            total += sumLanes(acc) + tail;
        }
        return total;
    }
}
