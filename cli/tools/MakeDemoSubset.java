import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the CIFAR-10 subset that `kr demo` trains on from the image-folder tarball
 * (train/<class>/NNNN.jpg, test/<class>/NNNN.jpg): the first trainPerClass and testPerClass
 * files of each class by file name, copied byte for byte into one gzip stream (which shares the
 * JPEG headers across images: ~350 bytes an image). Format: "KRJPEG1\n", the class names joined
 * by ',' and "\n", then per image: u8 split (0 train, 1 test), u8 label, u16 big-endian length,
 * the JPEG bytes. Deterministic: the same tarball gives the same file.
 *
 * usage: java cli/tools/MakeDemoSubset.java /work/shared/data/cifar10-jpg.tar.gz \
 *            cli/src/main/resources/kr/cli/demo/cifar10-demo.jpg.gz [trainPerClass=500] [testPerClass=100]
 */
public class MakeDemoSubset {
    public static void main(String[] a) throws IOException {
        if (a.length < 2) throw new IllegalArgumentException("usage: MakeDemoSubset TARBALL OUT.jpg.gz [trainPerClass] [testPerClass]");
        int trainPer = a.length > 2 ? Integer.parseInt(a[2]) : 500, testPer = a.length > 3 ? Integer.parseInt(a[3]) : 100;
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(new FileInputStream(a[0]), 1 << 16))) {
            byte[] h = new byte[512];
            while (in.readNBytes(h, 0, 512) == 512) {
                String name = cstr(h, 0, 100);
                if (name.isEmpty()) break; // end-of-archive block
                String prefix = cstr(h, 345, 155);
                if (!prefix.isEmpty()) name = prefix + "/" + name;
                long size = Long.parseLong(cstr(h, 124, 12).trim().isEmpty() ? "0" : cstr(h, 124, 12).trim(), 8);
                byte[] data = in.readNBytes((int) size);
                in.skipNBytes((512 - size % 512) % 512);
                if (h[156] == '0' || h[156] == 0) {
                    if (name.startsWith("./")) name = name.substring(2);
                    if (name.endsWith(".jpg")) files.put(name, data);
                }
            }
        }
        List<String> classes = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
        Map<String, Integer> taken = new HashMap<>();
        int n = 0;
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(new BufferedOutputStream(new FileOutputStream(a[1])), 1 << 16))) {
            out.write(("KRJPEG1\n" + String.join(",", classes) + "\n").getBytes(StandardCharsets.US_ASCII));
            for (String split : List.of("train", "test")) {
                for (var e : files.entrySet()) {
                    String[] p = e.getKey().split("/");
                    if (p.length != 3 || !p[0].equals(split)) continue;
                    int label = classes.indexOf(p[1]);
                    if (label < 0) throw new IOException("unknown class folder " + e.getKey());
                    if (taken.merge(e.getKey().substring(0, e.getKey().lastIndexOf('/')), 1, Integer::sum) > (split.equals("train") ? trainPer : testPer))
                        continue;
                    out.writeByte(split.equals("train") ? 0 : 1);
                    out.writeByte(label);
                    out.writeShort(e.getValue().length);
                    out.write(e.getValue());
                    n++;
                }
            }
        }
        System.out.println(a[1] + ": " + n + " images, " + Files.size(Path.of(a[1])) + " bytes");
    }

    private static String cstr(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.US_ASCII);
    }
}
