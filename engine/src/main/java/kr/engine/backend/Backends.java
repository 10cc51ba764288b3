package kr.engine.backend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import kr.engine.Device;
import kr.engine.EngineConfig;
import kr.engine.Grad;

/**
 * The one place that maps a device to the backend that computes on it. Op code asks
 * {@code Backends.of(device)} and never branches on the device itself.
 *
 * <p>It also holds the process's {@link EngineConfig} (threads, kernel choices, CUDA switches),
 * installed once by the command line or an API user with {@link #configure}; backends read their
 * settings from {@link #config()}. The CPU backend is the highest-priority provider ("vector"),
 * unless the configuration names another, or for a scope:
 *
 * <pre>{@code
 * try (var s = Backends.use("scalar")) { ... every CPU op here runs on the reference backend ... }
 * }</pre>
 */
public final class Backends {
    private static final List<BackendProvider> PROVIDERS = new ArrayList<>();
    private static final Map<String, Backend> CPU_BACKENDS = new HashMap<>();
    private static final Map<Device, Backend> DEVICE_BACKENDS = new HashMap<>();
    private static final ThreadLocal<Backend> CPU_OVERRIDE = new ThreadLocal<>();
    // a device backend replaced on one thread (a profiler's proxy); one at a time per thread
    private static final ThreadLocal<Backend> DEVICE_OVERRIDE = new ThreadLocal<>();
    private static final ThreadLocal<Device> DEVICE_OVERRIDE_OF = new ThreadLocal<>();
    private static volatile int deviceOverrides; // threads with a device override; 0 keeps of() free of thread-local reads
    private static volatile Backend defaultCpu;
    private static volatile EngineConfig config = EngineConfig.fromSystemProperties();

    static {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) PROVIDERS.add(p);
        PROVIDERS.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
    }

    private Backends() {}

    /** The installed engine configuration (before any {@link #configure}: the defaults with {@code -Dkr.*} overrides). */
    public static EngineConfig config() {
        return config;
    }

    /**
     * Installs {@code c} for the whole process: the compute pool gets its thread count, the default
     * CPU backend its name (checked against the available ones) and autograd its anomaly switch.
     * Call it before the first tensor operation (the CLI does, once); the returned scope reinstates
     * the previous configuration (tests that try another kernel path).
     */
    public static synchronized Scope configure(EngineConfig c) {
        EngineConfig prev = config;
        Backend prevCpu = defaultCpu;
        if (c.cpuBackend() != null && !available(Device.Kind.CPU).contains(c.cpuBackend()))
            throw new IllegalArgumentException("[backend] unknown CPU backend '" + c.cpuBackend() + "'; available: " + available(Device.Kind.CPU));
        config = c;
        for (BackendProvider p : PROVIDERS) p.configure(c);
        defaultCpu = null;
        Grad.setAnomaly(c.anomaly());
        return () -> {
            synchronized (Backends.class) {
                config = prev;
                for (BackendProvider p : PROVIDERS) p.configure(prev);
                defaultCpu = prevCpu;
                Grad.setAnomaly(prev.anomaly());
            }
        };
    }

    /** The backend that computes on {@code device}. */
    public static Backend of(Device device) {
        if (device.kind() == Device.Kind.CPU) {
            Backend o = CPU_OVERRIDE.get();
            return o != null ? o : defaultCpu();
        }
        if (deviceOverrides != 0 && device.equals(DEVICE_OVERRIDE_OF.get())) return DEVICE_OVERRIDE.get();
        synchronized (DEVICE_BACKENDS) {
            Backend b = DEVICE_BACKENDS.get(device);
            if (b == null) {
                b = create(device, null);
                DEVICE_BACKENDS.put(device, b);
            }
            return b;
        }
    }

    /** The CPU backend called {@code name} ("scalar", "vector"). */
    public static Backend cpu(String name) {
        synchronized (CPU_BACKENDS) {
            return CPU_BACKENDS.computeIfAbsent(name, n -> create(Device.CPU, n));
        }
    }

    /** Names of the providers for a device kind that can run here, best first. */
    public static List<String> available(Device.Kind kind) {
        List<String> r = new ArrayList<>();
        for (BackendProvider p : PROVIDERS) if (p.deviceKind() == kind && p.available()) r.add(p.name());
        return r;
    }

    /**
     * Providers for a device kind that are present but cannot run here, each with its reason (e.g.
     * cuda without a driver), so that tests and tools can say why instead of silently skipping.
     */
    public static Map<String, String> unavailable(Device.Kind kind) {
        Map<String, String> r = new java.util.LinkedHashMap<>();
        for (BackendProvider p : PROVIDERS) if (p.deviceKind() == kind && !p.available()) r.put(p.name(), p.unavailableReason());
        return r;
    }

    /** Makes the CPU backend {@code name} current on this thread until the scope closes. */
    public static Scope use(String name) {
        Backend prev = CPU_OVERRIDE.get();
        CPU_OVERRIDE.set(cpu(name));
        return () -> CPU_OVERRIDE.set(prev);
    }

    /**
     * Makes {@code backend} the backend of its device on this thread until the scope closes
     * (profilers wrap one this way). On a device other than the CPU one override per thread at a time.
     */
    public static Scope use(Backend backend) {
        Device d = backend.device();
        if (d.kind() == Device.Kind.CPU) {
            Backend prev = CPU_OVERRIDE.get();
            CPU_OVERRIDE.set(backend);
            return () -> CPU_OVERRIDE.set(prev);
        }
        if (DEVICE_OVERRIDE_OF.get() != null)
            throw new IllegalStateException("[backend] this thread already overrides the backend of " + DEVICE_OVERRIDE_OF.get() + "; close that scope first");
        DEVICE_OVERRIDE.set(backend);
        DEVICE_OVERRIDE_OF.set(d);
        synchronized (Backends.class) {
            deviceOverrides++;
        }
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (closed) return;
                closed = true;
                DEVICE_OVERRIDE.remove();
                DEVICE_OVERRIDE_OF.remove();
                synchronized (Backends.class) {
                    deviceOverrides--;
                }
            }
        };
    }

    public static Backend defaultCpu() {
        Backend b = defaultCpu;
        if (b == null) {
            synchronized (Backends.class) {
                if (defaultCpu == null) {
                    String named = config.cpuBackend();
                    defaultCpu = cpu(named != null ? named : available(Device.Kind.CPU).get(0));
                    VectorFallbackWarning.check(named, defaultCpu.name());
                }
                b = defaultCpu;
            }
        }
        return b;
    }

    private static Backend create(Device device, String name) {
        StringBuilder why = new StringBuilder();
        for (BackendProvider p : PROVIDERS) {
            if (p.deviceKind() != device.kind() || (name != null && !p.name().equals(name))) continue;
            if (p.available()) return p.create(device);
            why.append(" ").append(p.name()).append(": ").append(p.unavailableReason()).append(';');
        }
        List<String> names = new ArrayList<>();
        for (BackendProvider p : PROVIDERS) names.add(p.name() + "(" + p.deviceKind() + ")");
        throw new IllegalStateException("[backend] no usable backend " + (name == null ? "" : "'" + name + "' ") + "for device " + device
                + (why.length() > 0 ? ";" + why : "") + " known providers: " + names);
    }

    /** A scope that restores the previous backend; closing never throws. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
