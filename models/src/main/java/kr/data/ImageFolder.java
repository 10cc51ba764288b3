package kr.data;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import javax.imageio.ImageIO;
import kr.io.AtomicFiles;

/**
 * A folder of images with one sub-folder per class (torchvision's ImageFolder): classes are the
 * sorted sub-folder names, images are the JPEG/PNG/BMP files under each (sorted by path), read
 * with {@code javax.imageio} as RGB (grey images are replicated into three planes). All images
 * must have the same size.
 *
 * <p>Decoding tens of thousands of JPEGs takes a while, so the decoded set is cached in one
 * binary file {@code .kr-cache-<folder>-<key>.bin}, keyed by every file's path, size and
 * modification time; a cache that fails its checksum or no longer matches is rebuilt. The cache
 * lives in {@code Options.cacheDir}, by default {@link #defaultCacheDir()} ({@code ~/.cache/kr}),
 * never in the data folder.
 *
 * <pre>{@code ArrayDataset train = ImageFolder.load(Path.of("cifar10/train"), ImageFolder.Options.DEFAULT); }</pre>
 */
public final class ImageFolder {
    private static final byte[] MAGIC = "KRIMGC01".getBytes(StandardCharsets.US_ASCII);
    private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp");

    /**
     * {@code cacheDir}: where the decoded cache goes (null: {@link #defaultCacheDir()}); {@code useCache} false decodes every time; {@code threads} decoder threads
     * (0: one per core); {@code log} receives progress lines.
     */
    public record Options(Path cacheDir, boolean useCache, int threads, Consumer<String> log) {
        public static final Options DEFAULT = new Options(null, true, 0, s -> {});

        public Options withLog(Consumer<String> l) {
            return new Options(cacheDir, useCache, threads, l);
        }
    }

    private ImageFolder() {}

    public static ArrayDataset load(Path dir) throws IOException {
        return load(dir, Options.DEFAULT);
    }

