package kr.engine.backend.vector;

import static kr.engine.backend.vector.Vec.FLUSH;
import static kr.engine.backend.vector.Vec.L;
import static kr.engine.backend.vector.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import kr.engine.Shapes;
import kr.engine.Tensor;

/**
 * Batch normalization (forward and backward, each two passes over the data) and log softmax. A
 * channel of {@code [N, C, ...]} is N runs of the inner size spaced C*inner apart; one thread owns a
 * block of channels, so per-channel statistics never depend on the thread count. Each pass walks
 * images outermost and the thread's channels inside, so a thread reads one contiguous stretch per
 * image (the prefetcher follows it; channel by channel, every run started on a cold page), while
 * every channel's sums still see its runs in image order: the bits are those of a channel-by-channel walk.
 */
final class NormKernels {
    private NormKernels() {}

    /**
     * Returns {y, mean[C], invstd[C]}; see {@link kr.engine.backend.Backend#batchNorm}. A {@code residual}
     * (x's shape, or null) is added to the normalized value; with {@code relu}, y is ReLU's output as
     * {@link Elementwise} computes it (the bits of the ops in a row).
     */
    static Tensor[] batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor residual, double eps, boolean relu) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = Shapes.numel(xs) / Math.max(n * c, 1);
        Tensor in = Vec.dense(x), rin = residual == null ? null : Vec.dense(residual);
        float[] a = Vec.floats(in), ga = values(gamma), be = values(beta), res = rin == null ? null : Vec.floats(rin);
        int rbase = rin == null ? 0 : rin.offset();
        float[] y = Vec.written(in.numel()), mean = new float[c], inv = new float[c];
        int base = in.offset(), stride = c * inner;
        double m = (double) n * inner;
        Parallel.forRange(c, Vec.grainFor((long) n * inner), (chunk, lo, hi) -> {
            // pass 1: sums shifted by one sample of the channel, so the variance does not cancel
            float[] shift = new float[hi - lo];
            for (int ch = lo; ch < hi; ch++) shift[ch - lo] = a[base + ch * inner];
            Sums sums = new Sums(hi - lo, 2);
            for (int r = 0; r < n; r++)
                for (int ch = lo; ch < hi; ch++) sums.shifted(ch - lo, a, base + ch * inner + r * stride, inner, shift[ch - lo], r == n - 1);
            float[] sc = new float[hi - lo], muHi = new float[hi - lo], muLo = new float[hi - lo];
            for (int ch = lo; ch < hi; ch++) {
                int j = ch - lo;
                double d = sums.total(j, 0) / m, mu = shift[j] + d, var = Math.max(sums.total(j, 1) / m - d * d, 0);
                double iv = 1.0 / Math.sqrt(var + eps);
                mean[ch] = (float) mu;
                inv[ch] = (float) iv;
                // the mean split into two floats, so that x - mean stays exact even when the mean is large next to the spread
                sc[j] = (float) (iv * ga[ch]);
                muHi[j] = (float) mu;
                muLo[j] = (float) (mu - muHi[j]);
            }
            // pass 2: y = (x - mean) * scale + beta
            int ub = S.loopBound(inner);
            FloatVector zero = FloatVector.zero(S);
            for (int r = 0; r < n; r++)
                for (int ch = lo; ch < hi; ch++) {
                    int j = ch - lo, o = base + ch * inner + r * stride, yo = o - base, i = 0;
                    float s = sc[j], b = be[ch], hiM = muHi[j], loM = muLo[j];
                    if (res != null) {
                        int ro = rbase + yo;
                        for (; i < ub; i += L) {
                            FloatVector v = FloatVector.fromArray(S, a, o + i).sub(hiM).sub(loM).mul(s).add(b).add(FloatVector.fromArray(S, res, ro + i));
                            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
                        }
                        for (; i < inner; i++) {
                            float v = (a[o + i] - hiM - loM) * s + b + res[ro + i];
                            y[yo + i] = v > 0 ? v : 0f;
                        }
                    } else if (relu) {
                        for (; i < ub; i += L) {
                            FloatVector v = FloatVector.fromArray(S, a, o + i).sub(hiM).sub(loM).mul(s).add(b);
                            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
                        }
                        for (; i < inner; i++) {
                            float v = (a[o + i] - hiM - loM) * s + b;
                            y[yo + i] = v > 0 ? v : 0f;
                        }
                    } else {
                        for (; i < ub; i += L) FloatVector.fromArray(S, a, o + i).sub(hiM).sub(loM).mul(s).add(b).intoArray(y, yo + i);
                        for (; i < inner; i++) y[yo + i] = (a[o + i] - hiM - loM) * s + b;
                    }
                }
        });
        int[] cs = {c};
        return new Tensor[] {Vec.wrap(y, xs), Vec.wrap(mean, cs), Vec.wrap(inv, cs)};
    }

    /**
     * Per-channel sums over runs fed one at a time, channels interleaved: each channel keeps its own
     * vector and tail accumulators and flushes them into doubles every {@link Vec#FLUSH} elements, in
     * the order its runs arrive, exactly as one pass over that channel alone would.
     */
    private static final class Sums {
        final int k;
        final float[] acc, tail;
        final double[] total;
        final int[] pending;

        Sums(int channels, int k) {
            this.k = k;
            acc = new float[channels * k * L];
            tail = new float[channels * k];
            total = new double[channels * k];
            pending = new int[channels];
        }

        double total(int ch, int i) {
            return total[ch * k + i];
        }

        /** Adds {@code x - shift} and {@code (x - shift)^2} of one run (blocks of at most FLUSH elements). */
        void shifted(int ch, float[] a, int start, int len, float shift, boolean lastRun) {
            for (int p = 0; p < len; p += FLUSH) {
                int n = Math.min(FLUSH, len - p);
                shiftedBlock(ch, a, start + p, n, shift);
                pending[ch] += n;
                if (pending[ch] >= FLUSH || (lastRun && p + n == len)) flush(ch);
            }
        }

        /**
         * Adds {@code g}, {@code g * (x - mu)} and {@code x - mu} of one run of g and x; with a mask
         * {@code ym} (ReLU's output at {@code yo}), g is taken as {@code ym > 0 ? g : 0}.
         */
        void grad(int ch, float[] g, int go, float[] ym, int yo, float[] a, int xo, int len, float mu, boolean lastRun) {
            for (int p = 0; p < len; p += FLUSH) {
                int n = Math.min(FLUSH, len - p);
                if (ym == null) gradBlock(ch, g, go + p, a, xo + p, n, mu);
                else gradBlockMasked(ch, g, go + p, ym, yo + p, a, xo + p, n, mu);
                pending[ch] += n;
                if (pending[ch] >= FLUSH || (lastRun && p + n == len)) flush(ch);
            }
        }

        // The block loops below load the channel's accumulators, run one branch-free loop and store
        // them back: with the flush inside the loop (a phi of vectors across a branch) C2 boxed a
        // FloatVector per step on 8x8 and 16x16 planes (3-4x the bytes, 2-3x the time of 32x32's).

        private void shiftedBlock(int ch, float[] a, int o, int n, float shift) {
            int ao = ch * 2 * L, i = 0, ub = S.loopBound(n);
            FloatVector kv = FloatVector.broadcast(S, shift);
            FloatVector acc1 = FloatVector.fromArray(S, acc, ao), acc2 = FloatVector.fromArray(S, acc, ao + L);
            for (; i < ub; i += L) {
                FloatVector d = FloatVector.fromArray(S, a, o + i).sub(kv);
                acc1 = acc1.add(d);
                acc2 = acc2.add(d.mul(d));
            }
            acc1.intoArray(acc, ao);
            acc2.intoArray(acc, ao + L);
            float t1 = tail[2 * ch], t2 = tail[2 * ch + 1];
            for (; i < n; i++) {
                float d = a[o + i] - shift;
                t1 += d;
                t2 += d * d;
            }
            tail[2 * ch] = t1;
            tail[2 * ch + 1] = t2;
        }

        private void gradBlock(int ch, float[] g, int gp, float[] a, int xp, int n, float mu) {
            int ao = ch * 3 * L, i = 0, ub = S.loopBound(n);
            FloatVector acc1 = FloatVector.fromArray(S, acc, ao), acc2 = FloatVector.fromArray(S, acc, ao + L), acc3 = FloatVector.fromArray(S, acc, ao + 2 * L);
            for (; i < ub; i += L) {
                FloatVector gv = FloatVector.fromArray(S, g, gp + i), xc = FloatVector.fromArray(S, a, xp + i).sub(mu);
                acc1 = acc1.add(gv);
                acc2 = acc2.add(gv.mul(xc));
                acc3 = acc3.add(xc);
            }
            acc1.intoArray(acc, ao);
            acc2.intoArray(acc, ao + L);
            acc3.intoArray(acc, ao + 2 * L);
            gradTail(ch, g, gp, null, 0, a, xp, i, n, mu);
        }

        private void gradBlockMasked(int ch, float[] g, int gp, float[] ym, int yp, float[] a, int xp, int n, float mu) {
            int ao = ch * 3 * L, i = 0, ub = S.loopBound(n);
            FloatVector zero = FloatVector.zero(S);
            FloatVector acc1 = FloatVector.fromArray(S, acc, ao), acc2 = FloatVector.fromArray(S, acc, ao + L), acc3 = FloatVector.fromArray(S, acc, ao + 2 * L);
            for (; i < ub; i += L) {
                FloatVector gv = zero.blend(FloatVector.fromArray(S, g, gp + i), FloatVector.fromArray(S, ym, yp + i).compare(VectorOperators.GT, 0f));
                FloatVector xc = FloatVector.fromArray(S, a, xp + i).sub(mu);
                acc1 = acc1.add(gv);
                acc2 = acc2.add(gv.mul(xc));
                acc3 = acc3.add(xc);
            }
            acc1.intoArray(acc, ao);
            acc2.intoArray(acc, ao + L);
            acc3.intoArray(acc, ao + 2 * L);
            gradTail(ch, g, gp, ym, yp, a, xp, i, n, mu);
        }

        private void gradTail(int ch, float[] g, int gp, float[] ym, int yp, float[] a, int xp, int i, int n, float mu) {
            float t1 = tail[3 * ch], t2 = tail[3 * ch + 1], t3 = tail[3 * ch + 2];
            for (; i < n; i++) {
                float xc = a[xp + i] - mu, gi = ym == null || ym[yp + i] > 0 ? g[gp + i] : 0f;
                t1 += gi;
                t2 += gi * xc;
                t3 += xc;
            }
            tail[3 * ch] = t1;
            tail[3 * ch + 1] = t2;
            tail[3 * ch + 2] = t3;
        }

        /** Moves the channel's lane and tail sums into its double totals, as each sum's lanes then its tail. */
        private void flush(int ch) {
            for (int q = ch * k; q < (ch + 1) * k; q++) {
                total[q] += Vec.sumLanes(FloatVector.fromArray(S, acc, q * L)) + tail[q];
                FloatVector.zero(S).intoArray(acc, q * L);
                tail[q] = 0;
            }
            pending[ch] = 0;
        }
    }

    /**
     * Returns {dx, dgamma, dbeta}; see {@link kr.engine.backend.Backend#batchNormBackward}. With ReLU's
     * output {@code y} (null for plain batch norm) the gradient is first masked by {@code y > 0}, as
     * {@link kr.engine.backend.Backend#batchNormReluBackward} composes it, with the same bits.
     */
    static Tensor[] batchNormBackward(Tensor gy, Tensor y, Tensor x, Tensor gamma, Tensor meanT, Tensor invT) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = Shapes.numel(xs) / Math.max(n * c, 1);
        Tensor gin = Vec.dense(gy), xin = Vec.dense(x), yin = y == null ? null : Vec.dense(y);
        float[] g = Vec.floats(gin), a = Vec.floats(xin), ym = yin == null ? null : Vec.floats(yin);
        float[] ga = values(gamma), mean = values(meanT), inv = values(invT);
        float[] dx = Vec.written(xin.numel()), dgamma = new float[c], dbeta = new float[c];
        int gbase = gin.offset(), xbase = xin.offset(), ybase = yin == null ? 0 : yin.offset(), stride = c * inner;
        double m = (double) n * inner;
        Parallel.forRange(c, Vec.grainFor((long) n * inner), (chunk, c0, c1) -> {
            // pass 1: sum(g), sum(g * (x - mu)) and sum(x - mu). The last one recovers the part of the
            // batch mean that rounding the saved mean to float32 lost (lo), which matters when the
            // mean is large next to the spread.
            Sums sums = new Sums(c1 - c0, 3);
            for (int r = 0; r < n; r++)
                for (int ch = c0; ch < c1; ch++) {
                    int off = ch * inner + r * stride;
                    sums.grad(ch - c0, g, gbase + off, ym, ybase + off, a, xbase + off, inner, mean[ch], r == n - 1);
                }
            float[] ka = new float[c1 - c0], kb = new float[c1 - c0], kc = new float[c1 - c0], muLo = new float[c1 - c0];
            for (int ch = c0; ch < c1; ch++) {
                int j = ch - c0;
                double lo = sums.total(j, 2) / m, iv = inv[ch], sg = sums.total(j, 0), sgx = (sums.total(j, 1) - lo * sg) * iv; // sgx = sum(g * xhat)
                dbeta[ch] = (float) sg;
                dgamma[ch] = (float) sgx;
                // dx = gamma*inv/m * (m*g - sum(g) - xhat*sum(g*xhat)) = ka*g + kb*(x - mean) + kc
                ka[j] = (float) (ga[ch] * iv);
                kb[j] = (float) (-ga[ch] * iv * iv * sgx / m);
                kc[j] = (float) (-ga[ch] * iv * sg / m);
                muLo[j] = (float) lo;
            }
            // pass 2
            int ub = S.loopBound(inner);
            FloatVector zero = FloatVector.zero(S);
            for (int r = 0; r < n; r++)
                for (int ch = c0; ch < c1; ch++) {
                    int j = ch - c0, o = ch * inner + r * stride, go = gbase + o, xo = xbase + o, yo = ybase + o, i = 0;
                    float mu = mean[ch], lo = muLo[j], fa = ka[j], fb = kb[j], fc = kc[j];
                    if (ym == null) {
                        for (; i < ub; i += L) {
                            FloatVector xc = FloatVector.fromArray(S, a, xo + i).sub(mu).sub(lo);
                            FloatVector.fromArray(S, g, go + i).mul(fa).add(xc.mul(fb)).add(fc).intoArray(dx, o + i);
                        }
                    } else {
                        for (; i < ub; i += L) {
                            FloatVector xc = FloatVector.fromArray(S, a, xo + i).sub(mu).sub(lo);
                            FloatVector gv = zero.blend(FloatVector.fromArray(S, g, go + i), FloatVector.fromArray(S, ym, yo + i).compare(VectorOperators.GT, 0f));
                            gv.mul(fa).add(xc.mul(fb)).add(fc).intoArray(dx, o + i);
                        }
                    }
                    for (; i < inner; i++) {
                        float gi = ym == null || ym[yo + i] > 0 ? g[go + i] : 0f;
                        dx[o + i] = gi * fa + (a[xo + i] - mu - lo) * fb + fc;
                    }
                }
        });
        int[] cs = {c};
        return new Tensor[] {Vec.wrap(dx, xs), Vec.wrap(dgamma, cs), Vec.wrap(dbeta, cs)};
    }

    /** Elements of a small float32 tensor (gamma, beta, statistics) in logical order. */
    private static float[] values(Tensor t) {
        Tensor d = Vec.dense(t);
        float[] f = Vec.floats(d);
        return d.offset() == 0 && f.length == d.numel() ? f : java.util.Arrays.copyOfRange(f, d.offset(), d.offset() + d.numel());
    }

    /** {@code x - logsumexp(x, dim)}; rows along the last dim are vectorized along the row, other dims across it. */
    static Tensor logSoftmax(Tensor x, int dim) {
        int[] xs = x.shape();
        int outer = 1, inner = 1, n = xs[dim];
        for (int d = 0; d < dim; d++) outer *= xs[d];
        for (int d = dim + 1; d < xs.length; d++) inner *= xs[d];
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), y = Vec.written(in.numel());
        int base = in.offset(), ni = inner;
        if (inner == 1) {
            Parallel.forRange(outer, Vec.grainFor(n), (c, lo, hi) -> {
                for (int o = lo; o < hi; o++) logSoftmaxRow(a, base + o * n, y, o * n, n);
            });
        } else {
            Parallel.forRange(outer * inner, Vec.grainFor(n), (c, lo, hi) -> {
                for (int p = lo; p < hi;) {
                    int row = p / ni, col = p % ni, len = Math.min(Math.min(ni - col, hi - p), 1024);
                    logSoftmaxColumns(a, base + row * n * ni + col, y, row * n * ni + col, n, ni, len);
                    p += len;
                }
            });
        }
        return Vec.wrap(y, xs);
    }

    private static void logSoftmaxRow(float[] a, int ao, float[] y, int yo, int n) {
        float mx = Vec.maxRuns(a, ao, 1, 0, n);
        double s = 0;
        int i, ub = S.loopBound(n);
        // scalar exp: lanewise EXP is not bit-reproducible across JIT tiers (see Elementwise.unaryDense)
        for (i = 0; i < n; i++) s += Math.exp(a[ao + i] - mx);
        float lse = (float) (mx + Math.log(s));
        for (i = 0; i < ub; i += L) FloatVector.fromArray(S, a, ao + i).sub(lse).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = a[ao + i] - lse;
    }

    /** Log softmax over n rows spaced {@code stride} apart, for {@code len} adjacent columns at once. */
    private static void logSoftmaxColumns(float[] a, int ao, float[] y, int yo, int n, int stride, int len) {
        float[] mx = new float[len], sum = new float[len];
        java.util.Arrays.fill(mx, Float.NEGATIVE_INFINITY);
        int ub = S.loopBound(len);
        for (int k = 0; k < n; k++) {
            int o = ao + k * stride, j = 0;
            for (; j < ub; j += L) FloatVector.fromArray(S, mx, j).max(FloatVector.fromArray(S, a, o + j)).intoArray(mx, j);
            for (; j < len; j++) mx[j] = Math.max(mx[j], a[o + j]);
        }
        double[] tot = new double[len];
        for (int k = 0; k < n; k++) {
            int o = ao + k * stride, j = 0;
            for (; j < len; j++) sum[j] += (float) Math.exp(a[o + j] - mx[j]); // scalar exp, as in logSoftmaxRow
            if ((k + 1) % 64 == 0 || k == n - 1) { // flush the float32 partial sums into doubles
                for (j = 0; j < len; j++) {
                    tot[j] += sum[j];
                    sum[j] = 0;
                }
            }
        }
        for (int j = 0; j < len; j++) mx[j] = (float) (mx[j] + Math.log(tot[j])); // mx now holds logsumexp
        for (int k = 0; k < n; k++) {
            int o = ao + k * stride, w = yo + k * stride, j = 0;
            for (; j < ub; j += L) FloatVector.fromArray(S, a, o + j).sub(FloatVector.fromArray(S, mx, j)).intoArray(y, w + j);
            for (; j < len; j++) y[w + j] = a[o + j] - mx[j];
        }
    }
}
