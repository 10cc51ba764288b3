package kr.engine.backend.vector;

import static kr.engine.backend.vector.Vec.FLUSH;
import static kr.engine.backend.vector.Vec.L;
import static kr.engine.backend.vector.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import kr.engine.Shapes;
import kr.engine.Tensor;

/**
 * Batch normalization (forward and backward, each two passes over the data per channel) and log
 * softmax. A channel of {@code [N, C, ...]} is N runs of the inner size spaced C*inner apart; one
 * thread owns a channel, so per-channel statistics never depend on the thread count.
 */
final class NormKernels {
    private NormKernels() {}

    /** Returns {y, mean[C], invstd[C]}; see {@link kr.engine.backend.Backend#batchNorm}. */
    static Tensor[] batchNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = Shapes.numel(xs) / Math.max(n * c, 1);
        Tensor in = Vec.dense(x);
        float[] a = Vec.floats(in), ga = values(gamma), be = values(beta);
        float[] y = new float[in.numel()], mean = new float[c], inv = new float[c];
        int base = in.offset(), stride = c * inner;
        double m = (double) n * inner;
        Parallel.forRange(c, Vec.grainFor((long) n * inner), (chunk, lo, hi) -> {
            double[] s = new double[2];
            for (int ch = lo; ch < hi; ch++) {
                int start = base + ch * inner;
                // pass 1: sums shifted by one sample of the channel, so the variance does not cancel
                float k = a[start];
                shiftedSums(a, start, n, stride, inner, k, s);
                double d = s[0] / m, mu = k + d, var = Math.max(s[1] / m - d * d, 0);
                double iv = 1.0 / Math.sqrt(var + eps), scale = iv * ga[ch];
                mean[ch] = (float) mu;
                inv[ch] = (float) iv;
                // pass 2: y = (x - mean) * scale + beta, with the mean split into two floats so that
                // x - mean stays exact even when the mean is large next to the spread
                float sc = (float) scale, b = be[ch], muHi = (float) mu, muLo = (float) (mu - muHi);
                int ub = S.loopBound(inner);
                for (int r = 0; r < n; r++) {
                    int o = start + r * stride, yo = o - base, i = 0;
                    for (; i < ub; i += L) FloatVector.fromArray(S, a, o + i).sub(muHi).sub(muLo).mul(sc).add(b).intoArray(y, yo + i);
                    for (; i < inner; i++) y[yo + i] = (a[o + i] - muHi - muLo) * sc + b;
                }
            }
        });
        int[] cs = {c};
        return new Tensor[] {Vec.wrap(y, xs), Vec.wrap(mean, cs), Vec.wrap(inv, cs)};
    }

    /** {@code s[0] = sum(x - k)}, {@code s[1] = sum((x - k)^2)} over a channel's runs. */
    private static void shiftedSums(float[] a, int start, int runs, int stride, int len, float k, double[] s) {
        FloatVector kv = FloatVector.broadcast(S, k), acc1 = FloatVector.zero(S), acc2 = FloatVector.zero(S);
        float t1 = 0, t2 = 0;
        double s1 = 0, s2 = 0;
        int pending = 0;
        for (int r = 0; r < runs; r++)
            for (int p = 0; p < len; p += FLUSH) { // blocks of at most FLUSH elements per float32 accumulation
            int o = start + r * stride + p, n = Math.min(FLUSH, len - p), i = 0, ub = S.loopBound(n);
            for (; i < ub; i += L) {
                FloatVector d = FloatVector.fromArray(S, a, o + i).sub(kv);
                acc1 = acc1.add(d);
                acc2 = acc2.add(d.mul(d));
            }
            for (; i < n; i++) {
                float d = a[o + i] - k;
                t1 += d;
                t2 += d * d;
            }
            pending += n;
            if (pending >= FLUSH || (r == runs - 1 && p + n == len)) {
                s1 += Vec.sumLanes(acc1) + t1;
                s2 += Vec.sumLanes(acc2) + t2;
                acc1 = FloatVector.zero(S);
                acc2 = FloatVector.zero(S);
                t1 = t2 = 0;
                pending = 0;
            }
        }
        s[0] = s1;
        s[1] = s2;
    }

    /** Returns {dx, dgamma, dbeta}; see {@link kr.engine.backend.Backend#batchNormBackward}. */
    static Tensor[] batchNormBackward(Tensor gy, Tensor x, Tensor gamma, Tensor meanT, Tensor invT) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = Shapes.numel(xs) / Math.max(n * c, 1);
        Tensor gin = Vec.dense(gy), xin = Vec.dense(x);
        float[] g = Vec.floats(gin), a = Vec.floats(xin), ga = values(gamma), mean = values(meanT), inv = values(invT);
        float[] dx = new float[xin.numel()], dgamma = new float[c], dbeta = new float[c];
        int gbase = gin.offset(), xbase = xin.offset(), stride = c * inner;
        double m = (double) n * inner;
        Parallel.forRange(c, Vec.grainFor((long) n * inner), (chunk, c0, c1) -> {
            double[] s = new double[3];
            for (int ch = c0; ch < c1; ch++) {
                int off = ch * inner;
                float mu = mean[ch];
                // pass 1: sum(g), sum(g * (x - mu)) and sum(x - mu). The last one recovers the part of the
                // batch mean that rounding the saved mean to float32 lost (lo), which matters when the
                // mean is large next to the spread.
                gradSums(g, gbase + off, a, xbase + off, n, stride, inner, mu, s);
                double lo = s[2] / m, iv = inv[ch], sg = s[0], sgx = (s[1] - lo * sg) * iv; // sgx = sum(g * xhat)
                dbeta[ch] = (float) sg;
                dgamma[ch] = (float) sgx;
                // pass 2: dx = gamma*inv/m * (m*g - sum(g) - xhat*sum(g*xhat)) = ka*g + kb*(x - mean) + kc
                float ka = (float) (ga[ch] * iv), kb = (float) (-ga[ch] * iv * iv * sgx / m), kc = (float) (-ga[ch] * iv * sg / m);
                float muLo = (float) lo;
                int ub = S.loopBound(inner);
                for (int r = 0; r < n; r++) {
                    int o = off + r * stride, go = gbase + o, xo = xbase + o, i = 0;
                    for (; i < ub; i += L) {
                        FloatVector xc = FloatVector.fromArray(S, a, xo + i).sub(mu).sub(muLo);
                        FloatVector.fromArray(S, g, go + i).mul(ka).add(xc.mul(kb)).add(kc).intoArray(dx, o + i);
                    }
                    for (; i < inner; i++) dx[o + i] = g[go + i] * ka + (a[xo + i] - mu - muLo) * kb + kc;
                }
            }
        });
        int[] cs = {c};
        return new Tensor[] {Vec.wrap(dx, xs), Vec.wrap(dgamma, cs), Vec.wrap(dbeta, cs)};
    }

    /** {@code s[0] = sum(g)}, {@code s[1] = sum(g * (x - mu))}, {@code s[2] = sum(x - mu)} over a channel's runs of g and x. */
    private static void gradSums(float[] g, int gs, float[] a, int xs, int runs, int stride, int len, float mu, double[] s) {
        FloatVector acc1 = FloatVector.zero(S), acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
        float t1 = 0, t2 = 0, t3 = 0;
        double s1 = 0, s2 = 0, s3 = 0;
        int pending = 0;
        for (int r = 0; r < runs; r++)
            for (int p = 0; p < len; p += FLUSH) { // blocks of at most FLUSH elements per float32 accumulation
            int go = gs + r * stride + p, xo = xs + r * stride + p, n = Math.min(FLUSH, len - p), i = 0, ub = S.loopBound(n);
            for (; i < ub; i += L) {
                FloatVector gv = FloatVector.fromArray(S, g, go + i), xc = FloatVector.fromArray(S, a, xo + i).sub(mu);
                acc1 = acc1.add(gv);
                acc2 = acc2.add(gv.mul(xc));
                acc3 = acc3.add(xc);
            }
            for (; i < n; i++) {
                float xc = a[xo + i] - mu;
                t1 += g[go + i];
                t2 += g[go + i] * xc;
                t3 += xc;
            }
            pending += n;
            if (pending >= FLUSH || (r == runs - 1 && p + n == len)) {
                s1 += Vec.sumLanes(acc1) + t1;
                s2 += Vec.sumLanes(acc2) + t2;
                s3 += Vec.sumLanes(acc3) + t3;
                acc1 = FloatVector.zero(S);
                acc2 = FloatVector.zero(S);
                acc3 = FloatVector.zero(S);
                t1 = t2 = t3 = 0;
                pending = 0;
            }
        }
        s[0] = s1;
        s[1] = s2;
        s[2] = s3;
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
        float[] a = Vec.floats(in), y = new float[in.numel()];
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
