package kr.cuda;

import static kr.cuda.Launcher.check;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;
import kr.cuda.Launcher.Args;
import kr.data.Batch;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.models.Classifier;
import kr.nn.F;
import kr.optim.SGD;
import kr.train.ConfigException;
import kr.train.StepContext;
import kr.train.StepRunner;
import kr.train.TrainConfig;

/**
 * The trainer's cross-entropy step (forward, loss with label smoothing, backward, optional KR
 * penalty, SGD) made capture-safe and replayed as a CUDA graph ({@link GraphedStep}):
 * <ul>
 *   <li>inputs: each batch's images, labels, learning rate and KR beta are written to pinned host
 *       memory and copied, asynchronously on the stream, into one static device buffer the graph
 *       reads (the host waits only for the previous copy, not for the previous step);
 *   <li>targets: built on the device from the labels ({@code one_hot_f32}), not uploaded;
 *   <li>update: {@link FusedSgd} (one launch, learning rate from the static buffer, flat gradients
 *       zeroed by one memset);
 *   <li>KR: {@code sparse_recoding_dev_f32} per prior with beta from the static buffer, its partial
 *       sums added on the device ({@code sum_partials_f64});
 *   <li>results: loss, top-1 count and penalty add up in device accumulators
 *       ({@code step_stats_f32}), read by {@link #drain()}: no {@code item()} in the step.
 * </ul>
 * A batch of another size (the last of an epoch) runs the same body eagerly on its own buffers;
 * with {@code -Dkr.cuda.graphs=false} (read when this is constructed) every step runs eagerly.
 * The arithmetic is the eager cuda trainer's, kernel for kernel, so a run with graphs gives the
 * same numbers as one without.
 *
 * <pre>{@code
 * trainer.stepRunner(GraphedTrainStep.factory());             // kr train --cuda-graphs
 * var s = new GraphedTrainStep(backend, net, opt, 0.0, List.of(), e -> 0);  // or by hand
 * s.step(batch, lr, ctx); ... StepRunner.Drained d = s.drain(); s.close();
 * }</pre>
 */
public final class GraphedTrainStep implements StepRunner {
    /** A KR prior: the student parameter, its prior (same shape, on the device) and mask threshold. */
    public record Prior(Tensor param, Tensor prior, double threshold) {}

    // accumulator slots (doubles), as step.cu's enum
    static final int ACC_LOSS = 0, ACC_CORRECT = 1, ACC_SEEN = 2, ACC_STEPS = 3, ACC_FIRST_BAD = 4, ACC_PENALTY = 5, ACC_SLOTS = 8;

    private final CudaBackend be;
    private final Classifier model;
    private final FusedSgd sgd;
    private final double smoothing;
    private final List<Prior> priors;
    private final int[] partialOffsets;
    private final DoubleUnaryOperator beta;
    private final Tensor acc;
    private final CudaStorage partials;
    private final Map<Integer, Slot> slots = new HashMap<>();
    private final boolean graphs = GraphedStep.enabled();
    private Slot main;
    private int classes = -1;

    /**
     * @param labelSmoothing as {@code F.crossEntropy(logits, labels, eps)}; @param priors KR priors
     * (empty: no penalty); @param beta KR's beta at a fractional epoch
     */
    public GraphedTrainStep(CudaBackend be, Classifier model, SGD opt, double labelSmoothing, List<Prior> priors, DoubleUnaryOperator beta) {
        this.be = be;
        this.model = model;
        this.sgd = FusedSgd.bind(be, opt);
        this.priors = List.copyOf(priors);
        this.beta = beta;
        this.smoothing = labelSmoothing;
        this.acc = be.full(new int[] {ACC_SLOTS}, DType.F64, 0.0);
        partialOffsets = new int[this.priors.size() + 1];
        for (int i = 0; i < this.priors.size(); i++) {
            Prior p = this.priors.get(i);
            Tensor g = p.param().grad();
            if (!Shapes.same(p.prior().shape(), p.param().shape()) || p.prior().dtype() != DType.F32 || !(p.prior().storage() instanceof CudaStorage))
                throw new IllegalArgumentException("[graphed step] KR prior " + i + " " + Shapes.str(p.prior().shape()) + " must be a float32 cuda tensor shaped like its parameter "
                        + Shapes.str(p.param().shape()));
            if (g == null) throw new IllegalStateException("[graphed step] KR prior " + i + ": its parameter is not one the optimizer updates");
            partialOffsets[i + 1] = partialOffsets[i] + be.recodeBlocks(p.param().numel());
        }
        this.partials = be.rawStorage(8L * Math.max(1, partialOffsets[this.priors.size()]));
    }

