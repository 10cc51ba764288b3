package kr.train;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;
import kr.data.Dataset;

/**
 * A {@link Dataset} held in memory: {@code n} images of {@code c*h*w} bytes (CHW) back to back and
 * their labels. The demo data, generated test data and the temporary readers build one.
 *
 * <pre>{@code Dataset ds = new ByteImages(List.of("a", "b"), 3, 8, 8, pixels, labels); }</pre>
 */
public final class ByteImages implements Dataset {
    private final List<String> classes;
    private final int c, h, w;
    private final byte[] pixels;
    private final int[] labels;

    public ByteImages(List<String> classes, int channels, int height, int width, byte[] pixels, int[] labels) {
        this.classes = List.copyOf(classes);
        this.c = channels;
        this.h = height;
        this.w = width;
        this.pixels = pixels;
        this.labels = labels;
        long img = (long) channels * height * width;
        if (img <= 0 || pixels.length != img * labels.length)
            throw new IllegalArgumentException("[byte_images] " + pixels.length + " pixel bytes do not hold " + labels.length + " images of "
                    + channels + "x" + height + "x" + width);
        for (int i = 0; i < labels.length; i++)
            if (labels[i] < 0 || labels[i] >= classes.size())
                throw new IllegalArgumentException("[byte_images] label " + labels[i] + " of image " + i + " is outside [0, " + classes.size() + ")");
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
        int img = c * h * w;
        System.arraycopy(pixels, index * img, dst, off, img);
    }

    /**
     * Decodes encoded RGB images (JPEG, PNG, BMP through ImageIO) of one size into a data set;
     * {@code name} names image i in errors.
     */
    public static ByteImages decode(List<String> classes, List<byte[]> encoded, int[] labels, IntFunction<String> name) throws IOException {
        if (encoded.isEmpty()) throw new DataException("[data] no images to decode");
        int h = -1, w = -1;
        byte[] px = null;
        for (int i = 0; i < encoded.size(); i++) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(encoded.get(i)));
            if (img == null) throw new DataException("[data] cannot decode image " + name.apply(i));
            if (px == null) {
                h = img.getHeight();
                w = img.getWidth();
                px = new byte[Math.toIntExact((long) encoded.size() * 3 * h * w)];
            }
            if (img.getHeight() != h || img.getWidth() != w)
                throw new DataException("[data] image " + name.apply(i) + " is " + img.getWidth() + "x" + img.getHeight() + ", the first " + w + "x" + h);
            int plane = h * w, base = i * 3 * plane;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x, y);
                    px[base + y * w + x] = (byte) (rgb >> 16);
                    px[base + plane + y * w + x] = (byte) (rgb >> 8);
                    px[base + 2 * plane + y * w + x] = (byte) rgb;
                }
        }
        return new ByteImages(classes, 3, h, w, px, labels);
    }
}
