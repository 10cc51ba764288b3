package kr.cli;

import java.util.List;
import kr.engine.Device;
import kr.engine.EngineConfig;
import kr.engine.backend.Backends;
import kr.config.ConfigException;
import picocli.CommandLine.Option;

/** --threads, --backend, --device and --tf32, and installing them as the engine configuration before any tensor exists. */
final class EngineOptions {
    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores). Fixed threads give bit-reproducible runs.")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "CPU backend: vector (default) or scalar (the float64 reference, slow).")
    String backend;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--tf32", description = "cuda: matmul and convolutions on TF32 tensor cores (sm_80+; faster, ~1e-3 relative error).")
    boolean tf32;

    /**
     * Installs the engine configuration: {@code -Dkr.*} overrides, then these options. The thread count
     * sizes the compute pool, so this runs before the first tensor operation; returns what is in effect.
     */
    static Applied apply(Integer threads, String backend, boolean tf32) {
        if (threads != null && (threads <= 0 || threads > 1024)) throw new ConfigException("[threads] --threads must be in [1, 1024], got " + threads);
        EngineConfig c = Backends.config();
        if (threads != null) c = c.withThreads(threads);
        if (backend != null) {
            List<String> known = Backends.available(Device.Kind.CPU);
            if (!known.contains(backend)) throw new ConfigException("[backend] unknown CPU backend '" + backend + "'; available: " + known);
            c = c.withCpuBackend(backend);
        }
        if (tf32) c = c.withTf32(true);
        Backends.configure(c);
        return new Applied(c.threads(), Backends.defaultCpu().name());
    }

    Applied apply() {
        try {
            kr.engine.Device.parse(device == null ? "cpu" : device);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[engine] --device must be cpu, cuda or cuda:N, got '" + kr.io.Json.printable(device) + "'");
        }
        if (tf32 && (device == null || !device.startsWith("cuda"))) throw new ConfigException("[engine] --tf32 runs on cuda only; this command's device is " + device);
        return apply(threads, backend, tf32);
    }

    record Applied(int threads, String backend) {}
}
