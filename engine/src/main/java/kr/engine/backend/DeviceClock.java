package kr.engine.backend;

import java.util.List;

/**
 * Time on a device's own timeline, for the {@link Profiler}: marks queued on the backend's stream
 * behind the work queued so far, read back once the device has run them (CUDA: events). The
 * backend may also report the kernels it launched between marks, by name.
 *
 * <pre>{@code
 * DeviceClock c = backend.extension(DeviceProfiler.class).orElseThrow().startClock();
 * int a = c.mark(); y = x.matmul(w); int b = c.mark();
 * DeviceClock.Times t = c.stop(); double us = t.markUs()[b] - t.markUs()[a];
 * }</pre>
 */
public interface DeviceClock {
    /** One kernel launch seen while the clock ran: its op, its kernel's name and its start and end marks. */
    record Launch(String op, String kernel, int start, int end) {}

    /** Every mark's time in microseconds from the clock's start (NaN where not timed), and the launches. */
    record Times(double[] markUs, List<Launch> launches) {}

    /** Queues a mark behind the work queued so far; returns its index (0, 1, ...), or -1 where it cannot time (graph capture). */
    int mark();

    /** Waits until the device has run everything queued. */
    void synchronize();

    /** Stops the clock: waits for the device, reads every mark and frees them. Call once. */
    Times stop();
}
