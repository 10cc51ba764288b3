package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;

/**
 * Single-precision GEMM on row-major arrays: {@code C = alpha * op(A) * op(B) + beta * C} where
 * op(A) is [m, k] and op(B) is [k, n].
 *
 * <p>GotoBLAS/BLIS structure: B is packed into [kc x NR] column panels, A into [MR x kc] row panels
 * (zero padded at the edges), and a register-blocked micro-kernel computes one MR x NR tile of C
 * per panel pair with every accumulator in a local. The parallel split is a static partition of C
 * into column (or row) ranges; each element of C is always computed by the same k-blocked sequence
 * of FMAs, so results are bit-identical for any thread count.
 *
 * <pre>{@code
 * Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, true); // C = A x B
 * }</pre>
 */
public final class Gemm {
    static final int VL = Kernels.VL;
    private static final kr.engine.EngineConfig CFG = kr.engine.backend.Backends.config();
    /**
     * The micro-kernel tile (rows x vectors). AVX-512: 8x2 (16 accumulators; tiles with 24 spill on JDK 17), which
     * divides power-of-two sizes where 5x3's 48 columns left a sixth of sgemm 256 as padding (engine/NOTES.md G6).
     * AVX2 (16 registers): 6x2 on JDK 17, whose C2 compiles it without spills since its accumulators start from
     * distinct zeros (C22: 1.06-1.10x NumPy's time in 3 of 3 JVMs, against 1.17-1.25 for 5x2); 5x2 on later JDKs,
     * where 6x2 ran at 2.3x in 3 of 3 JVMs (JDK 25) and 5x2 at 1.12-1.18 (G5). Override with -Dkr.gemm.tile=RxV. The
     * GEMM settings are read once, from the engine configuration installed when this class loads.
     */
    static final Kernels.Tile TILE = Kernels.byName(CFG.gemmTile() != null ? CFG.gemmTile() : defaultTile(Kernels.WIDE, Runtime.version().feature()));

    /** The measured best tile for the vector width and the JDK whose C2 compiles it. */
    static String defaultTile(boolean wide, int jdk) {
        return wide ? "8x2" : jdk == 17 ? "6x2" : "5x2";
    }

    /**
     * Whether full tiles run the packed kernels, whose strides are constants (same bits). Measured per width and JDK
     * (engine/NOTES.md G9, Ice Lake Xeon, sgemm 1024): JDK 17 AVX2 34.8-37.2 ms against 37.7-39.5 strided; JDK 25 AVX2
     * 47.6-48.7 against 40.0-40.2 (no); JDK 25 AVX-512 21.1-22.3 against 22.3-34.9; JDK 17 AVX-512 equal (25.8-26.5
     * against 25.6-26.7: strided kept). -Dkr.gemm.packed=true|false overrides.
     */
    static final boolean PACKED = System.getProperty("kr.gemm.packed") != null ? Boolean.getBoolean("kr.gemm.packed")
            : defaultPacked(Kernels.WIDE, Runtime.version().feature());

    static boolean defaultPacked(boolean wide, int jdk) {
        return jdk == 17 ? !wide : wide;
    }

    /** Rows of A per micro-panel. */
    public static final int MR = TILE.rows();
    /** Columns of B per micro-panel. */
    public static final int NR = TILE.cols();
    /** Depth of a packed block: 1024, so C is read and written once per 1024 multiply-adds of each element (G6). */
    static final int KC = CFG.gemmKc();
    /** Rows of A packed at a time. */
    static final int MC = CFG.gemmMc() * MR;
    /** Columns of B packed at a time. */
    static final int NC = CFG.gemmNc() * NR;
    /** Loop order inside a block: 0 = column panels outer (B micro-panel reused from L1), 1 = row panels outer. */
    static final int ORDER = CFG.gemmOrder();
    /** Below this many multiply-adds a GEMM runs on the calling thread. */
    static final long PARALLEL_MIN_WORK = 1L << 18;

    private Gemm() {}

    /** Per-thread packing buffers, reused across calls. */
    private static final class Buffers {
        float[] a = new float[0], b = new float[0];
        final float[] tile = new float[MR * NR];

        float[] a(int n) {
            if (a.length < n) a = new float[n];
            return a;
        }

