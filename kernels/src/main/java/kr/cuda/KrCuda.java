package kr.cuda;

import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;

/**
 * KR's fused GPU kernels beyond the {@link Backend} interface.
 *
 * <pre>{@code
 * double penalty = KrCuda.sparseRecodingSgd(w.grad(), w, prior, momentumBuf, thr, beta, lr, 0.9, 0, 5e-4, false, first);
 * }</pre>
 */
public final class KrCuda {
    private KrCuda() {}

    /**
     * Sparse recoding and the SGD step of one parameter in a single pass over memory: with
     * {@code M = |prior| >= threshold}, {@code grad += beta*M*(w - prior)}, then {@link Backend#sgdStep}
     * on {@code w} with that gradient. Returns {@code sum(M*(w - prior)^2)} (w before the step).
     * The same as {@code sparseRecoding} followed by {@code sgdStep}, reading each tensor once.
     */
    public static double sparseRecodingSgd(Tensor grad, Tensor w, Tensor prior, Tensor buf, double threshold, double beta, double lr, double momentum,
            double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        Backend b = Backends.of(w.device());
        if (!(b instanceof CudaBackend c))
            throw new IllegalArgumentException("[sparse_recoding_sgd] the fused kernel runs on cuda; the weight is on " + w.device());
        return c.sparseRecodingSgd(grad, w, prior, buf, threshold, beta, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }
}
