package kr.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The official CIFAR binary releases. CIFAR-10 ({@code cifar-10-batches-bin/}):
 * {@code data_batch_1..5.bin} and {@code test_batch.bin}, records of 1 label byte + 3072 pixel
 * bytes (R, G, B planes, row-major), class names in {@code batches.meta.txt}. CIFAR-100
 * ({@code cifar-100-binary/}): {@code train.bin} and {@code test.bin}, records of a coarse label
 * byte, a fine label byte and 3072 pixel bytes, names in {@code fine_label_names.txt} and
 * {@code coarse_label_names.txt}.
 *
 * <pre>{@code
 * ArrayDataset train = CifarBinary.cifar10(Path.of("data/cifar-10-batches-bin"), "train");
 * ArrayDataset test = CifarBinary.cifar100(Path.of("data/cifar-100-binary"), "test", CifarBinary.Labels.COARSE);
 * }</pre>
 */
public final class CifarBinary {
    /** Which CIFAR-100 label to train on: the 100 fine classes or the 20 superclasses. */
    public enum Labels { FINE, COARSE }

    static final int PIXELS = 3 * 32 * 32;
    static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private CifarBinary() {}

    /** {@code split}: "train" (data_batch_1..5.bin) or "test" (test_batch.bin). */
    public static ArrayDataset cifar10(Path dir, String split) throws IOException {
        List<Path> files = new ArrayList<>();
        switch (split) {
            case "train" -> {
                for (int i = 1; i <= 5; i++) files.add(dir.resolve("data_batch_" + i + ".bin"));
            }
            case "test" -> files.add(dir.resolve("test_batch.bin"));
            default -> throw new IllegalArgumentException("[cifar10] unknown split '" + split + "'; use train or test");
        }
        requireWholeBatches(dir);
        List<String> names = names(dir.resolve("batches.meta.txt"), CIFAR10_CLASSES);
        return read(files, 1, new int[] {names.size()}, 0, names);
    }

    /**
     * A batch file cut at a record boundary still has a valid size: the five training batches must
     * hold the same number of records, and in the official release (10,000 each) so must the test batch.
     */
    private static void requireWholeBatches(Path dir) throws IOException {
        int rec = 1 + PIXELS;
        long first = -1;
        for (int i = 1; i <= 5; i++) {
            Path f = dir.resolve("data_batch_" + i + ".bin");
            if (!Files.isRegularFile(f) || Files.size(f) % rec != 0) return; // missing or cut mid-record: read() names it
            long n = Files.size(f) / rec;
            if (first < 0) first = n;
            else if (n != first)
                throw new IOException("[cifar] " + f + " holds " + n + " records but data_batch_1.bin holds " + first + " (truncated at a record boundary?)");
        }
        Path test = dir.resolve("test_batch.bin");
        if (first == 10000 && Files.isRegularFile(test) && Files.size(test) / rec != 10000)
            throw new IOException("[cifar] " + test + " holds " + Files.size(test) / rec + " records, the official release 10,000 (truncated?)");
    }

    /** {@code split}: "train" (train.bin) or "test" (test.bin). */
    public static ArrayDataset cifar100(Path dir, String split, Labels labels) throws IOException {
        if (!split.equals("train") && !split.equals("test")) throw new IllegalArgumentException("[cifar100] unknown split '" + split + "'; use train or test");
        List<String> coarse = names(dir.resolve("coarse_label_names.txt"), numbered(20));
        List<String> fine = names(dir.resolve("fine_label_names.txt"), numbered(100));
        List<String> names = labels == Labels.FINE ? fine : coarse;
        return read(List.of(dir.resolve(split + ".bin")), 2, new int[] {coarse.size(), fine.size()}, labels == Labels.FINE ? 1 : 0, names);
    }

    /**
     * Reads records of {@code labelBytes} label bytes (each checked against its class count) and
     * 3072 pixels, keeping label {@code use}.
     */
    static ArrayDataset read(List<Path> files, int labelBytes, int[] classCounts, int use, List<String> names) throws IOException {
        int rec = labelBytes + PIXELS;
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new IOException("[cifar] " + f + " is missing");
            long size = Files.size(f);
            if (size == 0 || size % rec != 0)
                throw new IOException("[cifar] " + f + ": size " + size + " is not a positive multiple of the " + rec + "-byte record (truncated or corrupt?)");
            total += size / rec;
        }
        if (total * PIXELS > Integer.MAX_VALUE - 8) throw new IOException("[cifar] " + total + " images do not fit one array");
        byte[] px = new byte[(int) total * PIXELS];
        int[] labels = new int[(int) total];
        int n = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            for (int r = 0; r < b.length / rec; r++, n++) {
                int base = r * rec;
                for (int k = 0; k < labelBytes; k++) {
                    int v = b[base + k] & 0xff;
                    if (v >= classCounts[k])
                        throw new IOException("[cifar] " + f + ": record " + r + " has label " + v + ", outside [0, " + classCounts[k] + ") (corrupt file?)");
                }
                labels[n] = b[base + use] & 0xff;
                System.arraycopy(b, base + labelBytes, px, n * PIXELS, PIXELS);
            }
        }
        return new ArrayDataset(px, labels, 3, 32, 32, names);
    }

    /** Class names, one per non-blank line; {@code fallback} when the file is absent. */
    static List<String> names(Path file, List<String> fallback) throws IOException {
        if (!Files.isRegularFile(file)) return fallback;
        List<String> r = new ArrayList<>();
        for (String line : lines(file)) if (!line.isBlank()) r.add(line.trim());
        if (r.size() != fallback.size())
            throw new IOException("[cifar] " + file + " lists " + r.size() + " class names, expected " + fallback.size());
        return r;
    }

    /** The lines of a UTF-8 text file (class names); other bytes are an IOException naming the file. */
    static List<String> lines(Path file) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException("[data] " + file + " is not UTF-8 text (class names, one per line)", e);
        }
    }

    static List<String> numbered(int n) {
        List<String> r = new ArrayList<>();
        for (int i = 0; i < n; i++) r.add(Integer.toString(i));
        return r;
    }
}
