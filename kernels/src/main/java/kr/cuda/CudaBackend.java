package kr.cuda;

import static kr.cuda.Launcher.check;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import kr.cuda.Launcher.Args;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.DeviceClock;
import kr.engine.backend.DeviceProfiler;
import kr.engine.backend.MachinePeak;
import kr.engine.backend.KrKernels;
import kr.engine.backend.StepCapture;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.CompareOp;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.Pool2dParams;
import kr.engine.backend.ReduceOp;
import kr.engine.backend.UnaryOp;

/**
 * The CUDA backend: every {@link Backend} kernel on one GPU, float32 (float64 tensors can be
 * created, copied, cast and transferred; arithmetic on them fails with
 * {@code [cuda op] float64 is not supported on cuda}; accumulation (addInto, scaleInPlace) takes both,
 * for BatchNorm's float64 batch counter). Kernels come from the PTX modules built from
 * {@code kernels/src/main/cuda} (see NOTES.md there for each design); strided and broadcast inputs
 * are read in place through a Layout argument, or materialised by the copy kernel where a kernel
 * wants dense data (convolution, pooling, normalisation). Device memory comes from a
 * {@link CachingAllocator}; all work runs on one stream, and copies to and from the host are
 * synchronous.
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(new Rng(0), 64, 3, 32, 32).to(Device.cuda(0)); // Backends picks this backend
 * Tensor y = F.conv2d(x, w, null, 1, 1).relu();
 * }</pre>
 *
 * <p>Settings come from the installed {@link kr.engine.EngineConfig} ({@link Backends#config()}):
 * {@code tf32} runs matmul and convolutions on TF32 tensor cores (sm_80+); {@code cudaConv}
 * (auto|gemm|direct|gemm16..gemm128) picks the convolution algorithm; {@code cublas=false} never
 * tries cuBLAS; {@code cudaSync} synchronises after every kernel so a fault names its kernel.
 */
public final class CudaBackend implements Backend, KrKernels, DeviceProfiler, AutoCloseable {
    private static final Logger LOG = Logger.getLogger("kr.cuda");
    static final int THREADS = 256;
    /** Convolutions whose groups have at most this many (in x out) channel pairs use the direct kernels. */
    static final int DIRECT_CONV_PAIRS = 16;

    private final Device device;
    private final CudaContext ctx;
    private final CachingAllocator<CUdeviceptr> allocator;
    private final Launcher launcher;
    private final CublasGemm cublas;
    private final String gemmPath;

    public CudaBackend(Device device) {
        if (device.kind() != Device.Kind.CUDA) throw new IllegalArgumentException("[cuda] not a CUDA device: " + device);
        this.device = device;
        this.ctx = CudaContext.open(device.index());
        // the Java heap does not see device memory: collect dead tensors after every quarter of the device handed out
        long gcMiB = Backends.config().cudaGcEveryMiB();
        long every = (gcMiB > 0 ? gcMiB : ctx.totalMemory() / 4 / 1048576) * 1048576;
        this.allocator = new CachingAllocator<>(new DriverMemory(ctx), device.toString(), System::gc, Math.max(every, 64L << 20));
        this.launcher = new Launcher(ctx);
        CublasGemm cb = null;
        String path;
        if (!Backends.config().cublas()) {
            path = "own kernels (cuBLAS disabled by -Dkr.cublas=false)";
        } else {
            try {
                cb = CublasGemm.open(ctx);
                path = "cuBLAS (JCublas2 loaded)";
            } catch (Throwable e) { // LinkageError where libcublas.so.12 is missing (CUDA 13 machines)
                path = "own kernels (JCublas2 did not load: " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()) + ")";
            }
        }
        this.cublas = cb;
        this.gemmPath = path;
        LOG.info("[cuda] " + ctx + "; GEMM: " + gemmPath);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public String toString() {
        return "cuda backend on " + ctx + "; GEMM: " + gemmPath + "; TF32 " + (tf32() ? "on" : "off");
    }

    /** Which GEMM runs: "cuBLAS (...)" or "own kernels (...)" with the reason. */
    public String gemmPath() {
        return gemmPath;
    }

    public CudaContext context() {
        return ctx;
    }

    public Launcher launcher() {
        return launcher;
    }

    public CachingAllocator.Stats memoryStats() {
        return allocator.stats();
    }

    /** Waits for the device, then gives every cached block back to the driver. */
    public void emptyCache() {
        ctx.synchronize("empty_cache");
        allocator.emptyCache();
    }

    CachingAllocator<CUdeviceptr> allocator() {
        return allocator;
    }

    private volatile CudaStepCapture stepCapture;

    /** Graph capture, staging and fused updates for whole training steps ({@link StepCapture}), besides the interfaces implemented here. */
    @Override
    public <T> Optional<T> extension(Class<T> type) {
        if (type == StepCapture.class) {
            if (stepCapture == null) stepCapture = new CudaStepCapture(this);
            return Optional.of(type.cast(stepCapture));
        }
        return Backend.super.extension(type);
    }

    /** GPU time from CUDA events on this backend's stream ({@link CudaProfiler}), for the engine's profiler. */
    @Override
    public DeviceClock startClock() {
        return CudaProfiler.start(this);
    }

    private volatile MachinePeak peak;

    /**
     * float32 peak from the driver's attributes (SMs x clock x FP32 lanes per SM x 2; TF32 tensor
     * cores go beyond it), memory bandwidth measured with a device-to-device copy of 256 MiB
     * (read plus write, best of 5). Measured once per backend.
     */
    @Override
    public MachinePeak peak() {
        MachinePeak p = peak;
        if (p == null) peak = p = measurePeak();
        return p;
    }

