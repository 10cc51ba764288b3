package kr.engine.backend.vector;

import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.vector.ConvKernels.Geometry;

/**
 * Convolutions as implicit GEMMs over a zero-padded copy of each image, with no im2col.
 *
 * <p>The padded image is split into stride phases (phase (u mod sh, v mod sw) of padded pixel (u, v)
 * holds it at (u / sh, v / sw)); for stride 1 there is one phase. In the phase planes an output
 * pixel (oy, ox) is the position {@code q = oy * Wh + ox} (Wh the phase row length) and the input
 * under tap (ci, ky, kx) is {@code buf[koff(ci, ky, kx) + q]} for every q, so consecutive positions
 * are contiguous in the buffer. A pass multiplies packed weights (broadcast) by such runs, loaded
 * through an offset table; positions that fall on padding columns are computed and dropped, unless
 * each output row is a whole number of tiles: then the kernel runs over the rows' own positions and
 * stores straight into the output planes (Pass.direct).
 *
 * <p>Backward-input is a set of such passes over the padded output gradient, one per input stride
 * phase, each with the taps that reach that phase (for stride 1: a single pass with flipped,
 * transposed weights). Backward-weight reduces over positions with the image in padded HWC layout
 * (the channels of one pixel are contiguous broadcasts or vectors) and the output gradient
 * transposed to [q][co]; per-thread partials are summed in chunk order by the caller.
 *
 * <p>The image-sized copies cost O(C*H*W) per image against O(C*Co*kh*kw*H*W/stride^2)
 * multiply-adds, which is why this beats im2col (kh*kw copies of the image) when channels are few.
 */
final class DirectConv {
    private DirectConv() {}

    /** Any convolution but depthwise ones (those have their own kernels). */
    static boolean applies(Geometry g) {
        return !g.depthwise();
    }

