package kr.engine.backend.vector;

import java.util.Arrays;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.vector.ConvKernels.Geometry;

/**
 * Stride-1 convolutions as implicit GEMMs over a zero-padded copy of each image, with no im2col.
 *
 * <p>In "padded-width" coordinates an output pixel (oy, ox) is {@code q = oy * Wp + ox}, where Wp is
 * the padded input width; the input under tap (ci, ky, kx) is then {@code xpad[koff(ci, ky, kx) + q]}
 * for every q, so a run of consecutive q is a contiguous run of the padded image. The forward pass
 * multiplies packed weights (broadcast) by such runs (vector loads through an offset table); the
 * columns with ox >= Wo are computed and dropped. Backward-weight reduces over q with the image in
 * padded HWC layout (so the channels of one pixel are contiguous broadcasts) and the output gradient
 * transposed to [q][co], accumulating per-thread partials that are summed in chunk order.
 * Backward-input of a stride-1 convolution is a forward one (see {@link ConvKernels#backwardInput}).
 *
 * <p>The image-sized copies are O(C*H*W) per image against O(C*Co*kh*kw*H*W) multiply-adds, which is
 * what makes this faster than im2col when channels are few (im2col writes kh*kw copies of the image).
 */
final class DirectConv {
    private DirectConv() {}

    /** Forward tile: rows are output channels, columns padded-width positions. */
    static final Kernels.Tile FORWARD_TILE = Kernels.WIDE ? Kernels.T8x2T : Kernels.T4x2T;

    /** Per-thread scratch: padded image, output block, transposed output gradient. */
    private static final class Scratch {
        float[] pad = new float[0], out = new float[0], dyt = new float[0];

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Stride 1 in both directions and not depthwise (those have their own kernels). */
    static boolean applies(Geometry g) {
        return g.p().strideH() == 1 && g.p().strideW() == 1 && !g.depthwise();
    }

    private static int roundUp(int x, int r) {
        return (x + r - 1) / r * r;
    }

    /** Padded sizes of one geometry. */
    private record Padded(int hp, int wp, int plane, int q) {
        static Padded of(Geometry g) {
            Conv2dParams p = g.p();
            int hp = g.h() + 2 * p.padH(), wp = g.w() + 2 * p.padW();
            return new Padded(hp, wp, hp * wp, g.ho() * wp);
        }
    }

    /** Copies image {@code b} into {@code pad} as [c][hp][wp] (zero border). */
    private static void padCHW(float[] x, int xOff, Geometry g, Padded pd, int b, float[] pad) {
        int ph = g.p().padH(), pw = g.p().padW(), h = g.h(), w = g.w();
        Arrays.fill(pad, 0, pd.plane() * g.c() + pd.wp() * 2 + Kernels.VL * 4, 0f);
        for (int ci = 0; ci < g.c(); ci++) {
            int src = xOff + (b * g.c() + ci) * h * w, dst = ci * pd.plane() + ph * pd.wp() + pw;
            for (int iy = 0; iy < h; iy++) System.arraycopy(x, src + iy * w, pad, dst + iy * pd.wp(), w);
        }
    }

    // ------------------------------------------------------------------ forward

