package kr.data;

import java.util.Arrays;
import java.util.List;

/**
 * A {@link Dataset} held in memory: all images as one byte array of CHW planes, one label each.
 * Every reader (CIFAR binary, IDX, image folders) produces one.
 *
 * <pre>{@code ArrayDataset ds = new ArrayDataset(pixels, labels, 3, 32, 32, List.of("cat", "dog")); }</pre>
 */
public final class ArrayDataset implements Dataset {
    private final byte[] pixels;
    private final int[] labels;
    private final int c, h, w, imageBytes;
    private final List<String> classes;

    /** Checks that {@code pixels} holds {@code labels.length} images and every label names a class. */
    public ArrayDataset(byte[] pixels, int[] labels, int channels, int height, int width, List<String> classes) {
        if (channels < 1 || height < 1 || width < 1)
            throw new IllegalArgumentException("[dataset] image shape must be positive, got " + channels + "x" + height + "x" + width);
        this.imageBytes = channels * height * width;
        if ((long) labels.length * imageBytes != pixels.length)
            throw new IllegalArgumentException("[dataset] " + pixels.length + " pixel bytes do not hold " + labels.length + " images of "
                    + channels + "x" + height + "x" + width);
        for (int i = 0; i < labels.length; i++)
            if (labels[i] < 0 || labels[i] >= classes.size())
                throw new IllegalArgumentException("[dataset] image " + i + " has label " + labels[i] + ", outside [0, " + classes.size() + ")");
        this.pixels = pixels;
        this.labels = labels;
        this.c = channels;
        this.h = height;
        this.w = width;
        this.classes = List.copyOf(classes);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return c;
    }

    @Override
    public int height() {
        return h;
    }

    @Override
    public int width() {
        return w;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void image(int index, byte[] dst, int off) {
        System.arraycopy(pixels, index * imageBytes, dst, off, imageBytes);
    }

    /** The images {@code indices} in that order (e.g. a fixed validation split or a quick subset). */
    public ArrayDataset subset(int[] indices) {
        byte[] px = new byte[indices.length * imageBytes];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * imageBytes, px, i * imageBytes, imageBytes);
            lb[i] = labels[indices[i]];
        }
        return new ArrayDataset(px, lb, c, h, w, classes);
    }

    /** The first {@code n} images (all if there are fewer). */
    public ArrayDataset head(int n) {
        int[] idx = new int[Math.min(n, size())];
        Arrays.setAll(idx, i -> i);
        return subset(idx);
    }

    byte[] pixels() {
        return pixels;
    }

    int[] labels() {
        return labels;
    }
}
