package kr.cuda;

import static kr.cuda.Launcher.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import kr.cuda.Launcher.Args;
import kr.engine.DType;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.StepCapture;
import kr.optim.SGD;

/**
 * A {@link SGD} optimizer's update of all its parameters in one kernel launch ({@code sgd_multi_f32}
 * over a table of parameters and chunks), with the same arithmetic as {@link CudaBackend#sgdStep},
 * the learning rate read from device memory (a captured CUDA graph then follows the schedule), and
 * all gradients in one flat buffer: every parameter's {@code grad()} becomes a view into it, so
 * {@link #zeroGrad()} is one memset, backward accumulates into fixed addresses, and the launch table
 * never changes. The momentum buffers are the optimizer's own (checkpoints see them).
 *
 * <pre>{@code
 * FusedSgd f = FusedSgd.bind(backend, opt);   // opt: kr.optim.SGD over float32 cuda parameters
 * f.setLr(0.1); f.zeroGrad(); loss.backward(); f.step(); opt.countStep();
 * }</pre>
 */
public final class FusedSgd implements StepCapture.FusedOptimizer {
    /** Elements one block updates (256 threads x 16). */
    static final int CHUNK = 4096;

    private final CudaBackend be;
    private final SGD opt;
    private final List<Tensor> params;
    private final Tensor flatGrad;
    private final int[] meta; // per parameter: n, first, gradient offset; then per chunk: parameter, start
    private final int chunks;
    private final CudaStorage ptrTable, metaTable, lrStore;
    private CUdeviceptr lr;
    private boolean firstPending;

    private FusedSgd(CudaBackend be, SGD opt) {
        this.be = be;
        this.opt = opt;
        this.params = new ArrayList<>(opt.params());
        int t = params.size();
        long total = 0;
        List<int[]> chunkList = new ArrayList<>();
        for (int i = 0; i < t; i++) {
            Tensor p = params.get(i);
            if (p.dtype() != DType.F32 || !p.isContiguous() || p.offset() != 0 || !(p.storage() instanceof CudaStorage))
                throw new IllegalArgumentException("[fused sgd] parameter " + i + " " + Shapes.str(p.shape())
                        + " must be a dense float32 cuda tensor at the start of its storage (got " + p.dtype() + " on " + p.device() + ")");
            for (int s = 0; s < p.numel(); s += CHUNK) chunkList.add(new int[] {i, s});
            total += p.numel();
        }
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("[fused sgd] " + total + " parameters exceed 2^31 elements");
        chunks = chunkList.size();
        flatGrad = be.full(new int[] {(int) total}, DType.F32, 0.0);
        meta = new int[3 * t + 2 * chunks];
        int off = 0;
        for (int i = 0; i < t; i++) {
            Tensor p = params.get(i);
            meta[3 * i] = p.numel();
            meta[3 * i + 2] = off;
            p.setGrad(Tensor.wrap(flatGrad.storage(), p.shape(), Shapes.contiguousStrides(p.shape()), off));
            off += p.numel();
        }
        for (int c = 0; c < chunks; c++) {
            meta[3 * t + 2 * c] = chunkList.get(c)[0];
            meta[3 * t + 2 * c + 1] = chunkList.get(c)[1];
        }
        ptrTable = be.rawStorage(16L * Math.max(t, 1));
        metaTable = be.rawStorage(4L * Math.max(meta.length, 1));
        lrStore = be.rawStorage(8);
        lr = lrStore.pointer();
        setLr(opt.lr());
        uploadTables();
    }

    /**
     * Binds {@code opt}'s parameters (dense float32 on {@code be}'s device): their gradients become
     * views of one flat buffer, and missing momentum buffers are created (their first update then
     * takes the gradient as is, as {@link SGD#step()} would).
     */
    public static FusedSgd bind(CudaBackend be, SGD opt) {
        return new FusedSgd(be, opt);
    }

