package kr.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import kr.data.DataSources;
import kr.data.Dataset;
import kr.train.Subset;

/**
 * Writes the images {@code kr train --data DIR --limit-train N --limit-test M --seed S} trains and
 * tests on, decoded by kr's own reader, as CIFAR-10 binary records (1 label byte, then 3072 pixel
 * bytes: R, G, B planes, row-major) to {@code OUT/train.bin} and {@code OUT/test.bin}, so that
 * bench/torch_train_loop.py trains PyTorch on exactly the same pixels (no JPEG decoder needed on the
 * Python side). The subsets are {@link Subset#random} with the seeds {@code kr.train.RunData} uses.
 *
 * <pre>java -cp bench/target/benchmarks.jar kr.bench.ExportSubset /work/data/cifar10 5000 1000 0 /tmp/cifar-5000</pre>
 */
public final class ExportSubset {
    private ExportSubset() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: ExportSubset DATA_DIR LIMIT_TRAIN LIMIT_TEST SEED OUT_DIR");
            System.exit(2);
        }
        Path data = Path.of(args[0]), out = Path.of(args[4]);
        int limitTrain = Integer.parseInt(args[1]), limitTest = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        Files.createDirectories(out);
        int nTrain = write(Subset.random(DataSources.open(data, "train"), limitTrain, seed), out.resolve("train.bin"));
        int nTest = write(Subset.random(DataSources.open(data, "test"), limitTest, seed + 1), out.resolve("test.bin"));
        System.out.println("{\"train\": " + nTrain + ", \"test\": " + nTest + "}");
    }

    private static int write(Dataset ds, Path file) throws IOException {
        if (ds.channels() != 3 || ds.height() != 32 || ds.width() != 32 || ds.numClasses() > 256)
            throw new IOException("[export] expects 3x32x32 images, found " + ds.channels() + "x" + ds.height() + "x" + ds.width());
        byte[] rec = new byte[1 + 3 * 32 * 32];
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(file))) {
            for (int i = 0; i < ds.size(); i++) {
                rec[0] = (byte) ds.label(i);
                ds.image(i, rec, 1);
                o.write(rec);
            }
        }
        return ds.size();
    }
}
