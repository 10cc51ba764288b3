package kr.train;

import kr.config.ConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kr.data.Batch;
import kr.engine.Device;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.StepCapture;
import kr.models.Classifier;
import kr.nn.F;
import kr.optim.SGD;

/**
 * The trainer's cross-entropy step (forward, loss with label smoothing, backward, SGD) made
 * capture-safe and replayed as a device graph, through the backend's {@link StepCapture}
 * extension (CUDA graphs on {@code --device cuda}):
 * <ul>
 *   <li>inputs: each batch's images, labels and learning rate are staged into static device buffers
 *       (asynchronously; the host waits only for the previous copy, not for the previous step);
 *   <li>targets: built on the device from the labels, not uploaded;
 *   <li>update: one fused SGD over all parameters, the learning rate read from the staged buffer,
 *       all gradients zeroed at once;
 *   <li>results: loss, top-1 count and steps add up in device-side sums, read by {@link #drain()}:
 *       no {@code item()} in the step.
 * </ul>
 * A batch of another size (the last of an epoch) runs the same body eagerly on its own buffers;
 * with graphs off ({@code EngineConfig.cudaGraphs}, read when the step is built) every step runs
 * eagerly. The arithmetic is the eager trainer's, kernel for kernel, so a run with graphs gives the
 * same numbers as one without.
 *
 * <pre>{@code
 * trainer.stepRunner(GraphedTrainStep.factory());                  // kr train --cuda-graphs
 * var s = new GraphedTrainStep(capture, net, opt, 0.0);            // or by hand
 * s.step(batch, lr, ctx); ... StepRunner.Drained d = s.drain(); s.close();
 * }</pre>
 */
public final class GraphedTrainStep implements StepRunner {
    private final StepCapture capture;
    private final Classifier model;
    private final StepCapture.FusedOptimizer sgd;
    private final StepCapture.StepStats stats;
    private final double smoothing;
    private final Map<Integer, Slot> slots = new HashMap<>();
    private Slot main;
    private int classes = -1;

    /** @param labelSmoothing as {@code F.crossEntropy(logits, labels, eps)} */
    public GraphedTrainStep(StepCapture capture, Classifier model, SGD opt, double labelSmoothing) {
        this.capture = capture;
        this.model = model;
        this.sgd = capture.fusedSgd(opt);
        this.stats = capture.stepStats();
        this.smoothing = labelSmoothing;
    }

    /** The factory {@code kr train --cuda-graphs} uses: the run's device must have a backend with {@link StepCapture}. */
    public static StepRunner.Factory factory() {
        return (model, opt, cfg) -> {
            Backend b = Backends.of(Device.parse(cfg.device));
            StepCapture cap = b.extension(StepCapture.class).orElseThrow(() -> new ConfigException(
                    "[train] --cuda-graphs needs a device whose backend captures steps (--device cuda); the " + b.name() + " backend of " + cfg.device + " does not"));
            return new GraphedTrainStep(cap, model, opt, cfg.labelSmoothing);
        };
    }

    /** The static buffers of one batch size and the step replayed on them. */
    private final class Slot {
        final int[] imageShape;
        final StepCapture.StagedBatch batch;
        final StepCapture.Replay graph;

        Slot(int[] imageShape, boolean graphed) {
            this.imageShape = imageShape.clone();
            batch = capture.stagedBatch(imageShape, classes);
            graph = capture.replay("train step (batch " + imageShape[0] + ")", this::body, 1, true);
            if (!graphed) graph.disable("a batch of another size than the first one, which is captured");
        }

        /** The step, reading only this slot's static buffers and leaving every result on the device. */
        void body() {
            batch.oneHot(onValue(), offValue());
            sgd.zeroGrad();
            Tensor z = model.forward(batch.images());
            Tensor l = F.crossEntropy(z, batch.target());
            l.backward();
            if (!z.isContiguous()) z = z.contiguous();
            sgd.step(batch);
            stats.add(l, z, batch);
        }

        void close() {
            graph.close();
            batch.close();
        }
    }

    /** The smoothed one-hot values, in float32 as {@code onehot.mul(1 - eps).add(eps / c)} computes them. */
    private float onValue() {
        return (float) (1 - smoothing) + offValue();
    }

    private float offValue() {
        return (float) (smoothing / classes);
    }

    @Override
    public void step(Batch b, double lr, StepContext ctx) {
        Tensor x = b.images();
        int[] y = b.labels();
        if (classes < 0) classes = model.numClasses();
        for (int i = 0; i < y.length; i++)
            if (y[i] < 0 || y[i] >= classes)
                throw new IllegalArgumentException("[one_hot] label " + y[i] + " at position " + i + " is outside [0, " + classes + ")");
        if (x.shape(0) != y.length) throw new IllegalArgumentException("[graphed step] " + Shapes.str(x.shape()) + " images but " + y.length + " labels");
        Slot s = slots.get(y.length);
        if (s == null) {
            boolean first = main == null; // the first batch size seen (the loader's) is the one captured; others run eagerly
            s = new Slot(x.shape(), first);
            if (first) main = s;
            slots.put(y.length, s);
        } else if (!Arrays.equals(s.imageShape, x.shape())) {
            throw new IllegalArgumentException("[graphed step] images " + Shapes.str(x.shape()) + " after " + Shapes.str(s.imageShape) + " of the same batch size");
        }
        s.batch.stage(x.toFloatArray(), y, lr);
        s.graph.run();
    }

    @Override
    public Drained drain() {
        double[] a = stats.drain();
        return new Drained(a[0], (long) a[1], (long) a[2], (int) a[3], (int) a[4], Map.of());
    }

    /** The main batch size's step: how it runs. */
    @Override
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add(main == null ? "no step run yet" : main.graph.describe());
        parts.add(String.format(Locale.ROOT, "fused SGD over %d parameters in %d blocks", sgd.size(), sgd.chunks()));
        return String.join("; ", parts);
    }

    /** The step of the main batch size (null before the first step). */
    public StepCapture.Replay graph() {
        return main == null ? null : main.graph;
    }

    @Override
    public void close() {
        for (Slot s : slots.values()) s.close();
        slots.clear();
        main = null;
    }
}
