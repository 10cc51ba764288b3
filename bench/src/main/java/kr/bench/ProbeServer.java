package kr.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The probe protocol the comparison scripts ({@code bench/compare.py}, {@code bench/gpu/compare.py})
 * speak with a kr JVM: one command per stdin line (words separated by spaces), one JSON object per
 * stdout line back; {@code quit} or end of input stops; a failure answers {@code {"error": "..."}}
 * and the probe carries on. {@link Probe} (CPU) and {@code kr.bench.gpu.GpuSpeed} (GPU) serve it.
 *
 * <pre>{@code
 * ProbeServer.serve(Map.of("info", w -> Map.of("java", Runtime.version().toString())));
 * }</pre>
 */
public final class ProbeServer {
    private ProbeServer() {}

    /** One command: the words after its name in, a flat JSON object out. */
    @FunctionalInterface
    public interface Command {
        Map<String, ?> answer(String[] words) throws Exception;
    }

    /** Serves {@code commands} on stdin/stdout until {@code quit} or end of input. */
    public static void serve(Map<String, Command> commands) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = System.out;
        for (String line; (line = in.readLine()) != null;) {
            String[] t = line.trim().split("\\s+");
            if (t[0].isEmpty()) continue;
            if (t[0].equals("quit")) break;
            String reply;
            try {
                Command c = commands.get(t[0]);
                if (c == null) throw new IllegalArgumentException("[probe] unknown command '" + t[0] + "'; known: " + commands.keySet());
                reply = json(c.answer(java.util.Arrays.copyOfRange(t, 1, t.length)));
            } catch (Exception | Error e) {
                reply = json(Map.of("error", String.valueOf(e)));
            }
            out.println(reply);
            out.flush();
        }
    }

    /** A flat JSON object of strings, numbers, booleans and double arrays (non-finite numbers as null). */
    public static String json(Map<String, ?> m) {
        StringBuilder b = new StringBuilder("{");
        for (var e : m.entrySet()) {
            if (b.length() > 1) b.append(", ");
            b.append(quote(e.getKey())).append(": ").append(value(e.getValue()));
        }
        return b.append('}').toString();
    }

    private static String value(Object v) {
        if (v instanceof Double d) return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null";
        if (v instanceof Number || v instanceof Boolean) return String.valueOf(v);
        if (v instanceof double[] a) {
            List<String> s = new ArrayList<>();
            for (double d : a) s.add(value(d));
            return "[" + String.join(", ", s) + "]";
        }
        return quote(String.valueOf(v));
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
    }
}
