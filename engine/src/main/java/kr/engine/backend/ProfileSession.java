package kr.engine.backend;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A profiling session whatever the device ({@link Profiling#start}): the CPU's {@link Profiler} or
 * a device backend's ({@link DeviceProfiler}). Close it before reading the table or the trace.
 */
public interface ProfileSession extends AutoCloseable {
    /** Waits for queued device work (a no-op on the CPU), so host timings cover it. */
    void synchronize();

    /** Per-kernel table: calls, total ms, mean us, share of the wall time. */
    String table();

    /** The recorded kernels as Chrome trace-event JSON (empty unless started with trace). */
    void writeChromeTrace(Path file) throws IOException;

    @Override
    void close();
}
