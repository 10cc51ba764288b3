package kr.bench;

/**
 * A workload {@link Probe} can time for bench/compare.py. Built-ins cover GEMM, convolutions and
 * training steps; more are found through {@link java.util.ServiceLoader}: implement this interface
 * and list the class in {@code META-INF/services/kr.bench.ProbeWorkload}.
 *
 * <p>The contract that keeps the comparison honest: {@link #prepare} runs the workload once on its
 * real inputs and checks the result against a reference (float64 or the scalar backend), throwing
 * if it is wrong; only then does it return the body to time. {@link Timed#check()} says what was
 * checked, and the probe refuses to time a workload that names no check.
 */
public interface ProbeWorkload {
    /** The first word of the probe command, e.g. {@code gemm}. */
    String name();

    /** Builds the inputs for {@code args}, checks the result against a reference (throwing if wrong), and returns the timed body. */
    Timed prepare(String[] args);

    interface Timed {
        void run();

        /** Floating-point operations of one run (0 when not meaningful). */
        double flop();

        /** What {@link ProbeWorkload#prepare} checked the result against, e.g. "all outputs vs the float64 scalar backend"; never blank. */
        String check();

        /** Extra facts for the {@code prepare} reply (e.g. a model's parameter count), numbers or strings. */
        default java.util.Map<String, Object> facts() {
            return java.util.Map.of();
        }
    }
}
