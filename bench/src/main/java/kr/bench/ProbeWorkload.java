package kr.bench;

/**
 * A workload {@link Probe} can time for bench/compare.py. Built-ins cover GEMM and convolutions;
 * more (a ResNet-20 training step, say) are found through {@link java.util.ServiceLoader}: implement
 * this interface and list the class in {@code META-INF/services/kr.bench.ProbeWorkload}.
 */
public interface ProbeWorkload {
    /** The first word of the probe command, e.g. {@code gemm}. */
    String name();

    /** Builds the inputs for {@code args}, checks the result against a reference, and returns the timed body. */
    Timed prepare(String[] args);

    interface Timed {
        void run();

        /** Floating-point operations of one run (0 when not meaningful). */
        double flop();
    }
}
