package kr.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUjit_option;
import jcuda.driver.JCudaDriver;
import jcuda.driver.JITOptions;

/**
 * Loads each kernel family's PTX module once (the newest variant the device runs: compute_90,
 * compute_80 or compute_75), caches its CUfunctions, packs arguments, launches on the context's
 * stream and checks every CUDA call: errors name the op and the kernel, e.g.
 * {@code [cuda conv2d] kernel conv2d_fwd_implicit launch failed: CUDA_ERROR_INVALID_VALUE}.
 * Kernels run asynchronously, so a fault inside one surfaces at the next synchronisation; with
 * {@code -Dkr.cuda.sync=true} every launch is followed by a synchronisation that names the kernel.
 * With a {@link CudaProfiler} attached, each launch is bracketed by CUDA events.
 */
public final class Launcher implements AutoCloseable {
    /** PTX variants shipped, newest first (see kernels/src/main/cuda/ptx.sh). */
    static final int[] ARCHS = {90, 80, 75};

    private final CudaContext ctx;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, String> moduleArch = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final boolean syncEach = kr.engine.backend.Backends.config().cudaSync();
    private volatile CudaProfiler profiler;

    public Launcher(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** Throws {@code [cuda op] what failed: CUDA_ERROR_...} unless {@code rc} is CUDA_SUCCESS. */
    public static void check(String op, String what, int rc) {
        if (rc != CUresult.CUDA_SUCCESS) throw new CudaException("[cuda " + op + "] " + what + " failed: " + CUresult.stringFor(rc) + hint(rc));
    }

    private static String hint(int rc) {
        if (rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
            return " (kr's PTX is built by nvcc 13.0: the driver must support CUDA 13, i.e. r580 or newer)";
        if (rc == CUresult.CUDA_ERROR_ILLEGAL_ADDRESS || rc == CUresult.CUDA_ERROR_LAUNCH_FAILED)
            return " (the context is now unusable; rerun with -Dkr.cuda.sync=true to name the faulting kernel)";
        return "";
    }

    /** The PTX variant a family was loaded from, e.g. "gemm.compute_90" (null before its first launch). */
    public synchronized String loadedVariant(String family) {
        String a = moduleArch.get(family);
        return a == null ? null : family + "." + a;
    }

    /** The function {@code kernel} of {@code family}, loading the module on first use. */
    synchronized CUfunction function(String op, String family, String kernel) {
        String key = family + "." + kernel;
        CUfunction f = functions.get(key);
        if (f != null) return f;
        CUmodule m = module(op, family);
        f = new CUfunction();
        int rc = JCudaDriver.cuModuleGetFunction(f, m, kernel);
        if (rc != CUresult.CUDA_SUCCESS)
            throw new CudaException("[cuda " + op + "] kernel " + kernel + " not found in " + family + "." + moduleArch.get(family) + ".ptx: "
                    + CUresult.stringFor(rc));
        functions.put(key, f);
        return f;
    }

    private CUmodule module(String op, String family) {
        CUmodule m = modules.get(family);
        if (m != null) return m;
        int cc = ctx.computeCapability();
        StringBuilder failures = new StringBuilder();
        for (int arch : ARCHS) { // the newest variant this device runs; an older one if its JIT fails
            if (arch > cc) continue;
            byte[] ptx = resource("/kr/cuda/ptx/" + family + ".compute_" + arch + ".ptx");
            if (ptx == null) continue;
            ctx.makeCurrent();
            m = new CUmodule();
            int rc = JCudaDriver.cuModuleLoadData(m, ptx);
            if (rc != CUresult.CUDA_SUCCESS) {
                failures.append("; ").append(family).append(".compute_").append(arch).append(": ").append(CUresult.stringFor(rc)).append(hint(rc)).append(jitLog(ptx));
                continue;
            }
            if (failures.length() > 0) System.err.println("[cuda] loaded " + family + ".compute_" + arch + " after failures" + failures);
            modules.put(family, m);
            moduleArch.put(family, "compute_" + arch);
            return m;
        }
        if (failures.length() > 0) throw new CudaException("[cuda " + op + "] loading the PTX of kernel family '" + family + "' failed" + failures);
        throw new CudaException("[cuda " + op + "] no PTX for kernel family '" + family + "' runs on sm_" + cc
                + " (kr ships compute_75 and newer under kr/cuda/ptx; is the kr-kernels jar complete?)");
    }

    /** The JIT compiler's error log for a module that failed to load (best effort, for the message). */
    private static String jitLog(byte[] ptx) {
        try {
            JITOptions o = new JITOptions();
            o.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[8192]);
            o.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 8192);
            JCudaDriver.cuModuleLoadDataJIT(new CUmodule(), Pointer.to(ptx), o);
            String log = o.getString(CUjit_option.CU_JIT_ERROR_LOG_BUFFER);
            return log == null || log.isBlank() ? "" : "; JIT log: " + log.trim();
        } catch (Throwable e) {
            return "";
        }
    }

