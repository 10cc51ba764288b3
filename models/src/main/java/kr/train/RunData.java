package kr.train;

import java.util.Arrays;
import kr.data.Dataset;
import kr.data.Loader;

/**
 * The train and test loaders a configuration asks for: subsets ({@code limit_train},
 * {@code limit_test}), normalisation, augmentation (train only), batch sizes and workers. The test
 * loader keeps every image (no shuffling, no dropped batch).
 */
public record RunData(Loader train, Loader test) {
    public static RunData of(TrainConfig c, Dataset train, Dataset test) {
        if (train.channels() != test.channels() || train.height() != test.height() || train.width() != test.width())
            throw new DataException("[data] train images are " + train.channels() + "x" + train.height() + "x" + train.width() + " but test images "
                    + test.channels() + "x" + test.height() + "x" + test.width());
        if (!train.classes().equals(test.classes()))
            throw new DataException("[data] train and test splits have different classes: " + train.classes() + " vs " + test.classes());
        Dataset tr = Subset.random(train, c.limitTrain, c.seed), te = Subset.random(test, c.limitTest, c.seed + 1);
        float[][] ms = normalization(c.normalize, train.channels(), train.numClasses());
        Loader trainLoader = new Loader(tr, new Loader.Options(c.batchSize, true, false, c.augmentation(), ms[0], ms[1], c.workers), c.seed);
        Loader testLoader = new Loader(te, new Loader.Options(c.evalBatchSize, false, false, kr.data.Augment.NONE, ms[0], ms[1], c.workers), c.seed);
        return new RunData(trainLoader, testLoader);
    }

    /** Per-channel mean and std for {@code name} (auto: CIFAR-100 statistics for 100 classes, CIFAR-10's otherwise). */
    public static float[][] normalization(String name, int channels, int classes) {
        if (name.equals("none")) {
            float[] m = new float[channels], s = new float[channels];
            Arrays.fill(s, 1f);
            return new float[][] {m, s};
        }
        if (channels == 1) return new float[][] {{0.2860f}, {0.3530f}}; // Fashion-MNIST statistics
        if (channels != 3) throw new DataException("[data] no normalisation statistics for " + channels + "-channel images (use normalize=none)");
        boolean c100 = name.equals("cifar100") || (name.equals("auto") && classes == 100);
        return c100 ? new float[][] {Loader.CIFAR100_MEAN, Loader.CIFAR100_STD} : new float[][] {Loader.CIFAR10_MEAN, Loader.CIFAR10_STD};
    }
}
