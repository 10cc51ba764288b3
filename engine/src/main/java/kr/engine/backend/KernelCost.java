package kr.engine.backend;

import kr.engine.Tensor;

/**
 * The work of one kernel call, from its arguments: floating-point operations and the bytes it must
 * move (every input element read once, every output element written once: the compulsory traffic a
 * roofline compares with memory bandwidth; a kernel whose data stays in cache can beat it). One
 * table for every {@link Backend} and {@link KrKernels} method, so profilers of all devices agree.
 *
 * <p>FLOPs count a multiply-add as two. Convolutions (forward and both backward passes):
 * {@code 2*N*Co*Ho*Wo*(C/groups)*kh*kw}; matmul: {@code 2*M*N*K*batch}; elementwise ops one per
 * output element (a transcendental counts as one too); reductions one per input element; pooling
 * one per window element; batch norm about 8 per element forward and 10 backward; log-softmax 5;
 * SGD 2 to 9 and Adam 12 per parameter; copies, casts, padding and concatenation none.
 *
 * <pre>{@code
 * KernelCost c = KernelCost.of("conv2d", new Object[] {x, w, Conv2dParams.of(1, 1)}, y);
 * double gflopPerSecond = c.flops() / seconds / 1e9;
 * }</pre>
 *
 * @param flops floating-point operations
 * @param bytes bytes read and written (compulsory traffic)
 */
public record KernelCost(double flops, double bytes) {
    public static final KernelCost ZERO = new KernelCost(0, 0);

    /** FLOPs per byte moved (0 when nothing moves). */
    public double intensity() {
        return bytes > 0 ? flops / bytes : 0;
    }

    /**
     * The cost of calling backend method {@code method} with {@code args} (as the {@link Backend}
     * interface declares them) that returned {@code result} (a tensor, tensors, or null).
     * Methods it does not know cost the bytes of their tensor arguments and results, and no FLOPs.
     */
    public static KernelCost of(String method, Object[] args, Object result) {
        Object[] a = args == null ? new Object[0] : args;
        double out = bytes(result);
        switch (method) {
            case "full":
                return new KernelCost(0, out);
            case "unary":
            case "pow":
            case "binary":
            case "compare":
            case "where":
            case "reluBackward":
                return new KernelCost(numel(result), tensorBytes(a) + out);
            case "reduce":
            case "argmax":
                return new KernelCost(numel(a[1] instanceof Tensor ? a[1] : a[0]), tensorBytes(a) + out);
            case "matmul": {
                Tensor x = (Tensor) a[0];
                int[] os = (int[]) a[2];
                double batch = 1;
                for (int i = 0; i < os.length - 2; i++) batch *= os[i];
                return new KernelCost(2.0 * batch * os[os.length - 2] * os[os.length - 1] * x.shape(-1), tensorBytes(a) + out);
            }
            case "conv2d": {
                Tensor x = (Tensor) a[0], w = (Tensor) a[1];
                Conv2dParams p = (Conv2dParams) a[2];
                int ho = p.outH(x.shape(2), w.shape(2)), wo = p.outW(x.shape(3), w.shape(3));
                return new KernelCost(convFlops(x.shape(0), w, ho, wo), tensorBytes(a) + out);
            }
            case "conv2dBackwardInput": { // (gy, w, xShape, p)
                Tensor gy = (Tensor) a[0], w = (Tensor) a[1];
                return new KernelCost(convFlops(gy.shape(0), w, gy.shape(2), gy.shape(3)), tensorBytes(a) + out);
            }
            case "conv2dBackwardWeight": { // (gy, x, wShape, p)
                Tensor gy = (Tensor) a[0];
                int[] ws = (int[]) a[2];
                double f = 2.0 * gy.shape(0) * gy.shape(1) * gy.shape(2) * gy.shape(3) * ws[1] * ws[2] * ws[3];
                return new KernelCost(f, tensorBytes(a) + out);
            }
            case "maxPool2d":
            case "avgPool2d": {
                Pool2dParams p = (Pool2dParams) a[1];
                Tensor y = result instanceof Tensor[] r ? r[0] : (Tensor) result;
                return new KernelCost((double) y.numel() * p.kernelH() * p.kernelW(), tensorBytes(a) + out);
            }
            case "maxPool2dBackward":
                return new KernelCost(numel(a[0]), tensorBytes(a) + out);
            case "avgPool2dBackward": {
                Pool2dParams p = (Pool2dParams) a[2];
                return new KernelCost(numel(a[0]) * p.kernelH() * p.kernelW(), tensorBytes(a) + out);
            }
            case "batchNorm": // sum, centred sum of squares, normalise, scale and shift
                return new KernelCost(8 * numel(a[0]), tensorBytes(a) + out);
            case "batchNormRelu": // the same and a max with zero
                return new KernelCost(9 * numel(a[0]), tensorBytes(a) + out);
            case "batchNormAddRelu": // the same and the residual's add
                return new KernelCost(10 * numel(a[0]), tensorBytes(a) + out);
            case "batchNormBackward": // two reductions (dbeta, dgamma) and the dx expression
                return new KernelCost(10 * numel(a[0]), tensorBytes(a) + out);
            case "batchNormReluBackward": // the same on the gradient masked by y > 0 (y read in both passes)
                return new KernelCost(11 * numel(a[0]), tensorBytes(a) + out);
            case "logSoftmax": // max, subtract, exp, sum, subtract the log
                return new KernelCost(5 * numel(a[0]), tensorBytes(a) + out);
            case "copyInto": // dst is written, not read
                return new KernelCost(0, distinctBytes((Tensor) a[1]) + bytesOf((Tensor) a[0]));
            case "addInto": // dst += alpha * src
                return new KernelCost(2 * numel(a[0]), 2 * bytesOf((Tensor) a[0]) + distinctBytes((Tensor) a[1]));
            case "scaleInPlace":
                return new KernelCost(numel(a[0]), 2 * bytesOf((Tensor) a[0]));
            case "sgdStep": // (p, g, buf, lr, momentum, dampening, wd, nesterov, first)
                return sgd((Tensor) a[0], a[2] != null, (double) a[6] != 0, (boolean) a[7]);
            case "adamStep": { // p, g, m, v read; p, m, v written
                Tensor p = (Tensor) a[0];
                return new KernelCost(12 * (double) p.numel(), 7 * bytesOf(p));
            }
            case "sumOfSquares":
                return new KernelCost(2 * numel(a[0]), bytesOf((Tensor) a[0]));
            case "firstNonFinite":
                return new KernelCost(numel(a[0]), bytesOf((Tensor) a[0]));
            case "sparseRecoding": { // grad, w, prior read; grad written
                Tensor g = (Tensor) a[0];
                return new KernelCost(6 * (double) g.numel(), 4 * bytesOf(g));
            }
            case "sparseRecodingSgd": { // (grad, w, prior, buf, threshold, beta, lr, momentum, dampening, wd, nesterov, first)
                Tensor g = (Tensor) a[0];
                KernelCost s = sgd((Tensor) a[1], a[3] != null, (double) a[9] != 0, (boolean) a[10]);
                return new KernelCost(6 * (double) g.numel() + s.flops, 2 * bytesOf(g) + s.bytes);
            }
            default: // copy, cast, concat, pad, fromArray, toDoubleArray, ...: data movement only
                return new KernelCost(0, tensorBytes(a) + out);
        }
    }

