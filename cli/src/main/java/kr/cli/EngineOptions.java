package kr.cli;

import java.util.List;
import kr.engine.Device;
import kr.engine.backend.Backends;
import kr.engine.backend.vector.Parallel;
import kr.train.ConfigException;
import picocli.CommandLine.Option;

/** --threads, --backend and --device, and applying them to the engine before any tensor exists. */
final class EngineOptions {
    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores). Fixed threads give bit-reproducible runs.")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "CPU backend: vector (default) or scalar (the float64 reference, slow).")
    String backend;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    /** Same as -Dkr.tf32=true: set while parsing, before any CUDA kernel runs. */
    @Option(names = "--tf32", description = "cuda: matmul and convolutions on TF32 tensor cores (sm_80+; faster, ~1e-3 relative error).")
    void tf32(boolean on) {
        if (on) System.setProperty("kr.tf32", "true");
    }

    /**
     * Sets the thread count and default CPU backend; returns the effective ones. The thread count
     * is read once, when the compute pool starts, so this must run before the first tensor operation.
     */
    static Applied apply(Integer threads, String backend) {
        if (threads != null) {
            if (threads <= 0) throw new ConfigException("[threads] --threads must be positive, got " + threads);
            System.setProperty("kr.threads", Integer.toString(threads));
        }
        int actual = Parallel.threads();
        if (threads != null && actual != threads)
            throw new IllegalStateException("[threads] the compute pool already runs " + actual + " threads; --threads " + threads + " came too late");
        if (backend != null) {
            List<String> known = Backends.available(Device.Kind.CPU);
            if (!known.contains(backend)) throw new ConfigException("[backend] unknown CPU backend '" + backend + "'; available: " + known);
            Backends.setDefaultCpu(backend);
        }
        return new Applied(actual, Backends.defaultCpu().name());
    }

    record Applied(int threads, String backend) {}
}
