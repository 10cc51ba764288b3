package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Channel-major planes to pixel-major (CHW to HWC) copies for {@link DirectConv}: 8 x 8 blocks are
 * transposed in 256-bit registers by three butterfly stages (lane shuffles and blends), several
 * times faster than strided scalar stores. A VL x VL block (VL = 16 with AVX-512) is four of them;
 * the 8 x 8 kernel is its own small method so C2 inlines every vector operation in it (a 16 x 16
 * method was too big: some loads were left as calls). Shapes that do not tile fall back to scalar loops.
 */
final class Transpose {
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final int VL = Kernels.VL;
    /** Blocks need 256-bit vectors in hardware and VL a multiple of 8. */
    private static final boolean BLOCKS = Kernels.S.vectorBitSize() >= 256 && VL % 8 == 0;
    private static final VectorShuffle<Float>[] UP = shuffles(-1), DOWN = shuffles(1);
    private static final VectorMask<Float>[] HIGH = masks();

    private Transpose() {}

    /** Stage s exchanges lanes at distance d = 8 / 2^(s+1): UP moves lane l - d to l, DOWN lane l + d to l. */
    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] shuffles(int sign) {
        VectorShuffle<Float>[] out = new VectorShuffle[3];
        for (int s = 0; s < 3; s++) {
            int d = 8 >> (s + 1);
            int[] idx = new int[8];
            for (int l = 0; l < 8; l++) idx[l] = Math.floorMod(l + sign * d, 8);
            out[s] = VectorShuffle.fromArray(S8, idx, 0);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] masks() {
        VectorMask<Float>[] out = new VectorMask[3];
        for (int s = 0; s < 3; s++) {
            int d = 8 >> (s + 1);
            boolean[] high = new boolean[8];
            for (int l = 0; l < 8; l++) high[l] = (l & d) != 0;
            out[s] = VectorMask.fromArray(S8, high, 0);
        }
        return out;
    }

    /** True when {@link #block} transposes VL x VL blocks. */
    static boolean blocks() {
        return BLOCKS;
    }

    /** Transposes one VL x VL block: row r read at {@code src[so + r * ss]}, result row r stored at {@code dst[dO + off[r]]}. */
    static void block(float[] src, int so, int ss, float[] dst, int dO, int[] off) {
        for (int i = 0; i < VL; i += 8)
            for (int j = 0; j < VL; j += 8) block8(src, so + i * ss + j, ss, dst, dO + i, off, j);
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

    // ------------------------------------------------------------------ generated

    /** Transposes an 8 x 8 block: row r read at {@code src[so + r * ss]}, result row r stored at {@code dst[dO + off[r]]}. */
    private static void block8(float[] src, int so, int ss, float[] dst, int dO, int[] off, int offBase) {
        FloatVector v0 = FloatVector.fromArray(S8, src, so + 0 * ss);
        FloatVector v1 = FloatVector.fromArray(S8, src, so + 1 * ss);
        FloatVector v2 = FloatVector.fromArray(S8, src, so + 2 * ss);
        FloatVector v3 = FloatVector.fromArray(S8, src, so + 3 * ss);
        FloatVector v4 = FloatVector.fromArray(S8, src, so + 4 * ss);
        FloatVector v5 = FloatVector.fromArray(S8, src, so + 5 * ss);
        FloatVector v6 = FloatVector.fromArray(S8, src, so + 6 * ss);
        FloatVector v7 = FloatVector.fromArray(S8, src, so + 7 * ss);
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
        v0.intoArray(dst, dO + off[offBase + 0]);
        v1.intoArray(dst, dO + off[offBase + 1]);
        v2.intoArray(dst, dO + off[offBase + 2]);
        v3.intoArray(dst, dO + off[offBase + 3]);
        v4.intoArray(dst, dO + off[offBase + 4]);
        v5.intoArray(dst, dO + off[offBase + 5]);
        v6.intoArray(dst, dO + off[offBase + 6]);
        v7.intoArray(dst, dO + off[offBase + 7]);
    }
}