    private MachinePeak measurePeak() {
        int khz = ctx.attributeOrMissing(jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
        int cc = ctx.computeCapability();
        // FP32 lanes per SM: 64 on Turing (sm_75) and A100 (sm_80); 128 on GA10x, Ada, Hopper and Blackwell (kr's PTX starts at sm_75)
        int lanes = cc == 75 || cc == 80 ? 64 : 128;
        double gflops = khz > 0 ? 2.0 * ctx.multiprocessors() * lanes * khz * 1e3 / 1e9 : Double.NaN;
        long bytes = 256L << 20;
        double gbps = Double.NaN;
        CUdeviceptr a = new CUdeviceptr(), b = new CUdeviceptr();
        CUevent s = new CUevent(), e = new CUevent();
        ctx.makeCurrent();
        ctx.synchronize("peak");
        try {
            check("peak", "cuMemAlloc", JCudaDriver.cuMemAlloc(a, bytes));
            check("peak", "cuMemAlloc", JCudaDriver.cuMemAlloc(b, bytes));
            check("peak", "cuEventCreate", JCudaDriver.cuEventCreate(s, 0));
            check("peak", "cuEventCreate", JCudaDriver.cuEventCreate(e, 0));
            float[] ms = new float[1];
            double best = Double.POSITIVE_INFINITY;
            for (int i = 0; i < 6; i++) { // the first copy warms up, the best of the others counts
                check("peak", "cuEventRecord", JCudaDriver.cuEventRecord(s, ctx.stream()));
                check("peak", "cuMemcpyDtoDAsync", JCudaDriver.cuMemcpyDtoDAsync(b, a, bytes, ctx.stream()));
                check("peak", "cuEventRecord", JCudaDriver.cuEventRecord(e, ctx.stream()));
                check("peak", "cuEventSynchronize", JCudaDriver.cuEventSynchronize(e));
                check("peak", "cuEventElapsedTime", JCudaDriver.cuEventElapsedTime(ms, s, e));
                if (i > 0) best = Math.min(best, ms[0]);
            }
            gbps = 2.0 * bytes / (best * 1e-3) / 1e9;
        } catch (CudaException ex) { // no room for two copies of 256 MiB: the bandwidth stays unknown
            LOG.warning("[cuda] memory bandwidth not measured: " + ex.getMessage());
        } finally {
            JCudaDriver.cuMemFree(a);
            JCudaDriver.cuMemFree(b);
            JCudaDriver.cuEventDestroy(s);
            JCudaDriver.cuEventDestroy(e);
        }
        return new MachinePeak(gflops, gbps,
                String.format(java.util.Locale.ROOT, "nominal: %d SMs x %.2f GHz x %d FP32 lanes x 2%s", ctx.multiprocessors(), khz / 1e6, lanes,
                        tf32() ? "; TF32 tensor cores are faster" : ""),
                "measured: device-to-device copy of 256 MiB, read + write");
    }

    /** Waits until every queued kernel has finished. */
    public void synchronize() {
        ctx.synchronize("synchronize");
    }

    /** Whether matmul and convolutions run on TF32 tensor cores now ({@code -Dkr.tf32=true} on an sm_80+ device). */
    public boolean tf32() {
        return Backends.config().tf32() && ctx.computeCapability() >= 80;
    }

    @Override
    public void close() {
        try {
            ctx.synchronize("close");
            if (cublas != null) cublas.close();
            launcher.close();
            allocator.emptyCache();
        } finally {
            ctx.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Raw device memory for the allocator: null on out-of-memory, any other failure thrown. */
    private record DriverMemory(CudaContext ctx) implements DeviceMemory<CUdeviceptr> {
        @Override
        public CUdeviceptr allocate(long bytes) {
            ctx.makeCurrent();
            CUdeviceptr p = new CUdeviceptr();
            int rc = JCudaDriver.cuMemAlloc(p, bytes);
            if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return null;
            check("alloc", "cuMemAlloc(" + bytes + " bytes)", rc);
            return p;
        }

        @Override
        public void free(CUdeviceptr block) {
            ctx.makeCurrent();
            check("alloc", "cuMemFree", JCudaDriver.cuMemFree(block));
        }

        @Override
        public long[] info() {
            long[] f = new long[1], t = new long[1];
            return JCudaDriver.cuMemGetInfo(f, t) == CUresult.CUDA_SUCCESS ? new long[] {f[0], t[0]} : null;
        }
    }

    /** Scratch device memory for one op, back in the cache at close (safe: later users queue after this op's kernels). */
    private final class Scratch implements AutoCloseable {
        final CachingAllocator.Block<CUdeviceptr> block;

        Scratch(long bytes) {
            block = allocator.allocate(Math.max(bytes, 8));
        }

        CUdeviceptr ptr() {
            return block.ptr();
        }

        @Override
        public void close() {
            allocator.release(block);
        }
    }

    CudaStorage st(String op, Tensor t) {
        if (t.storage() instanceof CudaStorage c && c.device().equals(device)) return c;
        throw new IllegalArgumentException("[cuda " + op + "] expected a tensor on " + device + " but got one on " + t.device());
    }

    private void requireF32(String op, Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && t.dtype() != DType.F32)
                throw new UnsupportedOperationException("[cuda " + op + "] float64 is not supported on cuda (only creation, copies, casts, transfers and accumulation are);"
                        + " cast to float32 first");
    }

    /** Untyped device memory of at least {@code bytes} for tables and accumulators (a float32 storage; returned to the cache when unreachable). */
    public CudaStorage rawStorage(long bytes) {
        return new CudaStorage(device, DType.F32, (int) Math.max(1, (bytes + 3) / 4), allocator);
    }

    private Tensor alloc(int[] shape, DType dtype) {
        return Tensor.wrap(new CudaStorage(device, dtype, Shapes.numel(shape), allocator), shape);
    }

    /**
     * A dense view of {@code t} starting at element 0 of its storage: t itself when it is, else a
     * contiguous copy (offset views are copied too: kernels then get plain base pointers).
     */
    private Tensor dense(Tensor t) {
        return t.isContiguous() && t.offset() == 0 ? t : copy(t);
    }

    /** Blocks for a grid-stride loop over n elements. */
    private int blocks(int n) {
        return Math.max(1, Math.min((n + THREADS - 1) / THREADS, ctx.multiprocessors() * 32));
    }

    private void run(String op, String family, String kernel, int n, Args a) {
        launcher.launch(op, family, kernel, blocks(n), 1, 1, THREADS, a);
    }

    /**
     * The Layout struct (rank, offset, shape[8], stride[8]) reading {@code t} as broadcast to
     * {@code shape}: size-1 dims dropped, mergeable dims merged; rank -1 when the result is dense.
     */
    static int[] layout(Tensor t, int[] shape) {
        return layout(shape, Shapes.broadcastStrides(t.shape(), t.strides(), shape), t.offset());
    }

    static int[] layout(int[] shape, int[] strides, int offset) {
        int[] s = new int[shape.length], st = new int[shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (r > 0 && st[r - 1] == shape[d] * strides[d]) {
                s[r - 1] *= shape[d];
                st[r - 1] = strides[d];
            } else {
                s[r] = shape[d];
                st[r] = strides[d];
                r++;
            }
        }
        int[] l = new int[18];
        l[1] = offset;
        if (r == 0 || (r == 1 && st[0] == 1)) {
            l[0] = -1;
            return l;
        }
        if (r > 8)
            throw new UnsupportedOperationException("[cuda] a view of shape " + Shapes.str(shape) + " and strides " + Shapes.str(strides)
                    + " has " + r + " dims after merging; cuda kernels take at most 8");
        l[0] = r;
        System.arraycopy(s, 0, l, 2, r);
        System.arraycopy(st, 0, l, 10, r);
        return l;
    }

    private static String tn(DType d) {
        return d == DType.F32 ? "f32" : "f64";
    }

    // ------------------------------------------------------------------ creation and transfer

    @Override
    public Tensor full(int[] shape, DType dtype, double value) {
        Tensor y = alloc(shape, dtype);
        int n = y.numel();
        if (n > 0) {
            Args a = new Args().ptr(st("full", y)).i(n);
            run("full", "elementwise", "fill_" + tn(dtype), n, dtype == DType.F32 ? a.f((float) value) : a.d(value));
        }
        return y;
    }

    @Override
    public Tensor fromArray(float[] data, int[] shape) {
        Tensor y = alloc(shape, DType.F32);
        if (data.length > 0) {
            ctx.requireNotCapturing("to_device", "host data (" + data.length + " values) is uploaded");
            ctx.makeCurrent();
            check("to_device", "cuMemcpyHtoD (" + data.length * 4L + " bytes)", JCudaDriver.cuMemcpyHtoD(st("to_device", y).pointer(), Pointer.to(data), data.length * 4L));
        }
        return y;
    }

    @Override
    public Tensor fromArray(double[] data, int[] shape) {
        Tensor y = alloc(shape, DType.F64);
        if (data.length > 0) {
            ctx.requireNotCapturing("to_device", "host data (" + data.length + " values) is uploaded");
            ctx.makeCurrent();
            check("to_device", "cuMemcpyHtoD (" + data.length * 8L + " bytes)", JCudaDriver.cuMemcpyHtoD(st("to_device", y).pointer(), Pointer.to(data), data.length * 8L));
        }
        return y;
    }

    /** Device-to-host copy of a dense view, after waiting for the stream (so a failed kernel is reported here). */
    private void download(Tensor d, Pointer host, long bytes) {
        if (bytes == 0) return;
        ctx.synchronize("to_host");
        CudaStorage s = st("to_host", d);
        CUdeviceptr p = d.offset() == 0 ? s.pointer() : s.pointer().withByteOffset((long) d.offset() * d.dtype().bytes());
        check("to_host", "cuMemcpyDtoH (" + bytes + " bytes)", JCudaDriver.cuMemcpyDtoH(host, p, bytes));
        java.lang.ref.Reference.reachabilityFence(s);
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        if (t.dtype() == DType.F64) {
            double[] d = toDoubleArray(t);
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        Tensor d = dense(t);
        float[] f = new float[d.numel()];
        download(d, Pointer.to(f), f.length * 4L);
        return f;
    }

    @Override
    public double[] toDoubleArray(Tensor t) {
        if (t.dtype() == DType.F32) {
            float[] f = toFloatArray(t);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }
        Tensor dn = dense(t);
        double[] d = new double[dn.numel()];
        download(dn, Pointer.to(d), d.length * 8L);
        return d;
    }

    // ------------------------------------------------------------------ elementwise

    private static int code(UnaryOp op) {
        return switch (op) {
            case NEG -> 0; case EXP -> 1; case LOG -> 2; case SQRT -> 3; case ABS -> 4; case RELU -> 5; case SIGMOID -> 6; case TANH -> 7; case SIGN -> 8;
        };
    }

    private static int code(BinaryOp op) {
        return switch (op) {
            case ADD -> 0; case SUB -> 1; case MUL -> 2; case DIV -> 3; case MAX -> 4; case MIN -> 5;
        };
    }

    private static int code(CompareOp op) {
        return switch (op) {
            case EQ -> 0; case NE -> 1; case LT -> 2; case LE -> 3; case GT -> 4; case GE -> 5;
        };
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        String name = "unary." + op.opName();
        requireF32(name, x);
        Tensor y = alloc(x.shape(), DType.F32);
        int n = y.numel();
        if (n > 0) run(name, "elementwise", "unary_f32", n, new Args().ptr(st(name, y)).ptr(st(name, x)).ints(layout(x, x.shape())).i(n).i(code(op)));
        return y;
    }

    @Override
    public Tensor reluBackward(Tensor x, Tensor g) {
        requireF32("relu_backward", x, g);
        Tensor y = alloc(x.shape(), DType.F32);
        int n = y.numel();
        if (n > 0)
            run("relu_backward", "elementwise", "relu_backward_f32", n,
                    new Args().ptr(st("relu_backward", y)).ptr(st("relu_backward", x)).ints(layout(x, x.shape())).ptr(st("relu_backward", g)).ints(layout(g, x.shape())).i(n));
        return y;
    }

    @Override
    public Tensor pow(Tensor x, double exponent) {
        requireF32("pow", x);
        Tensor y = alloc(x.shape(), DType.F32);
        int n = y.numel();
        if (n > 0) run("pow", "elementwise", "pow_f32", n, new Args().ptr(st("pow", y)).ptr(st("pow", x)).ints(layout(x, x.shape())).i(n).d(exponent));
        return y;
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] outShape) {
        return broadcastPair("binary." + op.opName(), "binary_f32", a, b, outShape, code(op));
    }

    @Override
    public Tensor compare(CompareOp op, Tensor a, Tensor b, int[] outShape) {
        return broadcastPair("compare." + op.opName(), "compare_f32", a, b, outShape, code(op));
    }

    /** y = kernel(a, b) over {@code outShape}, both operands broadcast; {@code opCode} selects the operator inside the kernel. */
    private Tensor broadcastPair(String name, String kernel, Tensor a, Tensor b, int[] outShape, int opCode) {
        requireF32(name, a, b);
        Tensor y = alloc(outShape, DType.F32);
        int n = y.numel();
        if (n > 0)
            run(name, "elementwise", kernel, n,
                    new Args().ptr(st(name, y)).ptr(st(name, a)).ints(layout(a, outShape)).ptr(st(name, b)).ints(layout(b, outShape)).i(n).i(opCode));
        return y;
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape) {
        requireF32("where", cond, a, b);
        Tensor y = alloc(outShape, DType.F32);
        int n = y.numel();
        if (n > 0)
            run("where", "elementwise", "where_f32", n, new Args().ptr(st("where", y)).ptr(st("where", cond)).ints(layout(cond, outShape))
                    .ptr(st("where", a)).ints(layout(a, outShape)).ptr(st("where", b)).ints(layout(b, outShape)).i(n));
        return y;
    }

    /** dst (any view) = src broadcast to dst's shape, converting the dtype. */
    private void copyKernel(String op, Tensor dst, Tensor src) {
        int n = dst.numel();
        if (n == 0) return;
        run(op, "elementwise", "copy_" + tn(dst.dtype()) + "_" + tn(src.dtype()), n,
                new Args().ptr(st(op, dst)).ints(layout(dst, dst.shape())).ptr(st(op, src)).ints(layout(src, dst.shape())).i(n));
    }

    @Override
    public Tensor copy(Tensor x) {
        Tensor y = alloc(x.shape(), x.dtype());
        copyKernel("copy", y, x);
        return y;
    }

    @Override
    public Tensor cast(Tensor x, DType dtype) {
        Tensor y = alloc(x.shape(), dtype);
        copyKernel("cast", y, x);
        return y;
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, boolean[] dims) {
        String name = "reduce." + op.opName();
        requireF32(name, x);
        int[] xs = x.shape(), xst = x.strides(), os = xs.clone();
        int nk = 0, nr = 0;
        for (int d = 0; d < xs.length; d++)
            if (dims[d]) nr++;
            else nk++;
        int[] ks = new int[nk], kst = new int[nk], rs = new int[nr], rst = new int[nr];
        for (int d = 0, i = 0, j = 0; d < xs.length; d++) {
            if (dims[d]) {
                os[d] = 1;
                rs[j] = xs[d];
                rst[j++] = xst[d];
            } else {
                ks[i] = xs[d];
                kst[i++] = xst[d];
            }
        }
        Tensor y = alloc(os, DType.F32);
        int m = Shapes.numel(ks), r = Shapes.numel(rs), opc = op == ReduceOp.SUM ? 0 : 1;
        if (m == 0) return y;
        CudaStorage xsd = st(name, x), ysd = st(name, y);
        int[] kept = layout(ks, kst, x.offset()), red = layout(rs, rst, 0);
        if (m >= 256 || r <= 4096) { // a warp per output
            launcher.launch(name, "reduce", "reduce_warp_f32", (int) ((m * 32L + THREADS - 1) / THREADS), 1, 1, THREADS,
                    new Args().ptr(ysd).ptr(xsd).ints(kept).ints(red).i(m).i(r).i(opc));
        } else { // few long rows: S blocks per row, then the partials in order
            int s = (int) Math.min(Math.max(1, (r + 4095L) / 4096), Math.max(1, ctx.multiprocessors() * 8L / m));
            try (Scratch part = new Scratch((long) m * s * 8)) {
                launcher.launch(name, "reduce", "reduce_partial_f32", s, m, 1, THREADS, new Args().ptr(part.ptr()).ptr(xsd).ints(kept).ints(red).i(m).i(r).i(s).i(opc));
                run(name, "reduce", "reduce_finish_f32", m, new Args().ptr(ysd).ptr(part.ptr()).i(m).i(s).i(opc));
            }
        }
        return y;
    }

    @Override
    public Tensor argmax(Tensor x, int dim) {
        requireF32("argmax", x);
        int[] xs = x.shape();
        int outer = 1, inner = 1, n = xs[dim];
        for (int d = 0; d < dim; d++) outer *= xs[d];
        for (int d = dim + 1; d < xs.length; d++) inner *= xs[d];
        int[] os = xs.clone();
        os[dim] = 1;
        Tensor y = alloc(os, DType.F32);
        int m = outer * inner;
        if (m == 0) return y;
        if (n > (1 << 24)) throw new UnsupportedOperationException("[cuda argmax] dim of size " + n + " exceeds 2^24: indices would not be exact in float32");
        Tensor xd = dense(x);
        launcher.launch("argmax", "reduce", "argmax_f32", (int) ((m * 32L + THREADS - 1) / THREADS), 1, 1, THREADS,
                new Args().ptr(st("argmax", y)).ptr(st("argmax", xd), xd.offset()).i(outer).i(n).i(inner));
        return y;
    }

    @Override
    public double sumOfSquares(Tensor x) {
        requireF32("sum_of_squares", x);
        int n = x.numel();
        if (n == 0) return 0;
        int g = Math.min(blocks(n), 1024);
        try (Scratch s = new Scratch(g * 8L)) {
            launcher.launch("sum_of_squares", "reduce", "sumsq_partial_f32", g, 1, 1, THREADS,
                    new Args().ptr(s.ptr()).ptr(st("sum_of_squares", x)).ints(layout(x, x.shape())).i(n));
            return sumPartials("sum_of_squares", s.ptr(), g);
        }
    }

    private void downloadScratch(String op, Pointer host, CUdeviceptr p, long bytes) {
        ctx.synchronize(op);
        check(op, "cuMemcpyDtoH (" + bytes + " bytes)", JCudaDriver.cuMemcpyDtoH(host, p, bytes));
    }

    @Override
    public long firstNonFinite(Tensor x) {
        requireF32("first_non_finite", x);
        int n = x.numel();
        if (n == 0) return -1;
        int[] first = new int[1];
        try (Scratch s = new Scratch(4)) {
            ctx.makeCurrent();
            check("first_non_finite", "cuMemsetD32Async", JCudaDriver.cuMemsetD32Async(s.ptr(), Integer.MAX_VALUE, 1, ctx.stream()));
            run("first_non_finite", "reduce", "first_nonfinite_f32", n, new Args().ptr(s.ptr()).ptr(st("first_non_finite", x)).ints(layout(x, x.shape())).i(n));
            downloadScratch("first_non_finite", Pointer.to(first), s.ptr(), 4);
        }
        return first[0] == Integer.MAX_VALUE ? -1 : first[0];
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public Tensor matmul(Tensor a, Tensor b, int[] out) {
        requireF32("matmul", a, b);
        int r = out.length, m = out[r - 2], n = out[r - 1], k = a.shape(-1);
        int[] batch = Arrays.copyOf(out, r - 2);
        int nb = Shapes.numel(batch);
        Tensor c = alloc(out, DType.F32);
        if ((long) m * n * nb == 0) return c;
        int[] sa = Shapes.broadcastStrides(a.shape(), a.strides(), Shapes.concat(batch, m, k));
        int[] sb = Shapes.broadcastStrides(b.shape(), b.strides(), Shapes.concat(batch, k, n));
        CudaStorage as = st("matmul", a), bs = st("matmul", b), cs = st("matmul", c);
        boolean tf32 = tf32();
        if (cublas != null && !tf32 && nb == 1 && k > 0) {
            Pointer ap = a.offset() == 0 ? as.pointer() : as.pointer().withByteOffset(a.offset() * 4L);
            Pointer bp = b.offset() == 0 ? bs.pointer() : bs.pointer().withByteOffset(b.offset() * 4L);
            ctx.makeCurrent();
            boolean done = cublas.sgemm(cs.pointer(), ap, sa[r - 2], sa[r - 1], bp, sb[r - 2], sb[r - 1], m, n, k);
            java.lang.ref.Reference.reachabilityFence(as);
            java.lang.ref.Reference.reachabilityFence(bs);
            if (done) return c;
        }
        int[] la = layout(batch, Arrays.copyOf(sa, r - 2), a.offset()), lb = layout(batch, Arrays.copyOf(sb, r - 2), b.offset());
        String kernel = tf32 ? "gemm_tf32" : "gemm_f32";
        for (int z0 = 0; z0 < nb; z0 += 65535)
            launcher.launch("matmul", "gemm", kernel, (n + 127) / 128, (m + 127) / 128, Math.min(65535, nb - z0), THREADS,
                    new Args().ptr(cs).ptr(as).ints(la).i(sa[r - 2]).i(sa[r - 1]).ptr(bs).ints(lb).i(sb[r - 2]).i(sb[r - 1]).i(m).i(n).i(k).i(z0));
        return c;
    }

    // ------------------------------------------------------------------ convolution

    /** ConvGeom: N, C, H, W, Co, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups, cg, cog. */
    private static int[] geom(int[] xs, int[] ws, int ho, int wo, Conv2dParams p) {
        int g = p.groups();
        return new int[] {xs[0], xs[1], xs[2], xs[3], ws[0], ho, wo, ws[2], ws[3], p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(),
            p.dilationW(), g, xs[1] / g, ws[0] / g};
    }

    private static String convMode() {
        return Backends.config().cudaConv();
    }

    /** Whether this convolution runs on the direct kernels (kr.cuda.conv=auto|gemm|gemm16|gemm32|gemm64|gemm128|direct). */
    private static boolean direct(int[] geom) {
        String mode = convMode();
        if (mode.equals("direct")) return true;
        if (mode.equals("auto")) return geom[16] * geom[17] <= DIRECT_CONV_PAIRS;
        if (mode.equals("gemm") || forcedTile(mode) != null) return false;
        throw new IllegalArgumentException("[cuda conv2d] kr.cuda.conv must be auto, gemm, gemm16, gemm32, gemm64, gemm128 or direct, not '" + mode + "'");
    }

    /** An implicit-GEMM block tile of conv.cu: the kernel name's suffix, its rows (M) and columns (N). */
    record ConvTile(String suffix, int bm, int bn) {}

    /** The fp32 tiles, widest first; see conv.cu's header. */
    static final ConvTile[] CONV_TILES = {new ConvTile("", 128, 128), new ConvTile("_m64", 64, 128), new ConvTile("_m32", 32, 128), new ConvTile("_m16", 16, 256)};
    /** The tensor-core kernels have the 128x128 tile only. */
    static final ConvTile CONV_TILE_TF32 = new ConvTile("_tf32", 128, 128);

    /** The fp32 tile kr.cuda.conv=gemmNN names, else null. */
    private static ConvTile forcedTile(String mode) {
        for (ConvTile t : CONV_TILES)
            if (mode.equals("gemm" + t.bm())) return t;
        return null;
    }

    /**
     * The tile for M rows (output channels per group): the narrowest that holds them. Not narrower
     * to fill the multiprocessors: the kernels are bound by the patch gathers, which a narrower tile
     * repeats for each of its row blocks (measured on the H200: [128,64,8,8] forward 0.206 ms on the
     * 128-row tile, 0.261 ms on 16-row tiles). TF32 has its one tile; kr.cuda.conv=gemmNN forces an fp32 one.
     */
    private ConvTile convTile(int m) {
        if (tf32()) return CONV_TILE_TF32;
        ConvTile forced = forcedTile(convMode());
        if (forced != null) return forced;
        int i = 0;
        while (i + 1 < CONV_TILES.length && CONV_TILES[i + 1].bm() >= m) i++;
        return CONV_TILES[i];
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Conv2dParams p) {
        requireF32("conv2d", x, w);
        int[] xs = x.shape(), ws = w.shape();
        int ho = p.outH(xs[2], ws[2]), wo = p.outW(xs[3], ws[3]);
        Tensor y = alloc(new int[] {xs[0], ws[0], ho, wo}, DType.F32);
        int n = y.numel();
        if (n == 0) return y;
        Tensor xd = dense(x), wd = dense(w);
        int[] g = geom(xs, ws, ho, wo, p);
        Args a = new Args().ptr(st("conv2d", y)).ptr(st("conv2d", xd), xd.offset()).ptr(st("conv2d", wd), wd.offset()).ints(g);
        if (direct(g)) run("conv2d", "conv", "conv2d_fwd_direct", n, a);
        else {
            ConvTile t = convTile(g[17]);
            launcher.launch("conv2d", "conv", "conv2d_fwd_implicit" + t.suffix(), ceil(xs[0] * ho * wo, t.bn()), ceil(g[17], t.bm()), g[15], THREADS, a);
        }
        return y;
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xs, Conv2dParams p) {
        requireF32("conv2d_backward_input", gy, w);
        int[] ws = w.shape();
        Tensor gx = alloc(xs, DType.F32);
        int n = gx.numel();
        if (n == 0) return gx;
        Tensor gd = dense(gy), wd = dense(w);
        int[] g = geom(xs, ws, gy.shape(2), gy.shape(3), p);
        String op = "conv2d_backward_input";
        Args a = new Args().ptr(st(op, gx)).ptr(st(op, gd), gd.offset()).ptr(st(op, wd), wd.offset()).ints(g);
        if (direct(g)) run(op, "conv", "conv2d_bwd_input_direct", n, a);
        else {
            ConvTile t = convTile(g[16]);
            launcher.launch(op, "conv", "conv2d_bwd_input_implicit" + t.suffix(), ceil(xs[0] * xs[2] * xs[3], t.bn()), ceil(g[16], t.bm()), g[15], THREADS, a);
        }
        return gx;
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gy, Tensor x, int[] ws, Conv2dParams p) {
        String op = "conv2d_backward_weight";
        requireF32(op, gy, x);
        int[] xs = x.shape();
        Tensor gw = alloc(ws, DType.F32);
        int len = gw.numel();
        if (len == 0) return gw;
        Tensor gd = dense(gy), xd = dense(x);
        int[] g = geom(xs, ws, gy.shape(2), gy.shape(3), p);
        CudaStorage gws = st(op, gw), gys = st(op, gd), xss = st(op, xd);
        if (direct(g)) {
            launcher.launch(op, "conv", "conv2d_bwd_weight_direct", len, 1, 1, THREADS, new Args().ptr(gws).ptr(gys, gd.offset()).ptr(xss, xd.offset()).ints(g));
            return gw;
        }
        int cols = g[16] * ws[2] * ws[3], k = xs[0] * g[5] * g[6];
        ConvTile t = convTile(g[17]);
        int tiles = ceil(cols, t.bn()) * ceil(g[17], t.bm()) * g[15];
        // split K so that the few output tiles still fill the GPU; each split sums at least 512 terms
        int s = Math.max(1, Math.min(Math.min(ceil(k, 512), ceil(2 * ctx.multiprocessors(), tiles)), 65535 / g[15]));
        String kernel = "conv2d_bwd_weight_implicit" + t.suffix();
        if (s == 1) {
            launcher.launch(op, "conv", kernel, ceil(cols, t.bn()), ceil(g[17], t.bm()), g[15], THREADS,
                    new Args().ptr(gws).ptr(gys, gd.offset()).ptr(xss, xd.offset()).ints(g).i(1));
            return gw;
        }
        try (Scratch part = new Scratch((long) s * len * 4)) {
            launcher.launch(op, "conv", kernel, ceil(cols, t.bn()), ceil(g[17], t.bm()), g[15] * s, THREADS,
                    new Args().ptr(part.ptr()).ptr(gys, gd.offset()).ptr(xss, xd.offset()).ints(g).i(s));
            run(op, "conv", "conv2d_sum_splits", len, new Args().ptr(gws).ptr(part.ptr()).i(len).i(s));
        }
        return gw;
    }

    // ------------------------------------------------------------------ pooling

    /** Pool: planes, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, ceil, countIncludePad. */
    private static int[] pool(int[] xs, int ho, int wo, Pool2dParams p) {
        return new int[] {xs[0] * xs[1], xs[2], xs[3], ho, wo, p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(), p.ceilMode() ? 1 : 0,
            p.countIncludePad() ? 1 : 0};
    }

    @Override
    public Tensor[] maxPool2d(Tensor x, Pool2dParams p) {
        requireF32("max_pool2d", x);
        int[] xs = x.shape();
        if ((long) xs[2] * xs[3] > (1 << 24))
            throw new UnsupportedOperationException("[cuda max_pool2d] planes of " + xs[2] + "x" + xs[3] + " exceed 2^24 elements: argmax would not be exact in float32");
        int ho = p.outH(xs[2]), wo = p.outW(xs[3]);
        int[] os = {xs[0], xs[1], ho, wo};
        Tensor y = alloc(os, DType.F32), idx = alloc(os, DType.F32);
        int[] pl = pool(xs, ho, wo, p);
        CudaStorage is = st("max_pool2d", idx);
        is.tag = pl; // the backward pass gathers with the window geometry
        int n = y.numel();
        if (n > 0) {
            Tensor xd = dense(x);
            run("max_pool2d", "pooling", "maxpool2d_fwd_f32", n, new Args().ptr(st("max_pool2d", y)).ptr(is).ptr(st("max_pool2d", xd), xd.offset()).ints(pl));
        }
        return new Tensor[] {y, idx};
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gy, Tensor argmax, int[] xs) {
        String op = "max_pool2d_backward";
        requireF32(op, gy, argmax);
        Tensor gx = alloc(xs, DType.F32);
        int n = gx.numel();
        if (n == 0) return gx;
        Tensor gd = dense(gy), ad = dense(argmax);
        CudaStorage as = st(op, ad);
        int[] pl = as.tag instanceof int[] t && t[0] == xs[0] * xs[1] && t[1] == xs[2] && t[2] == xs[3] && ad.offset() == 0 ? t : null;
        if (pl == null) // argmax from elsewhere: rebuild a geometry that makes every output window the whole plane
            pl = new int[] {xs[0] * xs[1], xs[2], xs[3], gy.shape(2), gy.shape(3), 2 * xs[2], 2 * xs[3], 1, 1, xs[2], xs[3], 0, 1};
        run(op, "pooling", "maxpool2d_bwd_f32", n, new Args().ptr(st(op, gx)).ptr(st(op, gd), gd.offset()).ptr(as, ad.offset()).ints(pl));
        return gx;
    }

    @Override
    public Tensor avgPool2d(Tensor x, Pool2dParams p) {
        requireF32("avg_pool2d", x);
        int[] xs = x.shape();
        int ho = p.outH(xs[2]), wo = p.outW(xs[3]);
        Tensor y = alloc(new int[] {xs[0], xs[1], ho, wo}, DType.F32);
        int n = y.numel();
        if (n > 0) {
            Tensor xd = dense(x);
            run("avg_pool2d", "pooling", "avgpool2d_fwd_f32", n, new Args().ptr(st("avg_pool2d", y)).ptr(st("avg_pool2d", xd), xd.offset()).ints(pool(xs, ho, wo, p)));
        }
        return y;
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gy, int[] xs, Pool2dParams p) {
        String op = "avg_pool2d_backward";
        requireF32(op, gy);
        Tensor gx = alloc(xs, DType.F32);
        int n = gx.numel();
        if (n > 0) {
            Tensor gd = dense(gy);
            run(op, "pooling", "avgpool2d_bwd_f32", n, new Args().ptr(st(op, gx)).ptr(st(op, gd), gd.offset()).ints(pool(xs, gy.shape(2), gy.shape(3), p)));
        }
        return gx;
    }

    // ------------------------------------------------------------------ normalization and softmax

    /** Blocks per channel for the batch-norm partial sums: enough to fill the GPU, at least 2048 terms each. */
    private int bnSplits(int c, int perChannel) {
        return Math.max(1, Math.min(ceil(perChannel, 2048), ceil(4 * ctx.multiprocessors(), Math.max(c, 1))));
    }

    @Override
    public Tensor[] batchNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        String op = "batch_norm";
        requireF32(op, x, gamma, beta);
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], total = Shapes.numel(xs), inner = total / Math.max(n * c, 1);
        Tensor y = alloc(xs, DType.F32), mean = alloc(new int[] {c}, DType.F32), inv = alloc(new int[] {c}, DType.F32);
        if (c == 0) return new Tensor[] {y, mean, inv};
        Tensor xd = dense(x), gd = dense(gamma), bd = dense(beta);
        CudaStorage xss = st(op, xd), ms = st(op, mean), is = st(op, inv);
        int s = bnSplits(c, n * inner);
        try (Scratch part = new Scratch((long) c * s * 16)) {
            launcher.launch(op, "batchnorm", "bn_partial_f32", s, c, 1, THREADS, new Args().ptr(part.ptr()).ptr(xss, xd.offset()).i(n).i(c).i(inner).i(s));
            run(op, "batchnorm", "bn_finish_f32", c, new Args().ptr(ms).ptr(is).ptr(part.ptr()).i(c).i(s).d((double) n * inner).d(eps));
        }
        if (total > 0)
            run(op, "batchnorm", "bn_apply_f32", total, new Args().ptr(st(op, y)).ptr(xss, xd.offset()).ptr(ms).ptr(is).ptr(st(op, gd), gd.offset())
                    .ptr(st(op, bd), bd.offset()).i(total).i(c).i(inner));
        return new Tensor[] {y, mean, inv};
    }

    @Override
    public Tensor[] batchNormBackward(Tensor gy, Tensor x, Tensor gamma, Tensor mean, Tensor invstd) {
        String op = "batch_norm_backward";
        requireF32(op, gy, x, gamma, mean, invstd);
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], total = Shapes.numel(xs), inner = total / Math.max(n * c, 1);
        Tensor dx = alloc(xs, DType.F32), dgamma = alloc(new int[] {c}, DType.F32), dbeta = alloc(new int[] {c}, DType.F32);
        if (c == 0) return new Tensor[] {dx, dgamma, dbeta};
        Tensor gd = dense(gy), xd = dense(x), gmd = dense(gamma), md = dense(mean), id = dense(invstd);
        CudaStorage gs = st(op, gd), xss = st(op, xd), ms = st(op, md), is = st(op, id), gms = st(op, gmd);
        int s = bnSplits(c, n * inner);
        try (Scratch part = new Scratch((long) c * s * 24); Scratch coef = new Scratch((long) c * 16)) {
            launcher.launch(op, "batchnorm", "bn_bwd_partial_f32", s, c, 1, THREADS, new Args().ptr(part.ptr()).ptr(gs, gd.offset()).ptr(xss, xd.offset())
                    .ptr(ms, md.offset()).i(n).i(c).i(inner).i(s));
            run(op, "batchnorm", "bn_bwd_finish_f32", c, new Args().ptr(st(op, dgamma)).ptr(st(op, dbeta)).ptr(coef.ptr()).ptr(part.ptr())
                    .ptr(gms, gmd.offset()).ptr(is, id.offset()).i(c).i(s).d((double) n * inner));
            if (total > 0)
                run(op, "batchnorm", "bn_bwd_apply_f32", total, new Args().ptr(st(op, dx)).ptr(gs, gd.offset()).ptr(xss, xd.offset()).ptr(ms, md.offset())
                        .ptr(coef.ptr()).i(total).i(c).i(inner));
        }
        return new Tensor[] {dx, dgamma, dbeta};
    }

