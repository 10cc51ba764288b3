package kr.engine.backend.vector;

import static kr.engine.backend.vector.Vec.GRAIN;
import static kr.engine.backend.vector.Vec.L;
import static kr.engine.backend.vector.Vec.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.CompareOp;
import kr.engine.backend.CpuStorage;
import kr.engine.backend.UnaryOp;

/**
 * Float32 elementwise kernels over any strided or broadcast operands. {@link StridedRuns} cuts the
 * traversal into runs; each run goes to a dense Vector API loop, directly when an operand is
 * contiguous along the run, as a scalar splat when it is broadcast (the bias/scale pattern), and
 * after packing into scratch otherwise.
 *
 * <p>Every operator appears as a literal in its own loop: the Vector API only compiles to SIMD
 * instructions when the operator is a constant, so loops are never shared through a parameter.
 * Scalar tails use the reference definition in double, rounded once.
 */
final class Elementwise {
    private Elementwise() {}

    private static StridedRuns runs(int[] out, Tensor... in) {
        int[][] st = new int[in.length + 1][];
        int[] off = new int[in.length + 1];
        st[0] = Shapes.contiguousStrides(out);
        for (int k = 0; k < in.length; k++) {
            st[k + 1] = Shapes.broadcastStrides(in[k].shape(), in[k].strides(), out);
            off[k + 1] = in[k].offset();
        }
        return StridedRuns.of(out, st, off);
    }

    // ------------------------------------------------------------------ unary and pow

    static Tensor unary(UnaryOp op, Tensor x) {
        int[] shape = x.shape();
        float[] xs = Vec.floats(x), y = Vec.written(x.numel());
        StridedRuns r = runs(shape, x);
        int sx = r.innerStride(1);
        r.forEach(GRAIN, (pos, len, tile) -> {
            if (sx == 1) unaryDense(op, xs, pos[1], y, pos[0], len);
            else unaryDense(op, tile.pack(0, xs, pos[1], sx, len), 0, y, pos[0], len);
        });
        return Vec.wrap(y, shape);
    }

