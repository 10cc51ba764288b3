package kr.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A small reader for (gzipped) tar archives: ustar and GNU headers, GNU long names ('L') and pax
 * {@code path} records, regular files and directories (links and devices are skipped). Entries
 * that would land outside the target directory are refused.
 *
 * <pre>{@code List<Path> files = Tar.extract(Path.of("cifar-10-binary.tar.gz"), Path.of("data")); }</pre>
 */
public final class Tar {
    private static final int BLOCK = 512;

    private Tar() {}

    /** Extracts {@code archive} (.tar, or gzip by content) into {@code dir}; returns the files written. */
    public static List<Path> extract(Path archive, Path dir) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            return extract(in, dir, archive.toString());
        } catch (java.util.zip.ZipException e) {
            throw new IOException("[tar] " + archive + ": gzip data is corrupt: " + e.getMessage(), e);
        }
    }

    static List<Path> extract(InputStream in, Path dir, String what) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        Files.createDirectories(root);
        List<Path> written = new ArrayList<>();
        byte[] h = new byte[BLOCK];
        String longName = null;
        while (true) {
            if (!readBlock(in, h)) throw new IOException("[tar] " + what + ": archive ends without its end-of-archive blocks (truncated?)");
            if (allZero(h)) break;
            if (!checksumOk(h)) throw new IOException("[tar] " + what + ": header checksum mismatch after " + written.size() + " files (corrupt archive?)");
            String name = longName != null ? longName : name(h);
            longName = null;
            long size = octal(h, 124, 12, what);
            char type = (char) h[156];
            switch (type) {
                case 'L' -> longName = trimNul(new String(readData(in, size, what), StandardCharsets.UTF_8));
                case 'x' -> longName = paxPath(new String(readData(in, size, what), StandardCharsets.UTF_8));
                case 'g' -> readData(in, size, what);
                case '5' -> Files.createDirectories(target(root, name, what));
                case '0', '\0', '7' -> {
                    Path t = target(root, name, what);
                    Files.createDirectories(t.getParent());
                    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(t), 1 << 16)) {
                        copy(in, out, size, what, name);
                    }
                    skipPadding(in, size, what);
                    written.add(t);
                }
                default -> skip(in, padded(size), what); // links, devices, FIFOs: not needed for data sets
            }
        }
        return written;
    }

    private static Path target(Path root, String name, String what) throws IOException {
        Path t = root.resolve(name).normalize();
        if (name.isEmpty() || !t.startsWith(root) || Path.of(name).isAbsolute())
            throw new IOException("[tar] " + what + ": entry '" + name + "' would be written outside " + root);
        return t;
    }

    private static String name(byte[] h) {
        String n = cString(h, 0, 100);
        String magic = cString(h, 257, 6);
        if (magic.startsWith("ustar")) {
            String prefix = cString(h, 345, 155);
            if (!prefix.isEmpty()) n = prefix + "/" + n;
        }
        return n;
    }

    private static String paxPath(String records) {
        // records: "<len> key=value\n" ...
        for (String line : records.split("\n")) {
            int sp = line.indexOf(' '), eq = line.indexOf('=');
            if (sp > 0 && eq > sp && line.substring(sp + 1, eq).equals("path")) return line.substring(eq + 1);
        }
        return null;
    }

    private static boolean checksumOk(byte[] h) {
        long want;
        try {
            want = octal(h, 148, 8, "");
        } catch (IOException e) {
            return false;
        }
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        return sum == want;
    }

    static long octal(byte[] h, int off, int len, String what) throws IOException {
        if ((h[off] & 0x80) != 0) { // GNU base-256 for large sizes
            long v = h[off] & 0x7f;
            for (int i = 1; i < len; i++) v = (v << 8) | (h[off + i] & 0xff);
            return v;
        }
        long v = 0;
        for (int i = off; i < off + len; i++) {
            int c = h[i];
            if (c == 0 || c == ' ') {
                if (v == 0 && i < off + len - 1 && c == ' ') continue;
                break;
            }
            if (c < '0' || c > '7') throw new IOException("[tar] " + what + ": bad octal number in header");
            v = v * 8 + (c - '0');
        }
        return v;
    }

    private static String cString(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int i = s.indexOf('\0');
        return i >= 0 ? s.substring(0, i) : s;
    }

    private static boolean allZero(byte[] h) {
        for (byte b : h) if (b != 0) return false;
        return true;
    }

    private static boolean readBlock(InputStream in, byte[] h) throws IOException {
        int n = in.readNBytes(h, 0, BLOCK);
        if (n == 0) return false;
        if (n < BLOCK) throw new IOException("[tar] archive ends inside a header (truncated?)");
        return true;
    }

    private static long padded(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    private static byte[] readData(InputStream in, long size, String what) throws IOException {
        if (size > 1 << 20) throw new IOException("[tar] " + what + ": extended header of " + size + " bytes is implausible");
        byte[] d = in.readNBytes((int) size);
        if (d.length != size) throw new IOException("[tar] " + what + ": archive ends inside an extended header (truncated?)");
        skipPadding(in, size, what);
        return d;
    }

    private static void copy(InputStream in, OutputStream out, long size, String what, String name) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new IOException("[tar] " + what + ": archive ends inside '" + name + "' (" + (size - left) + " of " + size + " bytes; truncated?)");
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skipPadding(InputStream in, long size, String what) throws IOException {
        skip(in, padded(size) - size, what);
    }

    private static void skip(InputStream in, long n, String what) throws IOException {
        long done = 0;
        byte[] buf = new byte[8192];
        while (done < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) throw new IOException("[tar] " + what + ": archive is truncated");
            done += r;
        }
    }
}