    private static byte[] resource(String path) {
        try (InputStream in = Launcher.class.getResourceAsStream(path)) {
            if (in == null) return null;
            byte[] b = in.readAllBytes();
            byte[] z = java.util.Arrays.copyOf(b, b.length + 1); // cuModuleLoadData reads a NUL-terminated image
            return z;
        } catch (IOException e) {
            throw new CudaException("[cuda] cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Launches {@code kernel} of {@code family} on a (gx, gy, gz) grid of {@code block}-thread blocks. */
    public void launch(String op, String family, String kernel, int gx, int gy, int gz, int block, Args args) {
        CUfunction f = function(op, family, kernel);
        ctx.makeCurrent();
        boolean capturing = ctx.capturing();
        CudaProfiler p = capturing ? null : profiler; // a captured launch is timed by its replays, not here
        Object mark = p == null ? null : p.before(op, kernel);
        int rc = JCudaDriver.cuLaunchKernel(f, gx, gy, gz, block, 1, 1, 0, ctx.stream(), args.pack(), null);
        check(op, "kernel " + kernel + " launch (grid " + gx + "x" + gy + "x" + gz + ", block " + block + ")", rc);
        if (p != null) p.after(mark);
        if (syncEach && !capturing) check(op, "kernel " + kernel + " (synchronising after it)", JCudaDriver.cuStreamSynchronize(ctx.stream()));
        java.lang.ref.Reference.reachabilityFence(args); // keeps the storages alive until the launch is queued
    }

    /** Attaches (or with null detaches) the profiler that times every launch. */
    public void profiler(CudaProfiler p) {
        profiler = p;
    }

    public CudaContext context() {
        return ctx;
    }

    @Override
    public synchronized void close() {
        ctx.makeCurrent();
        for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
        modules.clear();
        functions.clear();
    }

    /**
     * Kernel arguments in declaration order. Holding the argument list keeps the storages it points
     * into reachable (their Cleaner cannot recycle a buffer before the launch is queued).
     */
    public static final class Args {
        private final List<Pointer> params = new ArrayList<>();
        private final List<Object> keep = new ArrayList<>();

        /** The device address of element {@code elementOffset} of {@code s} (a null pointer for null). */
        public Args ptr(CudaStorage s, long elementOffset) {
            if (s == null || s.size() == 0) return nul();
            keep.add(s);
            params.add(Pointer.to(elementOffset == 0 ? s.pointer() : s.pointer().withByteOffset(elementOffset * s.dtype().bytes())));
            return this;
        }

        public Args ptr(CudaStorage s) {
            return ptr(s, 0);
        }

        /** A raw device pointer (scratch memory). */
        public Args ptr(CUdeviceptr p) {
            params.add(Pointer.to(p));
            return this;
        }

        public Args nul() {
            params.add(Pointer.to(new long[] {0L}));
            return this;
        }

        public Args i(int v) {
            params.add(Pointer.to(new int[] {v}));
            return this;
        }

        public Args f(float v) {
            params.add(Pointer.to(new float[] {v}));
            return this;
        }

        public Args d(double v) {
            params.add(Pointer.to(new double[] {v}));
            return this;
        }

        /** A struct of ints passed by value (Layout, ConvGeom, Pool). */
        public Args ints(int[] struct) {
            params.add(Pointer.to(struct.clone()));
            return this;
        }

        Pointer pack() {
            return Pointer.to(params.toArray(new Pointer[0]));
        }
    }
}