    static void unaryDense(UnaryOp op, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0, ub = S.loopBound(n);
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case NEG:
                for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).neg().intoArray(y, yo + i);
                break;
            case EXP, LOG, SIGMOID, TANH:
                // Transcendentals stay scalar: the Vector API's lanewise EXP/LOG/TANH give different bits
                // compiled by C2 (SVML) than interpreted, so results would depend on JIT timing.
                break;
            case SQRT:
                for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(y, yo + i);
                break;
            case ABS:
                for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).abs().intoArray(y, yo + i);
                break;
            case RELU: // x > 0 ? x : 0, so NaN maps to 0 as in the reference (a max with 0 would keep NaN)
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
                }
                break;
            case SIGN: // signum: zeros and NaN pass through
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.blend(one, v.compare(VectorOperators.GT, 0f)).blend(one.neg(), v.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
                }
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) y[yo + i] = (float) op.apply(x[xo + i]);
    }

    /** {@code x > 0 ? g : 0} over dense copies of both (the layouts ReLU's backward sees are contiguous). */
    static Tensor reluBackward(Tensor x, Tensor g) {
        Tensor xd = Vec.dense(x), gd = Vec.dense(g);
        float[] xs = Vec.floats(xd), gs = Vec.floats(gd), y = Vec.written(x.numel());
        int xo = xd.offset(), go = gd.offset();
        Parallel.forRange(y.length, GRAIN, (c, lo, hi) -> {
            int i = lo, ub = lo + S.loopBound(hi - lo);
            FloatVector zero = FloatVector.zero(S);
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(S, xs, xo + i);
                zero.blend(FloatVector.fromArray(S, gs, go + i), v.compare(VectorOperators.GT, 0f)).intoArray(y, i);
            }
            for (; i < hi; i++) y[i] = xs[xo + i] > 0 ? gs[go + i] : 0f;
        });
        return Vec.wrap(y, x.shape());
    }

    static Tensor pow(Tensor x, double p) {
        int[] shape = x.shape();
        float[] xs = Vec.floats(x), y = Vec.written(x.numel());
        StridedRuns r = runs(shape, x);
        int sx = r.innerStride(1);
        r.forEach(GRAIN, (pos, len, tile) -> {
            if (sx == 1) powDense(p, xs, pos[1], y, pos[0], len);
            else powDense(p, tile.pack(0, xs, pos[1], sx, len), 0, y, pos[0], len);
        });
        return Vec.wrap(y, shape);
    }

    private static void powDense(double p, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0, ub = S.loopBound(n);
        if (p == 1.0) {
            System.arraycopy(x, xo, y, yo, n);
            return;
        }
        if (p == 2.0) {
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                v.mul(v).intoArray(y, yo + i);
            }
            for (; i < n; i++) y[yo + i] = x[xo + i] * x[xo + i];
            return;
        }
        if (p == -1.0) {
            FloatVector one = FloatVector.broadcast(S, 1f);
            for (; i < ub; i += L) one.div(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        } // other exponents stay scalar: lanewise POW is not bit-reproducible across JIT tiers (see unaryDense)
        for (; i < n; i++) y[yo + i] = (float) Math.pow(x[xo + i], p);
    }

    // ------------------------------------------------------------------ binary

    static Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] out) {
        float[] as = Vec.floats(a), bs = Vec.floats(b), y = Vec.written(Shapes.numel(out));
        StridedRuns r = runs(out, a, b);
        int sa = r.innerStride(1), sb = r.innerStride(2);
        r.forEach(GRAIN, (pos, len, tile) -> {
            if (sa == 1 && sb == 1) binaryDense(op, as, pos[1], bs, pos[2], y, pos[0], len);
            else if (sa == 1 && sb == 0) binaryScalarRight(op, as, pos[1], bs[pos[2]], y, pos[0], len);
            else if (sa == 0 && sb == 1) binaryScalarLeft(op, as[pos[1]], bs, pos[2], y, pos[0], len);
            else {
                float[] pa = sa == 1 ? as : tile.pack(0, as, pos[1], sa, len), pb = sb == 1 ? bs : tile.pack(1, bs, pos[2], sb, len);
                binaryDense(op, pa, sa == 1 ? pos[1] : 0, pb, sb == 1 ? pos[2] : 0, y, pos[0], len);
            }
        });
        return Vec.wrap(y, out);
    }

    static void binaryDense(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int i = 0, ub = S.loopBound(n);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
                break;
            case SUB:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
                break;
            case MUL:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
                break;
            case DIV:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
                break;
            case MAX: // lanewise MAX is Math.max: NaN wins, as in the reference
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).max(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
                break;
            case MIN:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).min(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) y[yo + i] = (float) op.apply(a[ao + i], b[bo + i]);
    }

    /** {@code a[i] op s}: the broadcast-operand case ({@code x + bias[c]}, {@code x * 0.5}). */
    static void binaryScalarRight(BinaryOp op, float[] a, int ao, float s, float[] y, int yo, int n) {
        int i = 0, ub = S.loopBound(n);
        FloatVector v = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).add(v).intoArray(y, yo + i);
                break;
            case SUB:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).sub(v).intoArray(y, yo + i);
                break;
            case MUL:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).mul(v).intoArray(y, yo + i);
                break;
            case DIV:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).div(v).intoArray(y, yo + i);
                break;
            case MAX:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).max(v).intoArray(y, yo + i);
                break;
            case MIN:
                for (; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).min(v).intoArray(y, yo + i);
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) y[yo + i] = (float) op.apply(a[ao + i], s);
    }

    /** {@code s op b[i]}; the commutative ops reuse {@link #binaryScalarRight}. */
    static void binaryScalarLeft(BinaryOp op, float s, float[] b, int bo, float[] y, int yo, int n) {
        if (op != BinaryOp.SUB && op != BinaryOp.DIV) {
            binaryScalarRight(op, b, bo, s, y, yo, n);
            return;
        }
        int i = 0, ub = S.loopBound(n);
        FloatVector v = FloatVector.broadcast(S, s);
        if (op == BinaryOp.SUB) for (; i < ub; i += L) v.sub(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        else for (; i < ub; i += L) v.div(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = (float) op.apply(s, b[bo + i]);
    }

    // ------------------------------------------------------------------ compare and where

    static Tensor compare(CompareOp op, Tensor a, Tensor b, int[] out) {
        float[] as = Vec.floats(a), bs = Vec.floats(b), y = Vec.written(Shapes.numel(out));
        StridedRuns r = runs(out, a, b);
        int sa = r.innerStride(1), sb = r.innerStride(2);
        // a broadcast operand (x > 0) is filled into an L1-resident tile: compare is bound by the memory traffic of x and y
        r.forEach(GRAIN, (pos, len, tile) -> {
            float[] pa = sa == 1 ? as : tile.pack(0, as, pos[1], sa, len), pb = sb == 1 ? bs : tile.pack(1, bs, pos[2], sb, len);
            compareDense(op, pa, sa == 1 ? pos[1] : 0, pb, sb == 1 ? pos[2] : 0, y, pos[0], len);
        });
        return Vec.wrap(y, out);
    }

    private static void compareDense(CompareOp op, float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int i = 0, ub = S.loopBound(n);
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case EQ:
                for (; i < ub; i += L)
                    zero.blend(one, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.EQ, FloatVector.fromArray(S, b, bo + i))).intoArray(y, yo + i);
                break;
            case NE:
                for (; i < ub; i += L)
                    zero.blend(one, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.NE, FloatVector.fromArray(S, b, bo + i))).intoArray(y, yo + i);
                break;
            case LT:
                for (; i < ub; i += L)
                    zero.blend(one, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LT, FloatVector.fromArray(S, b, bo + i))).intoArray(y, yo + i);
                break;
            case LE:
                for (; i < ub; i += L)
                    zero.blend(one, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LE, FloatVector.fromArray(S, b, bo + i))).intoArray(y, yo + i);
                break;
            case GT:
                for (; i < ub; i += L)
                    zero.blend(one, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GT, FloatVector.fromArray(S, b, bo + i))).intoArray(y, yo + i);
                break;
            case GE:
                for (; i < ub; i += L)
                    zero.blend(one, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GE, FloatVector.fromArray(S, b, bo + i))).intoArray(y, yo + i);
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) y[yo + i] = op.test(a[ao + i], b[bo + i]) ? 1f : 0f;
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b, int[] out) {
        float[] cs = Vec.floats(cond), as = Vec.floats(a), bs = Vec.floats(b), y = Vec.written(Shapes.numel(out));
        StridedRuns r = runs(out, cond, a, b);
        int sc = r.innerStride(1), sa = r.innerStride(2), sb = r.innerStride(3);
        r.forEach(GRAIN, (pos, len, tile) -> {
            float[] pc = sc == 1 ? cs : tile.pack(0, cs, pos[1], sc, len);
            float[] pa = sa == 1 ? as : tile.pack(1, as, pos[2], sa, len);
            float[] pb = sb == 1 ? bs : tile.pack(2, bs, pos[3], sb, len);
            int co = sc == 1 ? pos[1] : 0, ao = sa == 1 ? pos[2] : 0, bo = sb == 1 ? pos[3] : 0, yo = pos[0];
            int i = 0, ub = S.loopBound(len);
            for (; i < ub; i += L) {
                FloatVector c = FloatVector.fromArray(S, pc, co + i);
                FloatVector.fromArray(S, pb, bo + i).blend(FloatVector.fromArray(S, pa, ao + i), c.compare(VectorOperators.NE, 0f)).intoArray(y, yo + i);
            }
            for (; i < len; i++) y[yo + i] = pc[co + i] != 0 ? pa[ao + i] : pb[bo + i];
        });
        return Vec.wrap(y, out);
    }

    // ------------------------------------------------------------------ copies

    static Tensor copy(Tensor x) {
        int[] shape = x.shape();
        Tensor y = Vec.wrap(Vec.written(x.numel()), shape);
        copyInto(y, x);
        return y;
    }

    /** {@code dst = src} with src broadcast to dst's shape; dst may be any strided view (not overlapping src). */
    static void copyInto(Tensor dst, Tensor src) {
        int[] ds = dst.shape();
        float[] d = Vec.floats(dst), s = Vec.floats(src);
        StridedRuns r = StridedRuns.of(ds, new int[][] {dst.strides(), Shapes.broadcastStrides(src.shape(), src.strides(), ds)},
                new int[] {dst.offset(), src.offset()});
        int sd = r.innerStride(0), ss = r.innerStride(1);
        if (sd == 1 && ss != 0 && ss != 1) {
            for (int j = r.rank() - 2; j >= 0; j--)
                if (r.stride(1, j) == 1) { // a transposition: copy in tiles so both sides stay in cache
                    transposeCopy(r, j, d, s);
                    return;
                }
        }
        r.forEach(GRAIN, (pos, len, tile) -> {
            int pd = pos[0], ps = pos[1];
            if (sd == 1 && ss == 1) System.arraycopy(s, ps, d, pd, len);
            else if (sd == 1 && ss == 0) Arrays.fill(d, pd, pd + len, s[ps]);
            else for (int i = 0; i < len; i++) d[pd + i * sd] = s[ps + i * ss];
        });
    }

    private static final int TILE = 32;

    /**
     * Copy where the source is contiguous along collapsed dim {@code j} and the destination along the
     * last dim: every [dim j, last dim] plane is a transpose, done in TILE x TILE blocks.
     */
    private static void transposeCopy(StridedRuns r, int j, float[] d, float[] s) {
        int rank = r.rank(), last = rank - 1, rows = r.size(j), cols = r.size(last);
        int dj = r.stride(0, j), ss = r.stride(1, last);
        int planes = r.numel() / (rows * cols), rowTiles = (rows + TILE - 1) / TILE;
        Parallel.forRange(planes * rowTiles, Vec.grainFor((long) TILE * cols), (c, lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int plane = t / rowTiles, r0 = (t % rowTiles) * TILE, r1 = Math.min(r0 + TILE, rows);
                int pd = r.offset(0), ps = r.offset(1);
                for (int dim = last - 1, q = plane; dim >= 0; dim--) { // unravel the plane over the dims other than j and last
                    if (dim == j) continue;
                    int idx = q % r.size(dim);
                    q /= r.size(dim);
                    pd += idx * r.stride(0, dim);
                    ps += idx * r.stride(1, dim);
                }
                for (int c0 = 0; c0 < cols; c0 += TILE) {
                    int c1 = Math.min(c0 + TILE, cols);
                    for (int row = r0; row < r1; row++) {
                        int drow = pd + row * dj, srow = ps + row;
                        for (int col = c0; col < c1; col++) d[drow + col] = s[srow + col * ss];
                    }
                }
            }
        });
    }

    /** A contiguous float64 copy of a float32 tensor. */
    static Tensor toF64(Tensor x) {
        int[] shape = x.shape();
        float[] s = Vec.floats(x);
        double[] d = new double[x.numel()];
        StridedRuns r = runs(shape, x);
        int sx = r.innerStride(1);
        r.forEach(GRAIN, (pos, len, tile) -> {
            for (int i = 0; i < len; i++) d[pos[0] + i] = s[pos[1] + i * sx];
        });
        return Tensor.wrap(CpuStorage.of(d), shape);
    }

    // ------------------------------------------------------------------ in place

    /** {@code dst += alpha * src} for a contiguous dst and a same-shaped src of any layout. */
    static void addInto(Tensor dst, Tensor src, double alpha) {
        int[] ds = dst.shape();
        float[] d = Vec.floats(dst), s = Vec.floats(src);
        float al = (float) alpha;
        StridedRuns r = StridedRuns.of(ds, new int[][] {Shapes.contiguousStrides(ds), Shapes.broadcastStrides(src.shape(), src.strides(), ds)},
                new int[] {dst.offset(), src.offset()});
        int ss = r.innerStride(1);
        r.forEach(GRAIN, (pos, len, tile) -> {
            float[] ps = ss == 1 ? s : tile.pack(0, s, pos[1], ss, len);
            int so = ss == 1 ? pos[1] : 0, o = pos[0], i = 0, ub = S.loopBound(len);
            for (; i < ub; i += L)
                FloatVector.fromArray(S, d, o + i).add(FloatVector.fromArray(S, ps, so + i).mul(al)).intoArray(d, o + i);
            for (; i < len; i++) d[o + i] += al * ps[so + i];
        });
    }

    static void scaleInPlace(Tensor dst, double alpha) {
        float[] d = Vec.floats(dst);
        float al = (float) alpha;
        int off = dst.offset();
        Parallel.forRange(dst.numel(), GRAIN, (c, lo, hi) -> binaryScalarRight(BinaryOp.MUL, d, off + lo, al, d, off + lo, hi - lo));
    }
}
