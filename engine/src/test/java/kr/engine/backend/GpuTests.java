package kr.engine.backend;

import kr.engine.Device;
import org.junit.jupiter.api.Assumptions;

/** For GPU tests outside the CUDA module: device cuda:0, or a skip that says why there is none. */
public final class GpuTests {
    private GpuTests() {}

    public static Device cuda() {
        Assumptions.assumeTrue(!Backends.available(Device.Kind.CUDA).isEmpty(), () -> "no usable GPU: "
                + (Backends.unavailable(Device.Kind.CUDA).isEmpty() ? "no cuda backend on the class path" : Backends.unavailable(Device.Kind.CUDA)));
        return Device.cuda(0);
    }
}