    @Override
    public Tensor logSoftmax(Tensor x, int dim) {
        requireF32("log_softmax", x);
        int[] xs = x.shape();
        int outer = 1, inner = 1, n = xs.length == 0 ? 1 : xs[dim];
        for (int d = 0; d < dim; d++) outer *= xs[d];
        for (int d = dim + 1; d < xs.length; d++) inner *= xs[d];
        Tensor y = alloc(xs, DType.F32);
        int rows = outer * inner;
        if (rows == 0 || n == 0) return y;
        Tensor xd = dense(x);
        launcher.launch("log_softmax", "softmax", "log_softmax_f32", (int) ((rows * 32L + THREADS - 1) / THREADS), 1, 1, THREADS,
                new Args().ptr(st("log_softmax", y)).ptr(st("log_softmax", xd), xd.offset()).i(outer).i(n).i(inner));
        return y;
    }

    // ------------------------------------------------------------------ structure

    /** A narrow view built without autograd. */
    private static Tensor narrowView(Tensor t, int dim, int start, int len) {
        int[] s = t.shape(), str = t.strides();
        s[dim] = len;
        return Tensor.wrap(t.storage(), s, str, t.offset() + start * str[dim]);
    }

    @Override
    public Tensor concat(Tensor[] xs, int dim, int[] outShape) {
        Tensor y = alloc(outShape, xs[0].dtype());
        int off = 0;
        for (Tensor t : xs) {
            int len = t.shape(dim);
            copyKernel("concat", narrowView(y, dim, off, len), t);
            off += len;
        }
        return y;
    }

