package kr.cuda;

/**
 * Raw device memory under the {@link CachingAllocator}: one cuMemAlloc/cuMemFree each. An interface
 * so that the allocator's bookkeeping is tested without a GPU.
 *
 * @param <P> the device pointer type (JCuda's CUdeviceptr on a GPU)
 */
public interface DeviceMemory<P> {
    /** A fresh block of {@code bytes}, or null when the device is out of memory (any other failure throws). */
    P allocate(long bytes);

    void free(P block);

    /** Free and total bytes as the driver reports them, for out-of-memory messages ({@code null} when unknown). */
    long[] info();
}
