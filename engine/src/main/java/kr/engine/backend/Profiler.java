package kr.engine.backend;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import kr.engine.Device;
import kr.engine.Trace;
import kr.io.AtomicFiles;
import kr.io.Json;

/**
 * Times every kernel call of a backend, on the CPU and on devices alike: a proxy around the
 * {@link Backend} of this thread sees each method with its arguments, so it knows the work
 * ({@link KernelCost}: FLOPs and bytes) and the shapes; the time comes from the host clock on
 * the CPU (kernels parallelise inside the call) and from the device's own timeline elsewhere
 * ({@link DeviceProfiler}: CUDA events). It also follows the thread's {@link Trace} scopes (steps,
 * phases, layers), so the table can say what a kernel achieves next to the machine's
 * {@link MachinePeak peak} (a small roofline) and the Chrome trace can show steps, forward and
 * backward and layers with their shapes (open it in Perfetto or chrome://tracing).
 *
 * <pre>{@code
 * try (Profiler p = Profiler.start(Device.CPU, true)) {
 *     try (var s = Trace.step(0)) { trainStep(); }
 *     p.close();
 *     System.out.print(p.table());
 *     p.writeChromeTrace(Path.of("trace.json"));
 * }
 * }</pre>
 */
public final class Profiler implements AutoCloseable, Trace.Recorder {
    /** One kernel's (or one kernel-and-shapes') totals; NaN FLOPs where its cost is unknown. */
    public record Row(String kernel, long calls, double totalMs, double meanUs, double flops, double bytes, double share) {
        public double gflops() {
            return totalMs > 0 ? flops / totalMs / 1e6 : 0;
        }

        public double gbps() {
            return totalMs > 0 ? bytes / totalMs / 1e6 : 0;
        }

        /** FLOPs per byte moved. */
        public double intensity() {
            return bytes > 0 ? flops / bytes : 0;
        }

        /** Whether the roofline of {@code peak} makes this kernel "memory"- or "compute"-bound. */
        public String bound(MachinePeak peak) {
            return intensity() < peak.ridge() ? "memory" : "compute";
        }

        /** Achieved fraction of the attainable performance at this intensity (of the bandwidth roof for pure copies). */
        public double fractionOfPeak(MachinePeak peak) {
            if (flops > 0) return gflops() / peak.attainable(intensity());
            return peak.gbps() > 0 ? gbps() / peak.gbps() : 0;
        }
    }

    /** One backend call: its time tokens (ns or device marks), where it ran and what it cost. */
    private record Call(String kernel, String shapes, long t0, long t1, int depth, long step, String phase, String layer, String op, double flops,
            double bytes) {}

    /** A trace scope (step, phase, layer) with its time tokens. */
    private record Span(Trace.Kind kind, String name, long t0, long t1) {}

    private final Device device;
    private final boolean trace;
    private final Thread owner;
    private final DeviceClock clock; // null on the CPU: host nanoseconds
    private final DeviceProfiler deviceProfiler;
    private final long origin = System.nanoTime();
    private final List<Call> calls = new ArrayList<>();
    private final List<Span> spans = new ArrayList<>();
    private final java.util.ArrayDeque<Long> open = new java.util.ArrayDeque<>(); // start tokens of the open trace scopes
    private final Map<String, String> strings = new HashMap<>(); // one copy of each shapes string
    private final Backends.Scope backendScope;
    private final Trace.Handle traceScope;
    private int depth;
    private long wallStart, wallNanos = -1;
    private DeviceClock.Times times; // device marks, once stopped
    private MachinePeak peak;

