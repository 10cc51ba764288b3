package kr.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Batching, determinism across worker counts and resumes, and each augmentation on generated images. */
class LoaderTest {
    static final int C = 3, H = 8, W = 10;
    // no pixel normalizes to exactly 0 with these (so cutout's zeros are recognisable)
    static final float[] MEAN = {0.3f, 0.5f, 0.7f}, STD = {0.2f, 0.25f, 0.3f};

    /** n images whose pixel (c, y, x) of image i is 1 + (i*31 + c*50 + y*13 + x*3) % 200 (never 0). */
    static ArrayDataset images(int n) {
        byte[] px = new byte[n * C * H * W];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 4;
            for (int c = 0; c < C; c++)
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) px[((i * C + c) * H + y) * W + x] = (byte) (1 + (i * 31 + c * 50 + y * 13 + x * 3) % 200);
        }
        return new ArrayDataset(px, labels, C, H, W, List.of("a", "b", "c", "d"));
    }

    static double norm(ArrayDataset ds, int i, int c, int y, int x) {
        byte[] px = new byte[C * H * W];
        ds.image(i, px, 0);
        return ((px[(c * H + y) * W + x] & 0xff) / 255.0 - MEAN[c]) / STD[c];
    }

    static Loader loader(ArrayDataset ds, int batch, boolean shuffle, Augment a, int workers) {
        return new Loader(ds, new Loader.Options(batch, shuffle, false, a, MEAN, STD, workers), 1234);
    }

    static List<float[]> epoch(Loader l, int e, int start) {
        List<float[]> r = new ArrayList<>();
        for (Iterator<Batch> it = l.epoch(e, start); it.hasNext(); ) {
            Batch b = it.next();
            float[] v = b.images().toFloatArray();
            float[] withMeta = java.util.Arrays.copyOf(v, v.length + 2 * b.labels().length);
            for (int k = 0; k < b.labels().length; k++) {
                withMeta[v.length + 2 * k] = b.labels()[k];
                withMeta[v.length + 2 * k + 1] = b.indices()[k];
            }
            r.add(withMeta);
        }
        return r;
    }

    @Test
    void normalizationIsPixelOver255MinusMeanOverStd() {
        ArrayDataset ds = images(5);
        Batch b = loader(ds, 5, false, Augment.NONE, 0).epoch(0, 0).next();
        assertArrayEquals(new int[] {5, C, H, W}, b.images().shape());
        for (int i = 0; i < 5; i++)
            for (int c = 0; c < C; c++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) assertEquals(norm(ds, i, c, y, x), b.images().get(i, c, y, x), 1e-5);
        assertArrayEquals(new int[] {0, 1, 2, 3, 0}, b.labels());
    }

    @Test
    void batchingShuffleAndDropLast() {
        ArrayDataset ds = images(10);
        Loader keep = loader(ds, 4, true, Augment.NONE, 0);
        assertEquals(3, keep.batchesPerEpoch());
        Set<Integer> seen = new HashSet<>();
        for (Iterator<Batch> it = keep.epoch(0, 0); it.hasNext(); ) for (int i : it.next().indices()) seen.add(i);
        assertEquals(10, seen.size());
        assertFalse(java.util.Arrays.equals(keep.order(0), keep.order(1)), "each epoch has its own order");
        Loader drop = new Loader(ds, new Loader.Options(4, true, true, Augment.NONE, MEAN, STD, 0), 1);
        assertEquals(2, drop.batchesPerEpoch());
    }

    @Test
    void identicalBatchesForAnyWorkerCountAndWhenResumed() {
        ArrayDataset ds = images(37);
        Augment all = new Augment(2, true, 4);
        List<float[]> ref = epoch(loader(ds, 5, true, all, 0), 3, 0);
        assertEquals(8, ref.size());
        for (int workers : new int[] {1, 2, 5}) {
            try (Loader l = loader(ds, 5, true, all, workers)) {
                List<float[]> got = epoch(l, 3, 0);
                assertEquals(ref.size(), got.size());
                for (int b = 0; b < ref.size(); b++) assertArrayEquals(ref.get(b), got.get(b), workers + " workers, batch " + b);
                // resuming at batch 5 gives batches 5.. unchanged
                List<float[]> resumed = epoch(l, 3, 5);
                for (int b = 5; b < ref.size(); b++) assertArrayEquals(ref.get(b), resumed.get(b - 5), "resumed batch " + b);
            }
        }
    }

    /** Runs one epoch of {@code n} images one per batch, unshuffled, returning [image][c][y][x]. */
    static float[][] outputs(ArrayDataset ds, Augment a, int epoch) {
        Loader l = loader(ds, 1, false, a, 0);
        float[][] r = new float[ds.size()][];
        Iterator<Batch> it = l.epoch(epoch, 0);
        for (int i = 0; i < ds.size(); i++) r[i] = it.next().images().toFloatArray();
        return r;
    }

    @Test
    void padCropShiftsByAtMostThePaddingWithZeroFill() {
        ArrayDataset ds = images(40);
        int pad = 2;
        float[][] out = outputs(ds, new Augment(pad, false, 0), 0);
        Set<String> shifts = new HashSet<>();
        for (int i = 0; i < ds.size(); i++) {
            String found = null;
            for (int dy = -pad; dy <= pad && found == null; dy++)
                for (int dx = -pad; dx <= pad && found == null; dx++)
                    if (matchesShift(ds, i, out[i], dy, dx)) found = dy + "," + dx;
            assertNotNull(found, "image " + i + " is no padded crop of the source");
            shifts.add(found);
        }
        assertTrue(shifts.size() >= 8, "crops should vary: " + shifts);
        assertArrayEquals(out[7], outputs(ds, new Augment(pad, false, 0), 0)[7], "same (seed, epoch, index), same crop");
    }

    /** Output (y, x) = source (y+dy, x+dx), or the normalized zero pixel outside. */
    static boolean matchesShift(ArrayDataset ds, int i, float[] o, int dy, int dx) {
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int sy = y + dy, sx = x + dx;
                    double want = sy < 0 || sy >= H || sx < 0 || sx >= W ? -MEAN[c] / STD[c] : norm(ds, i, c, sy, sx);
                    if (Math.abs(o[(c * H + y) * W + x] - want) > 1e-5) return false;
                }
        return true;
    }

    @Test
    void flipMirrorsAboutHalfTheImages() {
        ArrayDataset ds = images(60);
        float[][] out = outputs(ds, new Augment(0, true, 0), 2);
        int flipped = 0;
        for (int i = 0; i < ds.size(); i++) {
            boolean same = true, mirror = true;
            for (int c = 0; c < C; c++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        float v = out[i][(c * H + y) * W + x];
                        same &= Math.abs(v - norm(ds, i, c, y, x)) < 1e-5;
                        mirror &= Math.abs(v - norm(ds, i, c, y, W - 1 - x)) < 1e-5;
                    }
            assertTrue(same ^ mirror, "image " + i + " must be either unchanged or mirrored");
            if (mirror) flipped++;
        }
        assertTrue(flipped > 15 && flipped < 45, flipped + " of 60 flipped");
    }

    @Test
    void cutoutZeroesOneClippedSquareInEveryChannel() {
        ArrayDataset ds = images(50);
        int size = 4;
        float[][] out = outputs(ds, new Augment(0, false, size), 1);
        int clipped = 0;
        for (int i = 0; i < ds.size(); i++) {
            int y0 = H, y1 = -1, x0 = W, x1 = -1, zeros = 0;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    boolean z = out[i][y * W + x] == 0f;
                    for (int c = 0; c < C; c++) {
                        float v = out[i][(c * H + y) * W + x];
                        if (z) assertEquals(0f, v, "cutout covers all channels");
                        else assertEquals(norm(ds, i, c, y, x), v, 1e-5, "outside the square nothing changes");
                    }
                    if (z) {
                        zeros++;
                        y0 = Math.min(y0, y);
                        y1 = Math.max(y1, y);
                        x0 = Math.min(x0, x);
                        x1 = Math.max(x1, x);
                    }
                }
            assertTrue(zeros > 0, "image " + i + " has no cutout");
            assertEquals((y1 - y0 + 1) * (x1 - x0 + 1), zeros, "the cut region is one rectangle");
            assertTrue(y1 - y0 + 1 <= size && x1 - x0 + 1 <= size, "at most " + size + "x" + size);
            if (zeros < size * size) clipped++;
        }
        assertTrue(clipped > 0 && clipped < ds.size(), "centres near the border clip the square: " + clipped);
    }

    @Test
    void mismatchedMeanIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Loader(images(2), new Loader.Options(1, false, false, Augment.NONE, new float[] {0.5f}, new float[] {0.5f}, 0), 0));
        assertTrue(e.getMessage().contains("[loader] mean/std have 1/1 entries for 3 channels"), e.getMessage());
    }
}
