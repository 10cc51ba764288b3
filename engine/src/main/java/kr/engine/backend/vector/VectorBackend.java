package kr.engine.backend.vector;

import kr.engine.backend.scalar.ScalarBackend;

/**
 * The fast CPU backend: float32 kernels on the Vector API ({@code jdk.incubator.vector}),
 * multi-threaded through {@link Parallel}. Anything it does not specialise (float64, unusual
 * layouts) falls through to the reference implementation it extends.
 */
public class VectorBackend extends ScalarBackend {
    @Override
    public String name() {
        return "vector";
    }

    // ================================================================== matmul and convolution
    // (Gemm, ConvKernels) -- overrides of matmul, conv2d, conv2dBackwardInput, conv2dBackwardWeight go here

    // ================================================================== end of matmul and convolution

    // ================================================================== elementwise, reductions, normalization,
    // pooling, softmax, structure and in-place kernels go below

    // ================================================================== end
}
