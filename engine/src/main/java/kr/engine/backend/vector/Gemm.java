package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /** Micro-kernel shape, as rows x vectors; AVX-512 has 32 vector registers, AVX2 16. */
    static String KERNEL = System.getProperty("kr.gemm.kernel", S.vectorBitSize() >= 512 ? "8x3" : "6x2");
    static int KERNEL_ID = switch (KERNEL) {
        case "8x3" -> 0;
        case "12x2" -> 1;
        case "6x4" -> 2;
        case "6x2" -> 3;
        case "4x4" -> 4;
        case "8x2" -> 5;
        case "6x3" -> 6;
        case "5x4" -> 7;
        case "10x2" -> 8;
        case "7x3" -> 9;
        case "4x5" -> 10;
        case "4x6" -> 11;
        case "9x2" -> 12;
        case "5x3" -> 13;
        case "3x4" -> 14;
        case "4x3" -> 15;
        case "7x2" -> 16;
        case "16x1" -> 17;
        case "8x1" -> 18;
        default -> throw new IllegalArgumentException("[gemm] unknown kr.gemm.kernel '" + KERNEL + "' (8x3, 12x2, 6x4, 6x2)");
    };
    /** Rows of A per micro-panel. */
    public static int MR = new int[] {8, 12, 6, 6, 4, 8, 6, 5, 10, 7, 4, 4, 9, 5, 3, 4, 7, 16, 8}[KERNEL_ID];
    /** Columns of B per micro-panel. */
    public static int NR = new int[] {3, 2, 4, 2, 4, 2, 3, 4, 2, 3, 5, 6, 2, 3, 4, 3, 2, 1, 1}[KERNEL_ID] * VL;
    /** Depth of a packed block: a B micro-panel of KC x NR stays in L1. */
    static int KC = Integer.getInteger("kr.gemm.kc", 256);
    /** Rows of A packed at a time (L2 resident). */
    static int MC = Integer.getInteger("kr.gemm.mc", 16) * MR;
    /** Columns of B packed at a time (L3 resident). */
    static int NC = Integer.getInteger("kr.gemm.nc", 64) * NR;
    /** Below this many multiply-adds a GEMM runs on the calling thread. */
    static final long PARALLEL_MIN_WORK = 1L << 18;

    private Gemm() {}

    /** Per-thread packing buffers, reused across calls. */
    private static final class Buffers {
        float[] a = new float[0], b = new float[0];
        final float[] tile = new float[16 * 4 * 64];

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
                                tile(kc, pa, ir, pb, jr, Math.min(MR, mc - ir), Math.min(NR, nc - jr), c, cOff + (ic + ir) * ldc + jc + jr, ldc, alpha, load, tile);
                    } else {
                        for (int ir = 0; ir < mc; ir += MR)
                            for (int jr = 0; jr < nc; jr += NR)
                                tile(kc, pa, ir, pb, jr, Math.min(MR, mc - ir), Math.min(NR, nc - jr), c, cOff + (ic + ir) * ldc + jc + jr, ldc, alpha, load, tile);
                    }
                }
            }
        }
    }

    static int ORDER = Integer.getInteger("kr.gemm.order", 0);

    private static void tile(int kc, float[] pa, int ir, float[] pb, int jr, int mr, int nr, float[] c, int ci, int ldc, float alpha, boolean load, float[] tile) {
        if (mr == MR && nr == NR) {
            kernel(kc, pa, ir * kc, pb, jr * kc, c, ci, ldc, alpha, load);
        } else {
            kernel(kc, pa, ir * kc, pb, jr * kc, tile, 0, NR, alpha, false);
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++) {
                    float t = tile[i * NR + j];
                    c[ci + i * ldc + j] = load ? c[ci + i * ldc + j] + t : t;
                }
        }
    }

    static final String[] VARIANTS = {"8x3", "12x2", "6x4", "6x2", "4x4", "8x2", "6x3", "5x4", "10x2", "7x3", "4x5", "4x6", "9x2", "5x3", "3x4", "4x3", "7x2", "16x1", "8x1"};
    static void config(String kernel, int order, int kc, int mc, int nc) {
        KERNEL = kernel;
        KERNEL_ID = java.util.Arrays.asList(VARIANTS).indexOf(kernel);
        MR = Integer.parseInt(kernel.split("x")[0]);
        NR = Integer.parseInt(kernel.split("x")[1]) * VL;
        ORDER = order; KC = kc; MC = mc * MR; NC = nc * NR;
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
                    for (int v = 0; v < NR; v += VL) FloatVector.fromArray(S, b, src + v).intoArray(dst, d + v);
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

    /**
     * One MR x NR tile: {@code C[tile] = (load ? C[tile] : 0) + alpha * Apanel x Bpanel} over kc,
     * reading packed panels at {@code ao} and {@code bo}.
     */
    static void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        switch (KERNEL_ID) {
            case 0 -> kernel8x3(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 1 -> kernel12x2(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 2 -> kernel6x4(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 3 -> kernel6x2(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 4 -> kernel4x4(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 5 -> kernel8x2(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 6 -> kernel6x3(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 7 -> kernel5x4(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 8 -> kernel10x2(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 9 -> kernel7x3(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 10 -> kernel4x5(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 11 -> kernel4x6(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 12 -> kernel9x2(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 13 -> kernel5x3(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 14 -> kernel3x4(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 15 -> kernel4x3(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 16 -> kernel7x2(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 17 -> kernel16x1(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            case 18 -> kernel8x1(kc, ap, ao, bp, bo, c, co, ldc, alpha, load);
            default -> throw new AssertionError();
        }
    }

    private static void store(FloatVector acc, FloatVector alpha, float[] c, int i, boolean load) {
        (load ? acc.fma(alpha, FloatVector.fromArray(S, c, i)) : acc.mul(alpha)).intoArray(c, i);
    }

    /** 8 rows x 3 vectors: 24 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel8x3(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        FloatVector c5_0 = z, c5_1 = z, c5_2 = z;
        FloatVector c6_0 = z, c6_1 = z, c6_2 = z;
        FloatVector c7_0 = z, c7_1 = z, c7_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 3 * VL, ai = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1); c6_2 = a.fma(b2, c6_2);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1); c7_2 = a.fma(b2, c7_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c4_2, al, c, co + 4 * ldc + 2 * VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c5_2, al, c, co + 5 * ldc + 2 * VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
        store(c6_2, al, c, co + 6 * ldc + 2 * VL, load);
        store(c7_0, al, c, co + 7 * ldc, load);
        store(c7_1, al, c, co + 7 * ldc + VL, load);
        store(c7_2, al, c, co + 7 * ldc + 2 * VL, load);
    }

    /** 12 rows x 2 vectors: 24 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel12x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z;
        FloatVector c7_0 = z, c7_1 = z;
        FloatVector c8_0 = z, c8_1 = z;
        FloatVector c9_0 = z, c9_1 = z;
        FloatVector c10_0 = z, c10_1 = z;
        FloatVector c11_0 = z, c11_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 2 * VL, ai = ao + p * 12;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a.fma(b0, c9_0); c9_1 = a.fma(b1, c9_1);
            a = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a.fma(b0, c10_0); c10_1 = a.fma(b1, c10_1);
            a = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a.fma(b0, c11_0); c11_1 = a.fma(b1, c11_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
        store(c7_0, al, c, co + 7 * ldc, load);
        store(c7_1, al, c, co + 7 * ldc + VL, load);
        store(c8_0, al, c, co + 8 * ldc, load);
        store(c8_1, al, c, co + 8 * ldc + VL, load);
        store(c9_0, al, c, co + 9 * ldc, load);
        store(c9_1, al, c, co + 9 * ldc + VL, load);
        store(c10_0, al, c, co + 10 * ldc, load);
        store(c10_1, al, c, co + 10 * ldc + VL, load);
        store(c11_0, al, c, co + 11 * ldc, load);
        store(c11_1, al, c, co + 11 * ldc + VL, load);
    }

    /** 6 rows x 4 vectors: 24 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel6x4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z, c3_3 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z, c4_3 = z;
        FloatVector c5_0 = z, c5_1 = z, c5_2 = z, c5_3 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 4 * VL, ai = ao + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2); c0_3 = a.fma(b3, c0_3);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2); c1_3 = a.fma(b3, c1_3);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2); c2_3 = a.fma(b3, c2_3);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2); c3_3 = a.fma(b3, c3_3);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2); c4_3 = a.fma(b3, c4_3);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2); c5_3 = a.fma(b3, c5_3);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c0_3, al, c, co + 3 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c1_3, al, c, co + ldc + 3 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c2_3, al, c, co + 2 * ldc + 3 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c3_3, al, c, co + 3 * ldc + 3 * VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c4_2, al, c, co + 4 * ldc + 2 * VL, load);
        store(c4_3, al, c, co + 4 * ldc + 3 * VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c5_2, al, c, co + 5 * ldc + 2 * VL, load);
        store(c5_3, al, c, co + 5 * ldc + 3 * VL, load);
    }

    /** 6 rows x 2 vectors: 12 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel6x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 2 * VL, ai = ao + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
    }

    /** 4 rows x 4 vectors: 16 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel4x4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z, c3_3 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 4 * VL, ai = ao + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2); c0_3 = a.fma(b3, c0_3);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2); c1_3 = a.fma(b3, c1_3);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2); c2_3 = a.fma(b3, c2_3);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2); c3_3 = a.fma(b3, c3_3);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c0_3, al, c, co + 3 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c1_3, al, c, co + ldc + 3 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c2_3, al, c, co + 2 * ldc + 3 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c3_3, al, c, co + 3 * ldc + 3 * VL, load);
    }

    /** 8 rows x 2 vectors: 16 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel8x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z;
        FloatVector c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 2 * VL, ai = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
        store(c7_0, al, c, co + 7 * ldc, load);
        store(c7_1, al, c, co + 7 * ldc + VL, load);
    }

    /** 6 rows x 3 vectors: 18 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel6x3(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        FloatVector c5_0 = z, c5_1 = z, c5_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 3 * VL, ai = ao + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c4_2, al, c, co + 4 * ldc + 2 * VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c5_2, al, c, co + 5 * ldc + 2 * VL, load);
    }

    /** 5 rows x 4 vectors: 20 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel5x4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z, c3_3 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z, c4_3 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 4 * VL, ai = ao + p * 5;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2); c0_3 = a.fma(b3, c0_3);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2); c1_3 = a.fma(b3, c1_3);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2); c2_3 = a.fma(b3, c2_3);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2); c3_3 = a.fma(b3, c3_3);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2); c4_3 = a.fma(b3, c4_3);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c0_3, al, c, co + 3 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c1_3, al, c, co + ldc + 3 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c2_3, al, c, co + 2 * ldc + 3 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c3_3, al, c, co + 3 * ldc + 3 * VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c4_2, al, c, co + 4 * ldc + 2 * VL, load);
        store(c4_3, al, c, co + 4 * ldc + 3 * VL, load);
    }

    /** 10 rows x 2 vectors: 20 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel10x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z;
        FloatVector c7_0 = z, c7_1 = z;
        FloatVector c8_0 = z, c8_1 = z;
        FloatVector c9_0 = z, c9_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 2 * VL, ai = ao + p * 10;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a.fma(b0, c9_0); c9_1 = a.fma(b1, c9_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
        store(c7_0, al, c, co + 7 * ldc, load);
        store(c7_1, al, c, co + 7 * ldc + VL, load);
        store(c8_0, al, c, co + 8 * ldc, load);
        store(c8_1, al, c, co + 8 * ldc + VL, load);
        store(c9_0, al, c, co + 9 * ldc, load);
        store(c9_1, al, c, co + 9 * ldc + VL, load);
    }

    /** 7 rows x 3 vectors: 21 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel7x3(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        FloatVector c5_0 = z, c5_1 = z, c5_2 = z;
        FloatVector c6_0 = z, c6_1 = z, c6_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 3 * VL, ai = ao + p * 7;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1); c6_2 = a.fma(b2, c6_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c4_2, al, c, co + 4 * ldc + 2 * VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c5_2, al, c, co + 5 * ldc + 2 * VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
        store(c6_2, al, c, co + 6 * ldc + 2 * VL, load);
    }

    /** 4 rows x 5 vectors: 20 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel4x5(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z, c0_4 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z, c1_4 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z, c2_4 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z, c3_3 = z, c3_4 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 5 * VL, ai = ao + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector b4 = FloatVector.fromArray(S, bp, bi + 4 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2); c0_3 = a.fma(b3, c0_3); c0_4 = a.fma(b4, c0_4);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2); c1_3 = a.fma(b3, c1_3); c1_4 = a.fma(b4, c1_4);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2); c2_3 = a.fma(b3, c2_3); c2_4 = a.fma(b4, c2_4);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2); c3_3 = a.fma(b3, c3_3); c3_4 = a.fma(b4, c3_4);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c0_3, al, c, co + 3 * VL, load);
        store(c0_4, al, c, co + 4 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c1_3, al, c, co + ldc + 3 * VL, load);
        store(c1_4, al, c, co + ldc + 4 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c2_3, al, c, co + 2 * ldc + 3 * VL, load);
        store(c2_4, al, c, co + 2 * ldc + 4 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c3_3, al, c, co + 3 * ldc + 3 * VL, load);
        store(c3_4, al, c, co + 3 * ldc + 4 * VL, load);
    }

    /** 4 rows x 6 vectors: 24 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel4x6(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z, c0_4 = z, c0_5 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z, c1_4 = z, c1_5 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z, c2_4 = z, c2_5 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z, c3_3 = z, c3_4 = z, c3_5 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 6 * VL, ai = ao + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector b4 = FloatVector.fromArray(S, bp, bi + 4 * VL);
            FloatVector b5 = FloatVector.fromArray(S, bp, bi + 5 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2); c0_3 = a.fma(b3, c0_3); c0_4 = a.fma(b4, c0_4); c0_5 = a.fma(b5, c0_5);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2); c1_3 = a.fma(b3, c1_3); c1_4 = a.fma(b4, c1_4); c1_5 = a.fma(b5, c1_5);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2); c2_3 = a.fma(b3, c2_3); c2_4 = a.fma(b4, c2_4); c2_5 = a.fma(b5, c2_5);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2); c3_3 = a.fma(b3, c3_3); c3_4 = a.fma(b4, c3_4); c3_5 = a.fma(b5, c3_5);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c0_3, al, c, co + 3 * VL, load);
        store(c0_4, al, c, co + 4 * VL, load);
        store(c0_5, al, c, co + 5 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c1_3, al, c, co + ldc + 3 * VL, load);
        store(c1_4, al, c, co + ldc + 4 * VL, load);
        store(c1_5, al, c, co + ldc + 5 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c2_3, al, c, co + 2 * ldc + 3 * VL, load);
        store(c2_4, al, c, co + 2 * ldc + 4 * VL, load);
        store(c2_5, al, c, co + 2 * ldc + 5 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c3_3, al, c, co + 3 * ldc + 3 * VL, load);
        store(c3_4, al, c, co + 3 * ldc + 4 * VL, load);
        store(c3_5, al, c, co + 3 * ldc + 5 * VL, load);
    }

    /** 9 rows x 2 vectors: 18 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel9x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z;
        FloatVector c7_0 = z, c7_1 = z;
        FloatVector c8_0 = z, c8_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 2 * VL, ai = ao + p * 9;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
        store(c7_0, al, c, co + 7 * ldc, load);
        store(c7_1, al, c, co + 7 * ldc + VL, load);
        store(c8_0, al, c, co + 8 * ldc, load);
        store(c8_1, al, c, co + 8 * ldc + VL, load);
    }

    /** 5 rows x 3 vectors: 15 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel5x3(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 3 * VL, ai = ao + p * 5;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c4_2, al, c, co + 4 * ldc + 2 * VL, load);
    }

    /** 3 rows x 4 vectors: 12 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel3x4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 4 * VL, ai = ao + p * 3;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2); c0_3 = a.fma(b3, c0_3);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2); c1_3 = a.fma(b3, c1_3);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2); c2_3 = a.fma(b3, c2_3);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c0_3, al, c, co + 3 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c1_3, al, c, co + ldc + 3 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c2_3, al, c, co + 2 * ldc + 3 * VL, load);
    }

    /** 4 rows x 3 vectors: 12 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel4x3(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 3 * VL, ai = ao + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c0_2, al, c, co + 2 * VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c1_2, al, c, co + ldc + 2 * VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c2_2, al, c, co + 2 * ldc + 2 * VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c3_2, al, c, co + 3 * ldc + 2 * VL, load);
    }

    /** 7 rows x 2 vectors: 14 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel7x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 2 * VL, ai = ao + p * 7;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c0_1, al, c, co + VL, load);
        store(c1_0, al, c, co + ldc, load);
        store(c1_1, al, c, co + ldc + VL, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c2_1, al, c, co + 2 * ldc + VL, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c3_1, al, c, co + 3 * ldc + VL, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c4_1, al, c, co + 4 * ldc + VL, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c5_1, al, c, co + 5 * ldc + VL, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c6_1, al, c, co + 6 * ldc + VL, load);
    }

    /** 16 rows x 1 vectors: 16 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel16x1(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z;
        FloatVector c1_0 = z;
        FloatVector c2_0 = z;
        FloatVector c3_0 = z;
        FloatVector c4_0 = z;
        FloatVector c5_0 = z;
        FloatVector c6_0 = z;
        FloatVector c7_0 = z;
        FloatVector c8_0 = z;
        FloatVector c9_0 = z;
        FloatVector c10_0 = z;
        FloatVector c11_0 = z;
        FloatVector c12_0 = z;
        FloatVector c13_0 = z;
        FloatVector c14_0 = z;
        FloatVector c15_0 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 1 * VL, ai = ao + p * 16;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a.fma(b0, c8_0);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a.fma(b0, c9_0);
            a = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a.fma(b0, c10_0);
            a = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a.fma(b0, c11_0);
            a = FloatVector.broadcast(S, ap[ai + 12]);
            c12_0 = a.fma(b0, c12_0);
            a = FloatVector.broadcast(S, ap[ai + 13]);
            c13_0 = a.fma(b0, c13_0);
            a = FloatVector.broadcast(S, ap[ai + 14]);
            c14_0 = a.fma(b0, c14_0);
            a = FloatVector.broadcast(S, ap[ai + 15]);
            c15_0 = a.fma(b0, c15_0);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c1_0, al, c, co + ldc, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c7_0, al, c, co + 7 * ldc, load);
        store(c8_0, al, c, co + 8 * ldc, load);
        store(c9_0, al, c, co + 9 * ldc, load);
        store(c10_0, al, c, co + 10 * ldc, load);
        store(c11_0, al, c, co + 11 * ldc, load);
        store(c12_0, al, c, co + 12 * ldc, load);
        store(c13_0, al, c, co + 13 * ldc, load);
        store(c14_0, al, c, co + 14 * ldc, load);
        store(c15_0, al, c, co + 15 * ldc, load);
    }

    /** 8 rows x 1 vectors: 8 accumulators held in locals so C2 keeps them in registers. */
    private static void kernel8x1(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z;
        FloatVector c1_0 = z;
        FloatVector c2_0 = z;
        FloatVector c3_0 = z;
        FloatVector c4_0 = z;
        FloatVector c5_0 = z;
        FloatVector c6_0 = z;
        FloatVector c7_0 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 1 * VL, ai = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        store(c0_0, al, c, co, load);
        store(c1_0, al, c, co + ldc, load);
        store(c2_0, al, c, co + 2 * ldc, load);
        store(c3_0, al, c, co + 3 * ldc, load);
        store(c4_0, al, c, co + 4 * ldc, load);
        store(c5_0, al, c, co + 5 * ldc, load);
        store(c6_0, al, c, co + 6 * ldc, load);
        store(c7_0, al, c, co + 7 * ldc, load);
    }

}
