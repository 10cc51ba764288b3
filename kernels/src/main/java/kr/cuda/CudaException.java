package kr.cuda;

/** A failed CUDA call or an unusable device; the message names the op, the kernel and the CUDA error. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
    }
}
