package kr.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so a crash never leaves a half-written one: write a temp file beside the target,
 * fsync it, rename it over the target, fsync the directory. Readers see the old or the new file.
 * A temp file that a killed process left behind ({@code .<name>.<random>.tmp}) is removed by
 * {@link #removeStaleTemps}; files get the process's default permissions (the umask), as any other.
 */
public final class AtomicFiles {
    /** This class's temp names ({@code .<name>.<16 hex digits>.tmp}), and the decimal ones of kr versions that used Files.createTempFile. */
    private static final java.util.regex.Pattern TEMP = java.util.regex.Pattern.compile("\\..+\\.([0-9a-f]{16}|[0-9]{1,20})\\.tmp");

    private AtomicFiles() {}

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes {@code target} atomically; an I/O error names the target (not the temp file) and leaves no temp file. */
    public static void write(Path target, Writer w) throws IOException {
        try {
            writeOrThrow(target, w);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) why = fs.getReason();
            throw new IOException("[write] cannot write " + target + ": " + why, e);
        }
    }

    private static void writeOrThrow(Path target, Writer w) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + String.format("%016x", java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
                    OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 20)) {
                w.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDir(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Deletes the temp files a killed writer left in {@code dir} (only this class's naming; a writer
     * running now in the same directory would lose its file, so call it before a run starts writing).
     * Returns how many were removed.
     */
    public static int removeStaleTemps(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        try (var files = Files.list(dir)) {
            for (Path p : files.toList())
                if (TEMP.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p) && Files.deleteIfExists(p)) n++;
        }
        return n;
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void syncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems cannot open directories; the rename is still atomic
        }
    }
}