    @Override
    public Tensor pad(Tensor x, int[] before, int[] after, double value) {
        int[] xs = x.shape(), os = xs.clone();
        for (int d = 0; d < xs.length; d++) os[d] += before[d] + after[d];
        Tensor y = full(os, x.dtype(), value);
        Tensor inner = y;
        for (int d = 0; d < xs.length; d++) inner = narrowView(inner, d, before[d], xs[d]);
        copyKernel("pad", inner, x);
        return y;
    }

    // ------------------------------------------------------------------ in place

    @Override
    public void copyInto(Tensor dst, Tensor src) {
        copyKernel("copy_into", dst, src);
    }

    @Override
    public void addInto(Tensor dst, Tensor src, double alpha) {
        if (dst.dtype() != src.dtype())
            throw new IllegalArgumentException("[cuda add_into] " + dst.dtype() + " destination and " + src.dtype() + " source: cast first");
        int n = dst.numel();
        if (n == 0) return;
        Args a = new Args().ptr(st("add_into", dst)).ints(layout(dst, dst.shape())).ptr(st("add_into", src)).ints(layout(src, dst.shape())).i(n);
        run("add_into", "elementwise", "add_into_" + tn(dst.dtype()), n, dst.dtype() == DType.F32 ? a.f((float) alpha) : a.d(alpha));
    }

