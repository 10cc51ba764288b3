package kr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import kr.io.Hostile;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the image-folder reader ({@link ImageFolder}) and its decoded cache: small folders of
 * PNG, BMP and JPEG images damaged by truncation, bit flips, junk and empty files, images of another
 * size, and decompression bombs (a real image whose header is patched to announce up to 2^31 - 1 x
 * 2^31 - 1 pixels, which the decoders would allocate); and valid caches damaged by truncation, bit
 * flips and hostile sizes. A folder loads or fails with an IOException whose one-line message starts
 * with {@code [image-folder]}; a damaged cache is rebuilt, never an error. Never an Error or another
 * exception, and at most {@value #BYTES_PER_BYTE} heap bytes per byte of the files plus
 * {@link #SLACK} on the calling thread, which decodes the first image (a bomb is made the first image
 * half the time; the other images are decoded by a pool whose allocations this counter does not see,
 * behind the same size check).
 */
class ImageFolderFuzzTest extends Hostile.Suite {
    static final long BYTES_PER_BYTE = 64;
    /** ImageIO's readers allocate tables and buffers of their own per image (JPEG's Huffman and quantisation tables, PNG's inflater). */
    static final long SLACK = Hostile.SLACK + (2L << 20);
    static final String[] FORMATS = {"png", "bmp", "jpg"};


    ImageFolderFuzzTest() throws IOException {
        super("kr-image-folder-fuzz");
        ImageIO.read(new java.io.ByteArrayInputStream(encode(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), "png"))); // the readers' registry, once
    }



    static byte[] encode(BufferedImage bi, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(bi, format, out)) throw new IOException("no writer for " + format);
        return out.toByteArray();
    }

    static BufferedImage image(Random r, int w, int h) {
        BufferedImage bi = new BufferedImage(w, h, r.nextInt(3) == 0 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bi.setRGB(x, y, r.nextInt());
        return bi;
    }

    /** {@code img} with its header's width and height replaced (PNG's IHDR with its CRC, BMP's info header, JPEG's SOF0), or null. */
    static byte[] withSize(byte[] img, String format, long w, long h) {
        byte[] b = img.clone();
        switch (format) {
            case "png" -> { // signature(8), IHDR length(4) "IHDR"(4) width(4) height(4) ... CRC over type and data
                ByteBuffer.wrap(b).putInt(16, (int) w).putInt(20, (int) h);
                CRC32 crc = new CRC32();
                crc.update(b, 12, 17);
                ByteBuffer.wrap(b).putInt(29, (int) crc.getValue());
            }
            case "bmp" -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(18, (int) w).putInt(22, (int) h);
            default -> { // JPEG: FF C0 (baseline SOF), length(2), precision(1), height(2), width(2)
                for (int i = 2; i + 8 < b.length; i++)
                    if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == 0xc0) {
                        ByteBuffer.wrap(b).putShort(i + 5, (short) Math.min(h, 0xffff)).putShort(i + 7, (short) Math.min(w, 0xffff));
                        return b;
                    }
                return null;
            }
        }
        return b;
    }

    enum Damage {
        NONE, TRUNCATE, FLIP_BITS, JUNK, EMPTY_FILE, BOMB, OTHER_SIZE, EMPTY_CLASS, NO_CLASSES
    }

    static final long[][] BOMBS = {{1 << 15, 1 << 15}, {100_000, 100_000}, {5000, 5000}, {4097, 4096}, {1, 1 << 25}, {Integer.MAX_VALUE, 1},
        {Integer.MAX_VALUE, Integer.MAX_VALUE}, {65535, 65535}, {-1, 5}, {0, 7}};

    /** Writes dir/<class>/<n>.<fmt> images (all w x h); returns the image files in load order. */
    static List<Path> folder(Path dir, Random r, int w, int h) throws IOException {
        List<Path> files = new ArrayList<>();
        int classes = 1 + r.nextInt(3);
        for (int c = 0; c < classes; c++) {
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                String fmt = FORMATS[r.nextInt(FORMATS.length)];
                Path f = Files.createDirectories(dir.resolve("class" + c)).resolve(k + "." + fmt);
                Files.write(f, encode(image(r, w, h), fmt));
                files.add(f);
            }
        }
        files.sort(null);
        return files;
    }

    static long size(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /**
     * Seeds that once allocated 38 MB for a folder of a few KB: a bit flip in a PNG's IHDR (which ImageIO
     * does not check against its CRC) and in a JPEG's size, each announcing about 2000 x 1000 pixels.
     */
    @Test
    void damagedSizesFailBeforeTheDecoderAllocatesThem() throws IOException {
        loadsTheFolderOrFailsNamingTheImage(Damage.FLIP_BITS, 943733351349044290L);
        loadsTheFolderOrFailsNamingTheImage(Damage.FLIP_BITS, -7295092729492608709L);
    }

    @Property(tries = 360)
    void loadsTheFolderOrFailsNamingTheImage(@ForAll Damage how, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        int w = 1 + r.nextInt(8), h = 1 + r.nextInt(8);
        Path dir = tmp.resolve(Long.toHexString(seed)).resolve("train");
        List<Path> files = folder(dir, r, w, h);
        Path victim = r.nextBoolean() ? files.get(0) : files.get(r.nextInt(files.size())); // the first is decoded on this thread
        String fmt = victim.getFileName().toString().substring(victim.getFileName().toString().indexOf('.') + 1);
        byte[] b = Files.readAllBytes(victim);
        boolean mustFail = false;
        switch (how) {
            case TRUNCATE -> Files.write(victim, Hostile.truncate(b, r));
            case FLIP_BITS -> Files.write(victim, Hostile.flipBits(b, r, 6));
            case JUNK -> {
                byte[] junk = new byte[r.nextInt(200)];
                r.nextBytes(junk);
                Files.write(victim, junk);
                mustFail = true;
            }
            case EMPTY_FILE -> {
                Files.write(victim, new byte[0]);
                mustFail = true;
            }
            case BOMB -> {
                long[] dims = BOMBS[r.nextInt(BOMBS.length)];
                byte[] big = withSize(b, fmt, dims[0], dims[1]);
                if (big != null) Files.write(victim, big);
                // JPEG's fields are 16 bits: what the file then announces
                long ew = fmt.equals("jpg") ? Math.min(dims[0], 0xffff) & 0xffff : dims[0], eh = fmt.equals("jpg") ? Math.min(dims[1], 0xffff) & 0xffff : dims[1];
                mustFail = big != null && ew >= 1 && eh >= 1 && ew * eh > ImageFolder.MAX_PIXELS;
            }
            case OTHER_SIZE -> {
                if (files.size() > 1) {
                    Files.write(victim, encode(image(r, w + 1 + r.nextInt(3), h), fmt));
                    mustFail = true;
                }
            }
            case EMPTY_CLASS -> Files.createDirectories(dir.resolve("class9"));
            case NO_CLASSES -> {
                for (Path f : files) Files.move(f, dir.resolve(f.getParent().getFileName() + "-" + f.getFileName()));
                for (Path f : files) Files.deleteIfExists(f.getParent());
                mustFail = true;
            }
            default -> {}
        }
        long bytes = size(dir);
        ImageFolder.Options o = new ImageFolder.Options(tmp.resolve("cache"), r.nextBoolean(), 1, s -> {});
        Hostile.Outcome<ArrayDataset> out = Hostile.run(() -> ImageFolder.load(dir, o));
        String what = how + " on " + dir.relativize(victim) + " (seed " + seed + ", " + bytes + " bytes)";
        Hostile.check(out, what, SLACK + BYTES_PER_BYTE * bytes, "[image-folder] ", IOException.class);
        if (mustFail) assertTrue(out.error() != null, () -> "accepted: " + what);
        if (how == Damage.NONE || how == Damage.EMPTY_CLASS) {
            assertNotNull(out.value(), () -> "a valid folder fails: " + out.error());
            assertEquals(files.size(), out.value().size());
            assertEquals(List.of(w, h), List.of(out.value().width(), out.value().height()));
        }
        clearTry();
    }

    enum CacheDamage {
        TRUNCATE, FLIP_BITS, HOSTILE_SIZES, APPEND, EMPTY
    }

    /** A damaged cache is noticed (checksum, sizes, length) and rebuilt from the images: the same data set, no exception. */
    @Property(tries = 200)
    void aDamagedCacheIsRebuilt(@ForAll CacheDamage how, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        Path dir = tmp.resolve(Long.toHexString(seed)).resolve("train"), cacheDir = tmp.resolve(Long.toHexString(seed)).resolve("cache");
        folder(dir, r, 1 + r.nextInt(6), 1 + r.nextInt(6));
        List<String> log = new ArrayList<>();
        ImageFolder.Options o = new ImageFolder.Options(cacheDir, true, 1, log::add);
        ArrayDataset first = ImageFolder.load(dir, o);
        Path cache;
        try (var s = Files.list(cacheDir)) {
            cache = s.filter(p -> p.getFileName().toString().endsWith(".bin")).findFirst().orElseThrow();
        }
        byte[] c = Files.readAllBytes(cache);
        switch (how) {
            case TRUNCATE -> c = Hostile.truncate(c, r);
            case FLIP_BITS -> c = Hostile.flipBits(c, r, 4);
            case HOSTILE_SIZES -> { // magic(8) key(32) then n, c, h, w, class count
                ByteBuffer bb = ByteBuffer.wrap(c);
                for (int k = 1 + r.nextInt(3); k > 0; k--) bb.putInt(40 + 4 * r.nextInt(5), (int) Hostile.hostileNumber(r));
            }
            case APPEND -> c = java.util.Arrays.copyOf(c, c.length + 1 + r.nextInt(64));
            case EMPTY -> c = new byte[0];
        }
        Files.write(cache, c);
        long bytes = size(tmp.resolve(Long.toHexString(seed)));
        log.clear();
        Hostile.Outcome<ArrayDataset> out = Hostile.run(() -> ImageFolder.load(dir, o));
        String what = how + " (seed " + seed + ", cache of " + c.length + " bytes)";
        Hostile.check(out, what, SLACK + BYTES_PER_BYTE * bytes, null);
        assertNotNull(out.value(), what);
        assertEquals(first.size(), out.value().size(), what);
        assertArrayEquals(first.pixels(), out.value().pixels(), what);
        assertArrayEquals(first.labels(), out.value().labels(), what);
        clearTry();
    }

    /** The bomb as a user would meet it: a 1 KB PNG that announces 100000 x 100000 pixels is refused before decoding, naming it. */
    @Test
    void aPngThatAnnouncesTenGigapixelsIsRefusedBeforeDecoding() throws IOException {
        Path dir = tmp.resolve("bomb/train");
        Path f = Files.createDirectories(dir.resolve("cat")).resolve("big.png");
        Files.write(f, withSize(encode(image(new Random(1), 8, 8), "png"), "png", 100_000, 100_000));
        Hostile.Outcome<ArrayDataset> out = Hostile.run(() -> ImageFolder.load(dir, new ImageFolder.Options(tmp.resolve("cache"), false, 1, s -> {})));
        assertTrue(out.error() instanceof IOException, () -> String.valueOf(out.error()));
        assertEquals("[image-folder] cat/big.png announces 100000x100000 pixels; kr decodes images of at most 16777216 pixels (4096x4096)",
                out.error().getMessage());
        assertTrue(out.allocated() < SLACK, out.allocated() + " bytes");
        clean();
    }
}
