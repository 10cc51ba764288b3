package kr.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import kr.engine.backend.Backends;

/**
 * Where a result came from: kr's version and commit, the JDK, the OS and CPU, the vector width the
 * Vector API uses, and the CPU backend and thread count. Runs record it in config.json and in
 * checkpoint metadata, so a number can be traced to the code and machine that made it.
 *
 * <pre>{@code
 * Map<String, String> p = Provenance.current();   // {"version": "0.1.0-SNAPSHOT", "commit": "1a2b3c4", "java": ..., ...}
 * }</pre>
 */
public final class Provenance {
    private static final String VERSION, COMMIT;

    static {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // an unreadable resource: the version reads "unknown"
        }
        String v = p.getProperty("version", "unknown");
        VERSION = v.startsWith("${") ? "unknown" : v;
        String c = "unknown";
        try (InputStream in = Provenance.class.getResourceAsStream("commit.txt")) {
            if (in != null) c = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            // no commit recorded (built outside a git checkout)
        }
        COMMIT = c.isEmpty() ? "unknown" : c;
    }

    private Provenance() {}

    /** kr's version (the Maven version it was built as). */
    public static String version() {
        return VERSION;
    }

    /** The git commit it was built from ({@code git describe --always --dirty}), or "unknown". */
    public static String commit() {
        return COMMIT;
    }

    /** Version, commit, JDK, OS, CPU model, vector bits, CPU backend and threads, in that order. */
    public static Map<String, String> current() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("commit", COMMIT);
        m.put("java", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version", System.getProperty("java.version")));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cpu", cpuModel());
        m.put("vector_bits", Integer.toString(vectorBits()));
        m.put("backend", Backends.defaultCpu().name());
        m.put("threads", Integer.toString(Backends.config().threads()));
        return m;
    }

    /** The CPU's model name from /proc/cpuinfo (Linux), else the architecture. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8))
                if (line.toLowerCase(Locale.ROOT).startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable
        }
        return System.getProperty("os.arch");
    }

    /** Bits of the Vector API's preferred float vector (0 when the incubator module is not loaded). */
    public static int vectorBits() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return 0;
        try {
            Object species = Class.forName("jdk.incubator.vector.FloatVector").getField("SPECIES_PREFERRED").get(null);
            return (Integer) Class.forName("jdk.incubator.vector.VectorSpecies").getMethod("vectorBitSize").invoke(species);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }
}
