package kr.cuda;

import static kr.cuda.Launcher.check;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;
import kr.engine.backend.ProfileSession;
import kr.io.AtomicFiles;

/**
 * Times every kernel a {@link CudaBackend} launches with CUDA events (GPU time, not host time):
 * a per-kernel table (calls, total ms, mean us, share of the wall time) and a Chrome trace whose
 * timestamps are GPU times from the session's start. The CPU's {@link kr.engine.backend.Profiler}
 * wraps CPU backends only; {@link kr.engine.backend.Profiling} picks the right one for a device.
 *
 * <pre>{@code try (CudaProfiler p = CudaProfiler.start(backend, true)) { step(); p.close(); System.out.print(p.table()); } }</pre>
 */
public final class CudaProfiler implements ProfileSession {
    private record Mark(String key, CUevent start, CUevent end) {}

    private record Span(String key, double startUs, double durUs) {}

    private final CudaBackend backend;
    private final boolean trace;
    private final CUevent origin = new CUevent();
    private final List<Mark> marks = new ArrayList<>();
    private final List<Span> spans = new ArrayList<>();
    private long wallStart;
    private long wallNanos = -1;

    private CudaProfiler(CudaBackend backend, boolean trace) {
        this.backend = backend;
        this.trace = trace;
        backend.synchronize(); // work queued before the session is not its wall time
        check("profile", "cuEventCreate", JCudaDriver.cuEventCreate(origin, 0));
        check("profile", "cuEventRecord", JCudaDriver.cuEventRecord(origin, backend.context().stream()));
        backend.launcher().profiler(this);
        wallStart = System.nanoTime();
    }

    /** Starts timing every launch of {@code backend} until {@link #close()}. */
    public static CudaProfiler start(CudaBackend backend, boolean trace) {
        return new CudaProfiler(backend, trace);
    }

    synchronized Object before(String op, String kernel) {
        CUevent s = new CUevent(), e = new CUevent();
        check(op, "cuEventCreate", JCudaDriver.cuEventCreate(s, 0));
        check(op, "cuEventCreate", JCudaDriver.cuEventCreate(e, 0));
        check(op, "cuEventRecord", JCudaDriver.cuEventRecord(s, backend.context().stream()));
        Mark m = new Mark(op + " [" + kernel + "]", s, e);
        marks.add(m);
        return m;
    }

    synchronized void after(Object mark) {
        Mark m = (Mark) mark;
        check("profile", "cuEventRecord", JCudaDriver.cuEventRecord(m.end(), backend.context().stream()));
    }

    @Override
    public void synchronize() {
        backend.synchronize();
    }

    /** Stops timing: waits for the device, resolves every event into a span and frees the events. */
    @Override
    public synchronized void close() {
        if (wallNanos >= 0) return;
        backend.launcher().profiler(null);
        backend.synchronize();
        wallNanos = System.nanoTime() - wallStart;
        float[] ms = new float[1];
        for (Mark m : marks) {
            check("profile", "cuEventElapsedTime", JCudaDriver.cuEventElapsedTime(ms, m.start(), m.end()));
            float dur = ms[0];
            check("profile", "cuEventElapsedTime", JCudaDriver.cuEventElapsedTime(ms, origin, m.start()));
            spans.add(new Span(m.key(), ms[0] * 1e3, dur * 1e3));
            JCudaDriver.cuEventDestroy(m.start());
            JCudaDriver.cuEventDestroy(m.end());
        }
        marks.clear();
        JCudaDriver.cuEventDestroy(origin);
    }

    private void requireClosed() {
        if (wallNanos < 0) throw new IllegalStateException("[profile] close the CUDA profiler before reading it (it synchronises the device)");
    }

    /** Kernels by total GPU time: key, calls, total ms, mean us. */
    public synchronized List<Object[]> rows() {
        requireClosed();
        Map<String, double[]> agg = new LinkedHashMap<>();
        for (Span s : spans) {
            double[] a = agg.computeIfAbsent(s.key(), k -> new double[2]);
            a[0]++;
            a[1] += s.durUs();
        }
        List<Object[]> r = new ArrayList<>();
        agg.forEach((k, a) -> r.add(new Object[] {k, (long) a[0], a[1] / 1e3, a[1] / a[0]}));
        r.sort((x, y) -> Double.compare((double) y[2], (double) x[2]));
        return r;
    }

    @Override
    public synchronized String table() {
        requireClosed();
        double wall = wallNanos / 1e6, kernels = 0;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-58s %8s %11s %11s %7s%n", "kernel (GPU time, CUDA events)", "calls", "total ms", "mean us", "share"));
        for (Object[] r : rows()) {
            double total = (double) r[2];
            kernels += total;
            sb.append(String.format(Locale.ROOT, "%-58s %8d %11.3f %11.1f %6.1f%%%n", r[0], (long) r[1], total, (double) r[3], 100 * total / wall));
        }
        sb.append(String.format(Locale.ROOT, "%-58s %8s %11.1f %11s %6.1f%%%n", "(GPU idle or busy outside kr's kernels: launches, copies, Java)", "", wall - kernels, "",
                100 * (wall - kernels) / wall));
        sb.append(String.format(Locale.ROOT, "%-58s %8s %11.1f%n", "wall", "", wall));
        return sb.toString();
    }

    @Override
    public synchronized void writeChromeTrace(Path file) throws IOException {
        requireClosed();
        StringBuilder sb = new StringBuilder("{\"traceEvents\":[\n");
        List<Span> shown = trace ? spans : List.of();
        for (int i = 0; i < shown.size(); i++) {
            Span s = shown.get(i);
            sb.append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"cat\":\"cuda\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":1}%s%n",
                    s.key().replace("\"", "'"), s.startUs(), s.durUs(), i + 1 < shown.size() ? "," : ""));
        }
        sb.append("],\"displayTimeUnit\":\"ms\"}\n");
        AtomicFiles.writeString(file, sb.toString());
    }
}
