package kr.nn;

import kr.engine.DType;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.Pool2dParams;
import kr.engine.primitives.AvgPool2d;
import kr.engine.primitives.BatchNorm;
import kr.engine.primitives.Conv2d;
import kr.engine.primitives.LogSoftmax;
import kr.engine.primitives.MaxPool2d;

/**
 * Layers and losses as functions (torch.nn.functional). All are compositions of primitives, so
 * their gradients come from the primitives' vjps.
 *
 * <pre>{@code Tensor loss = F.crossEntropy(model.forward(x), labels, 0.1); }</pre>
 */
public final class F {
    private F() {}

    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (w.dim() != 2 || x.dim() < 1 || x.shape(-1) != w.shape(1))
            throw new IllegalArgumentException("[linear] input " + Shapes.str(x.shape()) + " does not fit weight " + Shapes.str(w.shape()));
        Tensor y = x.matmul(w.t());
        return b == null ? y : y.add(b);
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, Conv2dParams p) {
        Tensor y = Conv2d.apply(x, w, p);
        return b == null ? y : y.add(b.reshape(1, -1, 1, 1));
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, int stride, int padding) {
        return conv2d(x, w, b, Conv2dParams.of(stride, padding));
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return MaxPool2d.apply(x, Pool2dParams.of(kernel, stride, padding));
    }

    public static Tensor maxPool2d(Tensor x, Pool2dParams p) {
        return MaxPool2d.apply(x, p);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return AvgPool2d.apply(x, Pool2dParams.of(kernel, stride, padding));
    }

    public static Tensor avgPool2d(Tensor x, Pool2dParams p) {
        return AvgPool2d.apply(x, p);
    }

    /** Adaptive average pooling to {@code [oh, ow]} with PyTorch's window bounds. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int oh, int ow) {
        if (x.dim() != 4) throw new IllegalArgumentException("[adaptive_avg_pool2d] expects [N, C, H, W], got " + Shapes.str(x.shape()));
        int h = x.shape(2), w = x.shape(3);
        if (oh <= 0 || ow <= 0) throw new IllegalArgumentException("[adaptive_avg_pool2d] output size must be positive, got " + oh + "x" + ow);
        if (oh == 1 && ow == 1) return x.mean(new int[] {2, 3}, true);
        if (h % oh == 0 && w % ow == 0) return avgPool2d(x, new Pool2dParams(h / oh, w / ow, h / oh, w / ow, 0, 0, false, true));
        java.util.List<Tensor> rows = new java.util.ArrayList<>();
        for (int i = 0; i < oh; i++) {
            int h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
            java.util.List<Tensor> cols = new java.util.ArrayList<>();
            for (int j = 0; j < ow; j++) {
                int w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
                cols.add(x.narrow(2, h0, h1 - h0).narrow(3, w0, w1 - w0).mean(new int[] {2, 3}, true));
            }
            rows.add(Tensor.cat(cols, 3));
        }
        return Tensor.cat(rows, 2);
    }

    /**
     * Batch normalization over dim 1. In training the batch statistics normalize and the running
     * statistics (if given) are updated in place with {@code momentum}; in eval the running ones are used.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
            double momentum, double eps) {
        return batchNorm(x, null, runningMean, runningVar, weight, bias, training, momentum, eps, false);
    }

    /**
     * {@code relu(batchNorm(...))}; in training one fused primitive whose backward needs no
     * pre-ReLU output (conv-bn-relu), in eval the affine map then ReLU.
     *
     * <pre>{@code Tensor h = F.batchNormRelu(conv.forward(x), bn.runningMean, bn.runningVar, bn.weight, bn.bias, true, 0.1, 1e-5);}</pre>
     */
    public static Tensor batchNormRelu(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
            double momentum, double eps) {
        return batchNorm(x, null, runningMean, runningVar, weight, bias, training, momentum, eps, true);
    }

    /**
     * {@code relu(batchNorm(...) + residual)} (a residual block's end), residual of x's shape; in
     * training one fused primitive that keeps neither the sum nor the normalized values.
     *
     * <pre>{@code Tensor out = F.batchNormAddRelu(conv2.forward(h), skip, bn.runningMean, bn.runningVar, bn.weight, bn.bias, true, 0.1, 1e-5);}</pre>
     */
    public static Tensor batchNormAddRelu(Tensor x, Tensor residual, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            boolean training, double momentum, double eps) {
        return batchNorm(x, residual, runningMean, runningVar, weight, bias, training, momentum, eps, true);
    }

    private static Tensor batchNorm(Tensor x, Tensor residual, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            boolean training, double momentum, double eps, boolean relu) {
        int c = x.dim() >= 2 ? x.shape(1) : -1;
        if (weight == null) weight = Tensor.full(1.0, x.dtype(), x.device(), c);
        if (bias == null) bias = Tensor.full(0.0, x.dtype(), x.device(), c);
        if (training || runningMean == null) {
            BatchNorm.Result r = residual != null ? BatchNorm.applyAddRelu(x, weight, bias, residual, eps) : BatchNorm.apply(x, weight, bias, eps, relu);
            if (training && runningMean != null) {
                try (var ng = Grad.noGrad()) {
                    long n = x.numel() / c;
                    // running_var uses the unbiased batch variance, as in PyTorch
                    Tensor var = r.invstd().pow(-2).sub(eps).mul((double) n / Math.max(n - 1, 1));
                    var be = Backends.of(x.device());
                    be.scaleInPlace(runningMean, 1 - momentum);
                    be.addInto(runningMean, r.mean(), momentum);
                    be.scaleInPlace(runningVar, 1 - momentum);
                    be.addInto(runningVar, var, momentum);
                }
            }
            return r.y();
        }
        int[] bshape = new int[x.dim()];
        java.util.Arrays.fill(bshape, 1);
        bshape[1] = c;
        Tensor scale = weight.div(runningVar.add(eps).sqrt());
        Tensor shift = bias.sub(runningMean.mul(scale));
        Tensor y = x.mul(scale.reshape(bshape)).add(shift.reshape(bshape));
        if (residual != null) y = y.add(residual);
        return relu ? y.relu() : y;
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** Inverted dropout: zeroes with probability p and scales survivors by 1/(1-p). */
    public static Tensor dropout(Tensor x, double p, boolean training, Rng rng) {
        if (p < 0 || p > 1) throw new IllegalArgumentException("[dropout] probability must be in [0, 1], got " + p);
        if (!training || p == 0) return x;
        if (p == 1) return x.mul(0.0);
        int n = x.numel();
        float[] m = new float[n];
        float keep = (float) (1 / (1 - p));
        for (int i = 0; i < n; i++) m[i] = rng.nextDouble() >= p ? keep : 0f;
        Tensor mask = Tensor.of(m, n).reshape(x.shape()).to(x.dtype()).to(x.device());
        return x.mul(mask);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return LogSoftmax.apply(x, dim);
    }

    public static Tensor softmax(Tensor x, int dim) {
        return LogSoftmax.apply(x, dim).exp();
    }

    /** One-hot rows {@code [N, classes]} for integer labels. */
    public static Tensor oneHot(int[] labels, int classes, DType dtype, kr.engine.Device device) {
        double[] d = new double[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes)
                throw new IllegalArgumentException("[one_hot] label " + labels[i] + " at position " + i + " is outside [0, " + classes + ")");
            d[i * classes + labels[i]] = 1;
        }
        return Tensor.of(d, labels.length, classes).to(dtype).to(device);
    }

    /**
     * Mean cross-entropy of logits {@code [N, C]} against integer labels, with label smoothing
     * {@code eps} (targets (1-eps)*onehot + eps/C, as torch.nn.CrossEntropyLoss).
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels, double labelSmoothing) {
        if (logits.dim() != 2 || logits.shape(0) != labels.length)
            throw new IllegalArgumentException("[cross_entropy] logits " + Shapes.str(logits.shape()) + " do not match " + labels.length + " labels");
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new IllegalArgumentException("[cross_entropy] label smoothing must be in [0, 1], got " + labelSmoothing);
        int c = logits.shape(1);
        Tensor target = oneHot(labels, c, logits.dtype(), logits.device());
        if (labelSmoothing > 0) target = target.mul(1 - labelSmoothing).add(labelSmoothing / c);
        return crossEntropy(logits, target);
    }

    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return crossEntropy(logits, labels, 0.0);
    }

    /** Mean over rows of {@code -sum(target * log_softmax(logits))} for soft targets {@code [N, C]}. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        if (!Shapes.same(logits.shape(), target.shape()))
            throw new IllegalArgumentException("[cross_entropy] logits " + Shapes.str(logits.shape()) + " and targets "
                    + Shapes.str(target.shape()) + " differ");
        return logSoftmax(logits, 1).mul(target).sum().neg().div(logits.shape(0));
    }

    /**
     * Hinton's distillation loss: {@code T^2 * KL(softmax(t/T) || softmax(s/T))}, averaged over the
     * batch (torch's {@code kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') * T*T}).
     */
    public static Tensor klDiv(Tensor studentLogits, Tensor teacherLogits, double temperature) {
        if (!Shapes.same(studentLogits.shape(), teacherLogits.shape()) || studentLogits.dim() != 2)
            throw new IllegalArgumentException("[kl_div] student " + Shapes.str(studentLogits.shape()) + " and teacher "
                    + Shapes.str(teacherLogits.shape()) + " logits must be equal [N, C]");
        if (!(temperature > 0)) throw new IllegalArgumentException("[kl_div] temperature must be positive, got " + temperature);
        Tensor ls = logSoftmax(studentLogits.div(temperature), 1);
        Tensor lt = logSoftmax(teacherLogits.div(temperature), 1);
        return lt.exp().mul(lt.sub(ls)).sum().div(studentLogits.shape(0)).mul(temperature * temperature);
    }

    public static Tensor mse(Tensor a, Tensor b) {
        Tensor d = a.sub(b);
        return d.mul(d).mean();
    }

    public static Tensor l1(Tensor a, Tensor b) {
        return a.sub(b).abs().mean();
    }

    /** Fraction of rows whose argmax equals the label. */
    public static double accuracy(Tensor logits, int[] labels) {
        float[] p = logits.argmax(1, false).toFloatArray();
        int ok = 0;
        for (int i = 0; i < labels.length; i++) if ((int) p[i] == labels[i]) ok++;
        return labels.length == 0 ? 0 : (double) ok / labels.length;
    }
}