    /** Forward pass over images [lo, hi) of {@code g}; y is [n, co, ho, wo]. */
    static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, Geometry g, int lo, int hi, float[] packed, int[] koff) {
        Kernels.Tile t = FORWARD_TILE;
        int mr = t.rows(), nr = t.cols(), kd = g.kdim(), cog = g.cog(), cogP = roundUp(cog, mr);
        Padded pd = Padded.of(g);
        int qPad = roundUp(pd.q(), nr);
        Scratch s = SCRATCH.get();
        // reads reach koff_max + qPad + nr past the group's first plane
        s.pad = Scratch.grow(s.pad, g.c() * pd.plane() + pd.wp() * 2 + Kernels.VL * 4 + qPad + nr);
        s.out = Scratch.grow(s.out, cogP * qPad);
        float[] pad = s.pad, out = s.out;
        for (int b = lo; b < hi; b++) {
            padCHW(x, xOff, g, pd, b, pad);
            for (int gi = 0; gi < g.groups(); gi++) {
                int base = gi * g.cg() * pd.plane(), wp0 = gi * cogP * kd;
                for (int q0 = 0; q0 < qPad; q0 += nr)
                    for (int i = 0; i < cogP; i += mr) Kernels.runTable(t, kd, packed, wp0 + i * kd, mr, pad, base + q0, koff, out, i * qPad + q0, qPad, false);
                int yo = (b * g.co() + gi * cog) * g.outPlane();
                for (int o = 0; o < cog; o++)
                    for (int oy = 0; oy < g.ho(); oy++) System.arraycopy(out, o * qPad + oy * pd.wp(), y, yo + (o * g.ho() + oy) * g.wo(), g.wo());
            }
        }
    }

    /** Weights [co, cg, kh, kw] as per-group panels of {@code rows} output channels: [group][panel][k][rows], zero padded. */
    static float[] packWeights(float[] w, int wOff, Geometry g) {
        int mr = FORWARD_TILE.rows(), kd = g.kdim(), cog = g.cog(), cogP = roundUp(cog, mr);
        float[] p = new float[g.groups() * cogP * kd];
        for (int gi = 0; gi < g.groups(); gi++)
            for (int o = 0; o < cog; o++) {
                int src = wOff + (gi * cog + o) * kd, dst = gi * cogP * kd + (o / mr) * mr * kd + o % mr;
                for (int r = 0; r < kd; r++) p[dst + r * mr] = w[src + r];
            }
        return p;
    }

    /** Offset of tap (ci, ky, kx) in the padded CHW image, in weight order. */
    static int[] tapOffsets(Geometry g) {
        Padded pd = Padded.of(g);
        Conv2dParams p = g.p();
        int[] k = new int[g.kdim()];
        int r = 0;
        for (int ci = 0; ci < g.cg(); ci++)
            for (int ky = 0; ky < g.kh(); ky++)
                for (int kx = 0; kx < g.kw(); kx++) k[r++] = ci * pd.plane() + ky * p.dilationH() * pd.wp() + kx * p.dilationW();
        return k;
    }

    // ------------------------------------------------------------------ backward weight

    /** Tile for backward-weight: rows are (tap, channel) pairs, columns output channels. */
    static Kernels.Tile weightTile(int cog) {
        if (Kernels.WIDE) return cog <= Kernels.VL ? Kernels.T16x1 : cog <= 2 * Kernels.VL ? Kernels.T8x2 : Kernels.T4x4;
        return cog <= Kernels.VL ? Kernels.T8x1 : cog <= 2 * Kernels.VL ? Kernels.T4x2 : Kernels.T3x4;
    }

    /**
     * Rows of the weight gradient as segments of consecutive channels in the padded HWC image: with
     * groups == 1 and horizontal dilation 1, one segment per ky covers (kx, ci) for all kx; otherwise
     * one segment per (ky, kx) covers the group's channels. {@code base[s]} is the segment's HWC offset.
     */
    record Segments(int count, int length, int[] base, boolean mergedKx) {
        static Segments of(Geometry g, Padded pd) {
            Conv2dParams p = g.p();
            boolean merged = g.groups() == 1 && p.dilationW() == 1;
            int count = merged ? g.kh() : g.kh() * g.kw(), len = merged ? g.kw() * g.c() : g.cg();
            int[] base = new int[count];
            for (int s = 0; s < count; s++) {
                int ky = merged ? s : s / g.kw(), kx = merged ? 0 : s % g.kw();
                base[s] = (ky * p.dilationH() * pd.wp() + kx * p.dilationW()) * g.c();
            }
            return new Segments(count, len, base, merged);
        }
    }

