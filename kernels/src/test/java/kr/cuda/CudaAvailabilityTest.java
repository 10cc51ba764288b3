package kr.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kr.engine.Device;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a machine without a GPU sees: the cuda provider is registered, says why it cannot run, never
 * throws from available(), and the CPU backends keep working. (On a GPU machine the
 * missing-driver checks are skipped and the provider must be available.)
 */
class CudaAvailabilityTest {
    @Test
    void theProviderIsRegisteredAndProbingNeverThrows() {
        boolean avail = assertDoesNotThrow(CudaDriver::available);
        List<String> ok = Backends.available(Device.Kind.CUDA);
        Map<String, String> not = Backends.unavailable(Device.Kind.CUDA);
        assertTrue(ok.contains("cuda") || not.containsKey("cuda"), "cuda is neither available nor listed as unavailable: " + ok + " " + not);
        if (!avail) {
            String why = CudaDriver.unavailableReason();
            assertTrue(why.matches("\\[cuda] .+"), why);
            assertTrue(not.get("cuda").equals(why), not.toString());
            System.out.println("[cuda availability] " + why);
        } else {
            assertTrue(CudaDriver.deviceCount() > 0);
        }
    }

    @Test
    void withoutADriverTheErrorSaysSoAndTheCpuKeepsWorking() {
        Assumptions.assumeFalse(CudaDriver.available(), "a CUDA driver is present here");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.zeros(2, 3).to(Device.cuda(0)));
        assertTrue(e.getMessage().contains("[backend] no usable backend for device cuda:0; cuda: [cuda] "), e.getMessage());
        // the CPU backends are untouched by the failed probe
        Tensor y = Tensor.of(new float[] {1, 2, 3}).mul(2.0).add(1.0);
        assertArrayEquals(new float[] {3, 5, 7}, y.toFloatArray());
    }

    @Test
    void thisMachineReportsTheMissingDriverClearly() {
        // The CPU machines of this project have no libcuda.so.1: the message must say "no CUDA driver".
        Assumptions.assumeFalse(CudaDriver.available(), "a CUDA driver is present here");
        Assumptions.assumeFalse(new java.io.File("/dev/nvidia0").exists(), "an NVIDIA device node exists here");
        String why = CudaDriver.unavailableReason();
        assertTrue(why.startsWith("[cuda] no CUDA driver: "), why);
    }
}