    /** The factory {@code kr train --cuda-graphs} uses: plain cross-entropy (with the run's label smoothing), no KR. */
    public static StepRunner.Factory factory() {
        return (model, opt, cfg) -> {
            Backend b = Backends.of(Device.parse(cfg.device));
            if (!(b instanceof CudaBackend cb)) throw new ConfigException("[train] --cuda-graphs needs --device cuda, not " + cfg.device);
            return new GraphedTrainStep(cb, model, opt, cfg.labelSmoothing, List.of(), e -> 0);
        };
    }

    /** Static device buffers of one batch size, their pinned host twin, and the step run on them. */
    private final class Slot {
        final int n;
        final int[] imageShape;
        final long imageBytes, labelsAt, hyperAt, bytes;
        final CudaStorage staging;
        final Tensor images, target;
        final CUdeviceptr labels, hyper;
        final Pointer host;
        final ByteBuffer hostBuf;
        final CUevent copied = new CUevent();
        boolean pending;
        final GraphedStep graph;
        Tensor loss, logits; // the last run's (for a graph: every replay's) outputs, on the device

        Slot(int[] imageShape, boolean graphed) {
            this.imageShape = imageShape.clone();
            n = imageShape[0];
            imageBytes = 4L * Shapes.numel(imageShape);
            labelsAt = imageBytes;
            hyperAt = (labelsAt + 4L * n + 7) / 8 * 8;
            bytes = hyperAt + 16;
            staging = be.rawStorage(bytes);
            images = Tensor.wrap(staging, imageShape);
            target = be.full(new int[] {n, classes}, DType.F32, 0.0);
            labels = staging.pointer().withByteOffset(labelsAt);
            hyper = staging.pointer().withByteOffset(hyperAt);
            host = new Pointer();
            CudaContext ctx = be.context();
            ctx.makeCurrent();
            check("graphed step", "cuMemAllocHost (" + bytes + " bytes)", JCudaDriver.cuMemAllocHost(host, bytes));
            hostBuf = host.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
            check("graphed step", "cuEventCreate", JCudaDriver.cuEventCreate(copied, CUevent_flags.CU_EVENT_DISABLE_TIMING));
            graph = new GraphedStep(be, "train step (batch " + n + ")", this::body, 1, true);
            if (!graphs) graph.disable("-Dkr.cuda.graphs=false");
            else if (!graphed) graph.disable("a batch of another size than the first one, which is captured");
        }

        /** Copies the batch, lr and beta to the device, after the previous copy from the same pinned memory has finished. */
        void stage(float[] x, int[] y, double lr, double b) {
            CudaContext ctx = be.context();
            ctx.makeCurrent();
            if (pending) check("graphed step", "cuEventSynchronize", JCudaDriver.cuEventSynchronize(copied));
            hostBuf.clear();
            hostBuf.asFloatBuffer().put(x);
            hostBuf.position((int) labelsAt);
            hostBuf.asIntBuffer().put(y);
            hostBuf.putDouble((int) hyperAt, lr);
            hostBuf.putDouble((int) hyperAt + 8, b);
            check("graphed step", "cuMemcpyHtoDAsync (batch)", JCudaDriver.cuMemcpyHtoDAsync(staging.pointer(), host, bytes, ctx.stream()));
            check("graphed step", "cuEventRecord", JCudaDriver.cuEventRecord(copied, ctx.stream()));
            pending = true;
        }

        /** The step, reading only this slot's static buffers and leaving every result on the device. */
        void body() {
            be.launcher().launch("one_hot", "step", "one_hot_f32", Math.max(1, Math.min((n * classes + 255) / 256, 1024)), 1, 1, CudaBackend.THREADS,
                    new Args().ptr(be.st("one_hot", target)).ptr(labels).i(n).i(classes).f(onValue()).f(offValue()));
            sgd.zeroGrad();
            Tensor z = model.forward(images);
            Tensor l = F.crossEntropy(z, target);
            l.backward();
            if (!z.isContiguous()) z = z.contiguous();
            if (!priors.isEmpty()) penalty();
            sgd.readLrFrom(hyper);
            sgd.step();
            be.launcher().launch("step_stats", "step", "step_stats_f32", 1, 1, 1, CudaBackend.THREADS,
                    new Args().ptr(be.st("step_stats", acc)).ptr(be.st("step_stats", l)).ptr(be.st("step_stats", z), z.offset()).ptr(labels).i(n).i(classes));
            loss = l;
            logits = z;
        }