    /** Size of one per-thread partial: [group][segment][row (padded to the tile)][co (padded)]. */
    static int partialSize(Geometry g) {
        Kernels.Tile t = weightTile(g.cog());
        Segments sg = Segments.of(g, Padded.of(g));
        return g.groups() * sg.count() * roundUp(sg.length(), t.rows()) * roundUp(g.cog(), t.cols());
    }

    /** Adds the weight gradient of images [lo, hi) to {@code acc} (layout of {@link #partialSize}). */
    static void backwardWeight(float[] gy, int gyOff, float[] x, int xOff, float[] acc, Geometry g, int lo, int hi) {
        Kernels.Tile t = weightTile(g.cog());
        Padded pd = Padded.of(g);
        Segments sg = Segments.of(g, pd);
        int cog = g.cog(), coP = roundUp(cog, t.cols()), lenP = roundUp(sg.length(), t.rows()), c = g.c();
        int ph = g.p().padH(), pw = g.p().padW();
        Scratch s = SCRATCH.get();
        s.pad = Scratch.grow(s.pad, (pd.plane() + pd.wp()) * c + lenP + c);
        s.dyt = Scratch.grow(s.dyt, pd.q() * coP);
        float[] pad = s.pad, dyt = s.dyt;
        for (int b = lo; b < hi; b++) {
            // padded HWC copy of the image
            Arrays.fill(pad, 0, s.pad.length, 0f);
            for (int ci = 0; ci < c; ci++) {
                int src = xOff + (b * c + ci) * g.inPlane();
                for (int iy = 0; iy < g.h(); iy++) {
                    int d = ((iy + ph) * pd.wp() + pw) * c + ci, sr = src + iy * g.w();
                    for (int ix = 0; ix < g.w(); ix++) pad[d + ix * c] = x[sr + ix];
                }
            }
            for (int gi = 0; gi < g.groups(); gi++) {
                // output gradient transposed to [q][co], zero on the dropped columns ox >= wo
                Arrays.fill(dyt, 0, pd.q() * coP, 0f);
                for (int o = 0; o < cog; o++) {
                    int src = gyOff + (b * g.co() + gi * cog + o) * g.outPlane();
                    for (int oy = 0; oy < g.ho(); oy++) {
                        int d = oy * pd.wp() * coP + o, sr = src + oy * g.wo();
                        for (int ox = 0; ox < g.wo(); ox++) dyt[d + ox * coP] = gy[sr + ox];
                    }
                }
                int groupBase = sg.mergedKx() ? 0 : gi * g.cg();
                for (int sI = 0; sI < sg.count(); sI++)
                    for (int r0 = 0; r0 < lenP; r0 += t.rows())
                        for (int co0 = 0; co0 < coP; co0 += t.cols()) {
                            int ci = ((gi * sg.count() + sI) * lenP + r0) * coP + co0;
                            Kernels.run(t, pd.q(), pad, sg.base()[sI] + groupBase + r0, c, dyt, co0, coP, acc, ci, coP, 1f, true);
                        }
            }
        }
    }

    /** Writes the partial layout back as gw [co, cg, kh, kw]. */
    static void unpackWeightGradient(float[] acc, Geometry g, float[] gw) {
        Kernels.Tile t = weightTile(g.cog());
        Segments sg = Segments.of(g, Padded.of(g));
        int cog = g.cog(), coP = roundUp(cog, t.cols()), lenP = roundUp(sg.length(), t.rows());
        for (int gi = 0; gi < g.groups(); gi++)
            for (int sI = 0; sI < sg.count(); sI++)
                for (int j = 0; j < sg.length(); j++) {
                    int ky, kx, ci;
                    if (sg.mergedKx()) {
                        ky = sI;
                        kx = j / g.c();
                        ci = j % g.c();
                    } else {
                        ky = sI / g.kw();
                        kx = sI % g.kw();
                        ci = j;
                    }
                    int src = ((gi * sg.count() + sI) * lenP + j) * coP;
                    for (int o = 0; o < cog; o++) gw[(((gi * cog + o) * g.cg() + ci) * g.kh() + ky) * g.kw() + kx] = acc[src + o];
                }
    }
}
