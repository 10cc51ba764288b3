package kr.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 items 3 and 6: temp files a killed writer left are removed; a failed write names its target and leaves no temp file. */
class AtomicFilesTest {
    @TempDir
    Path tmp;

    @Test
    void staleTempFilesOfBothNamingsAreRemovedAndNothingElse() throws IOException {
        List<String> stale = List.of(".last-00000008.optim.safetensors.0123456789abcdef.tmp", // this version's names
                ".last-00000008.optim.safetensors.1234567890123456789.tmp", // Files.createTempFile's, as kr wrote them before
                ".config.json.98765.tmp");
        List<String> kept = List.of("last.json", "last-00000008.safetensors", "notes.tmp", ".hidden", ".x.tmp", ".last.json.12ab.tmp", "a.1234.tmp");
        for (String n : stale) Files.write(tmp.resolve(n), new byte[1000]);
        for (String n : kept) Files.writeString(tmp.resolve(n), "keep");
        Files.createDirectories(tmp.resolve(".dir.0123456789abcdef.tmp")); // a directory is never a temp file
        assertEquals(stale.size(), AtomicFiles.removeStaleTemps(tmp));
        for (String n : stale) assertFalse(Files.exists(tmp.resolve(n)), n);
        for (String n : kept) assertTrue(Files.exists(tmp.resolve(n)), n);
        assertTrue(Files.isDirectory(tmp.resolve(".dir.0123456789abcdef.tmp")));
        assertEquals(0, AtomicFiles.removeStaleTemps(tmp.resolve("no-such-dir")));
    }

    @Test
    void aFailedWriteNamesTheTargetAndLeavesNoTempFile() throws IOException {
        Path target = tmp.resolve("best.safetensors");
        Files.writeString(target, "previous");
        // a full disk: the writer's IOException, as the file system reports it
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[10]);
            throw new IOException("No space left on device");
        }));
        assertEquals("[write] cannot write " + target + ": IOException: No space left on device", e.getMessage());
        assertEquals("previous", Files.readString(target), "the old file is intact");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(target), s.toList(), "no temp file is left");
        }
        // the target's folder cannot be made: a regular file is in the way
        Path blocked = tmp.resolve("best.safetensors").resolve("x.json");
        e = assertThrows(IOException.class, () -> AtomicFiles.writeString(blocked, "{}"));
        assertTrue(e.getMessage().startsWith("[write] cannot write " + blocked + ": "), e.getMessage());
        // the target is a directory
        Path folder = Files.createDirectories(tmp.resolve("dump"));
        Files.writeString(folder.resolve("inside"), "x");
        e = assertThrows(IOException.class, () -> AtomicFiles.writeString(folder, "{}"));
        assertTrue(e.getMessage().startsWith("[write] cannot write " + folder + ": "), e.getMessage());
        assertFalse(e.getMessage().contains(".tmp"), "the temp file is not what the user asked to write: " + e.getMessage());
    }
}
