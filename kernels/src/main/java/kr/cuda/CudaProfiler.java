package kr.cuda;

import static kr.cuda.Launcher.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;
import kr.engine.backend.DeviceClock;

/**
 * The {@link DeviceClock} of a {@link CudaBackend}: each mark is a CUDA event recorded on the
 * backend's stream, so the engine's {@link kr.engine.backend.Profiler} times every backend call
 * (and trace scope) in GPU time; while it runs the {@link Launcher} also brackets each launch with
 * two marks and its kernel's name, so the trace shows which kernel variant ran. Nothing is timed
 * while a CUDA graph is being captured (a captured launch is timed by its replays, not here).
 *
 * <pre>{@code try (Profiler p = Profiler.start(Device.cuda(0), true)) { step(); p.close(); System.out.print(p.table()); } }</pre>
 */
public final class CudaProfiler implements DeviceClock {
    private final CudaBackend backend;
    private final CUevent origin = new CUevent();
    private final List<CUevent> marks = new ArrayList<>();
    private final List<Launch> launches = new ArrayList<>();
    private boolean stopped;

    private CudaProfiler(CudaBackend backend) {
        this.backend = backend;
        backend.synchronize(); // work queued before the clock starts is not its time
        check("profile", "cuEventCreate", JCudaDriver.cuEventCreate(origin, 0));
        check("profile", "cuEventRecord", JCudaDriver.cuEventRecord(origin, backend.context().stream()));
        backend.launcher().profiler(this);
    }

    /** Starts a clock on {@code backend}'s stream; stop it with {@link #stop()}. */
    public static CudaProfiler start(CudaBackend backend) {
        return new CudaProfiler(backend);
    }

    @Override
    public synchronized int mark() {
        if (stopped || backend.context().capturing()) return -1;
        CUevent e = new CUevent();
        check("profile", "cuEventCreate", JCudaDriver.cuEventCreate(e, 0));
        check("profile", "cuEventRecord", JCudaDriver.cuEventRecord(e, backend.context().stream()));
        marks.add(e);
        return marks.size() - 1;
    }

    /** Called by the launcher before a launch: the start mark of {@code kernel}. */
    synchronized Object before(String op, String kernel) {
        return new Object[] {op, kernel, mark()};
    }

    /** Called by the launcher after the launch was queued. */
    synchronized void after(Object token) {
        Object[] t = (Object[]) token;
        int start = (int) t[2], end = mark();
        if (start >= 0 && end >= 0) launches.add(new Launch((String) t[0], (String) t[1], start, end));
    }

    @Override
    public void synchronize() {
        backend.synchronize();
    }

    /** Stops: detaches from the launcher, waits for the device, reads every mark and frees the events. */
    @Override
    public synchronized Times stop() {
        if (stopped) throw new IllegalStateException("[profile] the CUDA clock was already stopped");
        stopped = true;
        backend.launcher().profiler(null);
        backend.synchronize();
        double[] us = new double[marks.size()];
        Arrays.fill(us, Double.NaN);
        float[] ms = new float[1];
        for (int i = 0; i < marks.size(); i++) {
            CUevent e = marks.get(i);
            if (JCudaDriver.cuEventElapsedTime(ms, origin, e) == jcuda.driver.CUresult.CUDA_SUCCESS) us[i] = ms[0] * 1e3;
            JCudaDriver.cuEventDestroy(e);
        }
        marks.clear();
        JCudaDriver.cuEventDestroy(origin);
        return new Times(us, List.copyOf(launches));
    }
}
