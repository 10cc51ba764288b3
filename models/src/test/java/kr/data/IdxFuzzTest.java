package kr.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import kr.io.Hostile;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the IDX reader ({@link Idx}, plain and gzipped): small valid image/label pairs damaged by
 * truncation (of the bytes or of the gzip stream), bit flips, wrong magic numbers, hostile dimensions
 * (negative, zero, 2^31 - 1, products that overflow a long), count and label mismatches, trailing
 * bytes, and compression bombs (a valid file followed by a gzip member of {@value #BOMB_MB} MB of
 * zeros). Every outcome is the data set or an IOException whose one-line message starts with
 * {@code [idx]} and names the file; never an Error or another exception, and at most
 * {@value #BYTES_PER_BYTE} heap bytes per byte of the files' real (un-bombed, inflated) content plus
 * {@link Hostile#SLACK}: a bomb is refused without being inflated into the heap.
 */
class IdxFuzzTest extends Hostile.Suite {
    static final long BYTES_PER_BYTE = 16;
    static final int BOMB_MB = 64;
    /** One gzip member of {@value #BOMB_MB} MB of zeros (about 64 KB), made once; appended to a file it is a second member that inflates to all of that. */
    static final byte[] BOMB = bomb(BOMB_MB << 20);


    IdxFuzzTest() throws IOException {
        super("kr-idx-fuzz");
    }



    static byte[] bomb(int zeros) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            byte[] z = new byte[1 << 20];
            for (int k = 0; k < zeros >> 20; k++) g.write(z);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }

    enum Damage {
        NONE, TRUNCATE, FLIP_BITS, MAGIC, DIMENSIONS, COUNT_MISMATCH, LABEL_RANGE, TRAILING, BOMB, SWAPPED
    }

    static byte[] images(int n, int rows, int cols, Random r) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols).putInt(0x803).putInt(n).putInt(rows).putInt(cols);
        byte[] px = new byte[n * rows * cols];
        r.nextBytes(px);
        return b.put(px).array();
    }

    static byte[] labels(int n, int classes, Random r) {
        ByteBuffer b = ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) b.put((byte) r.nextInt(classes));
        return b.array();
    }

    @Property(tries = 400)
    void loadsThePairOrFailsNamingTheFile(@ForAll Damage how, @ForAll boolean gz, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        int n = r.nextInt(12), rows = 1 + r.nextInt(12), cols = 1 + r.nextInt(12);
        byte[] im = images(n, rows, cols, r), lb = labels(n, 10, r);
        long content = im.length + lb.length;
        boolean onImages = r.nextBoolean();
        byte[] victim = onImages ? im : lb;
        boolean zipped = gz;
        switch (how) {
            case TRUNCATE -> {
                if (gz && r.nextBoolean()) { // a cut gzip stream
                    victim = Hostile.truncate(gzip(victim), r);
                    zipped = false;
                } else victim = Hostile.truncate(victim, r);
            }
            case FLIP_BITS -> {
                if (gz && r.nextBoolean()) { // bits flipped in the compressed stream
                    victim = Hostile.flipBits(gzip(victim), r, 4);
                    zipped = false;
                } else victim = Hostile.flipBits(victim, r, 4);
            }
            case MAGIC -> ByteBuffer.wrap(victim).putInt(0, r.nextBoolean() ? (onImages ? 0x801 : 0x803) : r.nextInt());
            case DIMENSIONS -> {
                ByteBuffer b = ByteBuffer.wrap(victim);
                int dims = onImages ? 3 : 1;
                for (int k = 1 + r.nextInt(dims); k > 0; k--) b.putInt(4 + 4 * r.nextInt(dims), (int) Hostile.hostileNumber(r));
                if (onImages && r.nextBoolean()) for (int d = 0; d < 3; d++) b.putInt(4 + 4 * d, Integer.MAX_VALUE - r.nextInt(3)); // product past 2^64
            }
            case COUNT_MISMATCH -> ByteBuffer.wrap(victim).putInt(4, n + 1 + r.nextInt(3));
            case LABEL_RANGE -> {
                if (n > 0) lb[8 + r.nextInt(n)] = (byte) (10 + r.nextInt(246));
                victim = onImages ? im : lb;
            }
            case TRAILING -> {
                byte[] more = new byte[1 + r.nextInt(100)];
                r.nextBytes(more);
                victim = java.util.Arrays.copyOf(victim, victim.length + more.length);
                System.arraycopy(more, 0, victim, victim.length - more.length, more.length);
            }
            case SWAPPED -> victim = onImages ? lb : im; // labels where the images should be, or the reverse
            default -> {}
        }
        if (onImages) im = victim;
        else lb = victim;
        byte[] imFile = zipped || (gz && !onImages) ? gzip(im) : im, lbFile = zipped || (gz && onImages) ? gzip(lb) : lb;
        if (how == Damage.BOMB) { // a valid file, then a member of zeros: the header promises what is already there
            if (onImages) imFile = concat(gzip(im), BOMB);
            else lbFile = concat(gzip(lb), BOMB);
        }
        Path dir = Files.createDirectories(tmp.resolve(Long.toHexString(seed)));
        Path ip = dir.resolve("train-images-idx3-ubyte" + (gz ? ".gz" : "")), lp = dir.resolve("train-labels-idx1-ubyte" + (gz ? ".gz" : ""));
        Files.write(ip, imFile);
        Files.write(lp, lbFile);
        Hostile.Outcome<ArrayDataset> o = Hostile.run(() -> Idx.load(ip, lp, Idx.DIGITS));
        String what = how + (gz ? " gzip" : " plain") + " on " + (onImages ? "images" : "labels") + " (seed " + seed + ")";
        Hostile.check(o, what, Hostile.bound(content, BYTES_PER_BYTE), "[idx] ", IOException.class);
        if (o.error() != null) {
            String m = o.error().getMessage();
            assertTrue(m.contains(ip.toString()) || m.contains(lp.toString()), () -> "names neither file: " + m + " on " + what);
        }
        if (how == Damage.NONE) {
            assertNotNull(o.value(), () -> "a valid pair fails: " + o.error());
            assertEquals(n, o.value().size());
        }
        if (how == Damage.BOMB) assertTrue(o.error() != null && o.error().getMessage().contains("longer than the header's"), what);
        clearTry();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * Issue 13 item 5: a gzip IDX file whose header says 2 images of 28x28 but that inflates to 200 MB
     * failed with OutOfMemoryError; now it fails at once naming the file, having allocated (this
     * thread) under 8 MB.
     */
    @Test
    void aGzipBombFailsAtOnceNamingTheFile() throws IOException {
        byte[] head = ByteBuffer.allocate(16).putInt(0x803).putInt(2).putInt(28).putInt(28).array();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(out, 1 << 16)) {
            g.write(head);
            byte[] z = new byte[1 << 20];
            for (int k = 0; k < 200; k++) g.write(z);
        }
        Path dir = Files.createDirectories(tmp.resolve("bomb"));
        Path ip = dir.resolve("train-images-idx3-ubyte.gz"), lp = dir.resolve("train-labels-idx1-ubyte.gz");
        Files.write(ip, out.toByteArray());
        Files.write(lp, gzip(labels(2, 10, new Random(1))));
        long t0 = System.nanoTime();
        Hostile.Outcome<ArrayDataset> o = Hostile.run(() -> Idx.load(ip, lp, Idx.DIGITS));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(o.error() instanceof IOException, () -> "not an IOException: " + o.error());
        assertEquals("[idx] " + ip + ": longer than the header's 2x28x28 (1584 bytes inflated): corrupt, or not an IDX file", o.error().getMessage());
        assertTrue(o.allocated() < 8 << 20, "allocated " + o.allocated() + " bytes");
        assertTrue(seconds < 2, seconds + " s");
        clean();
    }
}
