package kr.examples;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Use the engine as a library" program, taken from between its markers, compiles against
 * the engine and, run with the JVM flag README names, prints exactly the output README shows.
 */
class ReadmeExampleTest {
    private static String block(String readme, String marker) {
        Matcher m = Pattern.compile("<!-- readme-example:" + marker + " -->\\s*```[a-z]*\\n(.*?)```\\s*<!-- readme-example:end -->", Pattern.DOTALL)
                .matcher(readme);
        assertTrue(m.find(), "README.md has no ```-fenced block between <!-- readme-example:" + marker + " --> and <!-- readme-example:end -->");
        return m.group(1);
    }

    @Test
    void theLibraryExampleCompilesRunsAndPrintsWhatReadmeSays(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md")).replace("\r\n", "\n"); // surefire runs in models/
        String program = block(readme, "program"), expected = block(readme, "output");
        Matcher cls = Pattern.compile("public class (\\w+)").matcher(program);
        assertTrue(cls.find(), "the README program declares no public class");
        String name = cls.group(1);
        Files.writeString(dir.resolve(name + ".java"), program);

        String cp = System.getProperty("java.class.path");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        // like a user's build: plain javac, no --add-modules (only running needs it)
        boolean ok = javac.getTask(diagnostics, null, null, List.of("--release", "17", "-cp", cp, "-d", dir.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(dir.resolve(name + ".java").toFile()))
                .call();
        assertTrue(ok, "the README program does not compile:\n" + diagnostics);

        ProcessBuilder pb = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java", "--add-modules",
                "jdk.incubator.vector", "-cp", dir + File.pathSeparator + cp, name);
        pb.environment().remove("KR_BACKEND");
        Path err = dir.resolve("stderr.txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the README program did not finish");
        String stderr = Files.readString(err);
        assertEquals(0, p.exitValue(), "the README program failed:\n" + out + stderr);
        assertEquals(expected, out, "README's output block differs from what the program prints");
        assertFalse(stderr.contains("[backend]"), "with the flag README names, no fallback warning:\n" + stderr);
    }
}
