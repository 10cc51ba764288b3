package kr.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR binary, IDX and format detection on generated files, including damaged ones. */
class FormatsTest {
    @TempDir
    Path tmp;

    static void assertImage(Dataset ds, int index, int pattern) {
        int n = ds.channels() * ds.height() * ds.width();
        byte[] got = new byte[n + 2];
        ds.image(index, got, 2);
        for (int k = 0; k < n; k++) assertEquals(Fixtures.px(pattern, k), got[k + 2], "image " + index + " byte " + k);
    }

    static <T extends Throwable> String message(Class<T> type, org.junit.jupiter.api.function.Executable ex) {
        return assertThrows(type, ex).getMessage();
    }

    @Test
    void cifar10TrainAndTest() throws IOException {
        Path d = Fixtures.cifar10(tmp, 3);
        ArrayDataset train = CifarBinary.cifar10(d, "train"), test = CifarBinary.cifar10(d, "test");
        assertEquals(15, train.size());
        assertEquals(3, test.size());
        assertEquals(List.of(3, 32, 32), List.of(train.channels(), train.height(), train.width()));
        assertEquals(CifarBinary.CIFAR10_CLASSES, train.classes());
        for (int i = 0; i < 15; i++) {
            assertEquals(i % 10, train.label(i));
            assertImage(train, i, i);
        }
        assertEquals(5, test.label(0)); // image 15 of the stream
        assertImage(test, 2, 17);
    }

    @Test
    void cifar10RejectsTruncatedFilesAndBadLabelsNamingFileAndRecord() throws IOException {
        Path d = Fixtures.cifar10(tmp, 3);
        Path b3 = d.resolve("data_batch_3.bin");
        byte[] raw = Files.readAllBytes(b3);
        Files.write(b3, Arrays.copyOf(raw, raw.length - 100));
        String m = message(IOException.class, () -> CifarBinary.cifar10(d, "train"));
        assertTrue(m.contains("data_batch_3.bin") && m.contains("3073-byte record"), m);
        raw[2 * 3073] = 10; // record 2's label
        Files.write(b3, raw);
        m = message(IOException.class, () -> CifarBinary.cifar10(d, "train"));
        assertTrue(m.contains("data_batch_3.bin") && m.contains("record 2 has label 10"), m);
        Files.delete(d.resolve("test_batch.bin"));
        m = message(IOException.class, () -> CifarBinary.cifar10(d, "test"));
        assertTrue(m.contains("test_batch.bin is missing"), m);
    }

    @Test
    void cifar100FineAndCoarse() throws IOException {
        Path d = Fixtures.cifar100(tmp, 25);
        ArrayDataset fine = CifarBinary.cifar100(d, "train", CifarBinary.Labels.FINE);
        ArrayDataset coarse = CifarBinary.cifar100(d, "test", CifarBinary.Labels.COARSE);
        assertEquals(100, fine.numClasses());
        assertEquals(20, coarse.numClasses());
        assertEquals("fine7", fine.classes().get(7));
        for (int i = 0; i < 25; i++) {
            assertEquals((i * 7) % 100, fine.label(i));
            assertEquals(i % 20, coarse.label(i));
            assertImage(fine, i, i);
        }
        Path train = d.resolve("train.bin");
        byte[] raw = Files.readAllBytes(train);
        raw[4 * 3074] = 20; // coarse label of record 4
        Files.write(train, raw);
        String m = message(IOException.class, () -> CifarBinary.cifar100(d, "train", CifarBinary.Labels.FINE));
        assertTrue(m.contains("train.bin") && m.contains("record 4 has label 20, outside [0, 20)"), m);
    }

    @Test
    void idxPlainAndGzipped() throws IOException {
        Fixtures.idx(tmp, "train", 12, 28, 28, true);
        Fixtures.idx(tmp, "t10k", 5, 28, 28, false);
        ArrayDataset train = Idx.load(tmp.resolve("train-images-idx3-ubyte.gz"), tmp.resolve("train-labels-idx1-ubyte.gz"), Idx.DIGITS);
        ArrayDataset test = Idx.load(tmp.resolve("t10k-images-idx3-ubyte"), tmp.resolve("t10k-labels-idx1-ubyte"), Idx.DIGITS);
        assertEquals(List.of(12, 1, 28, 28), List.of(train.size(), train.channels(), train.height(), train.width()));
        assertEquals(5, test.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(i % 10, train.label(i));
            assertImage(train, i, i);
        }
    }

