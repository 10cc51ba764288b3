package kr.cuda;

import static kr.cuda.Launcher.check;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUgraph;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * One device's primary context and the one stream every kernel of its backend runs on. Closing
 * destroys the stream and releases the context (after synchronising). Calls from a new thread make
 * the context current first ({@link #makeCurrent()}).
 *
 * <pre>{@code try (CudaContext ctx = CudaContext.open(0)) { ... } }</pre>
 */
public final class CudaContext implements AutoCloseable {
    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final String name;
    private final int major, minor, sms;
    private final long totalMemory;
    private final ThreadLocal<Boolean> current = new ThreadLocal<>();
    private volatile boolean closed;
    private volatile boolean capturing;

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        check("init", "cuDeviceGet(" + ordinal + ")", JCudaDriver.cuDeviceGet(device, ordinal));
        check("init", "cuDevicePrimaryCtxRetain", JCudaDriver.cuDevicePrimaryCtxRetain(context, device));
        makeCurrent();
        // CU_STREAM_DEFAULT: a blocking stream, ordered with the synchronous copies on the legacy stream
        check("init", "cuStreamCreate", JCudaDriver.cuStreamCreate(stream, 0));
        byte[] buf = new byte[256];
        check("init", "cuDeviceGetName", JCudaDriver.cuDeviceGetName(buf, buf.length, device));
        int len = 0;
        while (len < buf.length && buf[len] != 0) len++;
        name = new String(buf, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        major = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        minor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        sms = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] total = new long[1];
        check("init", "cuDeviceTotalMem", JCudaDriver.cuDeviceTotalMem(total, device));
        totalMemory = total[0];
    }

    /** Opens device {@code ordinal}; fails with the probe's reason when CUDA is unusable. */
    public static CudaContext open(int ordinal) {
        if (!CudaDriver.available()) throw new CudaException(CudaDriver.unavailableReason());
        if (ordinal < 0 || ordinal >= CudaDriver.deviceCount())
            throw new CudaException("[cuda] no device cuda:" + ordinal + " (this machine has " + CudaDriver.deviceCount() + ")");
        return new CudaContext(ordinal);
    }

    private int attribute(int a) {
        int[] v = new int[1];
        check("init", "cuDeviceGetAttribute(" + a + ")", JCudaDriver.cuDeviceGetAttribute(v, a, device));
        return v[0];
    }

    /** Device attribute {@code a} (a {@code CUdevice_attribute}), or -1 where this driver does not report it. */
    int attributeOrMissing(int a) {
        int[] v = new int[1];
        return JCudaDriver.cuDeviceGetAttribute(v, a, device) == jcuda.driver.CUresult.CUDA_SUCCESS ? v[0] : -1;
    }

    /** Makes this context current on the calling thread (once per thread). */
    public void makeCurrent() {
        if (closed) throw new CudaException("[cuda] the context of cuda:" + ordinal + " was closed");
        if (current.get() == null) {
            check("init", "cuCtxSetCurrent", JCudaDriver.cuCtxSetCurrent(context));
            current.set(Boolean.TRUE);
        }
    }

    public CUstream stream() {
        return stream;
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    /** Compute capability as major*10 + minor (90 for Hopper). */
    public int computeCapability() {
        return major * 10 + minor;
    }

    public int multiprocessors() {
        return sms;
    }

    public long totalMemory() {
        return totalMemory;
    }

    /** Whether a CUDA graph is being captured from the stream now (see {@link GraphedStep}). */
    public boolean capturing() {
        return capturing;
    }

    /**
     * Starts capturing the stream into a graph. Relaxed mode: the caching allocator may still call
     * cuMemAlloc meanwhile (it never frees during a capture). Kernels launched until
     * {@link #endCapture} are recorded, not run.
     */
    void beginCapture() {
        makeCurrent();
        if (capturing) throw new CudaException("[cuda graph] a capture is already running on " + this);
        check("graph", "cuStreamBeginCapture", JCudaDriver.cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED));
        capturing = true;
    }

    /** Ends the capture into {@code graph}; returns the driver's result (CUDA_ERROR_STREAM_CAPTURE_INVALIDATED after an illegal call). */
    int endCapture(CUgraph graph) {
        makeCurrent();
        capturing = false;
        return JCudaDriver.cuStreamEndCapture(stream, graph);
    }

    /** Throws the error a host round trip gets during a capture: it would neither be recorded nor replayed. */
    void requireNotCapturing(String op, String what) {
        if (capturing)
            throw new CudaException("[cuda " + op + "] " + what + " while a CUDA graph is being captured: the graph would not replay it, and the"
                    + " capture is invalid. Keep the value on the device (a static buffer written before each replay, a device accumulator read"
                    + " after it), or run with -Dkr.cuda.graphs=false");
    }

    /** Waits for every kernel queued on the stream; {@code op} names the caller in the error. */
    public void synchronize(String op) {
        requireNotCapturing(op, "reads back from or waits for the device (a stream synchronisation)");
        makeCurrent();
        check(op, "cuStreamSynchronize (a kernel queued earlier failed; run with -Dkr.cuda.sync=true to find which)",
                JCudaDriver.cuStreamSynchronize(stream));
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            makeCurrent();
            JCudaDriver.cuStreamSynchronize(stream);
            JCudaDriver.cuStreamDestroy(stream);
        } finally {
            closed = true;
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "cuda:%d %s (sm_%d, %d SMs, %.1f GiB)", ordinal, name, computeCapability(), sms, totalMemory / 1073741824.0);
    }
}
