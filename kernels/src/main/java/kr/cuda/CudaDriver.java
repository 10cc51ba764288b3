package kr.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Whether this process can use CUDA, probed once and never throwing: JCuda's classes and natives,
 * the driver library (libcuda.so.1), cuInit, and at least one device. {@link #unavailableReason}
 * says which step failed, e.g. {@code [cuda] no CUDA driver: libcuda.so.1: cannot open shared object file}.
 */
public final class CudaDriver {
    private static volatile String reason; // "" when usable
    private static int devices;

    private CudaDriver() {}

    /** Whether a CUDA device can be used here. */
    public static boolean available() {
        return unavailableReason().isEmpty();
    }

    /** Empty when {@link #available()}, else why not. */
    public static String unavailableReason() {
        String r = reason;
        if (r == null) {
            synchronized (CudaDriver.class) {
                if (reason == null) reason = probe();
                r = reason;
            }
        }
        return r;
    }

    /** Number of CUDA devices (0 when unavailable). */
    public static int deviceCount() {
        return available() ? devices : 0;
    }

    private static String probe() {
        try { // present, not initialised: initialising JCudaDriver loads its natives
            Class.forName("jcuda.driver.JCudaDriver", false, CudaDriver.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return "[cuda] JCuda is not on the class path (org.jcuda:jcuda): " + e;
        }
        int rc;
        try {
            JCudaDriver.setExceptionsEnabled(false); // every call's result is checked by the caller
            rc = JCudaDriver.cuInit(0);
        } catch (Throwable e) { // UnsatisfiedLinkError: the natives, or the libcuda.so.1 they link against
            String m = String.valueOf(e.getMessage());
            int i = m.indexOf("libcuda");
            if (i >= 0) return "[cuda] no CUDA driver: " + firstLine(m.substring(i)) + " (install the NVIDIA driver; libcuda.so.1 must be on the library path)";
            return "[cuda] no CUDA driver: the JCuda natives did not load (" + e.getClass().getSimpleName() + ": " + firstLine(m)
                    + "); org.jcuda:jcuda-natives must match this OS (linux-x86_64) and libcuda.so.1 must be present";
        }
        if (rc != CUresult.CUDA_SUCCESS) return "[cuda] no CUDA driver: cuInit failed with " + CUresult.stringFor(rc);
        int[] n = new int[1];
        rc = JCudaDriver.cuDeviceGetCount(n);
        if (rc != CUresult.CUDA_SUCCESS) return "[cuda] cuDeviceGetCount failed with " + CUresult.stringFor(rc);
        if (n[0] == 0) return "[cuda] the CUDA driver is present but reports no device";
        devices = n[0];
        return "";
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
