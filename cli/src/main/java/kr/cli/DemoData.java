package kr.cli;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import kr.data.ArrayDataset;
import kr.data.ImageFolder;
import kr.train.DataException;

/**
 * The CIFAR-10 subset shipped inside the jar for {@code kr demo} (and {@code --data demo}): 5,000
 * training images (500 a class) and 1,000 test images (100 a class), the first of each class of
 * the full set by file name, kept as the original JPEGs in one gzip stream (1.8 MB). Made by
 * {@code cli/tools/MakeDemoSubset.java}, which documents the format.
 */
final class DemoData {
    static final String RESOURCE = "/kr/cli/demo/cifar10-demo.jpg.gz";

    private DemoData() {}

    record Splits(ArrayDataset train, ArrayDataset test) {}

    private static Splits cached;

    static synchronized Splits load() throws IOException {
        if (cached != null) return cached;
        InputStream raw = DemoData.class.getResourceAsStream(RESOURCE);
        if (raw == null) throw new DataException("[demo] the demo data " + RESOURCE + " is missing from the jar");
        List<List<byte[]>> images = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Integer>> labels = List.of(new ArrayList<>(), new ArrayList<>());
        List<String> classes;
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16))) {
            String magic = line(in);
            if (!magic.equals("KRJPEG1")) throw new DataException("[demo] " + RESOURCE + " is not a KRJPEG1 file (starts with '" + magic + "')");
            classes = Arrays.asList(line(in).split(","));
            while (true) {
                int split;
                try {
                    split = in.readUnsignedByte();
                } catch (EOFException end) {
                    break;
                }
                int label = in.readUnsignedByte(), len = in.readUnsignedShort();
                byte[] jpeg = new byte[len];
                in.readFully(jpeg);
                images.get(split).add(jpeg);
                labels.get(split).add(label);
            }
        }
        ArrayDataset[] sets = new ArrayDataset[2];
        for (int s = 0; s < 2; s++)
            sets[s] = decode(classes, images.get(s), labels.get(s).stream().mapToInt(Integer::intValue).toArray(), s == 0 ? " train #" : " test #");
        cached = new Splits(sets[0], sets[1]);
        return cached;
    }

    /** Decodes the 32x32 JPEGs of one split into CHW planes; a bad image is named by split and index. */
    private static ArrayDataset decode(List<String> classes, List<byte[]> jpegs, int[] labels, String what) throws IOException {
        int img = 3 * 32 * 32;
        byte[] px = new byte[jpegs.size() * img];
        for (int i = 0; i < jpegs.size(); i++) {
            java.awt.image.BufferedImage bi = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpegs.get(i)));
            if (bi == null || bi.getWidth() != 32 || bi.getHeight() != 32)
                throw new DataException("[demo] image " + RESOURCE + what + i + (bi == null ? " cannot be decoded" : " is not 32x32"));
            ImageFolder.toChw(bi, px, i * img);
        }
        return new ArrayDataset(px, labels, 3, 32, 32, classes);
    }

    private static String line(DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0 || b.length() > 10_000) throw new DataException("[demo] " + RESOURCE + " has a malformed header");
            b.append((char) c);
        }
        return b.toString();
    }
}
