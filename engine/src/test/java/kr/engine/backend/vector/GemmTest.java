package kr.engine.backend.vector;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemm} and {@link VectorBackend#matmul} against float64 references. Tolerance: float32
 * accumulation in a different order than the reference; the error of a k-term dot product is
 * bounded by about {@code k * 2^-24 * sum|a*b|}, so {@code |c - e| <= 1e-6 + 2e-5 * sum|a*b|} holds
 * for every k used here while any indexing mistake is off by O(sum|a*b|).
 */
class GemmTest {
    private static final Backend VECTOR = Backends.cpu("vector");
    private static final Backend SCALAR = Backends.cpu("scalar");

    private static float[] random(Rng rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.nextFloat() * 2 - 1;
        return a;
    }

    /** Runs one sgemm and checks every element of C (inside and around the written block). */
    private static void check(Rng rng, boolean tA, boolean tB, int m, int n, int k, float alpha, float beta, int pad, boolean parallel) {
        int lda = (tA ? m : k) + pad, ldb = (tB ? k : n) + pad, ldc = n + pad;
        int aOff = 3, bOff = 5, cOff = 7;
        float[] a = random(rng, aOff + (tA ? k : m) * lda), b = random(rng, bOff + (tB ? n : k) * ldb);
        float[] c = random(rng, cOff + m * ldc + 4);
        if (beta == 0) Arrays.fill(c, cOff, cOff + m * ldc, Float.NaN); // beta == 0 must not read C
        float[] before = c.clone();
        Gemm.sgemm(tA, tB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, parallel);
        String what = "sgemm tA=" + tA + " tB=" + tB + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha + " beta=" + beta;
        for (int i = 0; i < c.length; i++) {
            int r = (i - cOff) / ldc, col = (i - cOff) % ldc;
            boolean inside = i >= cOff && r < m && col < n;
            if (!inside) {
                assertEquals(before[i], c[i], what + ": wrote outside C at " + i);
                continue;
            }
            double s = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                double av = tA ? a[aOff + p * lda + r] : a[aOff + r * lda + p];
                double bv = tB ? b[bOff + col * ldb + p] : b[bOff + p * ldb + col];
                s += av * bv;
                mag += Math.abs(av * bv);
            }
            double cb = beta == 0 ? 0 : beta * (double) before[i];
            double e = alpha * s + cb, tol = 1e-6 + 2e-5 * (Math.abs(alpha) * mag + Math.abs(cb));
            assertTrue(Math.abs(c[i] - e) <= tol, what + ": C[" + r + "," + col + "] = " + c[i] + ", expected " + e);
        }
    }

    /**
     * Every GEMM micro-kernel (not only the width's default: AVX2 on JDK 17 takes 6x2, later JDKs 5x2) against float64
     * dot products, storing and accumulating, with row and column strides wider than the tile.
     */
    @Test
    void everyGemmTileMatchesReference() {
        Rng rng = new Rng(4);
        for (Kernels.Tile t : new Kernels.Tile[] {Kernels.T5x3, Kernels.T6x2, Kernels.T8x2, Kernels.T4x4, Kernels.T8x1, Kernels.T4x2,
                Kernels.T3x4, Kernels.T4x3, Kernels.T5x2})
            for (int mode = 0; mode < 4; mode++) {
                boolean load = (mode & 1) != 0, packed = (mode & 2) != 0; // packed: panels of exactly rows x cols, the constant strides
                int kc = 37, as = t.rows() + (packed ? 0 : 3), bs = t.cols() + (packed ? 0 : 5), ldc = t.cols() + 7, ao = 2, bo = 3, co = 4;
                float[] a = random(rng, ao + kc * as), b = random(rng, bo + kc * bs), c = random(rng, co + t.rows() * ldc);
                float[] before = c.clone();
                if (packed) Kernels.runPacked(t, kc, a, ao, b, bo, c, co, ldc, 0.5f, load);
                else Kernels.run(t, kc, a, ao, as, b, bo, bs, c, co, ldc, 0.5f, load);
                for (int r = 0; r < t.rows(); r++)
                    for (int j = 0; j < t.cols(); j++) {
                        double s = 0;
                        for (int p = 0; p < kc; p++) s += (double) a[ao + p * as + r] * b[bo + p * bs + j];
                        double e = 0.5 * s + (load ? before[co + r * ldc + j] : 0);
                        assertEquals(e, c[co + r * ldc + j], 1e-4, "tile " + t + " load=" + load + " packed=" + packed + " C[" + r + "," + j + "]");
                    }
            }
        assertEquals("6x2", Gemm.defaultTile(false, 17));
        assertEquals("5x2", Gemm.defaultTile(false, 25));
        assertEquals("8x2", Gemm.defaultTile(true, 17));
        assertTrue(Gemm.defaultPacked(false, 17) && !Gemm.defaultPacked(false, 25) && Gemm.defaultPacked(true, 25) && !Gemm.defaultPacked(true, 17));
    }

    @Test
    void awkwardSizesAllTransposes() {
        Rng rng = new Rng(1);
        int[] sizes = {1, 2, 7, 17, 33, 65};
        for (int m : sizes)
            for (int n : sizes)
                for (int k : new int[] {1, 7, 33, 300})
                    for (int t = 0; t < 4; t++) check(rng, (t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, 0, true);
    }

    @Test
    void alphaBetaLeadingDimensionsAndOffsets() {
        Rng rng = new Rng(2);
        for (float beta : new float[] {0f, 1f, -0.5f})
            for (float alpha : new float[] {1f, 0.25f, -2f})
                for (int t = 0; t < 4; t++) check(rng, (t & 1) != 0, (t & 2) != 0, 23, 37, 19, alpha, beta, 5, true);
    }

    @Test
    void crossesEveryBlockBoundary() {
        // deeper than one packed k block, taller than one row block and wider than one column block
        Rng rng = new Rng(3);
        check(rng, false, false, Gemm.MC + 3, Gemm.NC + Gemm.NR + 5, Gemm.KC * 2 + 9, 1f, 0.5f, 1, true);
        check(rng, true, true, Gemm.MR * 3 + 1, Gemm.NR * 4 - 1, Gemm.KC + 1, 1f, 0f, 0, true);
    }

    @Test
    void degenerateDepthScalesC() {
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 0, new float[0], 0, 2, 3f, c, 0, 2, true);
        assertArrayEquals(new float[] {3, 6, 9, 12}, c);
        Gemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 0, new float[0], 0, 2, 0f, c, 0, 2, true);
        assertArrayEquals(new float[4], c);
    }

    @Test
    void resultDoesNotDependOnTheThreadSplit() {
        // every element is computed by the same k-blocked sequence whatever the partition: same bits
        Rng rng = new Rng(4);
        int m = 97, n = 301, k = 290;
        float[] a = random(rng, m * k), b = random(rng, k * n);
        float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[m * n];
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c1, 0, n, true);
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c2, 0, n, true);
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c3, 0, n, false);
        assertArrayEquals(c1, c2);
        assertArrayEquals(c1, c3);
    }

    // ------------------------------------------------------------------ matmul through the backend

    private static void assertClose(Tensor expected, Tensor actual, double atol, double rtol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = SCALAR.toDoubleArray(expected), a = SCALAR.toDoubleArray(actual);
        for (int i = 0; i < e.length; i++)
            assertTrue(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]), what + ": element " + i + " is " + a[i] + ", expected " + e[i]);
    }

    private static void matmulMatches(Tensor a, Tensor b, int[] out, String what) {
        Tensor e = SCALAR.matmul(a, b, out), v = VECTOR.matmul(a, b, out);
        // inputs in [-1, 1] and k <= 70: float32 rounding stays far below 1e-4
        assertClose(e, v, 1e-4, 1e-4, what);
        assertArrayEquals(VECTOR.toFloatArray(v), VECTOR.toFloatArray(VECTOR.matmul(a, b, out)), what + ": not deterministic");
    }

    @Test
    void matmulPlainAndStridedViews() {
        Rng rng = new Rng(5);
        for (int[] d : new int[][] {{1, 1, 1}, {1, 70, 1}, {7, 1, 9}, {17, 33, 5}, {33, 17, 65}, {64, 64, 64}}) {
            int m = d[0], k = d[1], n = d[2];
            Tensor a = Tensor.uniform(rng, -1, 1, m, k), b = Tensor.uniform(rng, -1, 1, k, n);
            matmulMatches(a, b, new int[] {m, n}, "plain " + Arrays.toString(d));
            Tensor at = Tensor.uniform(rng, -1, 1, k, m).transpose(0, 1), bt = Tensor.uniform(rng, -1, 1, n, k).transpose(0, 1);
            matmulMatches(at, bt, new int[] {m, n}, "transposed views " + Arrays.toString(d));
            // neither dim unit-stride: every other column of a wider matrix, and an offset narrow
            Tensor as = Tensor.uniform(rng, -1, 1, m + 1, 2 * k).slice(1, 0, 2 * k, 2).narrow(0, 1, m);
            matmulMatches(as, b, new int[] {m, n}, "stepped view " + Arrays.toString(d));
        }
    }

    @Test
    void matmulBatchBroadcasting() {
        Rng rng = new Rng(6);
        Tensor a = Tensor.uniform(rng, -1, 1, 2, 1, 5, 7), b = Tensor.uniform(rng, -1, 1, 3, 7, 9);
        matmulMatches(a, b, new int[] {2, 3, 5, 9}, "[2,1,5,7] x [3,7,9]");
        Tensor a3 = Tensor.uniform(rng, -1, 1, 4, 13, 11), w = Tensor.uniform(rng, -1, 1, 11, 6);
        matmulMatches(a3, w, new int[] {4, 13, 6}, "[4,13,11] x [11,6] (folded into one GEMM)");
        matmulMatches(a3, w.unsqueeze(0).expand(4, 11, 6), new int[] {4, 13, 6}, "expanded b");
        Tensor bt = Tensor.uniform(rng, -1, 1, 4, 6, 11).transpose(1, 2);
        matmulMatches(a3, bt, new int[] {4, 13, 6}, "batched transposed b");
        Tensor big = Tensor.uniform(rng, -1, 1, 3, 40, 50), bb = Tensor.uniform(rng, -1, 1, 3, 50, 60);
        matmulMatches(big, bb, new int[] {3, 40, 60}, "batched");
    }

    @Test
    void matmulFloat64FallsBackToReference() {
        Rng rng = new Rng(7);
        Tensor a = Tensor.uniform(rng, -1, 1, 3, 4).to(kr.engine.DType.F64), b = Tensor.uniform(rng, -1, 1, 4, 2).to(kr.engine.DType.F64);
        Tensor v = VECTOR.matmul(a, b, new int[] {3, 2});
        assertEquals(kr.engine.DType.F64, v.dtype());
        assertArrayEquals(SCALAR.toDoubleArray(SCALAR.matmul(a, b, new int[] {3, 2})), SCALAR.toDoubleArray(v), 0.0);
    }
}
