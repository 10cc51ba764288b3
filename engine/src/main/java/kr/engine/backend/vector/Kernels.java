package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked float32 micro-kernels shared by {@link Gemm} and {@link DirectConv}: one tile of
 * {@code rows x (vectors * VL)} outputs, every accumulator a local so C2 keeps it in a register.
 * A rows are broadcast from {@code a[ao + p*as + i]}; B rows are vectors at {@code b[bo + p*bs]}
 * (or at {@code b[bo + koff[p]]} for the table kernels, which read a padded image in place).
 * {@code C = acc} or, with {@code load}, {@code C += acc}.
 *
 * <p>Measured on JDK 17 (AVX-512): up to 16 accumulators stay in registers; with 24 C2 spills them,
 * hence no 8x3 or 12x2 tiles. The code below the tile table is generated (one method per tile).
 */
final class Kernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /** AVX-512 (and wider) machines have 32 vector registers, AVX2 16. */
    static final boolean WIDE = S.vectorBitSize() >= 512;

    private Kernels() {}

    /** A micro-kernel shape: {@code rows x vectors}; table kernels read B through an offset table. */
    record Tile(int id, int rows, int vectors, boolean table) {
        int cols() {
            return vectors * VL;
        }

        @Override
        public String toString() {
            return rows + "x" + cols();
        }
    }

    static final Tile T5x3 = new Tile(0, 5, 3, false);
    static final Tile T6x2 = new Tile(1, 6, 2, false);
    static final Tile T8x2 = new Tile(2, 8, 2, false);
    static final Tile T16x1 = new Tile(3, 16, 1, false);
    static final Tile T4x4 = new Tile(4, 4, 4, false);
    static final Tile T8x1 = new Tile(5, 8, 1, false);
    static final Tile T4x2 = new Tile(6, 4, 2, false);
    static final Tile T3x4 = new Tile(7, 3, 4, false);
    static final Tile T4x3 = new Tile(8, 4, 3, false);
    static final Tile T8x2T = new Tile(9, 8, 2, true);
    static final Tile T4x2T = new Tile(10, 4, 2, true);
    static final Tile T16x1T = new Tile(11, 16, 1, true);
    static final Tile T8x1T = new Tile(12, 8, 1, true);

    static Tile byName(String name) {
        for (Tile t : new Tile[] {T5x3, T6x2, T8x2, T16x1, T4x4, T8x1, T4x2, T3x4, T4x3, T8x2T, T4x2T, T16x1T, T8x1T})
            if ((t.rows() + "x" + t.vectors() + (t.table() ? "t" : "")).equals(name)) return t;
        throw new IllegalArgumentException("[gemm] unknown tile '" + name + "'");
    }

    static void run(Tile t, int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha,
            boolean load) {
        switch (t.id()) {
            case 0 -> kernel5x3(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 1 -> kernel6x2(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 2 -> kernel8x2(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 3 -> kernel16x1(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 4 -> kernel4x4(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 5 -> kernel8x1(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 6 -> kernel4x2(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 7 -> kernel3x4(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            case 8 -> kernel4x3(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);
            default -> throw new IllegalArgumentException("[gemm] tile " + t + " is not a strided kernel");
        }
    }

    static void runTable(Tile t, int kc, float[] a, int ao, int as, float[] b, int bo, int[] koff, float[] c, int co, int ldc,
            boolean load) {
        switch (t.id()) {
            case 9 -> kernel8x2t(kc, a, ao, as, b, bo, koff, c, co, ldc, load);
            case 10 -> kernel4x2t(kc, a, ao, as, b, bo, koff, c, co, ldc, load);
            case 11 -> kernel16x1t(kc, a, ao, as, b, bo, koff, c, co, ldc, load);
            case 12 -> kernel8x1t(kc, a, ao, as, b, bo, koff, c, co, ldc, load);
            default -> throw new IllegalArgumentException("[conv2d] tile " + t + " is not a table kernel");
        }
    }

    // ------------------------------------------------------------------ generated

    /** 5 x 3 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel5x3(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        FloatVector c4_0 = z, c4_1 = z, c4_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, b, bi + 2 * VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1); c0_2 = x.fma(b2, c0_2);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1); c1_2 = x.fma(b2, c1_2);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1); c2_2 = x.fma(b2, c2_2);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1); c3_2 = x.fma(b2, c3_2);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0); c4_1 = x.fma(b1, c4_1); c4_2 = x.fma(b2, c4_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c0_2.fma(al, FloatVector.fromArray(S, c, co + 2 * VL)).intoArray(c, co + 2 * VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c1_2.fma(al, FloatVector.fromArray(S, c, co + ldc + 2 * VL)).intoArray(c, co + ldc + 2 * VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c2_2.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + 2 * VL)).intoArray(c, co + 2 * ldc + 2 * VL);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
            c3_2.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + 2 * VL)).intoArray(c, co + 3 * ldc + 2 * VL);
            c4_0.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c4_1.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc + VL)).intoArray(c, co + 4 * ldc + VL);
            c4_2.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc + 2 * VL)).intoArray(c, co + 4 * ldc + 2 * VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c0_2.mul(al).intoArray(c, co + 2 * VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c1_2.mul(al).intoArray(c, co + ldc + 2 * VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c2_2.mul(al).intoArray(c, co + 2 * ldc + 2 * VL);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c3_1.mul(al).intoArray(c, co + 3 * ldc + VL);
            c3_2.mul(al).intoArray(c, co + 3 * ldc + 2 * VL);
            c4_0.mul(al).intoArray(c, co + 4 * ldc);
            c4_1.mul(al).intoArray(c, co + 4 * ldc + VL);
            c4_2.mul(al).intoArray(c, co + 4 * ldc + 2 * VL);
        }
    }

    /** 6 x 2 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel6x2(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0); c4_1 = x.fma(b1, c4_1);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0); c5_1 = x.fma(b1, c5_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
            c4_0.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c4_1.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc + VL)).intoArray(c, co + 4 * ldc + VL);
            c5_0.fma(al, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c5_1.fma(al, FloatVector.fromArray(S, c, co + 5 * ldc + VL)).intoArray(c, co + 5 * ldc + VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c3_1.mul(al).intoArray(c, co + 3 * ldc + VL);
            c4_0.mul(al).intoArray(c, co + 4 * ldc);
            c4_1.mul(al).intoArray(c, co + 4 * ldc + VL);
            c5_0.mul(al).intoArray(c, co + 5 * ldc);
            c5_1.mul(al).intoArray(c, co + 5 * ldc + VL);
        }
    }

    /** 8 x 2 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel8x2(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
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
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0); c4_1 = x.fma(b1, c4_1);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0); c5_1 = x.fma(b1, c5_1);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = x.fma(b0, c6_0); c6_1 = x.fma(b1, c6_1);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = x.fma(b0, c7_0); c7_1 = x.fma(b1, c7_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
            c4_0.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c4_1.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc + VL)).intoArray(c, co + 4 * ldc + VL);
            c5_0.fma(al, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c5_1.fma(al, FloatVector.fromArray(S, c, co + 5 * ldc + VL)).intoArray(c, co + 5 * ldc + VL);
            c6_0.fma(al, FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c6_1.fma(al, FloatVector.fromArray(S, c, co + 6 * ldc + VL)).intoArray(c, co + 6 * ldc + VL);
            c7_0.fma(al, FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
            c7_1.fma(al, FloatVector.fromArray(S, c, co + 7 * ldc + VL)).intoArray(c, co + 7 * ldc + VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c3_1.mul(al).intoArray(c, co + 3 * ldc + VL);
            c4_0.mul(al).intoArray(c, co + 4 * ldc);
            c4_1.mul(al).intoArray(c, co + 4 * ldc + VL);
            c5_0.mul(al).intoArray(c, co + 5 * ldc);
            c5_1.mul(al).intoArray(c, co + 5 * ldc + VL);
            c6_0.mul(al).intoArray(c, co + 6 * ldc);
            c6_1.mul(al).intoArray(c, co + 6 * ldc + VL);
            c7_0.mul(al).intoArray(c, co + 7 * ldc);
            c7_1.mul(al).intoArray(c, co + 7 * ldc + VL);
        }
    }

    /** 16 x 1 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel16x1(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
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
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = x.fma(b0, c6_0);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = x.fma(b0, c7_0);
            x = FloatVector.broadcast(S, a[ai + 8]);
            c8_0 = x.fma(b0, c8_0);
            x = FloatVector.broadcast(S, a[ai + 9]);
            c9_0 = x.fma(b0, c9_0);
            x = FloatVector.broadcast(S, a[ai + 10]);
            c10_0 = x.fma(b0, c10_0);
            x = FloatVector.broadcast(S, a[ai + 11]);
            c11_0 = x.fma(b0, c11_0);
            x = FloatVector.broadcast(S, a[ai + 12]);
            c12_0 = x.fma(b0, c12_0);
            x = FloatVector.broadcast(S, a[ai + 13]);
            c13_0 = x.fma(b0, c13_0);
            x = FloatVector.broadcast(S, a[ai + 14]);
            c14_0 = x.fma(b0, c14_0);
            x = FloatVector.broadcast(S, a[ai + 15]);
            c15_0 = x.fma(b0, c15_0);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c4_0.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c5_0.fma(al, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c6_0.fma(al, FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c7_0.fma(al, FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
            c8_0.fma(al, FloatVector.fromArray(S, c, co + 8 * ldc)).intoArray(c, co + 8 * ldc);
            c9_0.fma(al, FloatVector.fromArray(S, c, co + 9 * ldc)).intoArray(c, co + 9 * ldc);
            c10_0.fma(al, FloatVector.fromArray(S, c, co + 10 * ldc)).intoArray(c, co + 10 * ldc);
            c11_0.fma(al, FloatVector.fromArray(S, c, co + 11 * ldc)).intoArray(c, co + 11 * ldc);
            c12_0.fma(al, FloatVector.fromArray(S, c, co + 12 * ldc)).intoArray(c, co + 12 * ldc);
            c13_0.fma(al, FloatVector.fromArray(S, c, co + 13 * ldc)).intoArray(c, co + 13 * ldc);
            c14_0.fma(al, FloatVector.fromArray(S, c, co + 14 * ldc)).intoArray(c, co + 14 * ldc);
            c15_0.fma(al, FloatVector.fromArray(S, c, co + 15 * ldc)).intoArray(c, co + 15 * ldc);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c1_0.mul(al).intoArray(c, co + ldc);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c4_0.mul(al).intoArray(c, co + 4 * ldc);
            c5_0.mul(al).intoArray(c, co + 5 * ldc);
            c6_0.mul(al).intoArray(c, co + 6 * ldc);
            c7_0.mul(al).intoArray(c, co + 7 * ldc);
            c8_0.mul(al).intoArray(c, co + 8 * ldc);
            c9_0.mul(al).intoArray(c, co + 9 * ldc);
            c10_0.mul(al).intoArray(c, co + 10 * ldc);
            c11_0.mul(al).intoArray(c, co + 11 * ldc);
            c12_0.mul(al).intoArray(c, co + 12 * ldc);
            c13_0.mul(al).intoArray(c, co + 13 * ldc);
            c14_0.mul(al).intoArray(c, co + 14 * ldc);
            c15_0.mul(al).intoArray(c, co + 15 * ldc);
        }
    }

    /** 4 x 4 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel4x4(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z, c3_3 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, b, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, b, bi + 3 * VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1); c0_2 = x.fma(b2, c0_2); c0_3 = x.fma(b3, c0_3);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1); c1_2 = x.fma(b2, c1_2); c1_3 = x.fma(b3, c1_3);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1); c2_2 = x.fma(b2, c2_2); c2_3 = x.fma(b3, c2_3);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1); c3_2 = x.fma(b2, c3_2); c3_3 = x.fma(b3, c3_3);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c0_2.fma(al, FloatVector.fromArray(S, c, co + 2 * VL)).intoArray(c, co + 2 * VL);
            c0_3.fma(al, FloatVector.fromArray(S, c, co + 3 * VL)).intoArray(c, co + 3 * VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c1_2.fma(al, FloatVector.fromArray(S, c, co + ldc + 2 * VL)).intoArray(c, co + ldc + 2 * VL);
            c1_3.fma(al, FloatVector.fromArray(S, c, co + ldc + 3 * VL)).intoArray(c, co + ldc + 3 * VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c2_2.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + 2 * VL)).intoArray(c, co + 2 * ldc + 2 * VL);
            c2_3.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + 3 * VL)).intoArray(c, co + 2 * ldc + 3 * VL);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
            c3_2.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + 2 * VL)).intoArray(c, co + 3 * ldc + 2 * VL);
            c3_3.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + 3 * VL)).intoArray(c, co + 3 * ldc + 3 * VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c0_2.mul(al).intoArray(c, co + 2 * VL);
            c0_3.mul(al).intoArray(c, co + 3 * VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c1_2.mul(al).intoArray(c, co + ldc + 2 * VL);
            c1_3.mul(al).intoArray(c, co + ldc + 3 * VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c2_2.mul(al).intoArray(c, co + 2 * ldc + 2 * VL);
            c2_3.mul(al).intoArray(c, co + 2 * ldc + 3 * VL);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c3_1.mul(al).intoArray(c, co + 3 * ldc + VL);
            c3_2.mul(al).intoArray(c, co + 3 * ldc + 2 * VL);
            c3_3.mul(al).intoArray(c, co + 3 * ldc + 3 * VL);
        }
    }

    /** 8 x 1 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel8x1(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
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
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = x.fma(b0, c6_0);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = x.fma(b0, c7_0);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c4_0.fma(al, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c5_0.fma(al, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c6_0.fma(al, FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c7_0.fma(al, FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c1_0.mul(al).intoArray(c, co + ldc);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c4_0.mul(al).intoArray(c, co + 4 * ldc);
            c5_0.mul(al).intoArray(c, co + 5 * ldc);
            c6_0.mul(al).intoArray(c, co + 6 * ldc);
            c7_0.mul(al).intoArray(c, co + 7 * ldc);
        }
    }

    /** 4 x 2 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel4x2(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c3_1.mul(al).intoArray(c, co + 3 * ldc + VL);
        }
    }

    /** 3 x 4 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel3x4(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z, c0_3 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z, c1_3 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z, c2_3 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, b, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, b, bi + 3 * VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1); c0_2 = x.fma(b2, c0_2); c0_3 = x.fma(b3, c0_3);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1); c1_2 = x.fma(b2, c1_2); c1_3 = x.fma(b3, c1_3);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1); c2_2 = x.fma(b2, c2_2); c2_3 = x.fma(b3, c2_3);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c0_2.fma(al, FloatVector.fromArray(S, c, co + 2 * VL)).intoArray(c, co + 2 * VL);
            c0_3.fma(al, FloatVector.fromArray(S, c, co + 3 * VL)).intoArray(c, co + 3 * VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c1_2.fma(al, FloatVector.fromArray(S, c, co + ldc + 2 * VL)).intoArray(c, co + ldc + 2 * VL);
            c1_3.fma(al, FloatVector.fromArray(S, c, co + ldc + 3 * VL)).intoArray(c, co + ldc + 3 * VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c2_2.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + 2 * VL)).intoArray(c, co + 2 * ldc + 2 * VL);
            c2_3.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + 3 * VL)).intoArray(c, co + 2 * ldc + 3 * VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c0_2.mul(al).intoArray(c, co + 2 * VL);
            c0_3.mul(al).intoArray(c, co + 3 * VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c1_2.mul(al).intoArray(c, co + ldc + 2 * VL);
            c1_3.mul(al).intoArray(c, co + ldc + 3 * VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c2_2.mul(al).intoArray(c, co + 2 * ldc + 2 * VL);
            c2_3.mul(al).intoArray(c, co + 2 * ldc + 3 * VL);
        }
    }

    /** 4 x 3 vectors: A row p broadcast from {@code a[ao + p*as + i]}, B row p at {@code b[bo + p*bs]}. */
    static void kernel4x3(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c0_2 = z;
        FloatVector c1_0 = z, c1_1 = z, c1_2 = z;
        FloatVector c2_0 = z, c2_1 = z, c2_2 = z;
        FloatVector c3_0 = z, c3_1 = z, c3_2 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * bs, ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector b2 = FloatVector.fromArray(S, b, bi + 2 * VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1); c0_2 = x.fma(b2, c0_2);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1); c1_2 = x.fma(b2, c1_2);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1); c2_2 = x.fma(b2, c2_2);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1); c3_2 = x.fma(b2, c3_2);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (load) {
            c0_0.fma(al, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.fma(al, FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c0_2.fma(al, FloatVector.fromArray(S, c, co + 2 * VL)).intoArray(c, co + 2 * VL);
            c1_0.fma(al, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.fma(al, FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c1_2.fma(al, FloatVector.fromArray(S, c, co + ldc + 2 * VL)).intoArray(c, co + ldc + 2 * VL);
            c2_0.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c2_2.fma(al, FloatVector.fromArray(S, c, co + 2 * ldc + 2 * VL)).intoArray(c, co + 2 * ldc + 2 * VL);
            c3_0.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
            c3_2.fma(al, FloatVector.fromArray(S, c, co + 3 * ldc + 2 * VL)).intoArray(c, co + 3 * ldc + 2 * VL);
        } else {
            c0_0.mul(al).intoArray(c, co);
            c0_1.mul(al).intoArray(c, co + VL);
            c0_2.mul(al).intoArray(c, co + 2 * VL);
            c1_0.mul(al).intoArray(c, co + ldc);
            c1_1.mul(al).intoArray(c, co + ldc + VL);
            c1_2.mul(al).intoArray(c, co + ldc + 2 * VL);
            c2_0.mul(al).intoArray(c, co + 2 * ldc);
            c2_1.mul(al).intoArray(c, co + 2 * ldc + VL);
            c2_2.mul(al).intoArray(c, co + 2 * ldc + 2 * VL);
            c3_0.mul(al).intoArray(c, co + 3 * ldc);
            c3_1.mul(al).intoArray(c, co + 3 * ldc + VL);
            c3_2.mul(al).intoArray(c, co + 3 * ldc + 2 * VL);
        }
    }

    /** 8 x 2 vectors, B row p at {@code b[bo + koff[p]]} (implicit GEMM over a padded image). */
    static void kernel8x2t(int kc, float[] a, int ao, int as, float[] b, int bo, int[] koff, float[] c, int co, int ldc, boolean load) {
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
            int bi = bo + koff[p], ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0); c4_1 = x.fma(b1, c4_1);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0); c5_1 = x.fma(b1, c5_1);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = x.fma(b0, c6_0); c6_1 = x.fma(b1, c6_1);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = x.fma(b0, c7_0); c7_1 = x.fma(b1, c7_1);
        }
        if (load) {
            c0_0.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.add(FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c1_0.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.add(FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c2_0.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.add(FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c3_0.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.add(FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
            c4_0.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c4_1.add(FloatVector.fromArray(S, c, co + 4 * ldc + VL)).intoArray(c, co + 4 * ldc + VL);
            c5_0.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c5_1.add(FloatVector.fromArray(S, c, co + 5 * ldc + VL)).intoArray(c, co + 5 * ldc + VL);
            c6_0.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c6_1.add(FloatVector.fromArray(S, c, co + 6 * ldc + VL)).intoArray(c, co + 6 * ldc + VL);
            c7_0.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
            c7_1.add(FloatVector.fromArray(S, c, co + 7 * ldc + VL)).intoArray(c, co + 7 * ldc + VL);
        } else {
            c0_0.intoArray(c, co);
            c0_1.intoArray(c, co + VL);
            c1_0.intoArray(c, co + ldc);
            c1_1.intoArray(c, co + ldc + VL);
            c2_0.intoArray(c, co + 2 * ldc);
            c2_1.intoArray(c, co + 2 * ldc + VL);
            c3_0.intoArray(c, co + 3 * ldc);
            c3_1.intoArray(c, co + 3 * ldc + VL);
            c4_0.intoArray(c, co + 4 * ldc);
            c4_1.intoArray(c, co + 4 * ldc + VL);
            c5_0.intoArray(c, co + 5 * ldc);
            c5_1.intoArray(c, co + 5 * ldc + VL);
            c6_0.intoArray(c, co + 6 * ldc);
            c6_1.intoArray(c, co + 6 * ldc + VL);
            c7_0.intoArray(c, co + 7 * ldc);
            c7_1.intoArray(c, co + 7 * ldc + VL);
        }
    }

    /** 4 x 2 vectors, B row p at {@code b[bo + koff[p]]} (implicit GEMM over a padded image). */
    static void kernel4x2t(int kc, float[] a, int ao, int as, float[] b, int bo, int[] koff, float[] c, int co, int ldc, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bo + koff[p], ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0); c0_1 = x.fma(b1, c0_1);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0); c1_1 = x.fma(b1, c1_1);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0); c2_1 = x.fma(b1, c2_1);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0); c3_1 = x.fma(b1, c3_1);
        }
        if (load) {
            c0_0.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c0_1.add(FloatVector.fromArray(S, c, co + VL)).intoArray(c, co + VL);
            c1_0.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c1_1.add(FloatVector.fromArray(S, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
            c2_0.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c2_1.add(FloatVector.fromArray(S, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
            c3_0.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c3_1.add(FloatVector.fromArray(S, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
        } else {
            c0_0.intoArray(c, co);
            c0_1.intoArray(c, co + VL);
            c1_0.intoArray(c, co + ldc);
            c1_1.intoArray(c, co + ldc + VL);
            c2_0.intoArray(c, co + 2 * ldc);
            c2_1.intoArray(c, co + 2 * ldc + VL);
            c3_0.intoArray(c, co + 3 * ldc);
            c3_1.intoArray(c, co + 3 * ldc + VL);
        }
    }

    /** 16 x 1 vectors, B row p at {@code b[bo + koff[p]]} (implicit GEMM over a padded image). */
    static void kernel16x1t(int kc, float[] a, int ao, int as, float[] b, int bo, int[] koff, float[] c, int co, int ldc, boolean load) {
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
            int bi = bo + koff[p], ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = x.fma(b0, c6_0);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = x.fma(b0, c7_0);
            x = FloatVector.broadcast(S, a[ai + 8]);
            c8_0 = x.fma(b0, c8_0);
            x = FloatVector.broadcast(S, a[ai + 9]);
            c9_0 = x.fma(b0, c9_0);
            x = FloatVector.broadcast(S, a[ai + 10]);
            c10_0 = x.fma(b0, c10_0);
            x = FloatVector.broadcast(S, a[ai + 11]);
            c11_0 = x.fma(b0, c11_0);
            x = FloatVector.broadcast(S, a[ai + 12]);
            c12_0 = x.fma(b0, c12_0);
            x = FloatVector.broadcast(S, a[ai + 13]);
            c13_0 = x.fma(b0, c13_0);
            x = FloatVector.broadcast(S, a[ai + 14]);
            c14_0 = x.fma(b0, c14_0);
            x = FloatVector.broadcast(S, a[ai + 15]);
            c15_0 = x.fma(b0, c15_0);
        }
        if (load) {
            c0_0.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c1_0.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c2_0.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c3_0.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c4_0.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c5_0.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c6_0.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c7_0.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
            c8_0.add(FloatVector.fromArray(S, c, co + 8 * ldc)).intoArray(c, co + 8 * ldc);
            c9_0.add(FloatVector.fromArray(S, c, co + 9 * ldc)).intoArray(c, co + 9 * ldc);
            c10_0.add(FloatVector.fromArray(S, c, co + 10 * ldc)).intoArray(c, co + 10 * ldc);
            c11_0.add(FloatVector.fromArray(S, c, co + 11 * ldc)).intoArray(c, co + 11 * ldc);
            c12_0.add(FloatVector.fromArray(S, c, co + 12 * ldc)).intoArray(c, co + 12 * ldc);
            c13_0.add(FloatVector.fromArray(S, c, co + 13 * ldc)).intoArray(c, co + 13 * ldc);
            c14_0.add(FloatVector.fromArray(S, c, co + 14 * ldc)).intoArray(c, co + 14 * ldc);
            c15_0.add(FloatVector.fromArray(S, c, co + 15 * ldc)).intoArray(c, co + 15 * ldc);
        } else {
            c0_0.intoArray(c, co);
            c1_0.intoArray(c, co + ldc);
            c2_0.intoArray(c, co + 2 * ldc);
            c3_0.intoArray(c, co + 3 * ldc);
            c4_0.intoArray(c, co + 4 * ldc);
            c5_0.intoArray(c, co + 5 * ldc);
            c6_0.intoArray(c, co + 6 * ldc);
            c7_0.intoArray(c, co + 7 * ldc);
            c8_0.intoArray(c, co + 8 * ldc);
            c9_0.intoArray(c, co + 9 * ldc);
            c10_0.intoArray(c, co + 10 * ldc);
            c11_0.intoArray(c, co + 11 * ldc);
            c12_0.intoArray(c, co + 12 * ldc);
            c13_0.intoArray(c, co + 13 * ldc);
            c14_0.intoArray(c, co + 14 * ldc);
            c15_0.intoArray(c, co + 15 * ldc);
        }
    }

    /** 8 x 1 vectors, B row p at {@code b[bo + koff[p]]} (implicit GEMM over a padded image). */
    static void kernel8x1t(int kc, float[] a, int ao, int as, float[] b, int bo, int[] koff, float[] c, int co, int ldc, boolean load) {
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
            int bi = bo + koff[p], ai = ao + p * as;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]);
            c0_0 = x.fma(b0, c0_0);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = x.fma(b0, c1_0);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = x.fma(b0, c2_0);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = x.fma(b0, c3_0);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = x.fma(b0, c4_0);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = x.fma(b0, c5_0);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = x.fma(b0, c6_0);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = x.fma(b0, c7_0);
        }
        if (load) {
            c0_0.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c1_0.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c2_0.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c3_0.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c4_0.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c5_0.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c6_0.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c7_0.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
        } else {
            c0_0.intoArray(c, co);
            c1_0.intoArray(c, co + ldc);
            c2_0.intoArray(c, co + 2 * ldc);
            c3_0.intoArray(c, co + 3 * ldc);
            c4_0.intoArray(c, co + 4 * ldc);
            c5_0.intoArray(c, co + 5 * ldc);
            c6_0.intoArray(c, co + 6 * ldc);
            c7_0.intoArray(c, co + 7 * ldc);
        }
    }

}
