package kr.engine.backend;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kr.engine.Tensor;
import org.junit.jupiter.api.Test;

/** A JVM without the Vector API module says so exactly once, naming the flag; with it, nothing is said. */
class VectorFallbackWarningTest {
    /** The child JVM: CPU ops from two threads, then the default backend's name on stdout. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            Runnable ops = () -> {
                for (int i = 0; i < 3; i++) Tensor.ones(2, 3).matmul(Tensor.ones(3, 2)).relu().sum().item();
            };
            Thread t = new Thread(ops);
            t.start();
            ops.run();
            t.join();
            Backends.defaultCpu();
            System.out.println("backend=" + Backends.defaultCpu().name());
        }
    }

    private static String[] run(boolean vectorFlag, String... props) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        if (vectorFlag) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of(props));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("KR_BACKEND"); // the default choice is under test, not an override
        File err = File.createTempFile("kr-fallback", ".err");
        err.deleteOnExit();
        pb.redirectError(err);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String stderr = java.nio.file.Files.readString(err.toPath());
        assertEquals(0, p.exitValue(), "child JVM failed: " + out + stderr);
        return new String[] {out, stderr};
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
        return n;
    }

    @Test
    void withoutTheFlagTheScalarFallbackIsAnnouncedOnce() throws Exception {
        String[] r = run(false);
        assertTrue(r[0].contains("backend=scalar"), r[0]);
        assertEquals(1, count(r[1], VectorFallbackWarning.MESSAGE), "stderr: " + r[1]);
        assertEquals(1, count(r[1], "--add-modules jdk.incubator.vector to the java command"), "stderr: " + r[1]);
        assertTrue(r[1].contains("WARNING"), r[1]);
    }

    @Test
    void withTheFlagOrAnExplicitBackendNothingIsSaid() throws Exception {
        String[] withFlag = run(true);
        assertTrue(withFlag[0].contains("backend=vector"), withFlag[0]);
        assertFalse(withFlag[1].contains("[backend]"), withFlag[1]);
        String[] chosen = run(false, "-Dkr.backend=scalar");
        assertTrue(chosen[0].contains("backend=scalar"), chosen[0]);
        assertFalse(chosen[1].contains("[backend]"), chosen[1]);
    }
}