    public static ArrayDataset load(Path dir, Options o) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException("[image-folder] " + dir + " is not a directory");
        List<String> classes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).map(p -> p.getFileName().toString()).sorted()
                    .forEach(classes::add);
        }
        if (classes.isEmpty()) throw new IOException("[image-folder] " + dir + " has no class sub-folders");
        for (int c = 0; c < classes.size(); c++) {
            List<Path> mine;
            try (Stream<Path> s = Files.walk(dir.resolve(classes.get(c)))) {
                mine = s.filter(p -> Files.isRegularFile(p) && isImage(p)).sorted().toList();
            }
            for (Path p : mine) {
                files.add(p);
                labels.add(c);
            }
        }
        if (files.isEmpty()) throw new IOException("[image-folder] " + dir + ": no .jpg/.jpeg/.png/.bmp files under " + classes.size() + " class folders");
        byte[] key = key(dir, classes, files);
        Path cache = o.useCache() ? cachePath(dir, key, o.cacheDir()) : null;
        if (cache != null && Files.isRegularFile(cache)) {
            ArrayDataset ds = readCache(cache, key, o.log());
            if (ds != null) return ds;
        }
        long t0 = System.nanoTime();
        ArrayDataset ds = decode(dir, files, labels.stream().mapToInt(Integer::intValue).toArray(), classes, o);
        o.log().accept(String.format(Locale.ROOT, "[image-folder] decoded %d images of %dx%d from %s in %.1f s", ds.size(), ds.height(), ds.width(), dir,
                (System.nanoTime() - t0) / 1e9));
        if (cache != null) {
            try {
                writeCache(cache, key, ds);
                removeOtherCaches(cache);
                o.log().accept("[image-folder] cached as " + cache);
            } catch (IOException e) {
                o.log().accept("[image-folder] could not write the cache " + cache + ": " + e.getMessage() + " (continuing without it)");
            }
        }
        return ds;
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.startsWith(".")) return false;
        for (String e : EXTENSIONS) if (n.endsWith(e)) return true;
        return false;
    }

    private static ArrayDataset decode(Path dir, List<Path> files, int[] labels, List<String> classes, Options o) throws IOException {
        // the first image's announced size is checked against the second's before it is decoded, as every other image's is
        // against the first's: a damaged header within MAX_PIXELS then fails before the decoder allocates it
        int[] second = files.size() > 1 ? announced(dir, files.get(1)) : null;
        BufferedImage first = readImage(dir, files.get(0), second, files.size() > 1 ? files.get(1) : null);
        int h = first.getHeight(), w = first.getWidth(), img = 3 * h * w;
        if ((long) img * files.size() > Integer.MAX_VALUE - 8)
            throw new IOException("[image-folder] " + dir + ": " + files.size() + " images of " + w + "x" + h + " do not fit one array");
        byte[] px = new byte[img * files.size()];
        int threads = o.threads() > 0 ? o.threads() : Runtime.getRuntime().availableProcessors();
        int chunk = Math.max(64, (files.size() + threads * 4 - 1) / (threads * 4));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "kr-image-decode");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int from = 0; from < files.size(); from += chunk) {
                int f0 = from, f1 = Math.min(files.size(), from + chunk);
                parts.add(pool.submit(() -> {
                    for (int i = f0; i < f1; i++) {
                        BufferedImage bi = i == 0 ? first : readImage(dir, files.get(i), new int[] {w, h}, files.get(0));
                        if (bi.getWidth() != w || bi.getHeight() != h)
                            throw new IOException("[image-folder] " + dir.relativize(files.get(i)) + " is " + bi.getWidth() + "x" + bi.getHeight() + " but "
                                    + dir.relativize(files.get(0)) + " is " + w + "x" + h + "; all images must have one size");
                        toChw(bi, px, i * img);
                    }
                    return null;
                }));
            }
            for (Future<?> f : parts) f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException("[image-folder] decoding failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("[image-folder] interrupted while decoding " + dir, e);
        } finally {
            pool.shutdownNow();
        }
        return new ArrayDataset(px, labels, 3, h, w, classes);
    }

    /**
     * Most pixels (width x height) of one image kr decodes: 4096 x 4096. An image header can announce
     * far more in a few bytes (a PNG of 100000 x 100000 zeros compresses to kilobytes), and the decoder
     * allocates what it announces; the size is checked before decoding.
     */
    public static final long MAX_PIXELS = 1L << 24;

    /** The width and height that f's header announces, without decoding it (at most {@link #MAX_PIXELS}). */
    private static int[] announced(Path dir, Path f) throws IOException {
        int[] wh = new int[2];
        withReader(dir, f, reader -> {
            wh[0] = reader.getWidth(0);
            wh[1] = reader.getHeight(0);
            checkPixels(dir.relativize(f), wh[0], wh[1]);
            return null;
        });
        return wh;
    }

    private static void checkPixels(Path rel, long w, long h) throws IOException {
        if (w < 1 || h < 1 || w * h > MAX_PIXELS)
            throw new IOException("[image-folder] " + rel + " announces " + w + "x" + h + " pixels; kr decodes images of at most " + MAX_PIXELS
                    + " pixels (4096x4096)");
    }

    private interface ReaderUse<T> {
        T apply(javax.imageio.ImageReader reader) throws IOException;
    }

    /**
     * Decodes f after checking what its header announces: at most {@link #MAX_PIXELS}, and {@code expect}
     * (width, height; null: anything) as {@code ref} announced it.
     */
    private static BufferedImage readImage(Path dir, Path f, int[] expect, Path ref) throws IOException {
        Path rel = dir.relativize(f);
        return withReader(dir, f, reader -> {
            long w = reader.getWidth(0), h = reader.getHeight(0);
            checkPixels(rel, w, h);
            if (expect != null && (w != expect[0] || h != expect[1]))
                throw new IOException("[image-folder] " + rel + " is " + w + "x" + h + " but " + dir.relativize(ref) + " is " + expect[0] + "x" + expect[1]
                        + "; all images must have one size");
            BufferedImage bi = reader.read(0);
            if (bi == null) throw new IOException("[image-folder] " + rel + " cannot be decoded (not a JPEG, PNG or BMP image?)");
            return bi;
        });
    }

    private static <T> T withReader(Path dir, Path f, ReaderUse<T> use) throws IOException {
        Path rel = dir.relativize(f);
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? java.util.Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException("[image-folder] " + rel + " cannot be decoded (not a JPEG, PNG or BMP image?)");
            javax.imageio.ImageReader reader = readers.next();
            try {
                checkPngHeader(f, rel);
                reader.setInput(in, true, true);
                return use.apply(reader);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("[image-folder]")) throw e;
            throw new IOException("[image-folder] " + rel + " cannot be decoded: " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        }
    }

    /**
     * A PNG's header chunk (IHDR: its size and pixel format) must match its CRC. ImageIO's reader does
     * not check it, and a damaged size within {@link #MAX_PIXELS} would have it allocate up to 64 MB for
     * a file of a few hundred bytes (ImageFolderFuzzTest, FLIP_BITS, seed 943733351349044290: 38 MB).
     */
    private static void checkPngHeader(Path f, Path rel) throws IOException {
        byte[] head = new byte[33]; // signature 8, then IHDR: length 4, type 4, data 13, CRC 4
        int n;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(f)) {
            n = in.readNBytes(head, 0, head.length);
        }
        boolean png = n >= 8 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
        if (!png) return;
        if (n < head.length || head[12] != 'I' || head[13] != 'H' || head[14] != 'D' || head[15] != 'R')
            throw new IOException("[image-folder] " + rel + " is a PNG without its IHDR header chunk (damaged file)");
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(head, 12, 17);
        long stored = java.nio.ByteBuffer.wrap(head, 29, 4).getInt() & 0xffffffffL;
        if (crc.getValue() != stored) throw new IOException("[image-folder] " + rel + " has a damaged PNG header: the IHDR chunk fails its CRC");
    }

    /** Writes the image as R, G, B planes at {@code off}; reads raster samples so grey and RGB values are exact. */
    public static void toChw(BufferedImage bi, byte[] dst, int off) {
        int h = bi.getHeight(), w = bi.getWidth(), plane = h * w;
        Raster r = bi.getRaster();
        int bands = r.getNumBands();
        if (bi.getColorModel() instanceof IndexColorModel) {
            int[] argb = bi.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < plane; i++) {
                dst[off + i] = (byte) (argb[i] >> 16);
                dst[off + plane + i] = (byte) (argb[i] >> 8);
                dst[off + 2 * plane + i] = (byte) argb[i];
            }
            return;
        }
        int[] s = r.getPixels(0, 0, w, h, (int[]) null);
        for (int i = 0; i < plane; i++) {
            int base = i * bands;
            if (bands < 3) { // grey (with or without alpha)
                byte g = (byte) s[base];
                dst[off + i] = g;
                dst[off + plane + i] = g;
                dst[off + 2 * plane + i] = g;
            } else {
                dst[off + i] = (byte) s[base];
                dst[off + plane + i] = (byte) s[base + 1];
                dst[off + 2 * plane + i] = (byte) s[base + 2];
            }
        }
    }

    /** SHA-256 over the format version, class names and each file's relative path, size and mtime. */
    static byte[] key(Path dir, List<String> classes, List<Path> files) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(buf);
            out.write(MAGIC);
            out.writeInt(classes.size());
            for (String c : classes) out.writeUTF(c);
            out.writeInt(files.size());
            for (Path f : files) {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                out.writeUTF(dir.relativize(f).toString().replace('\\', '/'));
                out.writeLong(a.size());
                out.writeLong(a.lastModifiedTime().toMillis());
                if (buf.size() > 1 << 16) {
                    md.update(buf.toByteArray());
                    buf.reset();
                }
            }
            md.update(buf.toByteArray());
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path cachePath(Path dir, byte[] key, Path cacheDir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        String name = ".kr-cache-" + HexFormat.of().formatHex(sha(abs.toString()), 0, 6) + "-" + HexFormat.of().formatHex(key, 0, 8) + ".bin";
        return (cacheDir != null ? cacheDir : defaultCacheDir()).resolve(name);
    }

    /** {@code $KR_CACHE_DIR}, else {@code $XDG_CACHE_HOME/kr}, else {@code ~/.cache/kr}: never inside the data folder, where other tools would list it. */
    public static Path defaultCacheDir() {
        String kr = System.getenv("KR_CACHE_DIR"), xdg = System.getenv("XDG_CACHE_HOME");
        if (kr != null && !kr.isBlank()) return Path.of(kr);
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "kr");
        return Path.of(System.getProperty("user.home"), ".cache", "kr");
    }

    private static byte[] sha(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Layout: magic, key[32], n, c, h, w, class count, names, labels[n], pixels, CRC32C of all before. */
    static void writeCache(Path cache, byte[] key, ArrayDataset ds) throws IOException {
        AtomicFiles.write(cache, os -> {
            CRC32C crc = new CRC32C();
            DataOutputStream out = new DataOutputStream(new java.util.zip.CheckedOutputStream(os, crc));
            out.write(MAGIC);
            out.write(key);
            out.writeInt(ds.size());
            out.writeInt(ds.channels());
            out.writeInt(ds.height());
            out.writeInt(ds.width());
            out.writeInt(ds.classes().size());
            for (String c : ds.classes()) out.writeUTF(c);
            ByteBuffer lb = ByteBuffer.allocate(4 * ds.size());
            lb.asIntBuffer().put(ds.labels());
            out.write(lb.array());
            out.write(ds.pixels());
            out.flush();
            new DataOutputStream(os).writeLong(crc.getValue());
        });
    }

    /** The cached data set, or null (with a log line saying why) when the file is stale or damaged. */
    static ArrayDataset readCache(Path cache, byte[] key, Consumer<String> log) {
        try (java.io.InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(cache), 1 << 20)) {
            long size = Files.size(cache);
            CRC32C crc = new CRC32C();
            java.io.DataInputStream in = new java.io.DataInputStream(new java.util.zip.CheckedInputStream(raw, crc));
            byte[] magic = new byte[MAGIC.length], k = new byte[32];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) return stale(log, cache, "not a kr image cache");
            in.readFully(k);
            if (!java.util.Arrays.equals(k, key)) return stale(log, cache, "made from other files");
            int n = in.readInt(), c = in.readInt(), h = in.readInt(), w = in.readInt(), nc = in.readInt();
            if (n < 0 || c < 1 || h < 1 || w < 1 || nc < 1) return stale(log, cache, "sizes do not fit the file");
            long px = Math.multiplyExact(Math.multiplyExact((long) n, c), Math.multiplyExact((long) h, w)); // factors < 2^31: an overflow throws
            if (px + 4L * n > size || px > Integer.MAX_VALUE - 8) return stale(log, cache, "sizes do not fit the file");
            List<String> classes = new ArrayList<>();
            for (int i = 0; i < nc; i++) classes.add(in.readUTF());
            byte[] lb = new byte[4 * n];
            in.readFully(lb);
            int[] labels = new int[n];
            ByteBuffer.wrap(lb).asIntBuffer().get(labels);
            byte[] pixels = new byte[(int) px];
            in.readFully(pixels);
            long stored = new java.io.DataInputStream(raw).readLong();
            if (stored != crc.getValue() || raw.read() != -1) return stale(log, cache, "checksum mismatch (corrupt)");
            log.accept("[image-folder] loaded " + n + " images from cache " + cache);
            return new ArrayDataset(pixels, labels, c, h, w, classes);
        } catch (IOException | RuntimeException e) {
            return stale(log, cache, e.toString());
        }
    }

    private static ArrayDataset stale(Consumer<String> log, Path cache, String why) {
        log.accept("[image-folder] cache " + cache + " is unusable (" + why + "); rebuilding it");
        return null;
    }

    /** Deletes older caches of the same folder (same name prefix, other key). */
    private static void removeOtherCaches(Path cache) {
        String name = cache.getFileName().toString(), prefix = name.substring(0, ".kr-cache-".length() + 12);
        try (Stream<Path> s = Files.list(cache.getParent())) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix) && n.endsWith(".bin") && !n.equals(name)) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover cache only costs disk space
        }
    }
}