    /** Writes the parameter and buffer addresses, counts, first-step flags and chunks to the device (not during a capture). */
    private void uploadTables() {
        int t = params.size();
        CUdeviceptr[] ptrs = new CUdeviceptr[2 * t];
        firstPending = false;
        for (int i = 0; i < t; i++) {
            boolean first = opt.ensureMomentumBuffer(i);
            meta[3 * i + 1] = first ? 1 : 0;
            firstPending |= first;
            ptrs[2 * i] = be.st("fused sgd", params.get(i)).pointer();
            Tensor b = opt.momentumBuffer(i);
            if (b != null && (!b.isContiguous() || b.offset() != 0 || !Arrays.equals(b.shape(), params.get(i).shape())))
                throw new IllegalArgumentException("[fused sgd] momentum buffer " + i + " must be dense and shaped like its parameter");
            ptrs[2 * i + 1] = b == null ? new CUdeviceptr() : be.st("fused sgd", b).pointer(); // a null pointer: no momentum
        }
        be.context().requireNotCapturing("fused sgd", "the parameter table is uploaded");
        be.context().makeCurrent();
        // JCuda writes an array of device pointers as their addresses (as for kernel arguments)
        if (t > 0) check("fused sgd", "cuMemcpyHtoD (pointer table)", JCudaDriver.cuMemcpyHtoD(ptrTable.pointer(), Pointer.to(ptrs), 16L * t));
        check("fused sgd", "cuMemcpyHtoD (parameter table)", JCudaDriver.cuMemcpyHtoD(metaTable.pointer(), Pointer.to(meta), 4L * meta.length));
    }

    /** The flat gradient buffer (all parameters' gradients, in parameter order). */
    public Tensor flatGrad() {
        return flatGrad;
    }

    /** The device address the learning rate (a double) is read from at each launch. */
    public CUdeviceptr lrPointer() {
        return lr;
    }

    /** Reads the learning rate from {@code p} (a double in device memory the caller writes before each step) from now on. */
    public void readLrFrom(CUdeviceptr p) {
        lr = p;
    }

    /** Writes the learning rate to this optimizer's own device slot (a synchronous copy; not during a capture). */
    public void setLr(double v) {
        be.context().requireNotCapturing("fused sgd", "the learning rate is uploaded");
        be.context().makeCurrent();
        check("fused sgd", "cuMemcpyHtoD (learning rate)", JCudaDriver.cuMemcpyHtoD(lrStore.pointer(), Pointer.to(new double[] {v}), 8));
        lr = lrStore.pointer();
    }

    /** Zeroes every gradient (one memset; capturable). */
    @Override
    public void zeroGrad() {
        be.context().makeCurrent();
        check("fused sgd", "cuMemsetD32Async (gradients)",
                JCudaDriver.cuMemsetD32Async(be.st("fused sgd", flatGrad).pointer(), 0, flatGrad.numel(), be.context().stream()));
    }

    /**
     * Updates every parameter from its gradient in one launch. The first update after binding (when
     * buffers were created) cannot be captured: it rewrites the first-step flags afterwards.
     */
    public void step() {
        if (chunks == 0) return;
        if (firstPending && be.context().capturing())
            throw new CudaException("[fused sgd] the first update (fresh momentum buffers) runs eagerly: warm up once before capturing a graph");
        be.launcher().launch("fused sgd", "optimizer", "sgd_multi_f32", chunks, 1, 1, CudaBackend.THREADS,
                new Args().ptr(ptrTable).ptr(metaTable).ptr(metaTable, 3L * params.size()).ptr(be.st("fused sgd", flatGrad)).i(CHUNK).ptr(lr)
                        .d(opt.momentum()).d(opt.dampening()).d(opt.weightDecay()).i(opt.nesterov() ? 1 : 0));
        if (firstPending) {
            for (int i = 0; i < params.size(); i++) meta[3 * i + 1] = 0;
            firstPending = false;
            // a synchronous copy on the legacy stream waits for the launch above (the stream is a blocking one)
            be.context().makeCurrent();
            check("fused sgd", "cuMemcpyHtoD (parameter table)", JCudaDriver.cuMemcpyHtoD(metaTable.pointer(), Pointer.to(meta), 4L * meta.length));
        }
    }

    /** Reads the learning rate {@code lrFrom} staged (a {@link CudaStepCapture} batch), then {@link #step()}. */
    @Override
    public void step(StepCapture.StagedBatch lrFrom) {
        if (!(lrFrom instanceof CudaStepCapture.Staged s)) throw new IllegalArgumentException("[fused sgd] a batch staged by another backend");
        readLrFrom(s.lrPointer());
        step();
    }

    /** Parameters this update covers. */
    @Override
    public int size() {
        return params.size();
    }

    /** Blocks per launch. */
    @Override
    public int chunks() {
        return chunks;
    }

    /** Launch geometry for tests: (parameter, start) of chunk {@code c}. */
    int[] chunk(int c) {
        int t = params.size();
        return new int[] {meta[3 * t + 2 * c], meta[3 * t + 2 * c + 1]};
    }
}
