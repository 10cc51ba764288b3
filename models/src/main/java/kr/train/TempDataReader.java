package kr.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

// TEMP until kr.data.DataSources lands: a minimal reader so `kr train --data DIR` runs end to end.
// Reads the CIFAR-10/100 binary layouts and image folders (DIR/split/<class>/*.jpg|png) into memory.
final class TempDataReader {
    private static final int CIFAR_PIXELS = 3 * 32 * 32;
    private static final List<String> CIFAR10 = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private TempDataReader() {}

    static kr.data.Dataset open(Path dir, String split) throws IOException {
        if (!Files.isDirectory(dir)) throw new DataException("[data] " + dir + " is not a directory");
        for (Path d : List.of(dir, dir.resolve("cifar-10-batches-bin"), dir.resolve("cifar-100-binary"))) {
            if (Files.exists(d.resolve("data_batch_1.bin")) || Files.exists(d.resolve("test_batch.bin"))) return cifar10(d, split);
            if (Files.exists(d.resolve("train.bin")) || Files.exists(d.resolve("test.bin"))) return cifar100(d, split);
        }
        if (Files.isDirectory(dir.resolve(split))) return imageFolder(dir.resolve(split));
        throw new DataException("[data] " + dir + " holds neither CIFAR binary files (data_batch_1.bin, test_batch.bin / train.bin, test.bin)"
                + " nor an image folder '" + split + "/<class>/*.jpg'");
    }

    private static kr.data.Dataset cifar10(Path d, String split) throws IOException {
        List<Path> files = new ArrayList<>();
        if (split.equals("train")) for (int i = 1; i <= 5; i++) files.add(d.resolve("data_batch_" + i + ".bin"));
        else if (split.equals("test")) files.add(d.resolve("test_batch.bin"));
        else throw new DataException("[data] unknown split '" + split + "' (train or test)");
        Path meta = d.resolve("batches.meta.txt");
        List<String> classes = Files.exists(meta) ? Files.readAllLines(meta).stream().map(String::trim).filter(s -> !s.isEmpty()).toList() : CIFAR10;
        return records(files, 1, 0, classes);
    }

    private static kr.data.Dataset cifar100(Path d, String split) throws IOException {
        if (!split.equals("train") && !split.equals("test")) throw new DataException("[data] unknown split '" + split + "' (train or test)");
        Path meta = d.resolve("fine_label_names.txt");
        List<String> classes = new ArrayList<>();
        if (Files.exists(meta)) Files.readAllLines(meta).stream().map(String::trim).filter(s -> !s.isEmpty()).forEach(classes::add);
        else for (int i = 0; i < 100; i++) classes.add(Integer.toString(i));
        return records(List.of(d.resolve(split + ".bin")), 2, 1, classes);
    }

    /** Records of {@code labelBytes} label bytes then 3072 pixel bytes; the label is byte {@code labelAt}. */
    private static kr.data.Dataset records(List<Path> files, int labelBytes, int labelAt, List<String> classes) throws IOException {
        int rec = labelBytes + CIFAR_PIXELS;
        long total = 0;
        for (Path f : files) {
            if (!Files.exists(f)) throw new DataException("[data] missing " + f);
            long s = Files.size(f);
            if (s % rec != 0) throw new DataException("[data] " + f + " has " + s + " bytes, not a multiple of the " + rec + "-byte record");
            total += s / rec;
        }
        byte[] px = new byte[Math.toIntExact(total * CIFAR_PIXELS)];
        int[] labels = new int[(int) total];
        int n = 0;
        for (Path f : files) {
            byte[] all = Files.readAllBytes(f);
            for (int off = 0; off < all.length; off += rec, n++) {
                labels[n] = all[off + labelAt] & 0xff;
                if (labels[n] >= classes.size()) throw new DataException("[data] " + f + " record " + (off / rec) + " has label " + labels[n]
                        + " but there are " + classes.size() + " classes");
                System.arraycopy(all, off + labelBytes, px, n * CIFAR_PIXELS, CIFAR_PIXELS);
            }
        }
        return new ByteImages(classes, 3, 32, 32, px, labels);
    }

    private static kr.data.Dataset imageFolder(Path root) throws IOException {
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classDirs.isEmpty()) throw new DataException("[data] " + root + " has no class folders");
        List<String> classes = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        for (Path cd : classDirs) {
            classes.add(cd.getFileName().toString());
            try (Stream<Path> s = Files.list(cd)) {
                for (Path p : s.filter(TempDataReader::isImage).sorted().toList()) {
                    images.add(p);
                    labelList.add(classes.size() - 1);
                }
            }
        }
        if (images.isEmpty()) throw new DataException("[data] " + root + " has no .jpg/.png images in its class folders");
        int[] labels = labelList.stream().mapToInt(Integer::intValue).toArray();
        List<byte[]> encoded = new ArrayList<>();
        for (Path p : images) encoded.add(Files.readAllBytes(p));
        return ByteImages.decode(classes, encoded, labels, i -> images.get(i).toString());
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png") || n.endsWith(".bmp");
    }

}
