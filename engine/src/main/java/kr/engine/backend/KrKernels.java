package kr.engine.backend;

import kr.engine.Device;
import kr.engine.Tensor;

/**
 * Knowledge Representing's fused kernels, a {@link Backend#extension backend extension}: the sparse
 * recoding penalty applied to a student parameter's gradient in one pass, alone or fused with the
 * SGD step. The scalar backend's implementation is the reference; the vector and CUDA backends
 * are tested against it.
 *
 * <pre>{@code
 * double sum = KrKernels.of(w.device()).sparseRecoding(w.grad(), w, prior, threshold, beta);
 * }</pre>
 */
public interface KrKernels {
    /** The KR kernels of the backend that computes on {@code device}. */
    static KrKernels of(Device device) {
        Backend b = Backends.of(device);
        return b.extension(KrKernels.class)
                .orElseThrow(() -> new UnsupportedOperationException("[sparse_recoding] the " + b.name() + " backend of " + device + " has no KR kernels"));
    }

    /**
     * With {@code M = |prior| >= threshold}: {@code grad += beta * M * (w - prior)} in place; returns
     * {@code sum(M * (w - prior)^2)}. All three tensors have the same shape; grad is contiguous.
     */
    double sparseRecoding(Tensor grad, Tensor w, Tensor prior, double threshold, double beta);

    /**
     * {@link #sparseRecoding} followed by {@link Backend#sgdStep} on {@code w} with that gradient,
     * reading each tensor once where the backend fuses them; returns the penalty sum (w before the
     * step). {@code buf} may be null when momentum is 0.
     */
    double sparseRecodingSgd(Tensor grad, Tensor w, Tensor prior, Tensor buf, double threshold, double beta, double lr, double momentum,
            double dampening, double weightDecay, boolean nesterov, boolean firstStep);
}
