package kr.cuda;

import static kr.cuda.Launcher.check;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;
import kr.cuda.Launcher.Args;
import kr.engine.DType;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.StepCapture;
import kr.optim.SGD;

/**
 * The CUDA backend's {@link StepCapture}: {@link GraphedStep} for replays, a static device buffer
 * per batch size filled asynchronously from pinned host memory, {@link FusedSgd} reading the
 * learning rate from that buffer, and {@code step.cu}'s one-hot and statistics kernels. Nothing here
 * reads the device from the host except {@link Stats#drain()}.
 */
final class CudaStepCapture implements StepCapture {
    // accumulator slots (doubles), as step.cu's enum
    static final int ACC_LOSS = 0, ACC_CORRECT = 1, ACC_SEEN = 2, ACC_STEPS = 3, ACC_FIRST_BAD = 4, ACC_SLOTS = 8;

    private final CudaBackend be;

    CudaStepCapture(CudaBackend be) {
        this.be = be;
    }

    @Override
    public Replay replay(String name, Runnable body, int warmup, boolean fallBack) {
        return new GraphedStep(be, name, body, warmup, fallBack);
    }

    @Override
    public StagedBatch stagedBatch(int[] imageShape, int classes) {
        return new Staged(imageShape, classes);
    }

    @Override
    public FusedOptimizer fusedSgd(SGD opt) {
        return FusedSgd.bind(be, opt);
    }

    @Override
    public StepStats stepStats() {
        return new Stats();
    }

    /** Images, labels and the learning rate in one device buffer with a pinned host twin; the one-hot targets beside it. */
    final class Staged implements StagedBatch {
        final int n, classes;
        final long imageBytes, labelsAt, hyperAt, bytes;
        final CudaStorage staging;
        final Tensor images, target;
        final CUdeviceptr labels, hyper;
        final Pointer host;
        final ByteBuffer hostBuf;
        final CUevent copied = new CUevent();
        boolean pending;

        Staged(int[] imageShape, int classes) {
            n = imageShape[0];
            this.classes = classes;
            imageBytes = 4L * Shapes.numel(imageShape);
            labelsAt = imageBytes;
            hyperAt = (labelsAt + 4L * n + 7) / 8 * 8;
            bytes = hyperAt + 16;
            staging = be.rawStorage(bytes);
            images = Tensor.wrap(staging, imageShape.clone());
            target = be.full(new int[] {n, classes}, DType.F32, 0.0);
            labels = staging.pointer().withByteOffset(labelsAt);
            hyper = staging.pointer().withByteOffset(hyperAt);
            host = new Pointer();
            CudaContext ctx = be.context();
            ctx.makeCurrent();
            check("graphed step", "cuMemAllocHost (" + bytes + " bytes)", JCudaDriver.cuMemAllocHost(host, bytes));
            hostBuf = host.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
            check("graphed step", "cuEventCreate", JCudaDriver.cuEventCreate(copied, CUevent_flags.CU_EVENT_DISABLE_TIMING));
        }

        @Override
        public Tensor images() {
            return images;
        }

        @Override
        public Tensor target() {
            return target;
        }

        /** The device address of the staged learning rate (a double). */
        CUdeviceptr lrPointer() {
            return hyper;
        }

        @Override
        public void stage(float[] x, int[] y, double lr) {
            if (x.length != images.numel() || y.length != n)
                throw new IllegalArgumentException("[graphed step] a batch of " + x.length + " floats and " + y.length + " labels for buffers of " + images.numel() + " and " + n);
            CudaContext ctx = be.context();
            ctx.makeCurrent();
            if (pending) check("graphed step", "cuEventSynchronize", JCudaDriver.cuEventSynchronize(copied));
            hostBuf.clear();
            hostBuf.asFloatBuffer().put(x);
            hostBuf.position((int) labelsAt);
            hostBuf.asIntBuffer().put(y);
            hostBuf.putDouble((int) hyperAt, lr);
            check("graphed step", "cuMemcpyHtoDAsync (batch)", JCudaDriver.cuMemcpyHtoDAsync(staging.pointer(), host, bytes, ctx.stream()));
            check("graphed step", "cuEventRecord", JCudaDriver.cuEventRecord(copied, ctx.stream()));
            pending = true;
        }

        @Override
        public void oneHot(float on, float off) {
            be.launcher().launch("one_hot", "step", "one_hot_f32", Math.max(1, Math.min((n * classes + 255) / 256, 1024)), 1, 1, CudaBackend.THREADS,
                    new Args().ptr(be.st("one_hot", target)).ptr(labels).i(n).i(classes).f(on).f(off));
        }

        @Override
        public void close() {
            if (pending) JCudaDriver.cuEventSynchronize(copied);
            JCudaDriver.cuEventDestroy(copied);
            JCudaDriver.cuMemFreeHost(host);
        }
    }

    /** Accumulators in device memory, added to by step_stats_f32 and read by {@link #drain()}. */
    final class Stats implements StepStats {
        final Tensor acc = be.full(new int[] {ACC_SLOTS}, DType.F64, 0.0);

        @Override
        public void add(Tensor loss, Tensor logits, StagedBatch batch) {
            if (!(batch instanceof Staged s)) throw new IllegalArgumentException("[step_stats] a batch staged by another backend");
            if (!logits.isContiguous()) throw new IllegalArgumentException("[step_stats] the logits must be contiguous");
            be.launcher().launch("step_stats", "step", "step_stats_f32", 1, 1, 1, CudaBackend.THREADS, new Args().ptr(be.st("step_stats", acc))
                    .ptr(be.st("step_stats", loss)).ptr(be.st("step_stats", logits), logits.offset()).ptr(s.labels).i(s.n).i(s.classes));
        }

        @Override
        public double[] drain() {
            double[] a = be.toDoubleArray(acc); // waits for the queued steps
            be.context().makeCurrent();
            check("graphed step", "cuMemsetD32Async (accumulators)", JCudaDriver.cuMemsetD32Async(be.st("drain", acc).pointer(), 0, 2 * ACC_SLOTS, be.context().stream()));
            return new double[] {a[ACC_LOSS], a[ACC_CORRECT], a[ACC_SEEN], a[ACC_STEPS], a[ACC_FIRST_BAD]};
        }
    }
}
