package kr.cuda;

import kr.engine.backend.GpuTest;
import static org.junit.jupiter.api.Assertions.assertTrue;

import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.Tolerances;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The TF32 tensor-core GEMM and convolutions (mma.sync, sm_80+) against the float64 reference within
 * {@link Tolerances#TF32}, and proof that they ran: results differ from the fp32 kernels' (TF32 drops
 * 13 mantissa bits of every operand).
 */
@GpuTest
class Tf32Test {
    static final Backend REF = Backends.cpu("scalar");

    static CudaBackend tf32Backend() {
        CudaBackend be = Gpu.backend();
        Assumptions.assumeTrue(be.context().computeCapability() >= 80, () -> "TF32 needs sm_80+, this is " + be.context());
        return be;
    }

    /** Checks got against the reference and returns max |got - fp32|. */
    static double check(String what, Tensor tf32, Tensor fp32, Tensor ref) {
        float[] g = tf32.toFloatArray(), f = fp32.toFloatArray();
        double[] e = ref.toDoubleArray();
        CudaBackendTest.close(Tolerances.TF32, what, Gpu.f64(g), e);
        double diff = 0;
        for (int i = 0; i < g.length; i++) diff = Math.max(diff, Math.abs(g[i] - f[i]));
        assertTrue(diff > 0, what + ": TF32 and fp32 results are identical: did the tensor-core kernel run?");
        System.out.printf("[tf32] %s: max |tf32 - fp32| = %.3g%n", what, diff);
        return diff;
    }

    @Test
    void matmul() {
        CudaBackend be = tf32Backend();
        Rng r = new Rng(7);
        Device cuda = Device.cuda(0);
        for (int[] mkn : new int[][] {{200, 256, 300}, {129, 77, 131}, {1, 256, 8}}) {
            Tensor a = Tensor.uniform(r, -1, 1, mkn[0], mkn[1]), b = Tensor.uniform(r, -1, 1, mkn[1], mkn[2]);
            int[] out = {mkn[0], mkn[2]};
            Tensor fp32 = be.matmul(a.to(cuda), b.to(cuda), out);
            Tensor tf;
            try (var s = Backends.configure(Backends.config().withTf32(true))) {
                tf = be.matmul(a.to(cuda), b.to(cuda), out);
            }
            check("matmul " + java.util.Arrays.toString(mkn), tf, fp32, REF.matmul(a.to(DType.F64), b.to(DType.F64), out));
        }
    }

    @Test
    void convolutionForwardAndBackward() {
        CudaBackend be = tf32Backend();
        Rng r = new Rng(8);
        Device cuda = Device.cuda(0);
        Tensor x = Tensor.uniform(r, -1, 1, 4, 16, 16, 16), w = Tensor.uniform(r, -1, 1, 16, 16, 3, 3), gy = Tensor.uniform(r, -1, 1, 4, 16, 16, 16);
        Conv2dParams p = Conv2dParams.of(1, 1);
        Tensor x64 = x.to(DType.F64), w64 = w.to(DType.F64), gy64 = gy.to(DType.F64);
        Tensor[] fp32 = {be.conv2d(x.to(cuda), w.to(cuda), p), be.conv2dBackwardInput(gy.to(cuda), w.to(cuda), x.shape(), p),
            be.conv2dBackwardWeight(gy.to(cuda), x.to(cuda), w.shape(), p)};
        Tensor[] tf;
        try (var s = Backends.configure(Backends.config().withTf32(true))) {
            tf = new Tensor[] {be.conv2d(x.to(cuda), w.to(cuda), p), be.conv2dBackwardInput(gy.to(cuda), w.to(cuda), x.shape(), p),
                be.conv2dBackwardWeight(gy.to(cuda), x.to(cuda), w.shape(), p)};
        }
        check("conv2d", tf[0], fp32[0], REF.conv2d(x64, w64, p));
        check("conv2dBackwardInput", tf[1], fp32[1], REF.conv2dBackwardInput(gy64, w64, x.shape(), p));
        check("conv2dBackwardWeight", tf[2], fp32[2], REF.conv2dBackwardWeight(gy64, x64, w.shape(), p));
    }
}