        float[] b(int n) {
            if (b.length < n) b = new float[n];
            return b;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}; op(A) = transA ? A^T : A, where A is read at
     * {@code a[aOff + row * lda + col]}. When beta is 0, C is not read (NaNs in C do not propagate).
     * With {@code parallel}, the work is split over {@link Parallel}.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b,
            int bOff, int ldb, float beta, float[] c, int cOff, int ldc, boolean parallel) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0) {
            scale(c, cOff, ldc, m, n, beta);
            return;
        }
        int mp = (m + MR - 1) / MR, np = (n + NR - 1) / NR;
        boolean splitN = np >= mp;
        int panels = splitN ? np : mp;
        int grain = parallel && (long) m * n * k >= PARALLEL_MIN_WORK ? 1 : Integer.MAX_VALUE;
        Parallel.forRange(panels, grain, (chunk, lo, hi) -> {
            Buffers buf = BUFFERS.get();
            if (splitN) {
                int j0 = lo * NR, j1 = Math.min(n, hi * NR);
                serial(transA, transB, m, j1 - j0, k, alpha, a, aOff, lda, b, bOff + (transB ? j0 * ldb : j0), ldb, beta, c, cOff + j0,
                        ldc, buf);
            } else {
                int i0 = lo * MR, i1 = Math.min(m, hi * MR);
                serial(transA, transB, i1 - i0, n, k, alpha, a, aOff + (transA ? i0 : i0 * lda), lda, b, bOff, ldb, beta, c,
                        cOff + i0 * ldc, ldc, buf);
            }
        });
    }

    /** {@code C = beta * C}; beta 0 writes zeros without reading C. */
    private static void scale(float[] c, int cOff, int ldc, int m, int n, float beta) {
        if (beta == 1) return;
        for (int i = 0; i < m; i++) {
            int r = cOff + i * ldc;
            if (beta == 0) java.util.Arrays.fill(c, r, r + n, 0f);
            else for (int j = 0; j < n; j++) c[r + j] *= beta;
        }
    }

    private static void serial(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b,
            int bOff, int ldb, float beta, float[] c, int cOff, int ldc, Buffers buf) {
        if (beta != 0) scale(c, cOff, ldc, m, n, beta);
        float[] pa = buf.a(Math.min(MC, roundUp(m, MR)) * Math.min(KC, k));
        float[] pb = buf.b(Math.min(NC, roundUp(n, NR)) * Math.min(KC, k));
        float[] tile = buf.tile;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean load = pc > 0 || beta != 0;
                packB(transB, b, bOff, ldb, pc, kc, jc, nc, pb);
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    packA(transA, a, aOff, lda, ic, mc, pc, kc, pa);
                    if (ORDER == 0) {
                        for (int jr = 0; jr < nc; jr += NR)
                            for (int ir = 0; ir < mc; ir += MR)
                                tile(kc, pa, ir, pb, jr, Math.min(MR, mc - ir), Math.min(NR, nc - jr), c, cOff + (ic + ir) * ldc + jc + jr, ldc,
                                        alpha, load, tile);
                    } else {
                        for (int ir = 0; ir < mc; ir += MR)
                            for (int jr = 0; jr < nc; jr += NR)
                                tile(kc, pa, ir, pb, jr, Math.min(MR, mc - ir), Math.min(NR, nc - jr), c, cOff + (ic + ir) * ldc + jc + jr, ldc,
                                        alpha, load, tile);
                    }
                }
            }
        }
    }

    /** The micro-kernel on micro-panels ir of A and jr of B (packed: MR and NR apart), into C at {@code ci}. */
    private static void micro(int kc, float[] pa, int ir, float[] pb, int jr, float[] c, int ci, int ldc, float alpha, boolean load) {
        if (PACKED) Kernels.runPacked(TILE, kc, pa, ir * kc, pb, jr * kc, c, ci, ldc, alpha, load);
        else Kernels.run(TILE, kc, pa, ir * kc, MR, pb, jr * kc, NR, c, ci, ldc, alpha, load);
    }

    /** One MR x NR tile of C; edge tiles go through a scratch tile and only their valid part is written. */
    private static void tile(int kc, float[] pa, int ir, float[] pb, int jr, int mr, int nr, float[] c, int ci, int ldc, float alpha, boolean load,
            float[] tile) {
        if (mr == MR && nr == NR) {
            micro(kc, pa, ir, pb, jr, c, ci, ldc, alpha, load);
            return;
        }
        micro(kc, pa, ir, pb, jr, tile, 0, NR, alpha, false);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) {
                float t = tile[i * NR + j];
                c[ci + i * ldc + j] = load ? c[ci + i * ldc + j] + t : t;
            }
    }

    private static int roundUp(int x, int r) {
        return (x + r - 1) / r * r;
    }

    /** Packs op(A)[i0 : i0+mc, p0 : p0+kc] as MR-row panels, each [kc][MR], zero padded to MR rows. */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir), base = ir * kc;
            if (transA) {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + i0 + ir, d = base + p * MR;
                    for (int r = 0; r < rows; r++) dst[d + r] = a[src + r];
                    for (int r = rows; r < MR; r++) dst[d + r] = 0;
                }
            } else {
                for (int r = 0; r < MR; r++) {
                    if (r < rows) {
                        int src = aOff + (i0 + ir + r) * lda + p0;
                        for (int p = 0; p < kc; p++) dst[base + p * MR + r] = a[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[base + p * MR + r] = 0;
                    }
                }
            }
        }
    }

    /** Packs op(B)[p0 : p0+kc, j0 : j0+nc] as NR-column panels, each [kc][NR], zero padded to NR columns. */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst) {
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr), base = jr * kc;
            if (transB) {
                for (int j = 0; j < NR; j++) {
                    if (j < cols) {
                        int src = bOff + (j0 + jr + j) * ldb + p0;
                        for (int p = 0; p < kc; p++) dst[base + p * NR + j] = b[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[base + p * NR + j] = 0;
                    }
                }
            } else if (cols == NR) {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0 + jr, d = base + p * NR;
                    for (int v = 0; v < NR; v += VL) FloatVector.fromArray(Kernels.S, b, src + v).intoArray(dst, d + v);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0 + jr, d = base + p * NR;
                    System.arraycopy(b, src, dst, d, cols);
                    java.util.Arrays.fill(dst, d + cols, d + NR, 0f);
                }
            }
        }
    }

}
