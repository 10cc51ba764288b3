package kr.engine.backend;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance suite's convolution cases on each cuda algorithm in turn (kr.cuda.conv=gemm
 * forces implicit GEMM even for depthwise, direct forces the direct kernels for every conv), so
 * both stay correct whichever the automatic choice picks; gemm16 ... gemm128 force each block tile of
 * the implicit GEMM. Skipped, with the reason, without a GPU.
 */
@GpuTest
class CudaConvPathsTest {
    @ParameterizedTest
    @ValueSource(strings = {"gemm", "direct", "gemm16", "gemm32", "gemm64", "gemm128"})
    void conv2dOnEachPath(String mode) {
        BackendConformanceTest.Target t = CudaBackendConformanceTest.targets().findFirst().orElseThrow();
        try (var s = Backends.configure(Backends.config().withCudaConv(mode))) {
            new CudaBackendConformanceTest().conv2d(t);
        }
    }
}
