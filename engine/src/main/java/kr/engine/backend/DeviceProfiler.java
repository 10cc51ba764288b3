package kr.engine.backend;

/**
 * A device backend's timing for the {@link Profiler}, a {@link Backend#extension backend extension}:
 * a clock on the device's timeline (CUDA: events on the backend's stream) and the device's peaks.
 *
 * <pre>{@code try (Profiler p = Profiler.start(Device.parse("cuda"), true)) { steps(); p.close(); System.out.print(p.table()); } }</pre>
 */
public interface DeviceProfiler {
    /** Starts a clock on the backend's stream; the caller stops it. */
    DeviceClock startClock();

    /** The device's float32 compute and memory bandwidth peaks (measured or from its specification; {@link MachinePeak#compute()} says which). */
    MachinePeak peak();
}
