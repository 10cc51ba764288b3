package kr.engine.backend;

import java.io.IOException;
import java.nio.file.Path;
import kr.engine.Device;

/**
 * Starts the profiler that fits a device: the engine's proxy {@link Profiler} for the CPU (host
 * time per kernel call), the backend's {@link DeviceProfiler} extension elsewhere (CUDA: GPU time
 * per launch, from events).
 *
 * <pre>{@code try (ProfileSession p = Profiling.start(Device.parse("cuda"), true)) { steps(); p.close(); print(p.table()); } }</pre>
 */
public final class Profiling {
    private Profiling() {}

    public static ProfileSession start(Device device, boolean trace) {
        if (device.kind() == Device.Kind.CPU) return new CpuSession(Profiler.start(device, trace));
        Backend b = Backends.of(device);
        return b.extension(DeviceProfiler.class)
                .orElseThrow(() -> new IllegalArgumentException("[profile] the " + b.name() + " backend of " + device + " has no profiler"))
                .startProfile(trace);
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
