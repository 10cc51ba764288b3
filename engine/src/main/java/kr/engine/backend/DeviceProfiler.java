package kr.engine.backend;

/**
 * A device backend's own profiler, a {@link Backend#extension backend extension} (the CUDA backend
 * times each launch with events); {@link Profiling#start} finds it.
 */
public interface DeviceProfiler {
    /** Starts timing every kernel this backend runs; {@code trace} also records a Chrome trace. */
    ProfileSession startProfile(boolean trace);
}
