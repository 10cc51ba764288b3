package kr.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import kr.engine.Rng;

/**
 * A tiny CIFAR-10 binary directory of generated, learnable images (the label decides which colour
 * channel is bright), for tests and smoke runs that need real files but not real data.
 *
 * <pre>{@code
 * Path data = SyntheticCifar.write(tmp.resolve("data"), 8, 16); // data/cifar-10-batches-bin/...
 * }</pre>
 */
public final class SyntheticCifar {
    private SyntheticCifar() {}

    /** Writes {@code root/cifar-10-batches-bin} with {@code perTrainFile} images in each of the 5 train files and {@code test} test images; returns root. */
    public static Path write(Path root, int perTrainFile, int test) throws IOException {
        Path d = root.resolve("cifar-10-batches-bin");
        Files.createDirectories(d);
        Rng r = new Rng(5);
        for (String f : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin")) {
            int n = f.startsWith("test") ? test : perTrainFile;
            byte[] b = new byte[n * 3073];
            for (int i = 0; i < n; i++) {
                int label = i % 10;
                b[i * 3073] = (byte) label;
                for (int p = 0; p < 3072; p++) b[i * 3073 + 1 + p] = (byte) (p / 1024 == label % 3 ? 200 : r.nextInt(120));
            }
            Files.write(d.resolve(f), b);
        }
        Files.writeString(d.resolve("batches.meta.txt"), "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
        return root;
    }
}
