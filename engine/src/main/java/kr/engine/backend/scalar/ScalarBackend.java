package kr.engine.backend.scalar;

import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.CompareOp;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.CpuStorage;
import kr.engine.backend.KrKernels;
import kr.engine.backend.Pool2dParams;
import kr.engine.backend.ReduceOp;
import kr.engine.backend.StridedIndex;
import kr.engine.backend.UnaryOp;

/**
 * The reference backend: the living definition of every kernel. Single-threaded, computes in
 * float64 whatever the storage type, reads any strided view, and favours plain loops over speed.
 * Other backends are tested against it.
 */
public class ScalarBackend implements Backend, KrKernels {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    // ------------------------------------------------------------------ helpers

    protected static CpuStorage st(Tensor t) {
        return CpuStorage.of(t, "cpu");
    }

    /** Logical-order values of {@code t} read as if broadcast to {@code shape}. */
    protected static double[] read(Tensor t, int[] shape) {
        int n = Shapes.numel(shape);
        double[] out = new double[n];
        CpuStorage s = st(t);
        int[] bs = Shapes.broadcastStrides(t.shape(), t.strides(), shape);
        StridedIndex it = new StridedIndex(shape, new int[][] {bs}, new int[] {t.offset()});
        for (int i = 0; i < n; i++, it.next()) out[i] = s.get(it.pos(0));
        return out;
    }

    protected static double[] read(Tensor t) {
        return read(t, t.shape());
    }

    protected static Tensor make(double[] v, int[] shape, DType dt) {
        if (dt == DType.F64) return Tensor.wrap(CpuStorage.of(v), shape);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.wrap(CpuStorage.of(f), shape);
    }

    // ------------------------------------------------------------------ creation

    @Override
    public Tensor full(int[] shape, DType dtype, double value) {
        int n = Shapes.numel(shape);
        if (dtype == DType.F64) {
            double[] d = new double[n];
            if (value != 0) java.util.Arrays.fill(d, value);
            return Tensor.wrap(CpuStorage.of(d), shape);
        }
        float[] f = new float[n];
        if (value != 0) java.util.Arrays.fill(f, (float) value);
        return Tensor.wrap(CpuStorage.of(f), shape);
    }

    @Override
    public Tensor fromArray(float[] data, int[] shape) {
        return Tensor.wrap(CpuStorage.of(data.clone()), shape);
    }

    @Override
    public Tensor fromArray(double[] data, int[] shape) {
        return Tensor.wrap(CpuStorage.of(data.clone()), shape);
    }

    @Override
    public double[] toDoubleArray(Tensor t) {
        return read(t);
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        if (t.dtype() == DType.F32 && t.isContiguous()) {
            float[] f = st(t).floats();
            int n = t.numel();
            float[] r = new float[n];
            System.arraycopy(f, t.offset(), r, 0, n);
            return r;
        }
        double[] d = read(t);
        float[] r = new float[d.length];
        for (int i = 0; i < d.length; i++) r[i] = (float) d[i];
        return r;
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        double[] v = read(x);
        for (int i = 0; i < v.length; i++) v[i] = op.apply(v[i]);
        return make(v, x.shape(), x.dtype());
    }

    @Override
    public Tensor reluBackward(Tensor x, Tensor g) {
        double[] xv = read(x), gv = read(g, x.shape());
        for (int i = 0; i < xv.length; i++) xv[i] = xv[i] > 0 ? gv[i] : 0.0;
        return make(xv, x.shape(), g.dtype());
    }