    @Override
    public void scaleInPlace(Tensor dst, double alpha) {
        int n = dst.numel();
        if (n == 0) return;
        Args a = new Args().ptr(st("scale", dst)).ints(layout(dst, dst.shape())).i(n);
        run("scale", "elementwise", "scale_" + tn(dst.dtype()), n, dst.dtype() == DType.F32 ? a.f((float) alpha) : a.d(alpha));
    }

    private static void requireDense(String op, Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && !t.isContiguous())
                throw new IllegalArgumentException("[cuda " + op + "] in-place operands must be contiguous, got strides " + Shapes.str(t.strides()));
    }

    @Override
    public void sgdStep(Tensor p, Tensor g, Tensor buf, double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
            boolean firstStep) {
        requireF32("sgd", p, g, buf);
        requireDense("sgd", p, buf);
        int n = p.numel();
        if (n == 0) return;
        if (momentum != 0 && buf == null) throw new IllegalArgumentException("[cuda sgd] momentum " + momentum + " needs a momentum buffer");
        Args a = new Args().ptr(st("sgd", p), p.offset());
        if (buf == null) a.nul();
        else a.ptr(st("sgd", buf), buf.offset());
        run("sgd", "optimizer", "sgd_step_f32", n, a.ptr(st("sgd", g)).ints(layout(g, p.shape())).i(n).d(lr).d(momentum).d(dampening).d(weightDecay)
                .i(nesterov ? 1 : 0).i(firstStep ? 1 : 0));
    }

    @Override
    public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean decoupled, long step) {
        requireF32("adam", p, g, m, v);
        requireDense("adam", p, m, v);
        int n = p.numel();
        if (n == 0) return;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        run("adam", "optimizer", "adam_step_f32", n, new Args().ptr(st("adam", p), p.offset()).ptr(st("adam", m), m.offset()).ptr(st("adam", v), v.offset())
                .ptr(st("adam", g)).ints(layout(g, p.shape())).i(n).d(lr).d(beta1).d(beta2).d(eps).d(weightDecay).i(decoupled ? 1 : 0).d(bc1).d(bc2));
    }

    // ------------------------------------------------------------------ KR

    /** The smallest float >= threshold: for a float a, |a| >= it exactly when |a| >= threshold. */
    public static float floatThreshold(double threshold) {
        float t = (float) threshold;
        return t < threshold ? Math.nextUp(t) : t;
    }

    @Override
    public double sparseRecoding(Tensor grad, Tensor w, Tensor prior, double threshold, double beta) {
        String op = "sparse_recoding";
        requireF32(op, grad, w, prior);
        requireDense(op, grad);
        int n = grad.numel();
        if (n == 0) return 0;
        int g = recodeBlocks(n);
        try (Scratch s = new Scratch(g * 8L)) {
            launchSparseRecoding(s.ptr(), grad, w, prior, threshold, beta);
            return sumPartials(op, s.ptr(), g);
        }
    }

    /** Blocks (and double partials) of one sparse-recoding launch over {@code n} elements. */
    public int recodeBlocks(int n) {
        return Math.min(blocks(n), 1024);
    }

    /** Queues sparse_recoding_f32 (grad dense, n > 0), its {@link #recodeBlocks} partial sums to {@code partial}. */
    public void launchSparseRecoding(CUdeviceptr partial, Tensor grad, Tensor w, Tensor prior, double threshold, double beta) {
        String op = "sparse_recoding";
        int n = grad.numel();
        launcher.launch(op, "kr", "sparse_recoding_f32", recodeBlocks(n), 1, 1, THREADS, new Args().ptr(partial).ptr(st(op, grad), grad.offset()).ptr(st(op, w))
                .ints(layout(w, grad.shape())).ptr(st(op, prior)).ints(layout(prior, grad.shape())).i(n).f(floatThreshold(threshold)).d(beta));
    }

    /** The host's in-order sum of {@code g} double partials (waits for the stream). */
    private double sumPartials(String op, CUdeviceptr partial, int g) {
        double[] part = new double[g];
        downloadScratch(op, Pointer.to(part), partial, g * 8L);
        double sum = 0;
        for (double p : part) sum += p;
        return sum;
    }

    /** One pass over w, grad and buf (all dense) with the same per-element arithmetic as sparseRecoding then sgdStep. */
    @Override
    public double sparseRecodingSgd(Tensor grad, Tensor w, Tensor prior, Tensor buf, double threshold, double beta, double lr, double momentum,
            double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        String op = "sparse_recoding_sgd";
        requireF32(op, grad, w, prior, buf);
        requireDense(op, grad, w, buf);
        if (!Arrays.equals(grad.shape(), w.shape()) || !Arrays.equals(prior.shape(), w.shape()) || (buf != null && !Arrays.equals(buf.shape(), w.shape())))
            throw new IllegalArgumentException("[cuda " + op + "] grad " + Shapes.str(grad.shape()) + ", weight " + Shapes.str(w.shape()) + ", prior "
                    + Shapes.str(prior.shape()) + (buf == null ? "" : ", buffer " + Shapes.str(buf.shape())) + " must have one shape");
        if (momentum != 0 && buf == null) throw new IllegalArgumentException("[cuda " + op + "] momentum " + momentum + " needs a momentum buffer");
        int n = grad.numel();
        if (n == 0) return 0;
        int g = recodeBlocks(n);
        try (Scratch s = new Scratch(g * 8L)) {
            launchSparseRecodingSgd(s.ptr(), grad, w, prior, buf, threshold, beta, lr, momentum, dampening, weightDecay, nesterov, firstStep);
            return sumPartials(op, s.ptr(), g);
        }
    }

    /** Queues sparse_recoding_sgd_f32 (checked operands, n > 0), its {@link #recodeBlocks} partial sums to {@code partial}. */
    public void launchSparseRecodingSgd(CUdeviceptr partial, Tensor grad, Tensor w, Tensor prior, Tensor buf, double threshold, double beta, double lr,
            double momentum, double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        String op = "sparse_recoding_sgd";
        int n = grad.numel();
        Args a = new Args().ptr(partial).ptr(st(op, grad), grad.offset()).ptr(st(op, w), w.offset());
        if (buf == null) a.nul();
        else a.ptr(st(op, buf), buf.offset());
        launcher.launch(op, "kr", "sparse_recoding_sgd_f32", recodeBlocks(n), 1, 1, THREADS, a.ptr(st(op, prior)).ints(layout(prior, w.shape())).i(n)
                .f(floatThreshold(threshold)).d(beta).d(lr).d(momentum).d(dampening).d(weightDecay).i(nesterov ? 1 : 0).i(firstStep ? 1 : 0));
    }
}