    private static int roundUp(int x, int r) {
        return (x + r - 1) / r * r;
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * Per-thread scratch: padded image, output block, transposed output gradient. Fills only write
     * the interior, so a buffer last filled with the same layout still has zero padding and need
     * not be cleared again ({@code padKey} / {@code dytKey} remember what it holds).
     */
    private static final class Scratch {
        float[] pad = new float[0], out = new float[0], out2 = new float[0], dyt = new float[0];
        Object padKey, dytKey;

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        /** Makes {@code pad} hold at least n floats; true when it must be zeroed before filling with {@code key}'s layout. */
        boolean padFor(Object key, int n) {
            boolean clear = pad.length < n || !key.equals(padKey);
            pad = grow(pad, n);
            padKey = key;
            return clear;
        }

        boolean dytFor(Object key, int n) {
            boolean clear = dyt.length < n || !key.equals(dytKey);
            dyt = grow(dyt, n);
            dytKey = key;
            return clear;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    // ------------------------------------------------------------------ padded, phase-split images

    /**
     * A padded, stride-phase-split copy of one image of {@code channels} planes h x w: padded pixel
     * (u, v) = (y + top, x + left) of channel c is at {@code ((phase * channels + c) * hh + u / sh) * wh + v / sw}
     * (CHW) or {@code ((phase * hh + u / sh) * wh + v / sw) * channels + c} (HWC), phase = (u % sh) * sw + v % sw.
     */
    record Layout(int channels, int h, int w, int top, int left, int sh, int sw, int hh, int wh) {
        int plane() {
            return hh * wh;
        }

        /** Floats of the buffer, with slack for reads that run past the end on dropped positions. */
        int size(int slack) {
            return sh * sw * channels * plane() + slack;
        }

        /** Zero-fills {@code dst[0, used)} when {@code clear} and copies the image {@code src[so ...]} (planes h*w apart) into it, CHW. */
        void fillCHW(float[] src, int so, float[] dst, int used, boolean clear) {
            if (clear) Arrays.fill(dst, 0, used, 0f);
            // the divisions by the strides hoisted out of the copy: per row its offset, per column phase its first x and column
            // (they cost more than copying the 8-16 floats of a row did; engine/NOTES.md C9)
            int plane = plane();
            int[] rowOff = new int[h], x0 = new int[sw], col = new int[sw];
            for (int y = 0; y < h; y++) rowOff[y] = ((y + top) % sh * sw * channels * hh + (y + top) / sh) * wh;
            for (int px = 0; px < sw; px++) {
                x0[px] = Math.floorMod(px - left, sw);
                col[px] = (x0[px] + left) / sw + px * channels * plane;
            }
            boolean vectorRows = w % Kernels.VL == 0;
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < h; y++) {
                    int s = so + (c * h + y) * w, r = rowOff[y] + c * plane;
                    if (sw == 1) {
                        // rows of whole vectors: vector moves, where an arraycopy stub call per row cost more than the copy (engine/NOTES.md C15)
                        if (vectorRows) copyRow(src, s, dst, r + col[0], w);
                        else System.arraycopy(src, s, dst, r + col[0], w);
                        continue;
                    }
                    if (sw == 2) {
                        splitRow(src, s, w, dst, r + col[x0[0] == 0 ? 0 : 1], r + col[x0[0] == 0 ? 1 : 0]);
                        continue;
                    }
                    // the columns x of this row that land in horizontal phase px, one contiguous run there
                    for (int px = 0; px < sw; px++)
                        for (int x = x0[px], d = r + col[px]; x < w; x += sw) dst[d++] = src[s + x];
                }
        }

        /** As {@link #fillCHW} but pixel-major (HWC). */
        void fillHWC(float[] src, int so, float[] dst, int used, boolean clear) {
            if (clear) Arrays.fill(dst, 0, used, 0f);
            if (sh == 1 && sw == 1) {
                Transpose.toPixelMajor(src, so, channels, h, w, h * w, dst, (top * wh + left) * channels, wh, channels);
                return;
            }
            int c0 = 0, vl = Kernels.VL;
            if (Transpose.blocks() && w % vl == 0 && vl % sw == 0) {
                // VL channels x VL pixels of a row at a time; pixel r of a block lands at column offset off[r]
                int[] off = new int[vl];
                for (int r = 0; r < vl; r++) off[r] = (((r + left) % sw) * plane() + (r + left) / sw) * channels;
                for (; c0 + vl <= channels; c0 += vl)
                    for (int y = 0; y < h; y++) {
                        int u = y + top, row = ((u % sh) * sw * plane() + (u / sh) * wh) * channels + c0;
                        for (int x = 0; x < w; x += vl) Transpose.block(src, so + c0 * h * w + y * w + x, h * w, dst, row + x / sw * channels, off);
                    }
            }
            for (int y = 0; y < h; y++)
                for (int c = c0; c < channels; c++) {
                    int u = y + top, s = so + (c * h + y) * w;
                    for (int px = 0; px < sw; px++) {
                        int x0 = Math.floorMod(px - left, sw), d = ((((u % sh) * sw + px) * hh + u / sh) * wh + (x0 + left) / sw) * channels + c;
                        for (int x = x0; x < w; x += sw, d += channels) dst[d] = src[s + x];
                    }
                }
        }
    }

    /**
     * Copies {@code src[s, s + w)} to {@code dst[d ...]}, w whole vectors of the kernels' species (one species in the
     * whole JVM: a second one, SPECIES_256 here, polluted the Vector API's type profiles and unboxed no kernel).
     */
    private static void copyRow(float[] src, int s, float[] dst, int d, int w) {
        for (int x = 0; x < w; x += Kernels.VL) FloatVector.fromArray(Kernels.S, src, s + x).intoArray(dst, d + x);
    }

    /** Copies the even columns of {@code src[s, s + w)} to {@code dst[e ...]} and the odd ones to {@code dst[o ...]}. */
    private static void splitRow(float[] src, int s, int w, float[] dst, int e, int o) {
        // scalar: a vector split (rearrange + two half stores) ran 1.3x faster in most JVMs but 10x slower, unintrinsified,
        // in some JDK 17 JVMs (engine/NOTES.md C9)
        int x = 0;
        for (; x + 1 < w; x += 2, e++, o++) {
            dst[e] = src[s + x];
            dst[o] = src[s + x + 1];
        }
        if (x < w) dst[e] = src[s + x];
    }

    /**
     * {@code kw} copies of each channel's plane, for rows narrower than a vector (AVX-512's 8x8 layers): copy kx
     * holds the image shifted by kx - left columns (zeros shifted in), its rows dense, with {@code top} zero rows
     * above and below. Tap (c, ky, kx) of output position p = oy * w + ox is then {@code buf[offset(c, ky, kx) + p]}
     * for every p, contiguous across rows, so a table tile runs over the plane's positions and stores them in
     * place (Pass.contiguous; engine/NOTES.md C20).
     */
    record Shifted(int channels, int h, int w, int top, int left, int kw) {
        int rowsP() {
            return h + 2 * top;
        }

        /** Floats of one channel's copies. */
        int channel() {
            return kw * rowsP() * w;
        }

        int size() {
            return channels * channel();
        }

        int offset(int c, int ky, int kx) {
            return ((c * kw + kx) * rowsP() + ky) * w;
        }

        /** Offset of row u, column x of copy kx in the pixel-major form (fillHWC): the channels of a pixel contiguous. */
        int pixel(int kx, int u, int x) {
            return ((kx * rowsP() + u) * w + x) * channels;
        }

        /**
         * As {@link #fill}, pixel-major (zeroing {@code dst[0, used)} first when {@code clear}, as Layout.fillHWC): copy
         * {@code left} is the image transposed, the others its rows moved by whole pixels.
         */
        void fillHWC(float[] src, int so, float[] dst, int used, boolean clear) {
            if (clear) Arrays.fill(dst, 0, used, 0f);
            Transpose.toPixelMajor(src, so, channels, h, w, h * w, dst, pixel(left, top, 0), w, channels);
            for (int kx = 0; kx < kw; kx++) {
                int sx = kx - left, n = (w - Math.abs(sx)) * channels;
                if (sx == 0 || n <= 0) continue;
                for (int y = 0; y < h; y++) System.arraycopy(dst, pixel(left, top + y, Math.max(0, sx)), dst, pixel(kx, top + y, Math.max(0, -sx)), n);
            }
        }

        /** Copies the image {@code src[so ...]} (planes h*w apart) into {@code dst}, zeroing it first when {@code clear} (its zero rows are never written). */
        void fill(float[] src, int so, float[] dst, boolean clear) {
            if (clear) Arrays.fill(dst, 0, size(), 0f);
            int vl = Kernels.VL, plane = h * w;
            // the column of each lane (whole rows per vector: vl % w == 0); a vector argument instead measured no faster
            float[] lane = new float[vl];
            for (int l = 0; l < vl; l++) lane[l] = l % w;
            FloatVector zero = FloatVector.zero(Kernels.S), col = FloatVector.fromArray(Kernels.S, lane, 0);
            for (int kx = 0; kx < kw; kx++) {
                int sx = kx - left;
                // lanes whose source column x + sx lies inside the row; the others are the zeros shifted in
                VectorMask<Float> keep = col.compare(VectorOperators.GE, -sx).and(col.compare(VectorOperators.LT, w - sx));
                for (int c = 0; c < channels; c++) {
                    int s = so + c * plane + sx, d = offset(c, top, kx);
                    for (int p = 0; p < plane; p += vl) {
                        if (s + p >= 0 && s + p + vl <= src.length) {
                            zero.blend(FloatVector.fromArray(Kernels.S, src, s + p), keep).intoArray(dst, d + p);
                            continue;
                        }
                        // the first or last vector of the whole array, one float past its end: lane by lane
                        for (int l = 0; l < vl; l++) {
                            int x = (p + l) % w + sx;
                            dst[d + p + l] = x >= 0 && x < w ? src[s + p + l] : 0f;
                        }
                    }
                }
            }
        }

        /**
         * The shifted copies for a stride-1, same-size, ungrouped convolution of {@code g} whose {@code rows} output
         * channels fill whole tiles: rows of w < VL pixels, whole rows per vector, whole tiles per plane. At AVX-512 by
         * default (C20: the 64->64 8x8 passes leave the position kernels, 5.7-5.8 ms against 6.3); not on 16-wide rows
         * (32->32 16x16: 6.4-7.3 ms against 6.0-6.1 for row pairs). {@code kr.conv.shifted=true|false} overrides; tests
         * force it at AVX2 (4x4 images).
         */
        static Shifted of(Geometry g, int channels, int h, int w, int rows) {
            Conv2dParams p = g.p();
            int vl = Kernels.VL;
            boolean fits = sameSize(g) && g.w() < vl && vl % g.w() == 0 && g.h() * g.w() % tile().cols() == 0 && rows % tile().rows() == 0
                    && ConvKernels.path() != ConvKernels.Path.POSITIONS;
            if (!fits) return null;
            String v = System.getProperty("kr.conv.shifted", "auto");
            if (!(v.equals("auto") ? Kernels.WIDE : Boolean.parseBoolean(v))) return null;
            return new Shifted(channels, h, w, p.padH(), p.padW(), g.kw());
        }

        /**
         * The copies of the input of a stride-1, same-size, ungrouped backward-weight that the dot kernels do not take: its
         * segment tiles then sum over the rows' own positions, not the padded rows' (8x8: 64 of 80; C21).
         */
        static Shifted forWeights(Geometry g) {
            Conv2dParams p = g.p();
            boolean fits = sameSize(g) && !WeightPlan.dotApplies(g) && !System.getProperty("kr.conv.shifted", "auto").equals("false");
            return fits ? new Shifted(g.c(), g.h(), g.w(), p.padH(), p.padW(), g.kw()) : null;
        }

        /** Ungrouped, stride 1, undilated, output the input's size: what every use of the copies assumes. */
        private static boolean sameSize(Geometry g) {
            Conv2dParams p = g.p();
            return g.groups() == 1 && p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1 && p.dilationW() == 1 && g.ho() == g.h() && g.wo() == g.w();
        }

        /** AVX2 (forced only): 8x1t; on 8x8 rows it was neutral against the in-place table and 4x2t slower (C20). */
        static Kernels.Tile tile() {
            return Kernels.WIDE ? Kernels.T8x2T : Kernels.T8x1T;
        }

        /** A pass over images [lo, hi): image b at {@code src[srcOff + b * srcImage]} into {@code out[b * outImage]}. */
        void run(float[] src, int srcOff, int srcImage, float[] out, int outImage, int lo, int hi, Pass pass) {
            Scratch s = SCRATCH.get();
            boolean clear = s.padFor(this, size());
            for (int b = lo; b < hi; b++, clear = false) {
                fill(src, srcOff + b * srcImage, s.pad, clear);
                pass.run(s.pad, channel(), 1, s.out, out, b * outImage);
            }
        }
    }

    /** The padded, phase-split input of a forward pass (and of backward-weight). */
    private static Layout inputLayout(Geometry g) {
        Conv2dParams p = g.p();
        int hp = g.h() + 2 * p.padH(), wp = g.w() + 2 * p.padW();
        return new Layout(g.c(), g.h(), g.w(), p.padH(), p.padW(), p.strideH(), p.strideW(), ceilDiv(hp, p.strideH()), ceilDiv(wp, p.strideW()));
    }

    // ------------------------------------------------------------------ passes

    /**
     * One implicit GEMM per image and group: output rows (channels) x positions q in [q0, q1) of a
     * buffer with row length wq, depth {@code koff.length}. Position q = a * wq + b goes to output
     * pixel (a * sy + oy0, b * sx + ox0) of an outH x outW plane when b < cols and the pixel is inside.
     * {@code inGroup} and {@code outGroup} are the channels per group on each side. Position kernels
     * read column b of a row {@code step} floats apart ({@code a * wq + b * step}; step 2 only with
     * three-tap {@code runs}, the stride-2 forward over the unsplit image).
     */
    record Pass(Kernels.Tile tile, float[] packed, int[] koff, int rows, int inGroup, int q0, int q1, int wq, int cols, int outH, int outW, int sy,
            int oy0, int sx, int ox0, int[] runs, int step) {
        Pass(Kernels.Tile tile, float[] packed, int[] koff, int rows, int inGroup, int q0, int q1, int wq, int cols, int outH, int outW, int sy,
                int oy0, int sx, int ox0) {
            this(tile, packed, koff, rows, inGroup, q0, q1, wq, cols, outH, outW, sy, oy0, sx, ox0, tile.positions() ? runs3(koff) : null, 1);
        }

        /**
         * {@code koff[3g]} for every g when the taps come in runs of three consecutive offsets (kx = 0, 1, 2 of a
         * stride-1 3x3), else null; position kernels then pay their index arithmetic once per three taps
         * (engine/NOTES.md C10). Same taps in the same order, same bits.
         */
        static int[] runs3(int[] koff) {
            if (koff.length % 3 != 0 || !Boolean.parseBoolean(System.getProperty("kr.conv.runs3", "true"))) return null;
            int[] g = new int[koff.length / 3];
            for (int i = 0; i < g.length; i++) {
                if (koff[3 * i + 1] != koff[3 * i] + 1 || koff[3 * i + 2] != koff[3 * i] + 2) return null;
                g[i] = koff[3 * i];
            }
            return g;
        }

        int qPad() {
            return tile.positions() ? roundUp(bHi() - bLo(), tile.rows()) * (q1 - q0) / wq : roundUp(q1 - q0, tile.cols());
        }

        /** Columns b of a row that are outputs: 0 <= b * sx + ox0 < outW and b < cols. */
        int bLo() {
            return Math.max(0, ceilDiv(-ox0, sx));
        }

        int bHi() {
            return Math.max(bLo(), Math.min(cols, ceilDiv(outW - ox0, sx)));
        }

        int rowsP() {
            return tile.positions() ? roundUp(rows, tile.cols()) : roundUp(rows, tile.rows());
        }

        /** Floats of the per-thread output block. */
        int outSize() {
            return rowsP() * qPad();
        }

        /** Runs the pass on one image: {@code buf} holds its layout, out rows go to {@code y[yo + channel * outH * outW]}. */
        void run(float[] buf, int planeIn, int groups, float[] out, float[] y, int yo) {
            if (tile.positions()) {
                runPositions(buf, planeIn, groups, out, y, yo);
                return;
            }
            if (contiguous()) {
                runContiguous(buf, planeIn, groups, y, yo);
                return;
            }
            if (direct()) {
                runTableInPlace(buf, planeIn, groups, y, yo);
                return;
            }
            int qPad = qPad();
            for (int gi = 0; gi < groups; gi++) {
                block(buf, planeIn, gi, out);
                for (int o = 0; o < rows; o++) scatter(out, o * qPad, y, yo + (gi * rows + o) * outH * outW);
            }
        }

        /** The table kernel over group gi's positions into the block {@code out} [rowsP][qPad], nothing stored in the planes. */
        private void block(float[] buf, int planeIn, int gi, float[] out) {
            int kd = koff.length, mr = tile.rows(), nr = tile.cols(), qPad = qPad(), rowsP = rowsP();
            int base = gi * inGroup * planeIn + q0, wg = gi * rowsP * kd;
            for (int q = 0; q < qPad; q += nr)
                for (int i = 0; i < rowsP; i += mr) Kernels.runTable(tile, kd, packed, wg + i * kd, mr, buf, base + q, Kernels.VL, koff, out, i * qPad + q, qPad, false);
        }

        /**
         * Whether this pass (output columns 2b, {@code ox0} = 0) and {@code odd} (columns 2b - 1, {@code ox0} = -1) of the
         * same row phase can run as blocks stored together by {@link #runInterleaved}: ungrouped table passes over the same
         * rows, output rows of whole vector pairs.
         */
        boolean interleaves(Pass odd) {
            boolean same = sx == 2 && odd.sx == 2 && ox0 == 0 && odd.ox0 == -1 && q0 == odd.q0 && q1 == odd.q1 && wq == odd.wq && sy == odd.sy
                    && oy0 == odd.oy0 && tile == odd.tile && step == 1 && odd.step == 1 && bLo() == 0 && bHi() == outW / 2 && odd.bLo() == 1
                    && odd.bHi() == outW / 2 + 1 && Transpose.blocks() && !System.getProperty("kr.conv.interleave", "true").equals("false");
            // table blocks are [channel][position]: rows of whole vector pairs; position blocks [position][channel]: transposed
            // by VL x VL blocks first, so whole vectors of channels and of half-rows (C26)
            return same && (tile.positions() ? rows % Kernels.VL == 0 && (outW / 2 % Kernels.VL == 0 || halfRowPairs()) : outW % (2 * Kernels.VL) == 0);
        }

        /**
         * Position blocks whose half-rows are half a vector (AVX-512's 32->64: 8 of 16), an even number of rows, the
         * rows' positions back to back: one VL x VL transpose then covers rows a and a + 1 (C28).
         */
        private boolean halfRowPairs() {
            int half = outW / 2;
            return 2 * half == Kernels.VL && roundUp(half, tile.rows()) == half && (q1 / wq - q0 / wq) % 2 == 0;
        }

        /**
         * This pass and {@code odd} (see {@link #interleaves}) as two blocks, their rows zipped into the planes: pixel 2j
         * from this block's column j, 2j + 1 from odd's column j + 1, two whole vectors per VL pairs instead of a strided
         * scalar store each (the same values in the same places: same bits). Ungrouped.
         */
        void runInterleaved(Pass odd, float[] buf, int planeIn, float[] outEven, float[] outOdd, float[] y, int yo) {
            if (tile.positions()) {
                runPositionsInterleaved(odd, buf, planeIn, outEven, outOdd, y, yo);
                return;
            }
            block(buf, planeIn, 0, outEven);
            odd.block(buf, planeIn, 0, outOdd);
            int qPad = qPad(), qPadOdd = odd.qPad(), half = outW / 2, plane = outH * outW;
            for (int o = 0; o < rows; o++)
                for (int a = q0 / wq, aEnd = ceilDiv(q1, wq); a < aEnd; a++) {
                    int oy = a * sy + oy0;
                    if (oy < 0 || oy >= outH) continue;
                    int e = o * qPad + a * wq - q0, d = o * qPadOdd + a * wq - q0 + 1, to = yo + o * plane + oy * outW;
                    for (int j = 0; j < half; j += Kernels.VL) Transpose.zip(outEven, e + j, outOdd, d + j, y, to + 2 * j);
                }
        }

        /**
         * {@link #runInterleaved} for position passes: both blocks are [row][position][channel]; per row, VL channels by VL
         * positions of each are transposed in registers into small [channel][position] buffers, whose rows are zipped
         * into the planes (same values in the same places: same bits).
         */
        private void runPositionsInterleaved(Pass odd, float[] buf, int planeIn, float[] outEven, float[] outOdd, float[] y, int yo) {
            positionsBlock(buf, planeIn, 0, outEven);
            odd.positionsBlock(buf, planeIn, 0, outOdd);
            int vl = Kernels.VL, coP = rowsP(), coPOdd = odd.rowsP(), half = outW / 2, plane = outH * outW;
            int colsR = roundUp(half, tile.rows()), colsROdd = roundUp(half, odd.tile.rows());
            float[][] tmp = ZIP_TMP.get();
            float[] te = tmp[0], to = tmp[1];
            if (half < vl) { // rows a and a + 1 in one transpose: the zip's low half is row a, its high half row a + 1
                for (int a = q0 / wq, a1 = q1 / wq; a < a1; a += 2) {
                    int oyA = a * sy + oy0, oyB = oyA + sy;
                    boolean inA = oyA >= 0 && oyA < outH, inB = oyB >= 0 && oyB < outH;
                    if (!inA && !inB) continue;
                    int se = (a - q0 / wq) * colsR * coP, so = (a - q0 / wq) * colsROdd * coPOdd;
                    for (int o = 0; o < rows; o += vl) {
                        Transpose.block(outEven, se + o, coP, te, 0, ZIP_OFF);
                        Transpose.block(outOdd, so + o, coPOdd, to, 0, ZIP_OFF);
                        for (int r = 0; r < vl; r++) {
                            int ch = yo + (o + r) * plane;
                            Transpose.zipHalves(te, r * vl, to, r * vl, y, inA ? ch + oyA * outW : -1, inB ? ch + oyB * outW : -1);
                        }
                    }
                }
                return;
            }
            for (int a = q0 / wq, a1 = q1 / wq; a < a1; a++) {
                int oy = a * sy + oy0;
                if (oy < 0 || oy >= outH) continue;
                int se = (a - q0 / wq) * colsR * coP, so = (a - q0 / wq) * colsROdd * coPOdd, row = yo + oy * outW;
                for (int o = 0; o < rows; o += vl)
                    for (int b = 0; b < half; b += vl) {
                        Transpose.block(outEven, se + b * coP + o, coP, te, 0, ZIP_OFF);
                        Transpose.block(outOdd, so + b * coPOdd + o, coPOdd, to, 0, ZIP_OFF);
                        for (int r = 0; r < vl; r++) Transpose.zip(te, r * vl, to, r * vl, y, row + (o + r) * plane + 2 * b);
                    }
            }
        }

        /**
         * The position kernels: tiles of {@code R} consecutive positions of a row (only the {@code cols}
         * that are outputs, rounded up to R) by vectors of output channels, the weights packed as
         * [group][k][rowsP]; the block is [position][channel] and is transposed into the planes.
         */
        private void runPositions(float[] buf, int planeIn, int groups, float[] out, float[] y, int yo) {
            int coP = rowsP(), bLo = bLo(), bHi = bHi(), colsR = roundUp(bHi - bLo, tile.rows());
            int a0 = q0 / wq, a1 = q1 / wq, plane = outH * outW;
            for (int gi = 0; gi < groups; gi++) {
                positionsBlock(buf, planeIn, gi, out);
                // [position][channel] rows to the planes: VL x VL register transposes when both sides are whole vectors
                // (consecutive output pixels, C25), else a strided scalar copy
                int n = bHi - bLo, oBlocks = sx == 1 && n % Kernels.VL == 0 && Transpose.blocks() ? rows / Kernels.VL * Kernels.VL : 0;
                int[] off = oBlocks > 0 ? planeOffsets(plane) : null;
                for (int a = a0; a < a1; a++) {
                    int oy = a * sy + oy0;
                    if (oy < 0 || oy >= outH) continue;
                    int src = (a - a0) * colsR * coP, row = yo + gi * rows * plane + oy * outW + bLo * sx + ox0;
                    for (int o = 0; o < oBlocks; o += Kernels.VL)
                        for (int b = 0; b < n; b += Kernels.VL) Transpose.block(out, src + b * coP + o, coP, y, row + o * plane + b, off);
                    for (int o = oBlocks; o < rows; o++) {
                        int d = row + o * plane, s = src + o;
                        for (int b = 0; b < n; b++) y[d + b * sx] = out[s + b * coP];
                    }
                }
            }
        }

        /** The position kernels over group gi's rows into the block {@code out} [row a][column b, rounded to R][channel]. */
        private void positionsBlock(float[] buf, int planeIn, int gi, float[] out) {
            int kd = koff.length, r = tile.rows(), cw = tile.cols(), coP = rowsP(), bLo = bLo(), colsR = roundUp(bHi() - bLo, r);
            int base = gi * inGroup * planeIn, wg = gi * kd * coP;
            for (int a = q0 / wq, a1 = q1 / wq; a < a1; a++)
                for (int b = 0; b < colsR; b += r) {
                    int at = base + a * wq + (bLo + b) * step, ot = ((a - q0 / wq) * colsR + b) * coP;
                    for (int o = 0; o < coP; o += cw)
                        if (step == 2) Kernels.runPositions3s2(tile, runs.length, buf, at, runs, packed, wg + o, coP, out, ot + o, coP, false);
                        else if (runs != null) Kernels.runPositions3(tile, runs.length, buf, at, runs, packed, wg + o, coP, out, ot + o, coP, false);
                        else Kernels.runPositions(tile, kd, buf, at, koff, packed, wg + o, coP, out, ot + o, coP, false);
                }
        }

        /** Two VL x VL buffers per thread for {@link #runPositionsInterleaved}, and the offsets of their rows. */
        private static final ThreadLocal<float[][]> ZIP_TMP = ThreadLocal.withInitial(() -> new float[][] {new float[Kernels.VL * Kernels.VL],
                new float[Kernels.VL * Kernels.VL]});
        private static final int[] ZIP_OFF = planeOffsets(Kernels.VL);

        /** {@code r * plane} for r < VL: where a transposed block's rows (channels) go. */
        private static int[] planeOffsets(int plane) {
            int[] off = new int[Kernels.VL];
            for (int r = 0; r < off.length; r++) off[r] = r * plane;
            return off;
        }

        /**
         * Whether the table kernel can write straight into the output planes: stride 1, every row's
         * outputs a whole number of tiles starting at column 0 of the plane, whole tiles of channels.
         */
        private boolean direct() {
            int bLo = bLo();
            return sx == 1 && sy == 1 && bLo + ox0 == 0 && bHi() - bLo == outW && fitsInPlace(tile, outW, rows, ceilDiv(q1, wq) - q0 / wq);
        }

        /** Whether positions are the output pixels one to one, in whole tiles (buffer rows with no padding columns: Shifted). */
        private boolean contiguous() {
            int plane = outH * outW;
            return wq == outW && q0 == 0 && q1 == plane && sx == 1 && sy == 1 && ox0 == 0 && oy0 == 0 && plane % tile.cols() == 0 && rows % tile.rows() == 0;
        }

        /**
         * The table kernel over the plane's positions, its tiles stored in place (same sums in the same order: same bits);
         * a block of output channels at a time, so its weights stay in L1 across the plane (-0.1 to -0.4 ms a pass, C20).
         */
        private void runContiguous(float[] buf, int planeIn, int groups, float[] y, int yo) {
            int kd = koff.length, mr = tile.rows(), nr = tile.cols(), rowsP = rowsP(), plane = outH * outW;
            for (int gi = 0; gi < groups; gi++) {
                int base = gi * inGroup * planeIn, wg = gi * rowsP * kd, yg = yo + gi * rows * plane;
                for (int i = 0; i < rows; i += mr)
                    for (int q = 0; q < plane; q += nr) Kernels.runTable(tile, kd, packed, wg + i * kd, mr, buf, base + q, Kernels.VL, koff, y, yg + i * plane + q, plane, false);
            }
        }

        /**
         * The table kernel over each output row's own positions, its tile stored in the planes (ldc = one
         * plane): no padding columns computed, no block to copy out. Each output is the same sum over the
         * same taps in the same order as through the block (the kernel's lanes are independent): same bits.
         */
        private void runTableInPlace(float[] buf, int planeIn, int groups, float[] y, int yo) {
            int kd = koff.length, mr = tile.rows(), nr = tile.cols(), rowsP = rowsP(), plane = outH * outW, bLo = bLo();
            // rows of one vector: a two-vector tile takes two output rows, its second vector one padded row further (C16)
            boolean pairs = outW % nr != 0;
            int bs = pairs ? wq : Kernels.VL, rowStep = pairs ? 2 : 1, colStep = pairs ? outW : nr;
            for (int gi = 0; gi < groups; gi++) {
                int base = gi * inGroup * planeIn, wg = gi * rowsP * kd, yg = yo + gi * rows * plane;
                for (int a = q0 / wq, aEnd = ceilDiv(q1, wq); a < aEnd; a += rowStep) {
                    int oy = a + oy0;
                    if (oy < 0 || oy >= outH) continue;
                    for (int b = 0; b < outW; b += colStep)
                        for (int i = 0; i < rows; i += mr)
                            Kernels.runTable(tile, kd, packed, wg + i * kd, mr, buf, base + a * wq + bLo + b, bs, koff, y, yg + i * plane + oy * outW + b, plane, false);
                }
            }
        }

        /** Copies one output row block (positions from q0) to its plane, dropping padding positions. */
        private void scatter(float[] out, int src, float[] y, int plane) {
            for (int a = q0 / wq, aEnd = ceilDiv(q1, wq); a < aEnd; a++) {
                int oy = a * sy + oy0;
                if (oy < 0 || oy >= outH) continue;
                // columns b with 0 <= b * sx + ox0 < outW and b < cols
                int bLo = Math.max(0, ceilDiv(-ox0, sx)), bHi = Math.min(cols, ceilDiv(outW - ox0, sx));
                int s = src + a * wq - q0, d = plane + oy * outW + ox0;
                if (sx == 1) {
                    if (bHi > bLo) System.arraycopy(out, s + bLo, y, d + bLo, bHi - bLo);
                } else {
                    for (int b = bLo; b < bHi; b++) y[d + b * sx] = out[s + b];
                }
            }
        }
    }

    /**
     * The position tile for passes with {@code cols} output positions per row and {@code rows} output
     * channels: whole rows of R positions, vectors over the channels (null: no position tile fits).
     */
    static Kernels.Tile positionTile(int cols, int rows) {
        if (Kernels.WIDE) {
            if (rows > Kernels.VL) return Kernels.T8x2P;
            return cols % 16 == 0 ? Kernels.T16x1P : Kernels.T8x1P;
        }
        // AVX2: 4x2; the 12-accumulator shapes (6x2, 4x3) ran 1.5-2.5x slower (spills)
        return rows > Kernels.VL ? Kernels.T4x2P : Kernels.T8x1P;
    }

    /**
     * Whether the position kernels run a pass: forced by the engine configuration, or (AUTO) when the
     * table kernel would do more work. {@code unitStride}: positions map to output pixels one to one,
     * so a table tile that fits the rows writes in place (Pass.direct).
     */
    static boolean positions(int cols, int wq, int rowsA, int channels, int[] koff, boolean unitStride) {
        return switch (ConvKernels.path()) {
            case POSITIONS -> true;
            case AUTO -> {
                if (channels <= Kernels.VL) yield false; // one vector of channels: a broadcast per multiply-add, load-bound (measured)
                int inPlaceCols = unitStride ? cols : 0;
                Kernels.Tile p = positionTile(cols, channels), t = passTile(rowsA, wq, channels, inPlaceCols);
                // AVX2: an in-place table pass beat the three-tap position kernel on every ResNet-20 layer, in every JVM (C14)
                if (unitStride && !Kernels.WIDE && fitsInPlace(t, cols, channels, rowsA)) yield false;
                double tableWork = tileCost(t, rowsA * wq, rowsA, channels, inPlaceCols);
                double posWork = (double) roundUp(cols, p.rows()) * rowsA * roundUp(channels, p.cols());
                // runs pay off on deep passes only: the 3-channel stem (27 taps) ran 3.8 ms with them against 3.3 with the table kernel (AVX2)
                boolean runs = koff.length >= 72 && Pass.runs3(koff) != null;
                yield posWork * (runs ? RUNS_PENALTY : POSITION_PENALTY) < tableWork;
            }
            default -> false;
        };
    }

    /**
     * Relative cost per multiply-add of the table kernel writing in place against writing its block
     * (0.91-0.94 measured at both widths on 16->16 32x32 and 32->32 16x16; engine/NOTES.md C14).
     */
    private static final double IN_PLACE_PENALTY = 0.92;

    /** Relative cost per multiply-add of the position kernels against the table kernels (their transposing scatter); measured, bench/NOTES.md. */
    private static final double POSITION_PENALTY = 1.1;

    /** The same over three-tap runs (AVX2 16->16 32x32: 9.2 ms against the table kernel's 9.9 for 6% less work; engine/NOTES.md C10). */
    private static final double RUNS_PENALTY = 0.95;

    /** Weights for the position kernels: [group][k][rowsP], rowsP the channels rounded up to the tile's vectors. */
    private static float[] packPositions(int groups, int rows, int kd, int cw, WeightAt wt) {
        int rowsP = roundUp(rows, cw);
        float[] p = new float[groups * kd * rowsP];
        for (int gi = 0; gi < groups; gi++)
            for (int k = 0; k < kd; k++)
                for (int o = 0; o < rows; o++) p[(gi * kd + k) * rowsP + o] = wt.at(gi, o, k);
        return p;
    }

    /**
     * Forward tile: rows are output channels, columns positions. The narrow tile wins when rounding
     * the positions up to the wide tile's columns would waste more than its extra broadcasts cost.
     */
    static Kernels.Tile passTile(int rowsA, int wq, int rows, int inPlaceCols) {
        // AVX2: 4x2. 6x2 (12 accumulators of 16 registers) measured 10.5 ms or 20 ms on one layer depending on the JVM
        // run (C2 spills it in some compilations); 4x2 gave 11.3 ms in every run (bench/NOTES.md)
        Kernels.Tile wide = Kernels.WIDE ? Kernels.T8x2T : Kernels.T4x2T, narrow = Kernels.WIDE ? Kernels.T16x1T : Kernels.T8x1T;
        int positions = rowsA * wq;
        return tileCost(narrow, positions, rowsA, rows, inPlaceCols) < tileCost(wide, positions, rowsA, rows, inPlaceCols) ? narrow : wide;
    }

    /**
     * Predicted time of table tile t over a pass, in wide-tile multiply-adds: its work, times the narrow tile's
     * penalty (AUTO weighs positions against this; without the penalty it sent AVX-512's 32->32 backward-input to
     * 16x1t, 8.1 ms against 7.3 with positions).
     */
    private static double tileCost(Kernels.Tile t, int positions, int rowsA, int rows, int inPlaceCols) {
        return (t.vectors() == 1 ? NARROW_PENALTY : 1) * cost(t, positions, rowsA, rows, inPlaceCols);
    }

    /** Multiply-adds (per tap) of table tile t over a pass: only the rows' own positions when it can write in place (Pass.direct). */
    private static double cost(Kernels.Tile t, int positions, int rowsA, int rows, int inPlaceCols) {
        if (inPlaceCols > 0 && fitsInPlace(t, inPlaceCols, rows, rowsA)) return IN_PLACE_PENALTY * rowsA * inPlaceCols * rows;
        return (double) roundUp(positions, t.cols()) * roundUp(rows, t.rows());
    }

    /**
     * Whether table tile t covers {@code outRows} output rows of {@code cols} pixels and {@code rows} channels in whole
     * tiles (Pass.direct's condition on the tile): rows of whole tiles, or rows of one vector taken two at a time by a
     * two-vector tile.
     */
    private static boolean fitsInPlace(Kernels.Tile t, int cols, int rows, int outRows) {
        boolean pairs = t.vectors() == 2 && cols == Kernels.VL && outRows % 2 == 0 && rowPairs(); // the property last: Pass.direct asks per image
        return (cols % t.cols() == 0 || pairs) && rows % t.rows() == 0;
    }

    /**
     * Whether one-vector rows go two at a time through a two-vector table tile: at AVX-512 (8x2t on 16x16 layers,
     * in a step 5.9 ms against 7.0 for the position kernel); not at AVX2, where 4x2t on 8x8 rows ran the
     * backward-input 8.3-8.6 ms against 8.0-8.1 for 8x1t (C16). {@code kr.conv.rowPairs=true|false} overrides.
     */
    static boolean rowPairs() {
        String v = System.getProperty("kr.conv.rowPairs", "auto");
        return v.equals("auto") ? Kernels.WIDE : Boolean.parseBoolean(v);
    }

    /** Relative cost per multiply-add of the narrow tile (measured: one B load per 16 broadcasts is ~20% slower than 2 per 8). */
    private static final double NARROW_PENALTY = 1.25;

    /** A[row][k] = weight(row, k) for each group, as [group][panel][k][mr], zero padded to whole panels. */
    @FunctionalInterface
    private interface WeightAt {
        float at(int group, int row, int k);
    }

    private static float[] pack(int groups, int rows, int kd, int mr, WeightAt wt) {
        int rowsP = roundUp(rows, mr);
        float[] p = new float[groups * rowsP * kd];
        for (int gi = 0; gi < groups; gi++)
            for (int o = 0; o < rows; o++) {
                int dst = gi * rowsP * kd + (o / mr) * mr * kd + o % mr;
                for (int r = 0; r < kd; r++) p[dst + r * mr] = wt.at(gi, o, r);
            }
        return p;
    }

    // ------------------------------------------------------------------ forward

    /** Everything the forward pass needs besides the images. */
    record Forward(Layout in, Pass pass, Shifted shifted) {
        Forward(Layout in, Pass pass) {
            this(in, pass, null);
        }

        static Forward of(float[] w, int wOff, Geometry g) {
            Conv2dParams p = g.p();
            int kd = g.kdim(), cog = g.cog();
            Layout in = inputLayout(g);
            WeightAt wt = (gi, o, k) -> w[wOff + (gi * cog + o) * kd + k];
            Shifted sh = Shifted.of(g, g.c(), g.h(), g.w(), cog);
            if (sh != null) {
                int[] koff = new int[kd];
                int r = 0;
                for (int ci = 0; ci < g.c(); ci++)
                    for (int ky = 0; ky < g.kh(); ky++)
                        for (int kx = 0; kx < g.kw(); kx++) koff[r++] = sh.offset(ci, ky, kx);
                Kernels.Tile t = Shifted.tile();
                return new Forward(in, new Pass(t, pack(1, cog, kd, t.rows(), wt), koff, cog, g.c(), 0, g.outPlane(), g.wo(), g.wo(), g.ho(), g.wo(), 1, 0, 1, 0), sh);
            }
            int[] koff = forwardOffsets(g, in);
            // a stride-2 3x3 over the unsplit image: positions two floats apart, taps in runs of three (C11)
            Layout whole = new Layout(g.c(), g.h(), g.w(), p.padH(), p.padW(), 1, 1, g.h() + 2 * p.padH(), g.w() + 2 * p.padW());
            int[] wholeOff = p.strideW() == 2 && p.dilationW() == 1 && g.kw() == 3 ? forwardOffsets(g, whole) : null;
            int[] wholeRuns = wholeOff != null ? Pass.runs3(wholeOff) : null;
            // the table alternative of a stride-2 3x3 runs over the phases; only other passes are weighed in place
            boolean unit = wholeOff == null, pos = positions(g.wo(), in.wh(), g.ho(), cog, unit ? koff : wholeOff, unit);
            if (pos && wholeRuns != null) {
                Kernels.Tile t = positionTile(g.wo(), cog);
                int wq = p.strideH() * whole.wh();
                return new Forward(whole, new Pass(t, packPositions(g.groups(), cog, kd, t.cols(), wt), wholeOff, cog, g.cg(), 0, g.ho() * wq, wq, g.wo(),
                        g.ho(), g.wo(), 1, 0, 1, 0, wholeRuns, 2));
            }
            int q1 = g.ho() * in.wh();
            Kernels.Tile t = pos ? positionTile(g.wo(), cog) : passTile(g.ho(), in.wh(), cog, unit ? g.wo() : 0);
            float[] packed = t.positions() ? packPositions(g.groups(), cog, kd, t.cols(), wt) : pack(g.groups(), cog, kd, t.rows(), wt);
            return new Forward(in, new Pass(t, packed, koff, cog, g.cg(), 0, q1, in.wh(), g.wo(), g.ho(), g.wo(), 1, 0, 1, 0));
        }

        /** Offset of tap (ci, ky, kx) in a padded image of layout {@code in}, in weight order. */
        private static int[] forwardOffsets(Geometry g, Layout in) {
            Conv2dParams p = g.p();
            int[] koff = new int[g.kdim()];
            int r = 0;
            for (int ci = 0; ci < g.cg(); ci++)
                for (int ky = 0; ky < g.kh(); ky++)
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int dy = ky * p.dilationH(), dx = kx * p.dilationW();
                        int phase = (dy % in.sh()) * in.sw() + dx % in.sw();
                        koff[r++] = ((phase * in.channels() + ci) * in.hh() + dy / in.sh()) * in.wh() + dx / in.sw();
                    }
            return koff;
        }
    }

    /** Forward pass over images [lo, hi); y is [n, co, ho, wo]. */
    static void forward(float[] x, int xOff, float[] y, Geometry g, int lo, int hi, Forward f) {
        Pass pass = f.pass();
        if (f.shifted() != null) {
            f.shifted().run(x, xOff, g.c() * g.inPlane(), y, g.co() * g.outPlane(), lo, hi, pass);
            return;
        }
        int used = f.in().size(0), slack = Math.max(pass.q1(), pass.qPad()) + 2 * pass.tile().cols() + pass.step() * pass.tile().rows() + f.in().wh();
        Scratch s = SCRATCH.get();
        boolean clear = s.padFor(List.of(f.in(), "CHW", slack), f.in().size(slack));
        s.out = Scratch.grow(s.out, pass.outSize());
        for (int b = lo; b < hi; b++, clear = false) {
            f.in().fillCHW(x, xOff + b * g.c() * g.inPlane(), s.pad, used + slack, clear);
            pass.run(s.pad, f.in().plane(), g.groups(), s.out, y, b * g.co() * g.outPlane());
        }
    }

    // ------------------------------------------------------------------ backward input

    /**
     * Backward-input as passes over the padded output gradient: input pixel (iy, ix) has padded
     * coordinates (u, v) = (iy + padH, ix + padW) = (a*sh + phy, b*sw + phx); tap ky reaches phase phy
     * when ky*dh = phy (mod sh), from output row a - my with my = floor(ky*dh / sh). The gradient is
     * stored with my_max rows and mx_max columns of zeros before it so every offset is non-negative.
     */
    record BackwardInput(Layout in, Pass[] passes, Shifted shifted) {
        static BackwardInput of(float[] w, int wOff, Geometry g) {
            Conv2dParams p = g.p();
            int sh = p.strideH(), sw = p.strideW(), dh = p.dilationH(), dw = p.dilationW(), cog = g.cog(), cg = g.cg();
            int my = (g.kh() - 1) * dh / sh, mx = (g.kw() - 1) * dw / sw;
            int rowsA = ceilDiv(g.h() + p.padH(), sh), colsB = ceilDiv(g.w() + p.padW(), sw);
            int wq = Math.max(g.wo(), colsB) + mx, hq = Math.max(g.ho(), rowsA) + my + 1;
            Layout in = new Layout(g.co(), g.ho(), g.wo(), my, mx, 1, 1, hq, wq);
            // same size, stride 1: a forward pass over the gradient's shifted copies, tap (o, ky, kx) at (o, kh-1-ky, kw-1-kx)
            Shifted shifted = Shifted.of(g, g.co(), g.ho(), g.wo(), cg);
            Pass[] passes = new Pass[sh * sw];
            for (int phy = 0; phy < sh; phy++)
                for (int phx = 0; phx < sw; phx++) {
                    // kx descending, so the offsets of a row's taps ascend (runs of three for stride 1, Pass.runs3)
                    int[] kys = taps(g.kh(), dh, sh, phy), kxs = reversed(taps(g.kw(), dw, sw, phx));
                    int kd = cog * kys.length * kxs.length;
                    int[] koff = new int[kd];
                    int r = 0;
                    for (int o = 0; o < cog; o++)
                        for (int ky : kys)
                            for (int kx : kxs)
                                koff[r++] = shifted != null ? shifted.offset(o, g.kh() - 1 - ky, g.kw() - 1 - kx) : (o * hq + my - ky * dh / sh) * wq + mx - kx * dw / sw;
                    WeightAt wt = (gi, ci, k) -> {
                        int o = k / (kys.length * kxs.length), rest = k % (kys.length * kxs.length);
                        int ky = kys[rest / kxs.length], kx = kxs[rest % kxs.length];
                        return w[wOff + (((gi * cog + o) * cg + ci) * g.kh() + ky) * g.kw() + kx];
                    };
                    if (shifted != null) {
                        Kernels.Tile t = Shifted.tile();
                        passes[0] = new Pass(t, pack(1, cg, kd, t.rows(), wt), koff, cg, cog, 0, g.inPlane(), g.w(), g.w(), g.h(), g.w(), 1, 0, 1, 0);
                        continue;
                    }
                    // rows a whose pixels lie inside the input: a*sh + phy - padH in [0, h)
                    int a0 = Math.max(0, ceilDiv(p.padH() - phy, sh)), a1 = ceilDiv(g.h() + p.padH() - phy, sh);
                    int q0 = a0 * wq, q1 = Math.max(q0, a1 * wq);
                    // the columns b whose pixels are inside the input (the position kernels compute only those)
                    int ox0 = phx - p.padW(), valid = Math.max(0, Math.min(colsB, ceilDiv(g.w() - ox0, sw)) - Math.max(0, ceilDiv(-ox0, sw)));
                    boolean unit = sh == 1 && sw == 1;
                    Kernels.Tile t = positions(valid, wq, (q1 - q0) / wq, cg, koff, unit) ? positionTile(valid, cg) : passTile((q1 - q0) / wq, wq, cg, unit ? valid : 0);
                    float[] packed = t.positions() ? packPositions(g.groups(), cg, kd, t.cols(), wt) : pack(g.groups(), cg, kd, t.rows(), wt);
                    passes[phy * sw + phx] = new Pass(t, packed, koff, cg, cog, q0, q1, wq, colsB, g.h(), g.w(), sh, phy - p.padH(), sw, phx - p.padW());
                }
            return new BackwardInput(in, passes, shifted);
        }

        private static int[] reversed(int[] a) {
            int[] r = new int[a.length];
            for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
            return r;
        }

        /** Kernel taps k with k * dilation = phase (mod stride). */
        private static int[] taps(int k, int dilation, int stride, int phase) {
            return java.util.stream.IntStream.range(0, k).filter(t -> t * dilation % stride == phase).toArray();
        }
    }

    /** Backward-input over images [lo, hi); gx [n, c, h, w] is fully overwritten. */
    static void backwardInput(float[] gy, int gyOff, float[] gx, Geometry g, int lo, int hi, BackwardInput bi) {
        if (bi.shifted() != null) {
            bi.shifted().run(gy, gyOff, g.co() * g.outPlane(), gx, g.c() * g.inPlane(), lo, hi, bi.passes()[0]);
            return;
        }
        int slack = 0;
        boolean complete = true;
        for (Pass pass : bi.passes()) {
            complete &= pass.koff().length > 0;
            slack = Math.max(slack, Math.max(pass.q1(), pass.q0() + pass.qPad()) + 2 * pass.tile().cols() + pass.tile().rows());
        }
        int used = bi.in().size(0);
        Scratch s = SCRATCH.get();
        boolean clear = s.padFor(List.of(bi.in(), "CHW", slack), bi.in().size(slack));
        int outSize = 0;
        for (Pass pass : bi.passes()) outSize = Math.max(outSize, pass.outSize());
        s.out = Scratch.grow(s.out, outSize);
        Pass[] ps = bi.passes();
        // stride 2: a row phase's two column phases stored together, zipped (sw == 2: passes i, i + 1 are phx 0, 1);
        // decided once per call, not per image
        boolean[] zipped = new boolean[ps.length];
        if (g.groups() == 1 && g.p().strideW() == 2 && ps.length % 2 == 0)
            for (int i = 0; i < ps.length; i += 2) zipped[i] = ps[i].koff().length > 0 && ps[i + 1].interleaves(ps[i]);
        for (boolean z : zipped)
            if (z) s.out2 = Scratch.grow(s.out2, outSize);
        for (int b = lo; b < hi; b++, clear = false) {
            int xo = b * g.c() * g.inPlane();
            bi.in().fillCHW(gy, gyOff + b * g.co() * g.outPlane(), s.pad, used + slack, clear);
            // every pixel of a phase with taps is written; phases without any (stride > kernel reach) get zeros
            if (!complete) Arrays.fill(gx, xo, xo + g.c() * g.inPlane(), 0f);
            for (int i = 0; i < ps.length; i++) {
                if (zipped[i]) {
                    ps[i + 1].runInterleaved(ps[i], s.pad, bi.in().plane(), s.out, s.out2, gx, xo);
                    i++;
                } else if (ps[i].koff().length > 0) {
                    ps[i].run(s.pad, bi.in().plane(), g.groups(), s.out, gx, xo);
                }
            }
        }
    }

    // ------------------------------------------------------------------ backward weight

    /**
     * Rows of the weight gradient as segments of consecutive channels in the padded HWC image: with
     * groups == 1, horizontal stride 1 and horizontal dilation 1, one segment per ky covers (kx, ci)
     * for all kx; otherwise one segment per (ky, kx) covers the group's channels. {@code base[s]} is
     * the segment's offset in the HWC buffer.
     */
    record Segments(int count, int length, int[] base, boolean mergedKx) {
        static Segments of(Geometry g, Layout in) {
            Conv2dParams p = g.p();
            boolean merged = g.groups() == 1 && p.dilationW() == 1 && p.strideW() == 1;
            int count = merged ? g.kh() : g.kh() * g.kw(), len = merged ? g.kw() * g.c() : g.cg();
            int[] base = new int[count];
            for (int s = 0; s < count; s++) {
                int dy = (merged ? s : s / g.kw()) * p.dilationH(), dx = merged ? 0 : s % g.kw() * p.dilationW();
                int phase = (dy % in.sh()) * in.sw() + dx % in.sw();
                base[s] = ((phase * in.hh() + dy / in.sh()) * in.wh() + dx / in.sw()) * g.c();
            }
            return new Segments(count, len, base, merged);
        }

        /** One segment per (ky, kx) over the channels of copy kx, from row ky (Shifted.fillHWC). */
        static Segments of(Geometry g, Shifted sh) {
            int[] base = new int[g.kh() * g.kw()];
            for (int s = 0; s < base.length; s++) base[s] = sh.pixel(s % g.kw(), s / g.kw(), 0);
            return new Segments(base.length, g.c(), base, false);
        }
    }

    /**
     * How backward-weight tiles its output [segment rows j] x [output channels]: normally rows are j
     * (broadcast from the HWC image) and vectors run over output channels; with at most one vector of
     * output channels the roles swap (coRows: rows are output channels broadcast from the transposed
     * gradient, vectors run over j), 7 loads per 12 multiply-adds instead of 17 per 16.
     * {@code coP} is the row stride of the transposed gradient, {@code lenP} the padded segment length.
     */
    record WeightPlan(Layout in, Kernels.Tile tile, boolean coRows, Segments sg, int coP, int lenP, int dotRows, Shifted shifted) {
        WeightPlan(Layout in, Kernels.Tile tile, boolean coRows, Segments sg, int coP, int lenP, Shifted shifted) {
            this(in, tile, coRows, sg, coP, lenP, 0, shifted);
        }

        static WeightPlan of(Geometry g) {
            Layout in = inputLayout(g);
            if (dotApplies(g)) return new WeightPlan(in, null, false, null, 0, 0, dotTileRows(), null);
            Shifted sh = Shifted.forWeights(g);
            Segments sg = sh != null ? Segments.of(g, sh) : Segments.of(g, in);
            int cog = g.cog();
            if (Kernels.WIDE && cog <= Kernels.VL) {
                Kernels.Tile t = Kernels.T4x3;
                return new WeightPlan(in, t, true, sg, roundUp(cog, t.rows()), roundUp(sg.length(), t.cols()), sh);
            }
            Kernels.Tile t;
            if (Kernels.WIDE) t = cog <= 2 * Kernels.VL ? Kernels.T8x2 : Kernels.T4x4;
            // AVX2: 4x2 over two or more vectors of channels. 3x4 needs 17 registers of 16 and 5x2 has 13 live:
            // JDK 17's C2 spilled an accumulator of either in some JVMs and ran 5-8x slower (engine/NOTES.md, C8)
            else t = cog <= Kernels.VL ? Kernels.T8x1 : Kernels.T4x2;
            return new WeightPlan(in, t, false, sg, roundUp(cog, t.cols()), roundUp(sg.length(), t.rows()), sh);
        }

        /**
         * The dot kernels (vectors over the positions of a row, C12) for a stride-1, dilation-1, kw = 3, ungrouped
         * convolution whose output rows are two or more whole vectors: no transposes, no padding positions
         * computed. Rows of one vector lose to the segment tiles (64->64 8x8, AVX2: 14.3 ms against 11.9).
         */
        static boolean dotApplies(Geometry g) {
            Conv2dParams p = g.p();
            // the lane partials are VL times the weight gradient: up to 16 MB of them per thread chunk
            return (long) g.co() * g.kdim() * Kernels.VL <= 1 << 22 && g.groups() == 1 && g.kw() == 3 && p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1 && p.dilationW() == 1
                    && g.wo() % Kernels.VL == 0 && (g.wo() >= 2 * Kernels.VL || stackable(g) && stackedDot()) && Boolean.parseBoolean(System.getProperty("kr.conv.dot", "true"));
        }

        /**
         * Whether one-vector rows take the stacked dot kernels (C13) rather than the segment tiles. Everywhere but on
         * Intel's AVX-512 cores: there 32->32 16x16 ran 11.8-15.7 ms stacked against 8.0-8.4 with the segment tiles in
         * 4 JVMs (Ice Lake Xeon, C29), where Zen 4 ran it 6.7-7.2 against 7.8-8.0 (C13). -Dkr.conv.stackedDot overrides.
         */
        static boolean stackedDot() {
            String p = System.getProperty("kr.conv.stackedDot");
            return p != null ? Boolean.parseBoolean(p) : STACKED_DOT_DEFAULT;
        }

        private static final boolean STACKED_DOT_DEFAULT = !(Kernels.WIDE && kr.engine.backend.MachinePeak.cpuVendor().equals("GenuineIntel"));

        /** Whether images can be stacked with one shared zero row between them (backwardWeightStacked): padding 1 of a 3-row kernel, stride 1. */
        static boolean stackable(Geometry g) {
            return g.p().padH() == 1 && g.kh() == 3 && g.ho() == g.h();
        }

        /**
         * Output channels per dot tile: 4 at AVX-512; 3 at AVX2 (13 live vectors of 16: C13 saw one JVM spill it, C19 measured
         * it ahead of 2 in 8 of 8 training JVMs, 8.3-9.4 ms a pass against 9.7-11.7). {@code -Dkr.conv.dotRows} overrides.
         */
        private static int dotTileRows() {
            int r = Kernels.WIDE ? 4 : Integer.getInteger("kr.conv.dotRows", 3);
            if (r < 1 || r > 4) throw new IllegalArgumentException("[conv2d] kr.conv.dotRows must be 1 to 4, not " + r);
            return r;
        }

        /** Size of one per-thread partial: [group][segment][lenP][coP], or [group][segment][coP][lenP] with coRows, or [co][kd][VL] lane partials (dot). */
        int size(Geometry g) {
            return dotRows > 0 ? g.co() * g.kdim() * Kernels.VL : g.groups() * sg.count() * lenP * coP;
        }

        /** Index of (group, segment, j, output channel) in a partial. */
        int index(int gi, int seg, int j, int o) {
            int block = gi * sg.count() + seg;
            return coRows ? (block * coP + o) * lenP + j : (block * lenP + j) * coP + o;
        }
    }

    /** Adds the weight gradient of images [lo, hi) to {@code acc} (layout of {@link WeightPlan#index}). */
    static void backwardWeight(float[] gy, int gyOff, float[] x, int xOff, float[] acc, Geometry g, int lo, int hi, WeightPlan plan) {
        if (plan.dotRows() > 0) {
            backwardWeightDot(gy, gyOff, x, xOff, acc, g, lo, hi, plan);
            return;
        }
        Kernels.Tile t = plan.tile();
        Layout in = plan.in();
        Segments sg = plan.sg();
        Shifted sh = plan.shifted();
        // positions per row: the padded row's, or with shifted copies the row's own pixels
        int wq = sh != null ? g.wo() : in.wh();
        int cog = g.cog(), coP = plan.coP(), lenP = plan.lenP(), c = g.c(), q = g.ho() * wq;
        int used = sh != null ? sh.size() : in.size(0), slack = (in.wh() + 1) * c + lenP + t.cols();
        Scratch s = SCRATCH.get();
        boolean clear = s.padFor(List.of(sh != null ? sh : in, "HWC", slack), used + slack);
        boolean clearDyt = s.dytFor(List.of(wq, g.ho(), g.wo(), cog, coP), q * coP);
        float[] pad = s.pad, dyt = s.dyt;
        // blocks of positions small enough that their slices of both operands stay in L1 across all tiles; with shifted
        // copies the padded layout's blocks of whole rows, so that each block sums the same products (same bits, C21)
        int qPadded = g.ho() * in.wh(), kqMax = Math.max(16, 4096 / Math.max(coP, c)), kq = ceilDiv(qPadded, ceilDiv(qPadded, kqMax));
        if (sh != null) kq = Math.max(1, kq / in.wh()) * wq;
        for (int b = lo; b < hi; b++, clear = false) {
            if (sh == null) in.fillHWC(x, xOff + b * c * g.inPlane(), pad, used + slack, clear);
            else sh.fillHWC(x, xOff + b * c * g.inPlane(), pad, used + slack, clear);
            for (int gi = 0; gi < g.groups(); gi++) {
                // output gradient transposed to [q][co], zero on the dropped positions ox >= wo
                if (clearDyt) Arrays.fill(dyt, 0, q * coP, 0f);
                clearDyt = false;
                Transpose.toPixelMajor(gy, gyOff + (b * g.co() + gi * cog) * g.outPlane(), cog, g.ho(), g.wo(), g.outPlane(), dyt, 0, wq, coP);
                int groupBase = sg.mergedKx() ? 0 : gi * g.cg();
                for (int q0 = 0; q0 < q; q0 += kq) {
                    int kc = Math.min(kq, q - q0);
                    for (int sI = 0; sI < sg.count(); sI++) {
                        int xb = sg.base()[sI] + groupBase + q0 * c;
                        if (plan.coRows()) {
                            for (int o = 0; o < coP; o += t.rows())
                                for (int j = 0; j < lenP; j += t.cols())
                                    Kernels.run(t, kc, dyt, q0 * coP + o, coP, pad, xb + j, c, acc, plan.index(gi, sI, j, o), lenP, 1f, true);
                        } else {
                            for (int j = 0; j < lenP; j += t.rows())
                                for (int o = 0; o < coP; o += t.cols())
                                    Kernels.run(t, kc, pad, xb + j, c, dyt, q0 * coP + o, coP, acc, plan.index(gi, sI, j, o), coP, 1f, true);
                        }
                    }
                }
            }
        }
    }

    /**
     * Backward-weight by the dot kernels: per image the padded CHW image (as forward fills it) and the
     * output gradient in place; for each block of output channels and each (ci, ky), the kernel sums
     * gradient rows times the image rows shifted by kx = 0, 1, 2 into lane partials [co][kd][VL].
     */
    private static void backwardWeightDot(float[] gy, int gyOff, float[] x, int xOff, float[] acc, Geometry g, int lo, int hi, WeightPlan plan) {
        Layout in = plan.in();
        int c = g.c(), co = g.co(), kd = g.kdim(), kh = g.kh(), ho = g.ho(), wo = g.wo(), wp = in.wh(), plane = in.plane(), rMax = plan.dotRows();
        int vl = Kernels.VL, used = in.size(0), outPlane = ho * wo;
        // rows of one vector: stack several images in one plane so that one call sweeps them all (C13)
        int nb = WeightPlan.stackable(g) && outPlane / vl < 64 ? Math.min(hi - lo, ceilDiv(128 * vl, (ho + 1) * wo)) : 1;
        if (nb > 1) {
            backwardWeightStacked(gy, gyOff, x, xOff, acc, g, lo, hi, plan, nb);
            return;
        }
        Scratch s = SCRATCH.get();
        boolean clear = s.padFor(List.of(in, "CHW", 0), used);
        for (int b = lo; b < hi; b++, clear = false) {
            in.fillCHW(x, xOff + b * c * g.inPlane(), s.pad, used, clear);
            int gb = gyOff + b * co * outPlane;
            for (int o = 0; o < co; o += rMax) {
                int r = Math.min(rMax, co - o);
                for (int ci = 0; ci < c; ci++)
                    for (int ky = 0; ky < kh; ky++)
                        Kernels.dot(r, ho, wo, gy, gb + o * outPlane, outPlane, s.pad, ci * plane + ky * wp, wp, acc, (o * kd + (ci * kh + ky) * 3) * vl, kd * vl);
            }
        }
    }

    /**
     * The dot kernels over {@code nb} images stacked in one plane per channel: a zero row, then each
     * image's rows followed by one zero row (padding 1 above and below, shared), so image rows sit at a
     * uniform stride and the kernel sweeps all images as one tall image; the output gradient is copied
     * to the same row layout, with zero rows where the stack has rows between images.
     */
    private static void backwardWeightStacked(float[] gy, int gyOff, float[] x, int xOff, float[] acc, Geometry g, int lo, int hi, WeightPlan plan,
            int nb) {
        int c = g.c(), co = g.co(), kd = g.kdim(), kh = g.kh(), h = g.h(), w = g.w(), ho = g.ho(), wo = g.wo(), rMax = plan.dotRows();
        int vl = Kernels.VL, wp = plan.in().wh(), left = g.p().padW(), outPlane = ho * wo, inPlane = g.inPlane();
        int chan = (nb * (ho + 1) + 1) * wp, gRows = nb * (ho + 1);
        Scratch s = SCRATCH.get();
        boolean clear = s.padFor(List.of(plan.in(), "stacked", nb), c * chan);
        if (clear) Arrays.fill(s.pad, 0, c * chan, 0f);
        // ho in the key: two layers with the same gRows = nb * (ho + 1) but other heights put their zero rows elsewhere
        if (s.dytFor(List.of("stacked", co, gRows, wo, ho), co * gRows * wo)) Arrays.fill(s.dyt, 0, co * gRows * wo, 0f);
        float[] pad = s.pad, dyt = s.dyt;
        for (int b0 = lo; b0 < hi; b0 += nb) {
            int m = Math.min(nb, hi - b0), rows = m * (ho + 1) - 1;
            boolean vectorRows = w % vl == 0;
            for (int b = 0; b < m; b++) {
                for (int ci = 0; ci < c; ci++)
                    for (int y = 0; y < h; y++) {
                        int from = xOff + ((b0 + b) * c + ci) * inPlane + y * w, to = ci * chan + (b * (ho + 1) + 1 + y) * wp + left;
                        // rows of whole vectors by vector moves, not an arraycopy stub call per row (as fillCHW, C15)
                        if (vectorRows) copyRow(x, from, pad, to, w);
                        else System.arraycopy(x, from, pad, to, w);
                    }
                for (int o = 0; o < co; o++) System.arraycopy(gy, gyOff + ((b0 + b) * co + o) * outPlane, dyt, (o * gRows + b * (ho + 1)) * wo, outPlane);
            }
            for (int o = 0; o < co; o += rMax) {
                int r = Math.min(rMax, co - o);
                for (int ci = 0; ci < c; ci++)
                    for (int ky = 0; ky < kh; ky++)
                        Kernels.dotStacked(r, rows, wo, dyt, o * gRows * wo, gRows * wo, pad, ci * chan + ky * wp, wp, acc, (o * kd + (ci * kh + ky) * 3) * vl, kd * vl);
            }
        }
    }

    /** Writes the partial layout back as gw [co, cg, kh, kw]. */
    static void unpackWeightGradient(float[] acc, Geometry g, WeightPlan plan, float[] gw) {
        if (plan.dotRows() > 0) {
            // lanes summed in a fixed order (not reduceLanes, whose order may differ between JIT tiers)
            int vl = Kernels.VL;
            for (int i = 0; i < gw.length; i++) {
                float t = 0;
                for (int l = 0; l < vl; l++) t += acc[i * vl + l];
                gw[i] = t;
            }
            return;
        }
        Segments sg = plan.sg();
        int cog = g.cog();
        for (int gi = 0; gi < g.groups(); gi++)
            for (int sI = 0; sI < sg.count(); sI++)
                for (int j = 0; j < sg.length(); j++) {
                    int ky = sg.mergedKx() ? sI : sI / g.kw(), kx = sg.mergedKx() ? j / g.c() : sI % g.kw(), ci = sg.mergedKx() ? j % g.c() : j;
                    for (int o = 0; o < cog; o++) gw[(((gi * cog + o) * g.cg() + ci) * g.kh() + ky) * g.kw() + kx] = acc[plan.index(gi, sI, j, o)];
                }
    }
}
