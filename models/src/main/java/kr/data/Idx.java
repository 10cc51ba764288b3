package kr.data;

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
        Parsed im = read(images, 0x00000803, 3), lb = read(labels, 0x00000801, 1);
        int n = im.dims[0], rows = im.dims[1], cols = im.dims[2];
        if (lb.dims[0] != n) throw new IOException("[idx] " + images + " has " + n + " images but " + labels + " has " + lb.dims[0] + " labels");
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lb.data[i] & 0xff;
            if (y[i] >= classes.size())
                throw new IOException("[idx] " + labels + ": record " + i + " has label " + y[i] + ", outside [0, " + classes.size() + ")");
        }
        return new ArrayDataset(im.data, y, 1, rows, cols, classes);
    }

    /** A file's dimensions and its data bytes (after the header). */
    record Parsed(int[] dims, byte[] data) {}

    /**
     * Reads an IDX file, un-gzipped when it starts with the gzip magic 1f 8b: the header first, then
     * exactly the bytes it announces, so a file that inflates to more than that (a compression bomb)
     * or less (truncated) is refused without holding more than the announced size.
     */
    static Parsed read(Path f, int magic, int ndims) throws IOException {
        if (!Files.isRegularFile(f)) throw new IOException("[idx] " + f + " is missing");
        try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
            raw.mark(2);
            boolean gz = raw.read() == 0x1f & raw.read() == 0x8b;
            raw.reset();
            try (InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
                int hlen = 4 + 4 * ndims;
                ByteBuffer h = ByteBuffer.wrap(in.readNBytes(hlen));
                int[] d = header(f, h, magic, ndims);
                long size = 1;
                for (int x : d) {
                    size *= x; // each factor < 2^31 and size <= 2^31 before it: no overflow
                    if (size > Integer.MAX_VALUE - 16) break;
                }
                if (size > Integer.MAX_VALUE - 16)
                    throw new IOException("[idx] " + f + ": the header's " + dimsText(d) + " bytes of data are more than kr loads (2^31)");
                byte[] data = in.readNBytes((int) size);
                if (data.length < size)
                    throw new IOException("[idx] " + f + ": " + (hlen + data.length) + " bytes" + (gz ? " (inflated)" : "") + ", but the header's "
                            + dimsText(d) + " needs " + (hlen + size) + " (truncated or corrupt?)");
                if (in.read() != -1)
                    throw new IOException("[idx] " + f + ": longer than the header's " + dimsText(d) + " (" + (hlen + size) + " bytes" + (gz ? " inflated" : "")
                            + "): corrupt, or not an IDX file");
                return new Parsed(d, data);
            }
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException("[idx] " + f + ": gzip data is corrupt or truncated: " + e.getMessage(), e);
        }
    }

    private static String dimsText(int[] d) {
        StringBuilder b = new StringBuilder();
        for (int x : d) b.append(b.length() == 0 ? "" : "x").append(x);
        return b.toString();
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
}