    @Test
    void idxRejectsWrongMagicTruncationAndCountMismatch() throws IOException {
        Fixtures.idx(tmp, "train", 6, 4, 4, false);
        Path im = tmp.resolve("train-images-idx3-ubyte"), lb = tmp.resolve("train-labels-idx1-ubyte");
        String m = message(IOException.class, () -> Idx.load(lb, im, Idx.DIGITS));
        assertTrue(m.contains("magic 0x00000801, expected 0x00000803"), m);
        byte[] raw = Files.readAllBytes(im);
        Files.write(im, Arrays.copyOf(raw, raw.length - 1));
        m = message(IOException.class, () -> Idx.load(im, lb, Idx.DIGITS));
        assertTrue(m.contains("train-images-idx3-ubyte") && m.contains("truncated"), m);
        Files.write(im, raw);
        Fixtures.idx(tmp.resolve("other"), "train", 7, 4, 4, false);
        m = message(IOException.class, () -> Idx.load(im, tmp.resolve("other/train-labels-idx1-ubyte"), Idx.DIGITS));
        assertTrue(m.contains("has 6 images but") && m.contains("7 labels"), m);
        Files.write(im, Arrays.copyOf(Fixtures.gzip(raw), 40)); // a cut gzip stream
        m = message(IOException.class, () -> Idx.load(im, lb, Idx.DIGITS));
        assertTrue(m.contains("gzip data is corrupt or truncated"), m);
    }

    @Test
    void detectsEveryFormatAtTheRootOrOneLevelDown() throws IOException {
        Fixtures.cifar10(tmp.resolve("c10"), 2);
        assertEquals(DataSources.Format.CIFAR10_BINARY, DataSources.detect(tmp.resolve("c10"), "train").format());
        assertEquals(10, DataSources.open(tmp.resolve("c10"), "train").size());
        assertEquals(2, DataSources.open(tmp.resolve("c10/cifar-10-batches-bin"), "test").size());
        Fixtures.cifar100(tmp.resolve("c100"), 4);
        Dataset c100 = DataSources.open(tmp.resolve("c100"), "test", new DataSources.Options(CifarBinary.Labels.COARSE, ImageFolder.Options.DEFAULT, s -> {}));
        assertEquals(20, c100.numClasses());
        Path fashion = tmp.resolve("fashion-mnist");
        Fixtures.idx(fashion, "train", 3, 28, 28, true);
        Fixtures.idx(fashion, "t10k", 2, 28, 28, true);
        Dataset fm = DataSources.open(fashion, "test");
        assertEquals(2, fm.size());
        assertEquals("Ankle boot", fm.classes().get(9));
        // a parent holding exactly one data set is found one level down
        Path parent = Files.createDirectories(tmp.resolve("parent"));
        Files.move(fashion, parent.resolve("fashion-mnist"));
        assertEquals(DataSources.Format.IDX, DataSources.detect(parent, "train").format());
        String m = message(IOException.class, () -> DataSources.detect(tmp, "train"));
        assertTrue(m.contains("several data sets"), m);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        m = message(IOException.class, () -> DataSources.open(empty, "train"));
        assertTrue(m.startsWith("[data] ") && m.contains("no data set found") && m.contains("cifar-10-batches-bin"), m);
    }

    @Test
    void realFashionMnistWhenInstalled() throws IOException {
        Path d = Path.of("/usr/share/datasets/fashion-mnist");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(d.resolve("t10k-images-idx3-ubyte.gz")), "dataset-fashion-mnist is not installed");
        Dataset test = DataSources.open(d, "test");
        assertEquals(List.of(10000, 1, 28, 28, 10), List.of(test.size(), test.channels(), test.height(), test.width(), test.numClasses()));
        int[] counts = new int[10];
        for (int i = 0; i < test.size(); i++) counts[test.label(i)]++;
        for (int c : counts) assertEquals(1000, c); // the test split is balanced
    }
}
