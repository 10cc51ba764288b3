package kr.engine.backend;

import kr.engine.Device;

/**
 * Service-provider entry for a backend ({@code META-INF/services/kr.engine.backend.BackendProvider}).
 * Among providers for the same device kind the available one with the highest priority is the default.
 */
public interface BackendProvider {
    String name();

    Device.Kind deviceKind();

    int priority();

    /** Whether this backend can run in this process (e.g. a CUDA driver is present). */
    boolean available();

    /** Why {@link #available()} is false, for error messages. */
    default String unavailableReason() {
        return "";
    }

    Backend create(Device device);

    /**
     * Applies process-wide settings that outlive any one backend instance (the CPU compute pool's
     * threads); called by {@link Backends#configure}. Per-call settings are read from {@link Backends#config()}.
     */
    default void configure(kr.engine.EngineConfig config) {}
}
