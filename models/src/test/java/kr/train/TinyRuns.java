package kr.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.nn.F;
import kr.nn.Init;
import kr.nn.Module;

/** A tiny generated data set, model and configuration that train in milliseconds, for trainer tests. */
final class TinyRuns {
    private TinyRuns() {}

    /** {@code n} 3x8x8 images of 3 classes: a class-coloured square at a random place on noise. */
    static kr.data.ArrayDataset data(int n, long seed) {
        Rng r = new Rng(seed);
        byte[] px = new byte[n * 3 * 64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int y = i % 3;
            labels[i] = y;
            int oy = r.nextInt(5), ox = r.nextInt(5);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 64; p++) {
                    int py = p / 8, pxl = p % 8;
                    boolean in = py >= oy && py < oy + 4 && pxl >= ox && pxl < ox + 4;
                    int v = in ? (c == y ? 230 : 40) : r.nextInt(256);
                    px[(i * 3 + c) * 64 + p] = (byte) v;
                }
        }
        return new kr.data.ArrayDataset(px, labels, 3, 8, 8, List.of("r", "g", "b"));
    }

    static TrainConfig config() {
        TrainConfig c = new TrainConfig();
        c.model = DemoCnn.NAME;
        c.data = "tiny";
        c.epochs = 3;
        c.batchSize = 8;
        c.evalBatchSize = 16;
        c.lr = 0.1;
        c.momentum = 0.9;
        c.nesterov = true;
        c.weightDecay = 5e-4;
        c.milestones = new int[] {2};
        c.warmupEpochs = 0.5;
        c.labelSmoothing = 0.1;
        c.checkpointEvery = 2;
        c.seed = 7;
        c.workers = 0;
        return c.validate();
    }

    static DemoCnn model(long seed) {
        Init.manualSeed(seed);
        return new DemoCnn(4, 8, 8, 3);
    }

    /** A trainer on 48 train and 24 test images: 6 steps an epoch. */
    static Trainer trainer(TrainConfig c, DemoCnn model, Path out) {
        RunData d = RunData.of(c, data(48, 1), data(24, 2));
        return new Trainer(c, model, d.train(), d.test(), out).log(null).objective(new RandomScaledCe());
    }

    /**
     * Cross-entropy of scaled logits, times a random factor from the run's generator: its result
     * depends on the generator state and on a trainable scale of its own, so resuming exercises both.
     */
    static final class RandomScaledCe implements Objective {
        final Module m = new Module() {
            final Tensor scale = param("scale", Tensor.ones(1));

            @Override
            public Tensor forward(Tensor x) {
                return x.mul(scale);
            }
        };

        @Override
        public Result compute(kr.models.Classifier model, kr.data.Batch batch, StepContext ctx) {
            Tensor logits = model.forward(batch.images());
            Tensor ce = F.crossEntropy(m.forward(logits), batch.labels(), 0.1);
            double f = 0.75 + 0.5 * ctx.rng().nextDouble();
            return new Result(ce.mul(f), logits, Map.of("ce", ce.item(), "factor", f));
        }

        @Override
        public Module module() {
            return m;
        }
    }

    /** Raw bits of every tensor, for bit-for-bit comparisons. */
    static Map<String, int[]> bits(Map<String, Tensor> sd) {
        Map<String, int[]> r = new java.util.LinkedHashMap<>();
        sd.forEach((k, v) -> {
            float[] f = v.toFloatArray();
            int[] b = new int[f.length];
            for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
            r.put(k, b);
        });
        return r;
    }

    static void assertSameBits(Map<String, Tensor> a, Map<String, Tensor> b) {
        Map<String, int[]> x = bits(a), y = bits(b);
        org.junit.jupiter.api.Assertions.assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) org.junit.jupiter.api.Assertions.assertArrayEquals(x.get(k), y.get(k), "tensor " + k + " differs");
    }
}
