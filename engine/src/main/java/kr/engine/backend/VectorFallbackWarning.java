package kr.engine.backend;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Says once per process that the CPU default fell back to the scalar reference backend because the
 * JVM lacks {@code --add-modules jdk.incubator.vector}; silent when a backend was chosen by name.
 * Logged at WARNING on the {@code kr.engine.backend} {@link System.Logger} (java.util.logging,
 * i.e. stderr, unless the application routes it elsewhere).
 */
final class VectorFallbackWarning {
    static final String MESSAGE = "[backend] the JVM was started without --add-modules jdk.incubator.vector: kr falls back to the"
            + " scalar float64 reference backend, many times slower than the vector backend. Add --add-modules jdk.incubator.vector"
            + " to the java command (or choose a backend explicitly with -Dkr.backend=scalar to silence this warning).";
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private VectorFallbackWarning() {}

    /**
     * Warns (once) when no backend was forced, the chosen one is not "vector" and the vector
     * provider is present but unavailable.
     */
    static void check(String forced, String chosen) {
        if (forced != null && !forced.isBlank()) return;
        if ("vector".equals(chosen) || !Backends.unavailable(kr.engine.Device.Kind.CPU).containsKey("vector")) return;
        if (WARNED.compareAndSet(false, true)) System.getLogger("kr.engine.backend").log(System.Logger.Level.WARNING, MESSAGE);
    }
}