    private Profiler(Device device, Backend inner, boolean trace) {
        this.device = device;
        this.trace = trace;
        this.owner = Thread.currentThread();
        if (device.kind() == Device.Kind.CPU) {
            deviceProfiler = null;
            clock = null;
        } else {
            deviceProfiler = inner.extension(DeviceProfiler.class)
                    .orElseThrow(() -> new IllegalArgumentException("[profile] the " + inner.name() + " backend of " + device + " has no device clock"));
            clock = deviceProfiler.startClock();
        }
        Backend proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, handler(inner));
        this.backendScope = Backends.use(proxy);
        Trace.Handle ts;
        try {
            ts = Trace.install(this);
        } catch (RuntimeException e) {
            backendScope.close();
            if (clock != null) clock.stop();
            throw e;
        }
        this.traceScope = ts;
        wallStart = System.nanoTime();
    }

    /**
     * Profiles every kernel that the backend of {@code device} runs for this thread until
     * {@link #close()}; {@code trace} also keeps the scopes for {@link #writeChromeTrace}.
     */
    public static Profiler start(Device device, boolean trace) {
        return new Profiler(device, Backends.of(device), trace);
    }

    private long tick() {
        return clock == null ? System.nanoTime() : clock.mark();
    }

    private InvocationHandler handler(Object inner) {
        return (proxy, m, args) -> {
            String name = m.getName();
            if (m.getDeclaringClass() == Object.class || name.equals("name") || name.equals("device") || Thread.currentThread() != owner
                    || wallNanos >= 0)
                return invoke(m, inner, args);
            if (name.equals("extension") && inner instanceof Backend b) return timedExtension(b, (Class<?>) args[0]);
            if (args != null && args.length > 0 && args[0] instanceof Enum<?> e) name = name + "." + e.name().toLowerCase(Locale.ROOT);
            long t0 = tick();
            depth++;
            Object result = null;
            try {
                result = invoke(m, inner, args);
                return result;
            } finally {
                depth--;
                long t1 = tick();
                record(name, m.getName(), args, result, t0, t1);
            }
        };
    }

    private static Object invoke(java.lang.reflect.Method m, Object inner, Object[] args) throws Throwable {
        try {
            return m.invoke(inner, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private void record(String kernel, String method, Object[] args, Object result, long t0, long t1) {
        KernelCost c;
        try {
            c = KernelCost.of(method, args, result);
        } catch (RuntimeException e) { // an argument layout KernelCost does not know: the time still counts
            c = new KernelCost(Double.NaN, Double.NaN);
        }
        String shapes = KernelCost.shapes(args, result);
        shapes = strings.computeIfAbsent(shapes, s -> s);
        calls.add(new Call(kernel, shapes, t0, t1, depth, Trace.currentStep(), Trace.currentPhase(), Trace.currentLayer(), Trace.currentOp(),
                c.flops(), c.bytes()));
    }

    /** The backend's extension with its calls timed too (sparse recoding shows up as a kernel); the device's own profiler is not wrapped. */
    private java.util.Optional<?> timedExtension(Backend inner, Class<?> type) {
        if (type == DeviceProfiler.class || type == StepCapture.class) return inner.extension(type);
        return inner.extension(type).map(x -> type.isInterface() ? Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler(x)) : x);
    }

    @Override
    public void enter(Trace.Scope scope) {
        open.push(tick());
    }

    @Override
    public void exit(Trace.Scope scope) {
        long t0 = open.pop();
        long t1 = tick();
        if (trace) spans.add(new Span(scope.kind(), scope.name(), t0, t1));
    }

    /** Waits for queued device work (nothing to wait for on the CPU), so host timings cover it. */
    public void synchronize() {
        if (clock != null && times == null) clock.synchronize();
    }

    /** Restarts the wall clock the shares refer to (e.g. after warm-up steps) and clears what was recorded. */
    public void reset() {
        requireOpen("reset");
        calls.clear();
        spans.clear();
        wallStart = System.nanoTime();
    }

    private void requireOpen(String what) {
        if (wallNanos >= 0) throw new IllegalStateException("[profile] " + what + " after close");
    }

    private void requireTimes() {
        if (clock != null && times == null)
            throw new IllegalStateException("[profile] close the profiler of " + device + " before reading it (that waits for the device)");
    }

    /** Microseconds from the session's start for a time token. */
    private double us(long token) {
        if (clock == null) return (token - origin) / 1e3;
        return token < 0 || token >= times.markUs().length ? Double.NaN : times.markUs()[(int) token];
    }

    private double durUs(Call c) {
        return us(c.t1) - us(c.t0);
    }

    private double wallMs() {
        return (wallNanos >= 0 ? wallNanos : System.nanoTime() - wallStart) / 1e6;
    }

    /** The peaks this profile is compared with: measured on the CPU (once per JVM), the device's own elsewhere. */
    public MachinePeak peak() {
        if (peak == null) peak = deviceProfiler != null ? deviceProfiler.peak() : MachinePeak.cpu(Backends.config().threads());
        return peak;
    }

    /** Kernels by total time, with their share of the wall time since start (or the last reset). Calls inside other calls are not counted twice. */
    public List<Row> rows() {
        return aggregate(c -> c.kernel);
    }

    /** The same per distinct kernel and shapes ({@code conv2d [128,16,32,32] [16,16,3,3] s1 p1 -> [128,16,32,32]}). */
    public List<Row> rowsByShape() {
        return aggregate(c -> c.kernel + " " + c.shapes);
    }

    private List<Row> aggregate(java.util.function.Function<Call, String> key) {
        requireTimes();
        Map<String, double[]> agg = new LinkedHashMap<>(); // calls, us, flops, bytes
        for (Call c : calls) {
            if (c.depth != 0) continue;
            double[] a = agg.computeIfAbsent(key.apply(c), k -> new double[4]);
            double d = durUs(c);
            a[0]++;
            if (!Double.isNaN(d)) a[1] += d;
            a[2] += c.flops;
            a[3] += c.bytes;
        }
        double wall = wallMs();
        List<Row> r = new ArrayList<>();
        agg.forEach((k, a) -> r.add(new Row(k, (long) a[0], a[1] / 1e3, a[1] / a[0], a[2], a[3], a[1] / 1e3 / wall)));
        r.sort(Comparator.comparingDouble(Row::totalMs).reversed());
        return r;
    }

    /** The header lines: the peaks, the ridge point and how they were obtained. */
    public String peakSummary() {
        MachinePeak p = peak();
        return String.format(Locale.ROOT, "peak: %.1f GFLOP/s float32 (%s); %.1f GB/s memory (%s); ridge %.1f FLOP/byte%n", p.gflops(), p.compute(), p.gbps(),
                p.memory(), p.ridge());
    }

    private static final String ROW = "%-34s %7s %9s %9s %8s %7s %7s %-7s %6s %6s%n";

    /**
     * A printable table per kernel: calls, total ms, mean us, achieved GFLOP/s and GB/s, arithmetic
     * intensity, compute- or memory-bound (against the ridge point of {@link #peak()}), the achieved
     * fraction of the roof at that intensity and the share of the wall time; then the time outside
     * kernels and the wall time.
     */
    public String table() {
        StringBuilder sb = new StringBuilder(header("kernel"));
        double kernels = 0;
        for (Row r : rows()) {
            kernels += r.totalMs();
            sb.append(line(r.kernel(), r));
        }
        double wall = wallMs();
        sb.append(String.format(Locale.ROOT, "%-34s %7s %9.1f %9s %8s %7s %7s %-7s %6s %5.1f%%%n", outsideLabel(), "", wall - kernels, "", "", "", "", "", "",
                100 * (wall - kernels) / wall));
        sb.append(String.format(Locale.ROOT, "%-34s %7s %9.1f%n", "wall", "", wall));
        return sb.toString();
    }

    private String outsideLabel() {
        return clock == null ? "(outside kernels: Java, autograd)" : "(device idle: host, launches)";
    }

    private String header(String first) {
        return String.format(Locale.ROOT, ROW, first, "calls", "total ms", "mean us", "GFLOP/s", "GB/s", "FLOP/B", "bound", "%peak", "share");
    }

    private String line(String name, Row r) {
        MachinePeak p = peak();
        boolean known = !Double.isNaN(r.flops());
        return String.format(Locale.ROOT, ROW, name, Long.toString(r.calls()), fmt(r.totalMs(), 1), fmt(r.meanUs(), 1), known ? fmt(r.gflops(), 1) : "?",
                known ? fmt(r.gbps(), 1) : "?", known ? fmt(r.intensity(), 2) : "?", known ? r.bound(p) : "?",
                known ? fmt(100 * r.fractionOfPeak(p), 1) + "%" : "?", fmt(100 * r.share(), 1) + "%");
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** The {@code top} kernel calls by total time per distinct shapes, with the same columns as {@link #table()} and the name last. */
    public String shapeTable(int top) {
        List<Row> rows = rowsByShape();
        MachinePeak p = peak();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, SHAPE_ROW, "calls", "total ms", "mean us", "GFLOP/s", "GB/s", "FLOP/B", "bound", "%peak",
                "share", "kernel and shapes (top " + Math.min(top, rows.size()) + " by time)"));
        for (Row r : rows.subList(0, Math.min(top, rows.size()))) {
            boolean known = !Double.isNaN(r.flops());
            sb.append(String.format(Locale.ROOT, SHAPE_ROW, Long.toString(r.calls()), fmt(r.totalMs(), 1), fmt(r.meanUs(), 1), known ? fmt(r.gflops(), 1) : "?",
                    known ? fmt(r.gbps(), 1) : "?", known ? fmt(r.intensity(), 2) : "?", known ? r.bound(p) : "?",
                    known ? fmt(100 * r.fractionOfPeak(p), 1) + "%" : "?", fmt(100 * r.share(), 1) + "%", r.kernel()));
        }
        return sb.toString();
    }

    private static final String SHAPE_ROW = "%7s %9s %9s %8s %7s %7s %-7s %6s %6s  %s%n";

    /**
     * Time per layer (the innermost module scope a kernel ran in; a block's own row holds its own
     * ops, such as the residual add), one column per phase, then its GFLOP and achieved GFLOP/s.
     * Kernels outside every layer are "(no layer)".
     */
    public String layerTable() {
        requireTimes();
        Set<String> phases = new LinkedHashSet<>();
        Map<String, Map<String, Double>> ms = new LinkedHashMap<>();
        Map<String, double[]> work = new LinkedHashMap<>(); // flops, ms
        for (Call c : calls) {
            if (c.depth != 0) continue;
            String layer = c.layer == null ? "(no layer)" : c.layer, phase = c.phase == null ? "other" : c.phase;
            phases.add(phase);
            double d = durUs(c) / 1e3;
            if (Double.isNaN(d)) d = 0;
            ms.computeIfAbsent(layer, k -> new HashMap<>()).merge(phase, d, Double::sum);
            double[] w = work.computeIfAbsent(layer, k -> new double[2]);
            w[0] += Double.isNaN(c.flops) ? 0 : c.flops;
            w[1] += d;
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-30s", "layer"));
        for (String p : phases) sb.append(String.format(Locale.ROOT, " %12s", p + " ms"));
        sb.append(String.format(Locale.ROOT, " %9s %8s%n", "GFLOP", "GFLOP/s"));
        ms.forEach((layer, byPhase) -> {
            sb.append(String.format(Locale.ROOT, "%-30s", layer));
            for (String p : phases) sb.append(String.format(Locale.ROOT, " %12.2f", byPhase.getOrDefault(p, 0.0)));
            double[] w = work.get(layer);
            sb.append(String.format(Locale.ROOT, " %9.3f %8.1f%n", w[0] / 1e9, w[1] > 0 ? w[0] / w[1] / 1e6 : 0));
        });
        return sb.toString();
    }

    /**
     * Writes the recorded calls as Chrome trace-event JSON: "X" events in microseconds for steps,
     * phases and layers (cat step, phase, layer) and, nested inside, each kernel call with its
     * shapes, FLOPs, bytes, layer and phase as args (cat kernel; on a device also each launch, cat
     * launch). Empty unless started with {@code trace}.
     */
    public void writeChromeTrace(Path file) throws IOException {
        requireTimes();
        List<Map<String, Object>> ev = new ArrayList<>();
        if (trace) {
            for (Span s : spans) {
                double t0 = us(s.t0), t1 = us(s.t1);
                if (Double.isNaN(t0) || Double.isNaN(t1)) continue;
                ev.add(event(s.name, s.kind.name().toLowerCase(Locale.ROOT), t0, t1 - t0, null));
            }
            for (Call c : calls) {
                double t0 = us(c.t0), d = durUs(c);
                if (Double.isNaN(d)) continue;
                Map<String, Object> args = new LinkedHashMap<>();
                args.put("shapes", c.shapes);
                if (!Double.isNaN(c.flops)) {
                    args.put("flops", (long) c.flops);
                    args.put("bytes", (long) c.bytes);
                }
                if (c.layer != null) args.put("layer", c.layer);
                if (c.phase != null) args.put("phase", c.phase);
                if (c.op != null) args.put("vjp of", c.op);
                if (c.step >= 0) args.put("step", c.step);
                ev.add(event(c.kernel, "kernel", t0, d, args));
            }
            if (times != null) {
                for (DeviceClock.Launch l : times.launches()) {
                    double t0 = us(l.start()), t1 = us(l.end());
                    if (Double.isNaN(t0) || Double.isNaN(t1)) continue;
                    ev.add(event(l.kernel(), "launch", t0, t1 - t0, Map.of("op", l.op())));
                }
            }
        }
        // outer events first where they start together, so viewers nest them
        ev.sort(Comparator.<Map<String, Object>>comparingDouble(e -> (Double) e.get("ts")).thenComparing(e -> -(Double) e.get("dur")));
        StringBuilder sb = new StringBuilder("{\"traceEvents\":[\n");
        for (int i = 0; i < ev.size(); i++) sb.append(Json.write(ev.get(i))).append(i + 1 < ev.size() ? ",\n" : "\n");
        sb.append("],\"displayTimeUnit\":\"ms\",\"otherData\":").append(Json.write(Map.of("device", device.toString(), "peak", peakSummary().trim())))
                .append("}\n");
        AtomicFiles.writeString(file, sb.toString());
    }

    private static Map<String, Object> event(String name, String cat, double ts, double dur, Map<String, Object> args) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("cat", cat);
        e.put("ph", "X");
        e.put("ts", Math.round(ts * 1000) / 1000.0);
        e.put("dur", Math.round(Math.max(dur, 0) * 1000) / 1000.0);
        e.put("pid", 1);
        e.put("tid", 1);
        if (args != null) e.put("args", args);
        return e;
    }

    /** Stops profiling (the backend of this thread is restored; a device clock is read back); the numbers stay readable. */
    @Override
    public void close() {
        if (wallNanos >= 0) return;
        try {
            if (clock != null) clock.synchronize();
            wallNanos = System.nanoTime() - wallStart;
        } finally {
            try {
                traceScope.close();
            } finally {
                backendScope.close();
                if (clock != null) times = clock.stop();
            }
        }
    }
}
