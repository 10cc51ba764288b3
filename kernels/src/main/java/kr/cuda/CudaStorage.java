package kr.cuda;

import java.lang.ref.Cleaner;
import jcuda.driver.CUdeviceptr;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.backend.Storage;

/**
 * A buffer in device memory, from the backend's {@link CachingAllocator}. When the storage becomes
 * unreachable a {@link Cleaner} returns its block to the allocator's cache. This is the one place
 * kr relies on reachability: device memory has no garbage collector of its own, and tensors have no
 * explicit lifetime in the engine's API. (Reuse is safe: see {@link CachingAllocator}.)
 */
public final class CudaStorage implements Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Device device;
    private final DType dtype;
    private final int size;
    private final CUdeviceptr pointer;
    /** Backend-private annotation (max-pool argmax buffers remember their window), or null. */
    Object tag;

    CudaStorage(Device device, DType dtype, int size, CachingAllocator<CUdeviceptr> allocator) {
        this.device = device;
        this.dtype = dtype;
        this.size = size;
        if (size == 0) {
            pointer = null;
        } else {
            CachingAllocator.Block<CUdeviceptr> b = allocator.allocate((long) size * dtype.bytes());
            pointer = b.ptr();
            CLEANER.register(this, new Release(allocator, b));
        }
    }

    /** Returns the block to the cache; holds no reference to the storage itself. */
    private record Release(CachingAllocator<CUdeviceptr> allocator, CachingAllocator.Block<CUdeviceptr> block) implements Runnable {
        @Override
        public void run() {
            allocator.release(block);
        }
    }

    /** The device address of element 0 (null for an empty storage). */
    public CUdeviceptr pointer() {
        return pointer;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int size() {
        return size;
    }
}
