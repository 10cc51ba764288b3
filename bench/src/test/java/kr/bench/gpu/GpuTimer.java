package kr.bench.gpu;

import static kr.cuda.Launcher.check;

import java.util.Arrays;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;
import kr.cuda.CudaBackend;

/**
 * GPU time of device work between two CUDA events on the backend's stream (excludes the host's
 * time unless the host is the bottleneck): the median over {@code rounds} rounds of {@code reps}
 * calls, after 3 warm-up calls. For {@link GpuBench} and {@link GpuSpeed}.
 *
 * <pre>{@code double ms = GpuTimer.ms(backend, 10, 5, () -> backend.copy(x)); }</pre>
 */
final class GpuTimer {
    private GpuTimer() {}

    /** Milliseconds per call of {@code f}. */
    static double ms(CudaBackend be, int reps, int rounds, Runnable f) {
        for (int i = 0; i < 3; i++) f.run();
        CUevent s = new CUevent(), e = new CUevent();
        check("bench", "cuEventCreate", JCudaDriver.cuEventCreate(s, 0));
        check("bench", "cuEventCreate", JCudaDriver.cuEventCreate(e, 0));
        double[] ms = new double[rounds];
        float[] t = new float[1];
        try {
            for (int k = 0; k < ms.length; k++) {
                check("bench", "cuEventRecord", JCudaDriver.cuEventRecord(s, be.context().stream()));
                for (int i = 0; i < reps; i++) f.run();
                check("bench", "cuEventRecord", JCudaDriver.cuEventRecord(e, be.context().stream()));
                check("bench", "cuEventSynchronize", JCudaDriver.cuEventSynchronize(e));
                check("bench", "cuEventElapsedTime", JCudaDriver.cuEventElapsedTime(t, s, e));
                ms[k] = t[0] / reps;
            }
        } finally {
            JCudaDriver.cuEventDestroy(s);
            JCudaDriver.cuEventDestroy(e);
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }
}
