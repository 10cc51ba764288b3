package kr.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path tmp;

    static int rgb(int i, int y, int x) {
        return ((i * 40 + y * 7) & 0xff) << 16 | ((i * 3 + x * 5) & 0xff) << 8 | ((x * y + i) & 0xff);
    }

    static void writeImage(Path f, int i, int w, int h, String format) throws IOException {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bi.setRGB(x, y, rgb(i, y, x));
        Files.createDirectories(f.getParent());
        assertTrue(ImageIO.write(bi, format, f.toFile()));
    }

    /** split/<class>/<n>.png for classes "zebra", "ant", "moth" (2, 3, 1 images), 6x5 pixels. */
    Path pngFolder() throws IOException {
        Path d = tmp.resolve("set/train");
        int i = 0;
        for (String[] c : new String[][] {{"zebra", "2"}, {"ant", "3"}, {"moth", "1"}})
            for (int k = 0; k < Integer.parseInt(c[1]); k++) writeImage(d.resolve(c[0]).resolve("img" + k + ".png"), i++, 6, 5, "png");
        return d;
    }

    static void assertPixels(Dataset ds, int index, int pattern) {
        int h = ds.height(), w = ds.width();
        byte[] got = new byte[3 * h * w];
        ds.image(index, got, 0);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = rgb(pattern, y, x);
                assertEquals((byte) (v >> 16), got[y * w + x], "R at " + y + "," + x);
                assertEquals((byte) (v >> 8), got[h * w + y * w + x], "G");
                assertEquals((byte) v, got[2 * h * w + y * w + x], "B");
            }
    }

    @Test
    void sortedClassesExactPngPixelsAndCache() throws IOException {
        Path d = pngFolder();
        List<String> log = new ArrayList<>();
        Path cacheDir = tmp.resolve("cache-sorted");
        ImageFolder.Options o = new ImageFolder.Options(cacheDir, true, 2, log::add);
        ArrayDataset ds = ImageFolder.load(d, o);
        assertEquals(List.of("ant", "moth", "zebra"), ds.classes());
        assertEquals(List.of(6, 3, 5, 6), List.of(ds.size(), ds.channels(), ds.height(), ds.width()));
        assertArrayEquals(new int[] {0, 0, 0, 1, 2, 2}, new int[] {ds.label(0), ds.label(1), ds.label(2), ds.label(3), ds.label(4), ds.label(5)});
        assertPixels(ds, 0, 2); // ant/img0 was the third image written
        assertPixels(ds, 4, 0); // zebra/img0
        assertTrue(log.stream().anyMatch(l -> l.contains("cached as")), log.toString());
        assertEquals(1, caches(cacheDir).size());
        assertEquals(0, caches(d).size(), "nothing is written into the data folder");

        log.clear();
        ArrayDataset again = ImageFolder.load(d, o);
        assertTrue(log.stream().anyMatch(l -> l.contains("from cache")), log.toString());
        assertEquals(ds.classes(), again.classes());
        assertArrayEquals(ds.pixels(), again.pixels());
        assertArrayEquals(ds.labels(), again.labels());
    }

    @Test
    void corruptOrStaleCacheIsRebuilt() throws IOException {
        Path d = pngFolder();
        List<String> log = new ArrayList<>();
        Path cacheDir = tmp.resolve("cache-stale");
        ImageFolder.Options o = new ImageFolder.Options(cacheDir, true, 1, log::add);
        ArrayDataset ds = ImageFolder.load(d, o);
        Path cache = caches(cacheDir).get(0);
        byte[] raw = Files.readAllBytes(cache);
        raw[raw.length / 2] ^= 0x40;
        Files.write(cache, raw);
        log.clear();
        ArrayDataset rebuilt = ImageFolder.load(d, o);
        assertTrue(log.stream().anyMatch(l -> l.contains("checksum mismatch")), log.toString());
        assertArrayEquals(ds.pixels(), rebuilt.pixels());

        // touching one image changes the key: a new cache replaces the old one
        Path f = d.resolve("moth/img0.png");
        writeImage(f, 42, 6, 5, "png");
        Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 5000));
        log.clear();
        ArrayDataset changed = ImageFolder.load(d, o);
        assertTrue(log.stream().anyMatch(l -> l.contains("decoded")), log.toString());
        assertPixels(changed, 3, 42);
        assertEquals(1, caches(cacheDir).size(), "the stale cache is removed");
        assertNotEquals(cache, caches(cacheDir).get(0));
    }

    @Test
    void cacheDirOptionAndJpegDecoding() throws IOException {
        Path d = tmp.resolve("jpg/train");
        for (int i = 0; i < 4; i++) writeImage(d.resolve(i < 2 ? "cat" : "dog").resolve(i + ".jpg"), i, 32, 32, "jpg");
        Path cacheDir = tmp.resolve("cache");
        ArrayDataset ds = ImageFolder.load(d, new ImageFolder.Options(cacheDir, true, 2, s -> {}));
        assertEquals(4, ds.size());
        assertEquals(1, caches(cacheDir).size());
        assertEquals(0, caches(d).size());
        // JPEG is lossy: decoded pixels are close to what was written, on average
        byte[] px = new byte[3 * 32 * 32];
        ds.image(1, px, 0);
        double err = 0;
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) err += Math.abs((px[y * 32 + x] & 0xff) - ((rgb(1, y, x) >> 16) & 0xff));
        assertTrue(err / 1024 < 12, "mean |R error| " + err / 1024);
    }

    @Test
    void greyImagesAreReplicatedIntoThreePlanes() throws IOException {
        Path d = tmp.resolve("grey/train/only");
        BufferedImage bi = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) bi.getRaster().setSample(x, y, 0, 10 + 40 * y + x);
        Files.createDirectories(d);
        ImageIO.write(bi, "png", d.resolve("g.png").toFile());
        ArrayDataset ds = ImageFolder.load(d.getParent(), new ImageFolder.Options(null, false, 1, s -> {}));
        byte[] px = new byte[18];
        ds.image(0, px, 0);
        for (int ch = 0; ch < 3; ch++) assertEquals(51, px[ch * 6 + 4] & 0xff, "channel " + ch);
    }

    @Test
    void wrongSizeAndUndecodableFilesAreNamed() throws IOException {
        Path d = pngFolder();
        writeImage(d.resolve("zebra/odd.png"), 9, 7, 5, "png");
        String m = assertThrows(IOException.class, () -> ImageFolder.load(d, new ImageFolder.Options(null, false, 2, s -> {}))).getMessage();
        assertTrue(m.contains("zebra/odd.png is 7x5") && m.contains("all images must have one size"), m);
        Files.delete(d.resolve("zebra/odd.png"));
        Files.write(d.resolve("moth/broken.jpg"), new byte[] {1, 2, 3, 4});
        m = assertThrows(IOException.class, () -> ImageFolder.load(d, new ImageFolder.Options(null, false, 2, s -> {}))).getMessage();
        assertTrue(m.contains("moth/broken.jpg") && m.contains("cannot be decoded"), m);
    }

    @Test
    void imageFolderLayoutIsDetected() throws IOException {
        pngFolder();
        writeImage(tmp.resolve("set/test/ant/a.png"), 1, 6, 5, "png");
        Dataset test = DataSources.open(tmp.resolve("set"), "test");
        assertEquals(1, test.size());
        assertEquals(List.of("ant"), test.classes());
        assertEquals(6, DataSources.open(tmp.resolve("set"), "train").size());
    }

    static List<Path> caches(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".kr-cache-") && p.toString().endsWith(".bin")).toList();
        }
    }
}