    /** {@code 2 * N * Co * Ho * Wo * (C/groups) * kh * kw} for weight {@code w [Co, C/groups, kh, kw]}. */
    private static double convFlops(int n, Tensor w, int ho, int wo) {
        return 2.0 * n * w.shape(0) * ho * wo * w.shape(1) * w.shape(2) * w.shape(3);
    }

    /** p and g read, p written; with momentum buf read and written. */
    private static KernelCost sgd(Tensor p, boolean momentum, boolean decay, boolean nesterov) {
        double n = p.numel();
        double perElement = 2 + (decay ? 2 : 0) + (momentum ? 3 : 0) + (nesterov ? 2 : 0);
        return new KernelCost(perElement * n, (momentum ? 5 : 3) * bytesOf(p));
    }

    /**
     * The shapes of a call, compactly, for traces and per-shape tables: tensor arguments, then the
     * convolution or pooling geometry, then the result, e.g.
     * {@code [128,16,32,32] [16,16,3,3] s1 p1 -> [128,16,32,32]}.
     */
    public static String shapes(Object[] args, Object result) {
        StringBuilder sb = new StringBuilder();
        if (args != null) {
            for (Object o : args) {
                if (o instanceof Tensor t) append(sb, t.shape());
                else if (o instanceof Tensor[] ts) for (Tensor t : ts) append(sb, t.shape());
                else if (o instanceof Conv2dParams p) {
                    sb.append(sb.length() > 0 ? " " : "").append(p.strideH() == p.strideW() ? "s" + p.strideH() : "s" + p.strideH() + "x" + p.strideW())
                            .append(p.padH() == p.padW() ? " p" + p.padH() : " p" + p.padH() + "x" + p.padW());
                    if (p.groups() > 1) sb.append(" g").append(p.groups());
                    if (p.dilationH() > 1 || p.dilationW() > 1) sb.append(" d").append(p.dilationH());
                } else if (o instanceof Pool2dParams p) {
                    sb.append(sb.length() > 0 ? " " : "").append("k").append(p.kernelH()).append(" s").append(p.strideH()).append(" p").append(p.padH());
                }
            }
        }
        if (result instanceof Tensor t) append(sb.append(" ->"), t.shape());
        else if (result instanceof Tensor[] ts && ts.length > 0) append(sb.append(" ->"), ts[0].shape());
        return sb.toString().trim();
    }

    private static void append(StringBuilder sb, int[] shape) {
        if (sb.length() > 0) sb.append(' ');
        sb.append('[');
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? "," : "").append(shape[i]);
        sb.append(']');
    }

    private static double numel(Object o) {
        if (o instanceof Tensor t) return t.numel();
        if (o instanceof Tensor[] ts && ts.length > 0) return ts[0].numel();
        return 0;
    }

    private static double bytesOf(Tensor t) {
        return (double) t.numel() * t.dtype().bytes();
    }

    /** Bytes of the elements a view really reaches: a broadcast (stride 0) dim is read once. */
    private static double distinctBytes(Tensor t) {
        double n = t.dtype().bytes();
        int[] s = t.shape(), st = t.strides();
        for (int i = 0; i < s.length; i++) if (st[i] != 0) n *= s[i];
        return n;
    }

    private static double tensorBytes(Object[] args) {
        double b = 0;
        for (Object o : args) {
            if (o instanceof Tensor t) b += distinctBytes(t);
            else if (o instanceof Tensor[] ts) for (Tensor t : ts) if (t != null) b += distinctBytes(t);
        }
        return b;
    }

    private static double bytes(Object result) {
        if (result instanceof Tensor t) return bytesOf(t);
        if (result instanceof Tensor[] ts) {
            double b = 0;
            for (Tensor t : ts) if (t != null) b += bytesOf(t);
            return b;
        }
        if (result instanceof float[] f) return 4.0 * f.length;
        if (result instanceof double[] d) return 8.0 * d.length;
        return 0;
    }
}
