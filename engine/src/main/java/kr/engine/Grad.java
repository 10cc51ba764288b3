package kr.engine;

/**
 * Switches for autograd recording and anomaly detection.
 *
 * <pre>{@code
 * try (var ng = Grad.noGrad()) { Tensor y = model.forward(x); }   // nothing recorded
 * try (var an = Grad.detectAnomaly()) { loss.backward(); }         // names the op that made a NaN
 * }</pre>
 */
public final class Grad {
    private static final ThreadLocal<int[]> NO_GRAD = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile boolean anomaly = kr.engine.backend.Backends.config().anomaly();

    private Grad() {}

    /** Whether operations on this thread record a graph. */
    public static boolean enabled() {
        return NO_GRAD.get()[0] == 0;
    }

    /** Disables recording on this thread until the returned scope closes (scopes nest). */
    public static Scope noGrad() {
        int[] c = NO_GRAD.get();
        c[0]++;
        return () -> c[0]--;
    }

    public static boolean anomalyEnabled() {
        return anomaly;
    }

    public static void setAnomaly(boolean on) {
        anomaly = on;
    }

    /** Enables anomaly detection (every forward output and backward gradient is checked for NaN/Inf). */
    public static Scope detectAnomaly() {
        boolean prev = anomaly;
        anomaly = true;
        return () -> anomaly = prev;
    }

    /** A scope whose close never throws. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
