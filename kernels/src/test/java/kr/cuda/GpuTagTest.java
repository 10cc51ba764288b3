package kr.cuda;

import kr.engine.backend.GpuTest;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every test class that asks {@code Gpu} for the device is tagged {@link GpuTest}, so
 * {@code -Dgroups=gpu} / {@code -DexcludedGroups=gpu} select all of them (found in the compiled
 * test classes: a class that calls {@code Gpu.backend()} names {@code kr/cuda/Gpu} in its constant pool).
 */
class GpuTagTest {
    /** The constant-pool entry CONSTANT_Utf8 "kr/cuda/Gpu": tag 1, length 11, the bytes (so "kr/cuda/GpuTest" does not match). */
    static final byte[] GPU_CLASS = ("\u0001\u0000\u000bkr/cuda/Gpu").getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void everyClassThatNeedsTheGpuIsTagged() throws IOException, URISyntaxException {
        Path root = Path.of(GpuTagTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Assumptions.assumeTrue(Files.isDirectory(root), () -> "test classes are not a folder here: " + root);
        List<String> untagged = new ArrayList<>(), tagged = new ArrayList<>();
        List<Path> classes;
        try (Stream<Path> files = Files.walk(root)) {
            classes = files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().contains("$")).sorted().toList();
        }
        for (Path f : classes) {
            if (!contains(Files.readAllBytes(f), GPU_CLASS)) continue;
            String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
            if (name.equals("kr.cuda.Gpu")) continue; // the helper itself (named, not referenced: this class must not name it)
            Class<?> c;
            try {
                c = Class.forName(name);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("[gpu tag] cannot load " + name, e);
            }
            (c.isAnnotationPresent(GpuTest.class) ? tagged : untagged).add(c.getSimpleName());
        }
        if (!untagged.isEmpty()) fail("[gpu tag] these test classes call Gpu.backend() but are not marked @GpuTest: " + untagged);
        assertTrue(tagged.size() >= 4, () -> "only " + tagged + " use Gpu: has the helper been renamed?");
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) if (hay[i + k] != needle[k]) continue outer;
            return true;
        }
        return false;
    }
}
