package kr.nn;

import kr.engine.Tensor;

/**
 * Batch normalization over channels (works for [N, C] and [N, C, H, W]); weight 1, bias 0, running
 * mean 0 and variance 1 at start, momentum 0.1, eps 1e-5, as in PyTorch.
 */
public class BatchNorm2d extends Module {
    public final Tensor weight, bias, runningMean, runningVar;
    /** Training batches seen (PyTorch's num_batches_tracked, kept so state dicts have the same keys). */
    public final Tensor numBatchesTracked;
    public final double momentum, eps;

    public BatchNorm2d(int channels) {
        this(channels, 0.1, 1e-5);
    }

    public BatchNorm2d(int channels, double momentum, double eps) {
        this.momentum = momentum;
        this.eps = eps;
        weight = param("weight", Tensor.ones(channels));
        bias = param("bias", Tensor.zeros(channels));
        runningMean = buffer("running_mean", Tensor.zeros(channels));
        runningVar = buffer("running_var", Tensor.ones(channels));
        numBatchesTracked = optionalBuffer("num_batches_tracked", Tensor.zeros(kr.engine.DType.F64));
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var s = traced()) {
            countBatch();
            return F.batchNorm(x, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
        }
    }

    /**
     * {@code forward(x).relu()} in one primitive (conv-bn-relu blocks): one pass less over the data
     * each way, and the pre-ReLU output is not kept for backward. Same values and gradients.
     */
    public Tensor forwardRelu(Tensor x) {
        try (var s = traced()) {
            countBatch();
            return F.batchNormRelu(x, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
        }
    }

    /**
     * {@code forward(x).add(residual).relu()} in one primitive (a residual block's end), residual of
     * x's shape. Same values and gradients; the sum before the ReLU is not kept.
     */
    public Tensor forwardAddRelu(Tensor x, Tensor residual) {
        try (var s = traced()) {
            countBatch();
            return F.batchNormAddRelu(x, residual, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
        }
    }

    private void countBatch() {
        if (!isTraining()) return;
        try (var ng = kr.engine.Grad.noGrad()) {
            kr.engine.backend.Backends.of(numBatchesTracked.device()).addInto(numBatchesTracked, numBatchesTracked.like(1.0), 1.0);
        }
    }
}
