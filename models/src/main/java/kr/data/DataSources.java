package kr.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Opens a data set directory whatever its format, for {@code kr train --data DIR}. Recognised, in
 * {@code root} or else in one of its immediate sub-directories:
 * <ul>
 *   <li>CIFAR-10 binary: {@code cifar-10-batches-bin/} (or its contents);</li>
 *   <li>CIFAR-100 binary: {@code cifar-100-binary/} (or its contents), fine labels unless asked;</li>
 *   <li>IDX (MNIST, Fashion-MNIST): {@code train-images-idx3-ubyte[.gz]} and friends, {@code t10k-*} for test;</li>
 *   <li>image folders: {@code train/<class>/*.jpg} and {@code test/<class>/...}.</li>
 * </ul>
 *
 * <pre>{@code Dataset train = DataSources.open(Path.of("data/cifar10"), "train"); }</pre>
 */
public final class DataSources {
    /** The formats {@link #detect} knows. */
    public enum Format { CIFAR10_BINARY, CIFAR100_BINARY, IDX, IMAGE_FOLDER }

    /** Where a format was found: the directory holding its files. */
    public record Found(Format format, Path dir) {}

    /**
     * {@code cifar100Labels}: fine or coarse; {@code imageFolder}: cache and decoding settings;
     * {@code log}: progress lines.
     */
    public record Options(CifarBinary.Labels cifar100Labels, ImageFolder.Options imageFolder, Consumer<String> log) {
        public static final Options DEFAULT = new Options(CifarBinary.Labels.FINE, ImageFolder.Options.DEFAULT, s -> {});
    }

    private DataSources() {}

    public static Dataset open(Path root, String split) throws IOException {
        return open(root, split, Options.DEFAULT);
    }

    /** {@code split}: "train" or "test" (image folders: any sub-folder name). */
    public static Dataset open(Path root, String split, Options o) throws IOException {
        Found f = detect(root, split);
        o.log().accept("[data] " + f.dir() + ": " + f.format().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ", split " + split);
        return switch (f.format()) {
            case CIFAR10_BINARY -> CifarBinary.cifar10(f.dir(), split);
            case CIFAR100_BINARY -> CifarBinary.cifar100(f.dir(), split, o.cifar100Labels());
            case IDX -> {
                String prefix = switch (split) {
                    case "train" -> "train";
                    case "test" -> "t10k";
                    default -> throw new IllegalArgumentException("[data] IDX data has splits train and test, not '" + split + "'");
                };
                yield Idx.load(requireIdx(f.dir(), prefix + "-images-idx3-ubyte"), requireIdx(f.dir(), prefix + "-labels-idx1-ubyte"), idxClasses(f.dir()));
            }
            case IMAGE_FOLDER -> ImageFolder.load(f.dir().resolve(split), o.imageFolder().withLog(o.log()));
        };
    }

    /** Finds the format in {@code root} or, failing that, in exactly one immediate sub-directory. */
    public static Found detect(Path root, String split) throws IOException {
        if (!Files.isDirectory(root)) throw new IOException("[data] " + root + " is not a directory");
        Found f = detectHere(root, split);
        if (f != null) return f;
        List<Found> below = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : s.filter(Files::isDirectory).sorted().toList()) {
                Found g = detectHere(d, split);
                if (g != null) below.add(g);
            }
        }
        if (below.size() == 1) return below.get(0);
        if (below.size() > 1)
            throw new IOException("[data] " + root + " holds several data sets (" + below.stream().map(b -> b.dir().getFileName().toString()).toList()
                    + "); point --data at one of them");
        throw new IOException("[data] " + root + ": no data set found for split '" + split + "'; expected cifar-10-batches-bin/, cifar-100-binary/, "
                + "IDX files (train-images-idx3-ubyte[.gz], t10k-...), or class folders under " + split + "/ (e.g. " + split + "/cat/0001.jpg)");
    }

    private static Found detectHere(Path d, String split) throws IOException {
        if (Files.isDirectory(d.resolve("cifar-10-batches-bin"))) return new Found(Format.CIFAR10_BINARY, d.resolve("cifar-10-batches-bin"));
        if (Files.isDirectory(d.resolve("cifar-100-binary"))) return new Found(Format.CIFAR100_BINARY, d.resolve("cifar-100-binary"));
        if (Files.isRegularFile(d.resolve("data_batch_1.bin")) || Files.isRegularFile(d.resolve("test_batch.bin"))) return new Found(Format.CIFAR10_BINARY, d);
        if (Files.isRegularFile(d.resolve("fine_label_names.txt")) || Files.isRegularFile(d.resolve("train.bin")) && Files.isRegularFile(d.resolve("test.bin")))
            return new Found(Format.CIFAR100_BINARY, d);
        if (idxFile(d, "train-images-idx3-ubyte") != null || idxFile(d, "t10k-images-idx3-ubyte") != null) return new Found(Format.IDX, d);
        Path sd = d.resolve(split);
        if (Files.isDirectory(sd)) {
            try (Stream<Path> s = Files.list(sd)) {
                if (s.anyMatch(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith("."))) return new Found(Format.IMAGE_FOLDER, d);
            }
        }
        return null;
    }

    private static Path requireIdx(Path dir, String base) throws IOException {
        Path p = idxFile(dir, base);
        if (p == null) throw new IOException("[data] " + dir + " has no " + base + "[.gz]");
        return p;
    }

    /** {@code base} or {@code base.gz} in {@code dir}, or null. */
    private static Path idxFile(Path dir, String base) {
        for (String n : new String[] {base, base + ".gz"}) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        // MNIST mirrors sometimes use a dot before idx: train-images.idx3-ubyte
        String dotted = base.replace("-idx", ".idx");
        for (String n : new String[] {dotted, dotted + ".gz"}) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        return null;
    }

    /** classes.txt when present, Fashion-MNIST's names for a path mentioning "fashion", else digits. */
    static List<String> idxClasses(Path dir) throws IOException {
        Path names = dir.resolve("classes.txt");
        if (Files.isRegularFile(names)) return CifarBinary.lines(names).stream().filter(l -> !l.isBlank()).map(String::trim).toList();
        return dir.toAbsolutePath().toString().toLowerCase(Locale.ROOT).contains("fashion") ? Idx.FASHION_MNIST_CLASSES : Idx.DIGITS;
    }
}