        /** KR: grad += beta*M*(W - A) per prior, the penalty beta/2 * sum M(W - A)^2 (times n) added to its accumulator. */
        void penalty() {
            CUdeviceptr betaPtr = hyper.withByteOffset(8);
            for (int i = 0; i < priors.size(); i++) {
                Prior p = priors.get(i);
                Tensor g = p.param().grad(), w = p.param(), a = p.prior();
                int len = w.numel();
                be.launcher().launch("sparse_recoding", "kr", "sparse_recoding_dev_f32", partialOffsets[i + 1] - partialOffsets[i], 1, 1, CudaBackend.THREADS,
                        new Args().ptr(partials, 2L * partialOffsets[i]).ptr(be.st("sparse_recoding", g), g.offset()).ptr(be.st("sparse_recoding", w))
                                .ints(CudaBackend.layout(w, g.shape())).ptr(be.st("sparse_recoding", a)).ints(CudaBackend.layout(a, g.shape())).i(len)
                                .f(CudaBackend.floatThreshold(p.threshold())).ptr(betaPtr));
            }
            be.launcher().launch("sparse_recoding", "step", "sum_partials_f64", 1, 1, 1, CudaBackend.THREADS, new Args().ptr(be.st("sparse_recoding", acc))
                    .i(ACC_PENALTY).ptr(partials).i(partialOffsets[priors.size()]).ptr(betaPtr).d(n / 2.0));
        }

        void close() {
            graph.close();
            if (pending) JCudaDriver.cuEventSynchronize(copied);
            JCudaDriver.cuEventDestroy(copied);
            JCudaDriver.cuMemFreeHost(host);
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
    public void step(Batch batch, double lr, StepContext ctx) {
        Tensor x = batch.images();
        int[] y = batch.labels();
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
        } else if (!java.util.Arrays.equals(s.imageShape, x.shape())) {
            throw new IllegalArgumentException("[graphed step] images " + Shapes.str(x.shape()) + " after " + Shapes.str(s.imageShape) + " of the same batch size");
        }
        s.stage(x.toFloatArray(), y, lr, priors.isEmpty() ? 0 : beta.applyAsDouble(ctx.fractionalEpoch()));
        s.graph.run();
    }

    @Override
    public Drained drain() {
        double[] a = be.toDoubleArray(acc); // waits for the queued steps
        be.context().makeCurrent();
        check("graphed step", "cuMemsetD32Async (accumulators)", JCudaDriver.cuMemsetD32Async(be.st("drain", acc).pointer(), 0, 2 * ACC_SLOTS, be.context().stream()));
        Map<String, Double> logs = new LinkedHashMap<>();
        if (!priors.isEmpty()) logs.put("kr_penalty", a[ACC_PENALTY]);
        return new Drained(a[ACC_LOSS], (long) a[ACC_CORRECT], (long) a[ACC_SEEN], (int) a[ACC_STEPS], (int) a[ACC_FIRST_BAD], logs);
    }

    /** The main batch size's step: how it runs. */
    @Override
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add(main == null ? "no step run yet" : main.graph.describe());
        parts.add(String.format(Locale.ROOT, "fused SGD over %d parameters in %d blocks", sgd.size(), sgd.chunks()));
        if (!priors.isEmpty()) parts.add("KR penalty on " + priors.size() + " parameters");
        return String.join("; ", parts);
    }

    /** The graph of the main batch size (null before the first step). */
    public GraphedStep graph() {
        return main == null ? null : main.graph;
    }

    /** The loss tensor of the main slot's latest step (on the device; valid after the step has run). */
    public Tensor lastLoss() {
        return main == null ? null : main.loss;
    }

    @Override
    public void close() {
        for (Slot s : slots.values()) s.close();
        slots.clear();
        main = null;
    }
}