    @Override
    public Tensor pow(Tensor x, double p) {
        double[] v = read(x);
        for (int i = 0; i < v.length; i++) v[i] = p == 2.0 ? v[i] * v[i] : Math.pow(v[i], p);
        return make(v, x.shape(), x.dtype());
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] out) {
        double[] x = read(a, out), y = read(b, out);
        for (int i = 0; i < x.length; i++) x[i] = op.apply(x[i], y[i]);
        return make(x, out, a.dtype());
    }

    @Override
    public Tensor compare(CompareOp op, Tensor a, Tensor b, int[] out) {
        double[] x = read(a, out), y = read(b, out);
        for (int i = 0; i < x.length; i++) x[i] = op.test(x[i], y[i]) ? 1.0 : 0.0;
        return make(x, out, a.dtype());
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b, int[] out) {
        double[] c = read(cond, out), x = read(a, out), y = read(b, out);
        for (int i = 0; i < x.length; i++) x[i] = c[i] != 0 ? x[i] : y[i];
        return make(x, out, a.dtype());
    }

    @Override
    public Tensor copy(Tensor x) {
        return make(read(x), x.shape(), x.dtype());
    }

    @Override
    public Tensor cast(Tensor x, DType dtype) {
        return make(read(x), x.shape(), dtype);
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, boolean[] dims) {
        int[] xs = x.shape();
        int[] os = xs.clone();
        for (int d = 0; d < xs.length; d++) if (dims[d]) os[d] = 1;
        double[] out = new double[Shapes.numel(os)];
        if (op == ReduceOp.MAX) java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
        int[] ost = Shapes.contiguousStrides(os);
        for (int d = 0; d < xs.length; d++) if (dims[d]) ost[d] = 0;
        double[] v = read(x);
        StridedIndex it = new StridedIndex(xs, new int[][] {ost}, new int[] {0});
        for (int i = 0; i < v.length; i++, it.next()) {
            int o = it.pos(0);
            if (op == ReduceOp.SUM) out[o] += v[i];
            else if (v[i] > out[o] || Double.isNaN(v[i])) out[o] = Double.isNaN(out[o]) ? out[o] : v[i];
        }
        return make(out, os, x.dtype());
    }

    @Override
    public Tensor argmax(Tensor x, int dim) {
        int[] xs = x.shape();
        int outer = 1, inner = 1, n = xs[dim];
        for (int d = 0; d < dim; d++) outer *= xs[d];
        for (int d = dim + 1; d < xs.length; d++) inner *= xs[d];
        double[] v = read(x);
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int best = 0;
                double bv = v[o * n * inner + i];
                for (int k = 1; k < n; k++) {
                    double c = v[(o * n + k) * inner + i];
                    if (c > bv || (Double.isNaN(c) && !Double.isNaN(bv))) {
                        bv = c;
                        best = k;
                    }
                }
                out[o * inner + i] = best;
            }
        int[] os = xs.clone();
        os[dim] = 1;
        return make(out, os, x.dtype());
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public Tensor matmul(Tensor a, Tensor b, int[] out) {
        int r = out.length;
        int m = out[r - 2], n = out[r - 1], k = a.shape(-1);
        int[] batch = java.util.Arrays.copyOf(out, r - 2);
        double[] av = read(a, Shapes.concat(batch, m, k)), bv = read(b, Shapes.concat(batch, k, n));
        int nb = Shapes.numel(batch);
        double[] c = new double[nb * m * n];
        for (int q = 0; q < nb; q++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += av[(q * m + i) * k + p] * bv[(q * k + p) * n + j];
                    c[(q * m + i) * n + j] = s;
                }
        return make(c, out, a.dtype());
    }

    // ------------------------------------------------------------------ convolution

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Conv2dParams p) {
        int[] xs = x.shape(), ws = w.shape();
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], co = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int ho = p.outH(h, kh), wo = p.outW(wd, kw), g = p.groups(), cog = co / g;
        double[] xv = read(x), wv = read(w);
        double[] y = new double[n * co * ho * wo];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < co; oc++) {
                int grp = oc / cog;
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double s = 0;
                        for (int ic = 0; ic < cg; ic++)
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * p.strideH() - p.padH() + ky * p.dilationH();
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * p.strideW() - p.padW() + kx * p.dilationW();
                                    if (ix < 0 || ix >= wd) continue;
                                    s += xv[((b * c + grp * cg + ic) * h + iy) * wd + ix] * wv[((oc * cg + ic) * kh + ky) * kw + kx];
                                }
                            }
                        y[((b * co + oc) * ho + oy) * wo + ox] = s;
                    }
            }
        return make(y, new int[] {n, co, ho, wo}, x.dtype());
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xs, Conv2dParams p) {
        int[] ws = w.shape();
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], co = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int ho = gy.shape(2), wo = gy.shape(3), cog = co / p.groups();
        double[] gv = read(gy), wv = read(w);
        double[] gx = new double[n * c * h * wd];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < co; oc++) {
                int grp = oc / cog;
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double gval = gv[((b * co + oc) * ho + oy) * wo + ox];
                        for (int ic = 0; ic < cg; ic++)
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * p.strideH() - p.padH() + ky * p.dilationH();
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * p.strideW() - p.padW() + kx * p.dilationW();
                                    if (ix < 0 || ix >= wd) continue;
                                    gx[((b * c + grp * cg + ic) * h + iy) * wd + ix] += gval * wv[((oc * cg + ic) * kh + ky) * kw + kx];
                                }
                            }
                    }
            }
        return make(gx, xs.clone(), gy.dtype());
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gy, Tensor x, int[] ws, Conv2dParams p) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], co = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int ho = gy.shape(2), wo = gy.shape(3), cog = co / p.groups();
        double[] gv = read(gy), xv = read(x);
        double[] gw = new double[co * cg * kh * kw];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < co; oc++) {
                int grp = oc / cog;
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double gval = gv[((b * co + oc) * ho + oy) * wo + ox];
                        for (int ic = 0; ic < cg; ic++)
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * p.strideH() - p.padH() + ky * p.dilationH();
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * p.strideW() - p.padW() + kx * p.dilationW();
                                    if (ix < 0 || ix >= wd) continue;
                                    gw[((oc * cg + ic) * kh + ky) * kw + kx] += gval * xv[((b * c + grp * cg + ic) * h + iy) * wd + ix];
                                }
                            }
                    }
            }
        return make(gw, ws.clone(), gy.dtype());
    }

    // ------------------------------------------------------------------ pooling

    @Override
    public Tensor[] maxPool2d(Tensor x, Pool2dParams p) {
        int[] xs = x.shape();
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = p.outH(h), wo = p.outW(w);
        double[] v = read(x);
        double[] y = new double[planes * ho * wo], idx = new double[planes * ho * wo];
        for (int pl = 0; pl < planes; pl++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double best = Double.NEGATIVE_INFINITY;
                    int bi = -1;
                    for (int ky = 0; ky < p.kernelH(); ky++) {
                        int iy = oy * p.strideH() - p.padH() + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < p.kernelW(); kx++) {
                            int ix = ox * p.strideW() - p.padW() + kx;
                            if (ix < 0 || ix >= w) continue;
                            double c = v[(pl * h + iy) * w + ix];
                            if (bi < 0 || c > best || Double.isNaN(c)) {
                                best = c;
                                bi = iy * w + ix;
                                if (Double.isNaN(c)) break;
                            }
                        }
                    }
                    y[(pl * ho + oy) * wo + ox] = best;
                    idx[(pl * ho + oy) * wo + ox] = bi;
                }
        int[] os = {xs[0], xs[1], ho, wo};
        return new Tensor[] {make(y, os, x.dtype()), make(idx, os, DType.F64)};
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gy, Tensor argmax, int[] xs) {
        int planes = xs[0] * xs[1], hw = xs[2] * xs[3];
        int[] gs = gy.shape();
        int ohw = gs[2] * gs[3];
        double[] g = read(gy), idx = read(argmax);
        double[] gx = new double[planes * hw];
        for (int pl = 0; pl < planes; pl++)
            for (int o = 0; o < ohw; o++) gx[pl * hw + (int) idx[pl * ohw + o]] += g[pl * ohw + o];
        return make(gx, xs.clone(), gy.dtype());
    }

    /** PyTorch's divisor for the window starting at (ys, xs): padded extent or valid count. */
    protected static int avgDivisor(Pool2dParams p, int h, int w, int oy, int ox) {
        int y0 = oy * p.strideH() - p.padH(), x0 = ox * p.strideW() - p.padW();
        int y1 = Math.min(y0 + p.kernelH(), h + p.padH()), x1 = Math.min(x0 + p.kernelW(), w + p.padW());
        if (p.countIncludePad()) return (y1 - y0) * (x1 - x0);
        return (Math.min(y1, h) - Math.max(y0, 0)) * (Math.min(x1, w) - Math.max(x0, 0));
    }

    @Override
    public Tensor avgPool2d(Tensor x, Pool2dParams p) {
        int[] xs = x.shape();
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3], ho = p.outH(h), wo = p.outW(w);
        double[] v = read(x);
        double[] y = new double[planes * ho * wo];
        for (int pl = 0; pl < planes; pl++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double s = 0;
                    for (int ky = 0; ky < p.kernelH(); ky++) {
                        int iy = oy * p.strideH() - p.padH() + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < p.kernelW(); kx++) {
                            int ix = ox * p.strideW() - p.padW() + kx;
                            if (ix >= 0 && ix < w) s += v[(pl * h + iy) * w + ix];
                        }
                    }
                    y[(pl * ho + oy) * wo + ox] = s / avgDivisor(p, h, w, oy, ox);
                }
        return make(y, new int[] {xs[0], xs[1], ho, wo}, x.dtype());
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gy, int[] xs, Pool2dParams p) {
        int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
        int ho = gy.shape(2), wo = gy.shape(3);
        double[] g = read(gy);
        double[] gx = new double[planes * h * w];
        for (int pl = 0; pl < planes; pl++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double gv = g[(pl * ho + oy) * wo + ox] / avgDivisor(p, h, w, oy, ox);
                    for (int ky = 0; ky < p.kernelH(); ky++) {
                        int iy = oy * p.strideH() - p.padH() + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < p.kernelW(); kx++) {
                            int ix = ox * p.strideW() - p.padW() + kx;
                            if (ix >= 0 && ix < w) gx[(pl * h + iy) * w + ix] += gv;
                        }
                    }
                }
        return make(gx, xs.clone(), gy.dtype());
    }

    // ------------------------------------------------------------------ normalization

    @Override
    public Tensor[] batchNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = Shapes.numel(xs) / Math.max(n * c, 1);
        double[] v = read(x), ga = read(gamma), be = read(beta);
        double[] mean = new double[c], inv = new double[c], y = new double[v.length];
        double m = (double) n * inner;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) s += v[(b * c + ch) * inner + i];
            double mu = s / m, q = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) {
                    double d = v[(b * c + ch) * inner + i] - mu;
                    q += d * d;
                }
            mean[ch] = mu;
            inv[ch] = 1.0 / Math.sqrt(q / m + eps);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) {
                    int k = (b * c + ch) * inner + i;
                    y[k] = (v[k] - mu) * inv[ch] * ga[ch] + be[ch];
                }
        }
        return new Tensor[] {make(y, xs, x.dtype()), make(mean, new int[] {c}, x.dtype()), make(inv, new int[] {c}, x.dtype())};
    }

    @Override
    public Tensor[] batchNormBackward(Tensor gy, Tensor x, Tensor gamma, Tensor meanT, Tensor invT) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = Shapes.numel(xs) / Math.max(n * c, 1);
        double[] g = read(gy), v = read(x), ga = read(gamma), mean = read(meanT), inv = read(invT);
        double[] dx = new double[v.length], dgamma = new double[c], dbeta = new double[c];
        double m = (double) n * inner;
        for (int ch = 0; ch < c; ch++) {
            double sg = 0, sgx = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) {
                    int k = (b * c + ch) * inner + i;
                    sg += g[k];
                    sgx += g[k] * (v[k] - mean[ch]) * inv[ch];
                }
            dbeta[ch] = sg;
            dgamma[ch] = sgx;
            double scale = ga[ch] * inv[ch] / m;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) {
                    int k = (b * c + ch) * inner + i;
                    double xhat = (v[k] - mean[ch]) * inv[ch];
                    dx[k] = scale * (m * g[k] - sg - xhat * sgx);
                }
        }
        return new Tensor[] {make(dx, xs, x.dtype()), make(dgamma, new int[] {c}, x.dtype()), make(dbeta, new int[] {c}, x.dtype())};
    }

    @Override
    public Tensor logSoftmax(Tensor x, int dim) {
        int[] xs = x.shape();
        int outer = 1, inner = 1, n = xs[dim];
        for (int d = 0; d < dim; d++) outer *= xs[d];
        for (int d = dim + 1; d < xs.length; d++) inner *= xs[d];
        double[] v = read(x);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                double mx = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) mx = Math.max(mx, v[(o * n + k) * inner + i]);
                double s = 0;
                for (int k = 0; k < n; k++) s += Math.exp(v[(o * n + k) * inner + i] - mx);
                double lse = mx + Math.log(s);
                for (int k = 0; k < n; k++) v[(o * n + k) * inner + i] -= lse;
            }
        return make(v, xs, x.dtype());
    }

    // ------------------------------------------------------------------ structure

    @Override
    public Tensor concat(Tensor[] xs, int dim, int[] out) {
        Tensor y = full(out, xs[0].dtype(), 0.0);
        int off = 0;
        for (Tensor t : xs) {
            int len = t.shape(dim);
            copyInto(viewNarrow(y, dim, off, len), t);
            off += len;
        }
        return y;
    }

    @Override
    public Tensor pad(Tensor x, int[] before, int[] after, double value) {
        int[] xs = x.shape();
        int[] os = xs.clone();
        for (int d = 0; d < xs.length; d++) os[d] += before[d] + after[d];
        Tensor y = full(os, x.dtype(), value);
        Tensor inner = y;
        for (int d = 0; d < xs.length; d++) inner = viewNarrow(inner, d, before[d], xs[d]);
        copyInto(inner, x);
        return y;
    }

    /** A narrow view built without autograd. */
    protected static Tensor viewNarrow(Tensor t, int dim, int start, int len) {
        int[] s = t.shape(), str = t.strides();
        s[dim] = len;
        return Tensor.wrap(t.storage(), s, str, t.offset() + start * str[dim]);
    }

    // ------------------------------------------------------------------ in place

    @Override
    public void copyInto(Tensor dst, Tensor src) {
        int[] ds = dst.shape();
        double[] v = read(src, ds);
        CpuStorage s = st(dst);
        StridedIndex it = new StridedIndex(ds, new int[][] {dst.strides()}, new int[] {dst.offset()});
        for (int i = 0; i < v.length; i++, it.next()) s.set(it.pos(0), v[i]);
    }

    @Override
    public void addInto(Tensor dst, Tensor src, double alpha) {
        int[] ds = dst.shape();
        double[] v = read(src, ds);
        CpuStorage s = st(dst);
        StridedIndex it = new StridedIndex(ds, new int[][] {dst.strides()}, new int[] {dst.offset()});
        for (int i = 0; i < v.length; i++, it.next()) s.set(it.pos(0), s.get(it.pos(0)) + alpha * v[i]);
    }

    @Override
    public void scaleInPlace(Tensor dst, double alpha) {
        CpuStorage s = st(dst);
        StridedIndex it = new StridedIndex(dst.shape(), new int[][] {dst.strides()}, new int[] {dst.offset()});
        for (int i = 0, n = dst.numel(); i < n; i++, it.next()) s.set(it.pos(0), s.get(it.pos(0)) * alpha);
    }

    /** Storage offsets of a contiguous in-place operand, checked. */
    protected static void requireDense(String op, Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && !t.isContiguous())
                throw new IllegalArgumentException("[" + op + "] in-place operands must be contiguous, got strides " + Shapes.str(t.strides()));
    }

    @Override
    public void sgdStep(Tensor p, Tensor g, Tensor buf, double lr, double momentum, double dampening, double wd, boolean nesterov,
            boolean first) {
        requireDense("sgd", p, buf);
        CpuStorage ps = st(p), bs = buf == null ? null : st(buf);
        double[] gv = read(g);
        int po = p.offset(), bo = buf == null ? 0 : buf.offset();
        for (int i = 0; i < gv.length; i++) {
            double pv = ps.get(po + i);
            double d = gv[i] + wd * pv;
            if (momentum != 0) {
                double b = first ? d : momentum * bs.get(bo + i) + (1 - dampening) * d;
                bs.set(bo + i, b);
                d = nesterov ? d + momentum * b : b;
            }
            ps.set(po + i, pv - lr * d);
        }
    }

    @Override
    public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double b1, double b2, double eps, double wd,
            boolean decoupled, long step) {
        requireDense("adam", p, m, v);
        CpuStorage ps = st(p), ms = st(m), vs = st(v);
        double[] gv = read(g);
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        int po = p.offset(), mo = m.offset(), vo = v.offset();
        for (int i = 0; i < gv.length; i++) {
            double pv = ps.get(po + i);
            double gi = gv[i];
            if (decoupled) pv -= lr * wd * pv;
            else gi += wd * pv;
            double mi = b1 * ms.get(mo + i) + (1 - b1) * gi;
            double vi = b2 * vs.get(vo + i) + (1 - b2) * gi * gi;
            ms.set(mo + i, mi);
            vs.set(vo + i, vi);
            double denom = Math.sqrt(vi) / Math.sqrt(bc2) + eps;
            ps.set(po + i, pv - lr / bc1 * mi / denom);
        }
    }

    @Override
    public double sumOfSquares(Tensor x) {
        double s = 0;
        for (double d : read(x)) s += d * d;
        return s;
    }

    @Override
    public long firstNonFinite(Tensor x) {
        double[] v = read(x);
        for (int i = 0; i < v.length; i++) if (!Double.isFinite(v[i])) return i;
        return -1;
    }

    @Override
    public double sparseRecodingSgd(Tensor grad, Tensor w, Tensor prior, Tensor buf, double threshold, double beta, double lr, double momentum,
            double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        double sum = sparseRecoding(grad, w, prior, threshold, beta);
        sgdStep(w, grad, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        return sum;
    }

    @Override
    public double sparseRecoding(Tensor grad, Tensor w, Tensor prior, double threshold, double beta) {
        requireDense("sparse_recoding", grad);
        CpuStorage gs = st(grad);
        double[] wv = read(w), av = read(prior);
        double sum = 0;
        int go = grad.offset();
        for (int i = 0; i < wv.length; i++) {
            if (Math.abs(av[i]) < threshold) continue;
            double d = wv[i] - av[i];
            gs.set(go + i, gs.get(go + i) + beta * d);
            sum += d * d;
        }
        return sum;
    }
}
