package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Channel-major planes to pixel-major (CHW to HWC) copies for {@link DirectConv}: VL x VL blocks are
 * transposed in registers by log2(VL) butterfly stages (lane shuffles and blends), several times
 * faster than strided scalar stores. Shapes that do not tile by VL fall back to scalar loops.
 *
 * <p>Measured: always at the preferred width. Mixing in 256-bit vectors (8 x 8 blocks on an AVX-512
 * machine) made every kernel of the process, GEMM included, about 1.5x slower. A 16 x 16 block runs
 * as two methods of two stages each with the middle in a small buffer: one method with all four
 * stages was too big for C2 to inline all its vector loads (calls and boxing remained).
 */
final class Transpose {
    private static final VectorSpecies<Float> S = Kernels.S;
    private static final int VL = Kernels.VL;
    private static final boolean BLOCKS = VL == 16 || VL == 8;
    private static final int STAGES = Integer.numberOfTrailingZeros(VL);
    private static final VectorShuffle<Float>[] UP = shuffles(-1), DOWN = shuffles(1);
    private static final VectorMask<Float>[] HIGH = masks();
    private static final ThreadLocal<float[]> TMP = ThreadLocal.withInitial(() -> new float[VL * VL]);

    private Transpose() {}

    /** Stage s exchanges lanes at distance d = VL / 2^(s+1): UP moves lane l - d to l, DOWN lane l + d to l. */
    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] shuffles(int sign) {
        VectorShuffle<Float>[] out = new VectorShuffle[STAGES];
        for (int s = 0; s < STAGES; s++) {
            int d = VL >> (s + 1);
            int[] idx = new int[VL];
            for (int l = 0; l < VL; l++) idx[l] = Math.floorMod(l + sign * d, VL);
            out[s] = VectorShuffle.fromArray(S, idx, 0);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] masks() {
        VectorMask<Float>[] out = new VectorMask[STAGES];
        for (int s = 0; s < STAGES; s++) {
            int d = VL >> (s + 1);
            boolean[] high = new boolean[VL];
            for (int l = 0; l < VL; l++) high[l] = (l & d) != 0;
            out[s] = VectorMask.fromArray(S, high, 0);
        }
        return out;
    }

    /** Lane l takes lane l / 2 (ZIP_LO) or VL / 2 + l / 2 (ZIP_HI); ODD selects the odd lanes. */
    private static final VectorShuffle<Float> ZIP_LO = halves(0), ZIP_HI = halves(VL / 2);
    private static final VectorMask<Float> ODD = odd();

    private static VectorShuffle<Float> halves(int from) {
        int[] idx = new int[VL];
        for (int l = 0; l < VL; l++) idx[l] = from + l / 2;
        return VectorShuffle.fromArray(S, idx, 0);
    }

    private static VectorMask<Float> odd() {
        boolean[] m = new boolean[VL];
        for (int l = 0; l < VL; l++) m[l] = l % 2 == 1;
        return VectorMask.fromArray(S, m, 0);
    }

    /**
     * Zips VL floats of {@code e} (from {@code eo}) with VL of {@code o} (from {@code oo}) into 2 * VL at {@code dst[d]}:
     * e0 o0 e1 o1 ..., two lane shuffles and a blend per stored vector (stride-2 backward-input, DirectConv).
     */
    static void zip(float[] e, int eo, float[] o, int oo, float[] dst, int d) {
        zipHalves(e, eo, o, oo, dst, d, d + VL);
    }

    /**
     * As {@link #zip}, but the two stored vectors go to separate places: e0 o0 ... (lanes 0 to VL/2 - 1 of each) at
     * {@code dst[dLo]}, the upper lanes' pairs at {@code dst[dHi]}; a negative place is skipped.
     */
    static void zipHalves(float[] e, int eo, float[] o, int oo, float[] dst, int dLo, int dHi) {
        FloatVector ve = FloatVector.fromArray(S, e, eo), vo = FloatVector.fromArray(S, o, oo);
        if (dLo >= 0) ve.rearrange(ZIP_LO).blend(vo.rearrange(ZIP_LO), ODD).intoArray(dst, dLo);
        if (dHi >= 0) ve.rearrange(ZIP_HI).blend(vo.rearrange(ZIP_HI), ODD).intoArray(dst, dHi);
    }

    /** True when {@link #block} transposes VL x VL blocks (VL is 8 or 16). */
    static boolean blocks() {
        return BLOCKS;
    }

    /** Transposes one VL x VL block: row r read at {@code src[so + r * ss]}, result row r stored at {@code dst[dO + off[r]]}. */
    static void block(float[] src, int so, int ss, float[] dst, int dO, int[] off) {
        if (VL == 16) {
            float[] tmp = TMP.get();
            block16a(src, so, ss, tmp);
            block16b(tmp, dst, dO, off);
        } else {
            block8(src, so, ss, dst, dO, off);
        }
    }

    /**
     * Copies {@code channels} planes of h x w (plane i at {@code src[so + i * planeStride]}) so that
     * pixel (y, x) channel i lands at {@code dst[dO + (y * rowStride + x) * pixStride + i]}.
     */
    static void toPixelMajor(float[] src, int so, int channels, int h, int w, int planeStride, float[] dst, int dO, int rowStride,
            int pixStride) {
        int c0 = 0;
        // a block is VL consecutive pixels of the flattened plane; they stay in one row, or span whole short rows
        boolean rows = w % VL == 0, shortRows = VL % w == 0 && h * w % VL == 0;
        if (BLOCKS && (rows || shortRows)) {
            int[] off = new int[VL];
            for (int r = 0; r < VL; r++) off[r] = ((r / w) * rowStride + r % w) * pixStride;
            for (; c0 + VL <= channels; c0 += VL)
                for (int p = 0; p < h * w; p += VL) {
                    int s = so + c0 * planeStride + p, d = dO + ((p / w) * rowStride + p % w) * pixStride + c0;
                    block(src, s, planeStride, dst, d, off);
                }
        }
        // row by row, so the strided stores stay within an L1-resident row of the destination
        for (int y = 0; y < h; y++)
            for (int i = c0; i < channels; i++) {
                int s = so + i * planeStride + y * w, d = dO + y * rowStride * pixStride + i;
                for (int x = 0; x < w; x++) dst[d + x * pixStride] = src[s + x];
            }
    }

    // ------------------------------------------------------------------ generated: the butterfly stages, unrolled

    /** Stages 0 and 1 of a 16 x 16 transpose: rows from {@code src[so + r * ss]} to {@code tmp}. */
    private static void block16a(float[] src, int so, int ss, float[] tmp) {
        FloatVector v0 = FloatVector.fromArray(S, src, so + 0 * ss);
        FloatVector v1 = FloatVector.fromArray(S, src, so + 1 * ss);
        FloatVector v2 = FloatVector.fromArray(S, src, so + 2 * ss);
        FloatVector v3 = FloatVector.fromArray(S, src, so + 3 * ss);
        FloatVector v4 = FloatVector.fromArray(S, src, so + 4 * ss);
        FloatVector v5 = FloatVector.fromArray(S, src, so + 5 * ss);
        FloatVector v6 = FloatVector.fromArray(S, src, so + 6 * ss);
        FloatVector v7 = FloatVector.fromArray(S, src, so + 7 * ss);
        FloatVector v8 = FloatVector.fromArray(S, src, so + 8 * ss);
        FloatVector v9 = FloatVector.fromArray(S, src, so + 9 * ss);
        FloatVector v10 = FloatVector.fromArray(S, src, so + 10 * ss);
        FloatVector v11 = FloatVector.fromArray(S, src, so + 11 * ss);
        FloatVector v12 = FloatVector.fromArray(S, src, so + 12 * ss);
        FloatVector v13 = FloatVector.fromArray(S, src, so + 13 * ss);
        FloatVector v14 = FloatVector.fromArray(S, src, so + 14 * ss);
        FloatVector v15 = FloatVector.fromArray(S, src, so + 15 * ss);
        { FloatVector a = v0, b = v8; v0 = a.blend(b.rearrange(UP[0]), HIGH[0]); v8 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v1, b = v9; v1 = a.blend(b.rearrange(UP[0]), HIGH[0]); v9 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v2, b = v10; v2 = a.blend(b.rearrange(UP[0]), HIGH[0]); v10 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v3, b = v11; v3 = a.blend(b.rearrange(UP[0]), HIGH[0]); v11 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v4, b = v12; v4 = a.blend(b.rearrange(UP[0]), HIGH[0]); v12 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v5, b = v13; v5 = a.blend(b.rearrange(UP[0]), HIGH[0]); v13 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v6, b = v14; v6 = a.blend(b.rearrange(UP[0]), HIGH[0]); v14 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v7, b = v15; v7 = a.blend(b.rearrange(UP[0]), HIGH[0]); v15 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v0, b = v4; v0 = a.blend(b.rearrange(UP[1]), HIGH[1]); v4 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v1, b = v5; v1 = a.blend(b.rearrange(UP[1]), HIGH[1]); v5 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v2, b = v6; v2 = a.blend(b.rearrange(UP[1]), HIGH[1]); v6 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v3, b = v7; v3 = a.blend(b.rearrange(UP[1]), HIGH[1]); v7 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v8, b = v12; v8 = a.blend(b.rearrange(UP[1]), HIGH[1]); v12 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v9, b = v13; v9 = a.blend(b.rearrange(UP[1]), HIGH[1]); v13 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v10, b = v14; v10 = a.blend(b.rearrange(UP[1]), HIGH[1]); v14 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v11, b = v15; v11 = a.blend(b.rearrange(UP[1]), HIGH[1]); v15 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        v0.intoArray(tmp, 0);
        v1.intoArray(tmp, 16);
        v2.intoArray(tmp, 32);
        v3.intoArray(tmp, 48);
        v4.intoArray(tmp, 64);
        v5.intoArray(tmp, 80);
        v6.intoArray(tmp, 96);
        v7.intoArray(tmp, 112);
        v8.intoArray(tmp, 128);
        v9.intoArray(tmp, 144);
        v10.intoArray(tmp, 160);
        v11.intoArray(tmp, 176);
        v12.intoArray(tmp, 192);
        v13.intoArray(tmp, 208);
        v14.intoArray(tmp, 224);
        v15.intoArray(tmp, 240);
    }

    /** Stages 2 and 3 of a 16 x 16 transpose: rows from {@code tmp} to {@code dst[dO + off[r]]}. */
    private static void block16b(float[] tmp, float[] dst, int dO, int[] off) {
        FloatVector v0 = FloatVector.fromArray(S, tmp, 0);
        FloatVector v1 = FloatVector.fromArray(S, tmp, 16);
        FloatVector v2 = FloatVector.fromArray(S, tmp, 32);
        FloatVector v3 = FloatVector.fromArray(S, tmp, 48);
        FloatVector v4 = FloatVector.fromArray(S, tmp, 64);
        FloatVector v5 = FloatVector.fromArray(S, tmp, 80);
        FloatVector v6 = FloatVector.fromArray(S, tmp, 96);
        FloatVector v7 = FloatVector.fromArray(S, tmp, 112);
        FloatVector v8 = FloatVector.fromArray(S, tmp, 128);
        FloatVector v9 = FloatVector.fromArray(S, tmp, 144);
        FloatVector v10 = FloatVector.fromArray(S, tmp, 160);
        FloatVector v11 = FloatVector.fromArray(S, tmp, 176);
        FloatVector v12 = FloatVector.fromArray(S, tmp, 192);
        FloatVector v13 = FloatVector.fromArray(S, tmp, 208);
        FloatVector v14 = FloatVector.fromArray(S, tmp, 224);
        FloatVector v15 = FloatVector.fromArray(S, tmp, 240);
        { FloatVector a = v0, b = v2; v0 = a.blend(b.rearrange(UP[2]), HIGH[2]); v2 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v1, b = v3; v1 = a.blend(b.rearrange(UP[2]), HIGH[2]); v3 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v4, b = v6; v4 = a.blend(b.rearrange(UP[2]), HIGH[2]); v6 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v5, b = v7; v5 = a.blend(b.rearrange(UP[2]), HIGH[2]); v7 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v8, b = v10; v8 = a.blend(b.rearrange(UP[2]), HIGH[2]); v10 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v9, b = v11; v9 = a.blend(b.rearrange(UP[2]), HIGH[2]); v11 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v12, b = v14; v12 = a.blend(b.rearrange(UP[2]), HIGH[2]); v14 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v13, b = v15; v13 = a.blend(b.rearrange(UP[2]), HIGH[2]); v15 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v0, b = v1; v0 = a.blend(b.rearrange(UP[3]), HIGH[3]); v1 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v2, b = v3; v2 = a.blend(b.rearrange(UP[3]), HIGH[3]); v3 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v4, b = v5; v4 = a.blend(b.rearrange(UP[3]), HIGH[3]); v5 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v6, b = v7; v6 = a.blend(b.rearrange(UP[3]), HIGH[3]); v7 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v8, b = v9; v8 = a.blend(b.rearrange(UP[3]), HIGH[3]); v9 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v10, b = v11; v10 = a.blend(b.rearrange(UP[3]), HIGH[3]); v11 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v12, b = v13; v12 = a.blend(b.rearrange(UP[3]), HIGH[3]); v13 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        { FloatVector a = v14, b = v15; v14 = a.blend(b.rearrange(UP[3]), HIGH[3]); v15 = a.rearrange(DOWN[3]).blend(b, HIGH[3]); }
        v0.intoArray(dst, dO + off[0]);
        v1.intoArray(dst, dO + off[1]);
        v2.intoArray(dst, dO + off[2]);
        v3.intoArray(dst, dO + off[3]);
        v4.intoArray(dst, dO + off[4]);
        v5.intoArray(dst, dO + off[5]);
        v6.intoArray(dst, dO + off[6]);
        v7.intoArray(dst, dO + off[7]);
        v8.intoArray(dst, dO + off[8]);
        v9.intoArray(dst, dO + off[9]);
        v10.intoArray(dst, dO + off[10]);
        v11.intoArray(dst, dO + off[11]);
        v12.intoArray(dst, dO + off[12]);
        v13.intoArray(dst, dO + off[13]);
        v14.intoArray(dst, dO + off[14]);
        v15.intoArray(dst, dO + off[15]);
    }

    /** An 8 x 8 transpose (AVX2): rows from {@code src[so + r * ss]} to {@code dst[dO + off[r]]}. */
    private static void block8(float[] src, int so, int ss, float[] dst, int dO, int[] off) {
        FloatVector v0 = FloatVector.fromArray(S, src, so + 0 * ss);
        FloatVector v1 = FloatVector.fromArray(S, src, so + 1 * ss);
        FloatVector v2 = FloatVector.fromArray(S, src, so + 2 * ss);
        FloatVector v3 = FloatVector.fromArray(S, src, so + 3 * ss);
        FloatVector v4 = FloatVector.fromArray(S, src, so + 4 * ss);
        FloatVector v5 = FloatVector.fromArray(S, src, so + 5 * ss);
        FloatVector v6 = FloatVector.fromArray(S, src, so + 6 * ss);
        FloatVector v7 = FloatVector.fromArray(S, src, so + 7 * ss);
        { FloatVector a = v0, b = v4; v0 = a.blend(b.rearrange(UP[0]), HIGH[0]); v4 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v1, b = v5; v1 = a.blend(b.rearrange(UP[0]), HIGH[0]); v5 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v2, b = v6; v2 = a.blend(b.rearrange(UP[0]), HIGH[0]); v6 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v3, b = v7; v3 = a.blend(b.rearrange(UP[0]), HIGH[0]); v7 = a.rearrange(DOWN[0]).blend(b, HIGH[0]); }
        { FloatVector a = v0, b = v2; v0 = a.blend(b.rearrange(UP[1]), HIGH[1]); v2 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v1, b = v3; v1 = a.blend(b.rearrange(UP[1]), HIGH[1]); v3 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v4, b = v6; v4 = a.blend(b.rearrange(UP[1]), HIGH[1]); v6 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v5, b = v7; v5 = a.blend(b.rearrange(UP[1]), HIGH[1]); v7 = a.rearrange(DOWN[1]).blend(b, HIGH[1]); }
        { FloatVector a = v0, b = v1; v0 = a.blend(b.rearrange(UP[2]), HIGH[2]); v1 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v2, b = v3; v2 = a.blend(b.rearrange(UP[2]), HIGH[2]); v3 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v4, b = v5; v4 = a.blend(b.rearrange(UP[2]), HIGH[2]); v5 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        { FloatVector a = v6, b = v7; v6 = a.blend(b.rearrange(UP[2]), HIGH[2]); v7 = a.rearrange(DOWN[2]).blend(b, HIGH[2]); }
        v0.intoArray(dst, dO + off[0]);
        v1.intoArray(dst, dO + off[1]);
        v2.intoArray(dst, dO + off[2]);
        v3.intoArray(dst, dO + off[3]);
        v4.intoArray(dst, dO + off[4]);
        v5.intoArray(dst, dO + off[5]);
        v6.intoArray(dst, dO + off[6]);
        v7.intoArray(dst, dO + off[7]);
    }
}
