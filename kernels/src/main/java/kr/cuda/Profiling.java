package kr.cuda;

import java.io.IOException;
import java.nio.file.Path;
import kr.engine.Device;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.Profiler;

/**
 * Starts the profiler that fits a device: the engine's proxy {@link Profiler} for the CPU (host
 * time per kernel call), a {@link CudaProfiler} for CUDA (GPU time per launch, CUDA events).
 *
 * <pre>{@code try (ProfileSession p = Profiling.start(Device.parse("cuda"), true)) { steps(); p.close(); print(p.table()); } }</pre>
 */
public final class Profiling {
    private Profiling() {}

    public static ProfileSession start(Device device, boolean trace) {
        if (device.kind() == Device.Kind.CPU) return new CpuSession(Profiler.start(device, trace));
        Backend b = Backends.of(device);
        if (!(b instanceof CudaBackend c)) throw new IllegalArgumentException("[profile] no profiler for the " + b.name() + " backend of " + device);
        return CudaProfiler.start(c, trace);
    }

    private record CpuSession(Profiler p) implements ProfileSession {
        @Override
        public void synchronize() {}

        @Override
        public String table() {
            return p.table();
        }

        @Override
        public void writeChromeTrace(Path file) throws IOException {
            p.writeChromeTrace(file);
        }

        @Override
        public void close() {
            p.close();
        }
    }
}
