package kr.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * IDX files (MNIST, Fashion-MNIST): {@code *-images-idx3-ubyte} (magic 0x00000803, count, rows,
 * cols, then bytes) and {@code *-labels-idx1-ubyte} (magic 0x00000801, count, then bytes), plain or
 * gzipped (detected from the content, not the name).
 *
 * <pre>{@code ArrayDataset train = Idx.load(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"), Idx.FASHION_MNIST_CLASSES); }</pre>
 */
public final class Idx {
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private Idx() {}

    /** One-channel images with their labels; every label must index {@code classes}. */
    public static ArrayDataset load(Path images, Path labels, List<String> classes) throws IOException {
        ByteBuffer im = ByteBuffer.wrap(read(images)), lb = ByteBuffer.wrap(read(labels));
        int[] dims = header(images, im, 0x00000803, 3);
        int[] ldims = header(labels, lb, 0x00000801, 1);
        int n = dims[0], rows = dims[1], cols = dims[2];
        long want = 16L + (long) n * rows * cols;
        if (im.capacity() != want)
            throw new IOException("[idx] " + images + ": " + im.capacity() + " bytes, but the header's " + n + "x" + rows + "x" + cols + " needs " + want
                    + " (truncated or corrupt?)");
        if (lb.capacity() != 8L + ldims[0])
            throw new IOException("[idx] " + labels + ": " + lb.capacity() + " bytes, but the header's " + ldims[0] + " labels need " + (8L + ldims[0]));
        if (ldims[0] != n) throw new IOException("[idx] " + images + " has " + n + " images but " + labels + " has " + ldims[0] + " labels");
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lb.get(8 + i) & 0xff;
            if (y[i] >= classes.size())
                throw new IOException("[idx] " + labels + ": record " + i + " has label " + y[i] + ", outside [0, " + classes.size() + ")");
        }
        byte[] px = new byte[n * rows * cols];
        im.get(16, px);
        return new ArrayDataset(px, y, 1, rows, cols, classes);
    }

    private static int[] header(Path f, ByteBuffer b, int magic, int ndims) throws IOException {
        if (b.capacity() < 4) throw new IOException("[idx] " + f + ": " + b.capacity() + " bytes is too short for an IDX header");
        int m = b.getInt(0);
        if (m != magic)
            throw new IOException("[idx] " + f + ": magic 0x" + String.format("%08x", m) + ", expected 0x" + String.format("%08x", magic) + " ("
                    + (ndims == 1 ? "labels, 1 dim" : "unsigned-byte images, 3 dims") + ")");
        if (b.capacity() < 4 + 4 * ndims) throw new IOException("[idx] " + f + ": " + b.capacity() + " bytes is too short for an IDX header");
        int[] d = new int[ndims];
        for (int i = 0; i < ndims; i++) {
            d[i] = b.getInt(4 + 4 * i);
            if (d[i] < 0 || (i > 0 && d[i] == 0)) throw new IOException("[idx] " + f + ": dimension " + i + " is " + d[i]);
        }
        return d;
    }

    /** The file's bytes, un-gzipped when it starts with the gzip magic 1f 8b. */
    static byte[] read(Path f) throws IOException {
        if (!Files.isRegularFile(f)) throw new IOException("[idx] " + f + " is missing");
        byte[] raw = Files.readAllBytes(f);
        if (raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) return raw;
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IOException("[idx] " + f + ": gzip data is corrupt or truncated: " + e.getMessage(), e);
        }
    }
}
