package kr.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import kr.io.Hostile;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the CIFAR-10/100 binary readers ({@link CifarBinary}, through {@link DataSources} as
 * {@code kr train --data} opens them): small valid releases damaged by truncation (mid-record and at a
 * record boundary), bit flips (labels out of range), appended bytes, missing, empty or replaced files,
 * and class-name files with the wrong count, non-UTF-8 bytes or huge lines. Every outcome is the data
 * set or an IOException whose one-line message starts with {@code [} and names the data directory;
 * never an Error or another exception, and at most {@value #BYTES_PER_BYTE} heap bytes per byte of the
 * release's files plus {@link Hostile#SLACK}.
 */
class CifarBinaryFuzzTest extends Hostile.Suite {
    static final long BYTES_PER_BYTE = 8;
    static final int REC10 = 1 + CifarBinary.PIXELS, REC100 = 2 + CifarBinary.PIXELS;


    CifarBinaryFuzzTest() throws IOException {
        super("kr-cifar-fuzz");
    }



    enum Damage {
        NONE, TRUNCATE, TRUNCATE_AT_RECORD, FLIP_BITS, APPEND, MISSING, EMPTY, DIRECTORY, NAMES_COUNT, NAMES_NOT_UTF8, NAMES_HUGE
    }

    /** A random small CIFAR-10 or CIFAR-100 release in {@code root}; returns the files a damage may hit (batches first, names last). */
    static List<Path> release(Path root, boolean c100, Random r) throws IOException {
        if (c100) {
            Path d = Files.createDirectories(root.resolve("cifar-100-binary"));
            for (String split : new String[] {"train", "test"}) {
                byte[] b = new byte[(1 + r.nextInt(3)) * REC100];
                r.nextBytes(b);
                for (int i = 0; i < b.length; i += REC100) {
                    b[i] = (byte) r.nextInt(20);
                    b[i + 1] = (byte) r.nextInt(100);
                }
                Files.write(d.resolve(split + ".bin"), b);
            }
            StringBuilder fine = new StringBuilder(), coarse = new StringBuilder();
            for (int i = 0; i < 100; i++) fine.append("fine").append(i).append('\n');
            for (int i = 0; i < 20; i++) coarse.append("coarse").append(i).append('\n');
            Files.writeString(d.resolve("fine_label_names.txt"), fine);
            Files.writeString(d.resolve("coarse_label_names.txt"), coarse);
            return List.of(d.resolve("train.bin"), d.resolve("test.bin"), d.resolve("fine_label_names.txt"), d.resolve("coarse_label_names.txt"));
        }
        Path d = Files.createDirectories(root.resolve("cifar-10-batches-bin"));
        int per = 1 + r.nextInt(3);
        List<Path> files = new java.util.ArrayList<>();
        for (String f : new String[] {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}) {
            byte[] b = new byte[(f.startsWith("test") ? 1 + r.nextInt(3) : per) * REC10];
            r.nextBytes(b);
            for (int i = 0; i < b.length; i += REC10) b[i] = (byte) r.nextInt(10);
            Files.write(d.resolve(f), b);
            files.add(d.resolve(f));
        }
        Files.writeString(d.resolve("batches.meta.txt"), String.join("\n", CifarBinary.CIFAR10_CLASSES) + "\n");
        files.add(d.resolve("batches.meta.txt"));
        return files;
    }

    /** Damages one file of the release; returns whether a CIFAR-10 training batch lost whole records (so training must be refused). */
    static boolean damage(List<Path> files, Damage how, boolean c100, Random r) throws IOException {
        int batches = files.size() - (c100 ? 2 : 1);
        Path f = files.get(r.nextInt(batches)), names = files.get(batches + r.nextInt(files.size() - batches));
        byte[] b = Files.readAllBytes(f);
        int rec = c100 ? REC100 : REC10;
        switch (how) {
            case TRUNCATE -> Files.write(f, Hostile.truncate(b, r));
            case TRUNCATE_AT_RECORD -> {
                int keep = rec * r.nextInt(b.length / rec);
                Files.write(f, Arrays.copyOf(b, keep));
                return f.getFileName().toString().startsWith("data_batch_");
            }
            case FLIP_BITS -> Files.write(f, r.nextBoolean() ? Hostile.flipBits(b, r, 8) : labelsFlipped(b, rec, r));
            case APPEND -> {
                byte[] more = new byte[r.nextBoolean() ? rec : 1 + r.nextInt(2 * rec)];
                r.nextBytes(more);
                Files.write(f, more, java.nio.file.StandardOpenOption.APPEND);
            }
            case MISSING -> Files.delete(r.nextBoolean() ? f : names);
            case EMPTY -> Files.write(r.nextBoolean() ? f : names, new byte[0]);
            case DIRECTORY -> {
                Path victim = r.nextBoolean() ? f : names;
                Files.delete(victim);
                Files.createDirectories(victim.resolve("x"));
            }
            case NAMES_COUNT -> {
                List<String> lines = new java.util.ArrayList<>(Files.readAllLines(names));
                if (r.nextBoolean() && !lines.isEmpty()) lines.remove(r.nextInt(lines.size()));
                else lines.add("extra");
                Files.write(names, lines);
            }
            case NAMES_NOT_UTF8 -> {
                byte[] n = Files.readAllBytes(names);
                n[r.nextInt(n.length)] = (byte) (0x80 | r.nextInt(0x40)); // a continuation byte with no lead byte
                Files.write(names, n);
            }
            case NAMES_HUGE -> Files.writeString(names, "x".repeat(1 << 20) + "\n", StandardCharsets.UTF_8);
            default -> {}
        }
        return false;
    }

    static byte[] labelsFlipped(byte[] b, int rec, Random r) {
        byte[] c = b.clone();
        for (int i = 0; i < c.length; i += rec) if (r.nextInt(3) == 0) c[i + r.nextInt(rec == REC100 ? 2 : 1)] = (byte) (100 + r.nextInt(156));
        return c;
    }

    static long size(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Property(tries = 440)
    void readsTheReleaseOrFailsNamingIt(@ForAll Damage how, @ForAll boolean c100, @ForAll boolean train, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        Path root = Files.createDirectories(tmp.resolve(Long.toHexString(seed)));
        List<Path> files = release(root, c100, r);
        boolean cutTrainBatch = damage(files, how, c100, r);
        long bytes = size(root);
        String split = train ? "train" : "test";
        Hostile.Outcome<Dataset> o = Hostile.run(() -> DataSources.open(root, split));
        Hostile.check(o, how + (c100 ? " cifar100 " : " cifar10 ") + split + " (seed " + seed + ", " + bytes + " bytes)",
                Hostile.bound(bytes, BYTES_PER_BYTE), root.toString(), IOException.class);
        if (how == Damage.NONE) {
            assertNotNull(o.value(), () -> "a valid release fails: " + o.error());
            assertEquals(c100 ? 100 : 10, o.value().numClasses());
        }
        if (cutTrainBatch && train && o.value() != null)
            throw new AssertionError("a training batch cut at a record boundary was accepted (seed " + seed + ")");
        clearTry();
    }

    /** Issue 13 item 7: a training batch cut at a record boundary has a valid size, but fewer records than the other four. */
    @Test
    void aBatchTruncatedAtARecordBoundaryIsRefused() throws IOException {
        Path root = tmp.resolve("cut");
        Path d = SyntheticCifar.write(root, 12, 20).resolve("cifar-10-batches-bin");
        Path b3 = d.resolve("data_batch_3.bin");
        byte[] raw = Files.readAllBytes(b3);
        Files.write(b3, Arrays.copyOf(raw, raw.length - 2 * REC10));
        IOException e = assertThrows(IOException.class, () -> CifarBinary.cifar10(d, "train"));
        assertEquals("[cifar] " + b3 + " holds 10 records but data_batch_1.bin holds 12 (truncated at a record boundary?)", e.getMessage());
        // the official release: the test batch holds 10,000 like each training batch
        for (int i = 1; i <= 5; i++) Files.write(d.resolve("data_batch_" + i + ".bin"), new byte[10_000 * REC10]);
        Files.write(d.resolve("test_batch.bin"), new byte[9_999 * REC10]);
        e = assertThrows(IOException.class, () -> CifarBinary.cifar10(d, "test"));
        assertTrue(e.getMessage().contains("test_batch.bin holds 9999 records, the official release 10,000"), e.getMessage());
        clean();
    }
}
