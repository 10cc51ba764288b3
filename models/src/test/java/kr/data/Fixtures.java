package kr.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Generated data files for the data tests (nothing here needs /work/shared or the network). */
final class Fixtures {
    private Fixtures() {}

    /** Pixel {@code k} of image {@code i}: a pattern that differs per image and position. */
    static byte px(int i, int k) {
        return (byte) (i * 37 + k * 11 + (k >> 5));
    }

    /** A CIFAR record: {@code labels} then 3072 pattern pixels for image {@code i}. */
    static byte[] record(int i, int... labels) {
        byte[] r = new byte[labels.length + 3072];
        for (int k = 0; k < labels.length; k++) r[k] = (byte) labels[k];
        for (int k = 0; k < 3072; k++) r[labels.length + k] = px(i, k);
        return r;
    }

    /** cifar-10-batches-bin with {@code perBatch} records in each of the 5 train batches and the test batch; label of image i is i % 10. */
    static Path cifar10(Path root, int perBatch) throws IOException {
        Path d = Files.createDirectories(root.resolve("cifar-10-batches-bin"));
        int img = 0;
        for (int b = 1; b <= 6; b++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int r = 0; r < perBatch; r++, img++) out.write(record(img, img % 10));
            Files.write(d.resolve(b <= 5 ? "data_batch_" + b + ".bin" : "test_batch.bin"), out.toByteArray());
        }
        Files.writeString(d.resolve("batches.meta.txt"), String.join("\n", CifarBinary.CIFAR10_CLASSES) + "\n\n");
        return d;
    }

    /** cifar-100-binary with {@code n} records per split; image i has coarse label i % 20, fine label (i * 7) % 100. */
    static Path cifar100(Path root, int n) throws IOException {
        Path d = Files.createDirectories(root.resolve("cifar-100-binary"));
        for (String split : new String[] {"train", "test"}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < n; i++) out.write(record(i, i % 20, (i * 7) % 100));
            Files.write(d.resolve(split + ".bin"), out.toByteArray());
        }
        StringBuilder fine = new StringBuilder(), coarse = new StringBuilder();
        for (int i = 0; i < 100; i++) fine.append("fine").append(i).append('\n');
        for (int i = 0; i < 20; i++) coarse.append("coarse").append(i).append('\n');
        Files.writeString(d.resolve("fine_label_names.txt"), fine);
        Files.writeString(d.resolve("coarse_label_names.txt"), coarse);
        return d;
    }

    /** An IDX pair ({@code n} images of rows x cols, label i % 10), gzipped or not. */
    static void idx(Path dir, String prefix, int n, int rows, int cols, boolean gz) throws IOException {
        Files.createDirectories(dir);
        java.nio.ByteBuffer im = java.nio.ByteBuffer.allocate(16 + n * rows * cols);
        im.putInt(0x803).putInt(n).putInt(rows).putInt(cols);
        for (int i = 0; i < n; i++) for (int k = 0; k < rows * cols; k++) im.put(px(i, k));
        java.nio.ByteBuffer lb = java.nio.ByteBuffer.allocate(8 + n);
        lb.putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) lb.put((byte) (i % 10));
        String ext = gz ? ".gz" : "";
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte" + ext), gz ? gzip(im.array()) : im.array());
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte" + ext), gz ? gzip(lb.array()) : lb.array());
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }

    /** A gzipped ustar archive of {@code files} (path -> content), directories implied. */
    static byte[] tarGz(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (var e : files.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (name.length > 100) { // GNU long name entry
                header(tar, "././@LongLink", name.length + 1, 'L');
                tar.write(name);
                tar.write(new byte[(int) (512 - name.length % 512)]);
            }
            header(tar, e.getKey().length() > 100 ? e.getKey().substring(0, 100) : e.getKey(), e.getValue().length, '0');
            tar.write(e.getValue());
            int pad = (512 - e.getValue().length % 512) % 512;
            tar.write(new byte[pad]);
        }
        tar.write(new byte[1024]);
        return gzip(tar.toByteArray());
    }

    private static void header(ByteArrayOutputStream tar, String name, long size, char type) throws IOException {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
        put(h, 100, String.format("%07o", 0644));
        put(h, 108, String.format("%07o", 0));
        put(h, 116, String.format("%07o", 0));
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 1_700_000_000L));
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        tar.write(h);
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
