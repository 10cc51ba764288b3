package kr.cuda;

import kr.engine.Device;
import kr.engine.backend.Backends;
import org.junit.jupiter.api.Assumptions;

/** The cuda backend of device 0 for a GPU test, or a skip that says why there is none. */
final class Gpu {
    private Gpu() {}

    static CudaBackend backend() {
        Assumptions.assumeTrue(CudaDriver.available(), () -> "no usable GPU: " + CudaDriver.unavailableReason());
        return (CudaBackend) Backends.of(Device.cuda(0));
    }

    static double[] f64(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
