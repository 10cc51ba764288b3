package kr.engine.backend;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kr.engine.Device;
import kr.io.AtomicFiles;

/**
 * Times every kernel call of a backend: wraps it in a proxy that measures each {@link Backend}
 * method (wall clock on the calling thread; kernels parallelise inside), aggregates per kernel and
 * optionally records a Chrome trace (open it in Perfetto or chrome://tracing).
 *
 * <pre>{@code
 * try (Profiler p = Profiler.start(Device.CPU, true)) { trainStep(); System.out.print(p.table()); p.writeChromeTrace(path); }
 * }</pre>
 */
public final class Profiler implements AutoCloseable {
    /** One kernel's totals. */
    public record Row(String kernel, long calls, double totalMs, double meanUs, double share) {}

    private static final class Stat {
        long calls;
        long nanos;
    }

    private final Map<String, Stat> stats = new LinkedHashMap<>();
    private final List<long[]> events = new ArrayList<>(); // {name index, start ns, duration ns}
    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> nameIndex = new LinkedHashMap<>();
    private final boolean trace;
    private final long origin = System.nanoTime();
    private final Backends.Scope scope;
    private long wallStart = System.nanoTime(), wallNanos = -1;

    private Profiler(Backend inner, boolean trace) {
        this.trace = trace;
        Backend proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, handler(inner));
        this.scope = Backends.use(proxy);
    }

    /** Profiles every kernel the CPU backend of this thread runs until {@link #close()}. */
    public static Profiler start(Device device, boolean trace) {
        if (device.kind() != Device.Kind.CPU)
            throw new IllegalArgumentException("[profile] the proxy profiler wraps CPU backends; device backends time their kernels with events");
        return new Profiler(Backends.of(device), trace);
    }

    private InvocationHandler handler(Object inner) {
        return (proxy, m, args) -> {
            String name = m.getName();
            if (name.equals("name") || name.equals("device") || name.equals("toString") || name.equals("hashCode") || name.equals("equals"))
                return m.invoke(inner, args);
            if (name.equals("extension") && inner instanceof Backend b) return timedExtension(b, (Class<?>) args[0]);
            if (args != null && args.length > 0 && args[0] instanceof Enum<?> e) name = name + "." + e.name().toLowerCase(Locale.ROOT);
            long t0 = System.nanoTime();
            try {
                return m.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                long dt = System.nanoTime() - t0;
                synchronized (this) {
                    Stat s = stats.computeIfAbsent(name, k -> new Stat());
                    s.calls++;
                    s.nanos += dt;
                    if (trace) events.add(new long[] {index(name), t0 - origin, dt});
                }
            }
        };
    }

    /** The backend's extension with its calls timed too (sparse recoding shows up as a kernel). */
    private java.util.Optional<?> timedExtension(Backend inner, Class<?> type) {
        return inner.extension(type).map(x -> type.isInterface() ? Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler(x)) : x);
    }

    private int index(String name) {
        return nameIndex.computeIfAbsent(name, k -> {
            names.add(k);
            return names.size() - 1;
        });
    }

    /** Restarts the wall clock the shares refer to (e.g. after warm-up steps) and clears the counts. */
    public synchronized void reset() {
        stats.clear();
        events.clear();
        wallStart = System.nanoTime();
    }

    /** Kernels by total time, with their share of the wall time since start (or the last reset). */
    public synchronized List<Row> rows() {
        double wall = (wallNanos >= 0 ? wallNanos : System.nanoTime() - wallStart) / 1e6;
        List<Row> r = new ArrayList<>();
        stats.forEach((k, s) -> r.add(new Row(k, s.calls, s.nanos / 1e6, s.nanos / 1e3 / s.calls, s.nanos / 1e6 / wall)));
        r.sort((a, b) -> Double.compare(b.totalMs(), a.totalMs()));
        return r;
    }

    /** A printable table: kernel, calls, total ms, mean us, share of wall time; and the untimed rest. */
    public String table() {
        List<Row> rows = rows();
        double wall = (wallNanos >= 0 ? wallNanos : System.nanoTime() - wallStart) / 1e6, kernels = 0;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-34s %8s %11s %11s %7s%n", "kernel", "calls", "total ms", "mean us", "share"));
        for (Row r : rows) {
            kernels += r.totalMs();
            sb.append(String.format(Locale.ROOT, "%-34s %8d %11.1f %11.1f %6.1f%%%n", r.kernel(), r.calls(), r.totalMs(), r.meanUs(), 100 * r.share()));
        }
        sb.append(String.format(Locale.ROOT, "%-34s %8s %11.1f %11s %6.1f%%%n", "(outside kernels: autograd, Java)", "", wall - kernels, "",
                100 * (wall - kernels) / wall));
        sb.append(String.format(Locale.ROOT, "%-34s %8s %11.1f%n", "wall", "", wall));
        return sb.toString();
    }

    /** Writes the recorded calls as Chrome trace-event JSON ("X" events, microseconds). */
    public synchronized void writeChromeTrace(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("{\"traceEvents\":[\n");
        for (int i = 0; i < events.size(); i++) {
            long[] e = events.get(i);
            sb.append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"cat\":\"kernel\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":1}%s%n",
                    names.get((int) e[0]), e[1] / 1e3, e[2] / 1e3, i + 1 < events.size() ? "," : ""));
        }
        sb.append("],\"displayTimeUnit\":\"ms\"}\n");
        AtomicFiles.writeString(file, sb.toString());
    }

    /** Stops profiling (the backend of this thread is restored); the numbers stay readable. */
    @Override
    public void close() {
        if (wallNanos < 0) wallNanos = System.nanoTime() - wallStart;
        scope.close();
    }

}
