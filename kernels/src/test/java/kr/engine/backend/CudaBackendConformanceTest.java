package kr.engine.backend;

import java.util.List;
import java.util.stream.Stream;
import kr.engine.Device;

/**
 * The engine's {@link BackendConformanceTest}, every kernel family, for the cuda backend only (the
 * engine module runs it for the CPU backends). The cuda target comes from ServiceLoader like any
 * backend; without a usable GPU every test shows as skipped with the provider's reason, e.g.
 * {@code cuda@cuda:0 cannot run here: [cuda] no CUDA driver: ...}.
 */
@GpuTest
class CudaBackendConformanceTest extends BackendConformanceTest {
    /** Hides the suite's targets(): cuda only, runnable or a visible skip. */
    static Stream<Target> targets() {
        List<Target> t = deviceTargets(Device.Kind.CUDA);
        if (t.isEmpty()) t.add(new Target("cuda", Device.cuda(0), "the cuda provider is not registered (META-INF/services of kr-kernels missing?)"));
        return t.stream();
    }
}
