package kr.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching device allocator: freed blocks go to a free list per size class and are handed out
 * again, so a training step does no cuMemAlloc once the first step has sized the cache. Sizes are
 * rounded up to a class (512 bytes, then four classes per power of two: at most 25% waste).
 * When the device is full the cache is emptied and the allocation retried once; if it still fails
 * the error names the request, the device and the counters.
 *
 * <p>Thread-safe: blocks come back from the {@link java.lang.ref.Cleaner} thread (see
 * {@link CudaStorage}). Reuse is safe without synchronising the device because every kernel runs on
 * the backend's one stream: work that used a block was enqueued before any work that reuses it.
 *
 * <p><b>Private pools (CUDA graphs).</b> A captured graph bakes the device addresses of every buffer
 * its kernels touch; each replay writes them again. So while a graph is captured, allocations come
 * from a {@link Pool} ({@link #beginPool}): its own free blocks, else fresh ones from the driver,
 * never the shared cache (whose blocks eager code would reuse under the graph). Blocks released
 * afterwards go back to their pool, not to the shared cache, and stay reserved for the graph's
 * replays until {@link #closePool} (the graph is destroyed): then the free ones join the shared
 * cache and the ones still held join it when released. While a pool is active the allocator never
 * frees driver memory (cuMemFree is not allowed during a capture); when the device is full it fails.
 *
 * <pre>{@code
 * var a = new CachingAllocator<>(memory, "cuda:0");
 * var b = a.allocate(1 << 20); a.release(b); a.allocate(1 << 20); // a cache hit
 * var pool = a.newPool("step"); a.beginPool(pool); ...capture...; a.endPool(); ... a.closePool(pool);
 * }</pre>
 */
public final class CachingAllocator<P> {
    /** One block handed out: its pointer and its size class in bytes. */
    public record Block<P>(P ptr, long bytes) {}

    /**
     * Counters: bytes handed out now, bytes cached (free, shared) now, peak handed out, raw allocations,
     * cache hits, requests, and bytes owned by open private pools (free or handed out).
     */
    public record Stats(long inUse, long cached, long peak, long allocations, long cacheHits, long requests, long pooled) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "in use %s, cached %s, peak %s, %d cuMemAlloc, %d cache hits of %d requests%s", mib(inUse),
                    mib(cached), mib(peak), allocations, cacheHits, requests, pooled == 0 ? "" : ", graph pools " + mib(pooled));
        }
    }

    /**
     * Blocks reserved for one captured CUDA graph (see the class comment). Created by
     * {@link #newPool}; all its state is guarded by the allocator's lock.
     */
    public static final class Pool<P> {
        private final String name;
        private final TreeMap<Long, ArrayDeque<P>> free = new TreeMap<>();
        private long owned, freeBytes;
        private boolean closed;

        private Pool(String name) {
            this.name = name;
        }

        /** Bytes of device memory this pool holds (free or handed out). */
        public long ownedBytes() {
            return owned;
        }

        /** Bytes of this pool's blocks that are free now (only its own graph's capture takes them). */
        public long freeBytes() {
            return freeBytes;
        }

        @Override
        public String toString() {
            return "graph pool '" + name + "' (" + mib(owned) + ", " + mib(freeBytes) + " free" + (closed ? ", closed" : "") + ")";
        }
    }

    private final DeviceMemory<P> memory;
    private final String device;
    private final Runnable reclaim;
    private final long reclaimEvery;
    private final TreeMap<Long, ArrayDeque<P>> free = new TreeMap<>();
    private final Map<P, Long> live = new HashMap<>();
    /** Blocks owned by open pools, free or handed out. */
    private final Map<P, Pool<P>> pooledBlocks = new HashMap<>();
    private Pool<P> active;
    private long inUse, cached, peak, allocations, hits, requests, sinceReclaim, pooled;

    /** An allocator that never asks the garbage collector for memory back (tests). */
    public CachingAllocator(DeviceMemory<P> memory, String device) {
        this(memory, device, () -> {}, Long.MAX_VALUE);
    }

    /**
     * {@code reclaim} makes unreachable storages return their blocks (System.gc(): the Java heap does
     * not see device memory, so without it dead activations pile up on the device until the heap
     * happens to fill). It runs after every {@code reclaimEvery} bytes handed out, and when the device
     * is full, before giving up.
     */
    public CachingAllocator(DeviceMemory<P> memory, String device, Runnable reclaim, long reclaimEvery) {
        this.memory = memory;
        this.device = device;
        this.reclaim = reclaim;
        this.reclaimEvery = reclaimEvery;
    }

    /** The size class of a request: 512 bytes at least, then 4 classes per power of two. */
    public static long roundUp(long bytes) {
        if (bytes <= 512) return 512;
        long p = Long.highestOneBit(bytes - 1); // the class lies in (p, 2p]
        long step = Math.max(p / 4, 512);
        return (bytes + step - 1) / step * step;
    }

    /** A cached block of exactly this class, or a fresh one; null when the device has no room. */
    private P take(long size) {
        if (active != null) { // capturing: the pool's own blocks or fresh ones, never the shared cache, never a cuMemFree
            P p = poll(active.free, size);
            if (p != null) {
                hits++;
                active.freeBytes -= size;
                return p;
            }
            p = memory.allocate(size);
            if (p != null) {
                allocations++;
                active.owned += size;
                pooled += size;
                pooledBlocks.put(p, active);
            }
            return p;
        }
        ArrayDeque<P> q = free.get(size);
        P p = q == null ? null : q.pollLast();
        if (p != null) {
            hits++;
            cached -= size;
            return p;
        }
        p = memory.allocate(size);
        if (p == null && cached > 0) { // full: give the cached blocks of other classes back to the driver and try again
            emptyCacheLocked();
            p = memory.allocate(size);
        }
        if (p != null) allocations++;
        return p;
    }

    /** A block of at least {@code bytes}; throws {@link CudaException} naming the counters when the device is full even after emptying the cache. */
    public synchronized Block<P> allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("[cuda alloc] negative size " + bytes);
        long size = roundUp(bytes);
        requests++;
        sinceReclaim += size;
        if (sinceReclaim >= reclaimEvery) {
            sinceReclaim = 0;
            reclaim.run();
        }
        P p = take(size);
        if (p == null) { // dead tensors may still hold memory: collect them, let their Cleaners return it (wait releases the lock)
            reclaim.run();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (p == null && System.nanoTime() < deadline) {
                try {
                    wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                p = take(size);
            }
        }
        if (p == null) {
            long[] info = memory.info();
            throw new CudaException(String.format(Locale.ROOT, "[cuda alloc] out of memory on %s allocating %s (%d bytes requested)%s; allocator: %s."
                    + " Reduce the batch size or free tensors (%s)", device, mib(size), bytes,
                    info == null ? "" : String.format(Locale.ROOT, "; the driver reports %s free of %s", mib(info[0]), mib(info[1])), statsLocked(),
                    active == null ? "the cache was emptied, unreachable tensors collected and the allocation retried"
                            : "while capturing a CUDA graph into " + active + ", which cannot return cached memory to the driver;"
                                    + " run with -Dkr.cuda.graphs=false to train without graphs"));
        }
        live.put(p, size);
        inUse += size;
        peak = Math.max(peak, inUse);
        return new Block<>(p, size);
    }

    private static <P> P poll(TreeMap<Long, ArrayDeque<P>> lists, long size) {
        ArrayDeque<P> q = lists.get(size);
        return q == null ? null : q.pollLast();
    }

    /** Returns a block to the cache (not to the driver): to its pool's free list when a graph pool owns it. */
    public synchronized void release(Block<P> b) {
        Long size = live.remove(b.ptr());
        if (size == null) throw new IllegalStateException("[cuda alloc] block released twice or never allocated here (" + mib(b.bytes()) + ")");
        inUse -= size;
        Pool<P> pool = pooledBlocks.get(b.ptr());
        if (pool != null) {
            pool.freeBytes += size;
            pool.free.computeIfAbsent(size, k -> new ArrayDeque<>()).addLast(b.ptr());
        } else {
            cached += size;
            free.computeIfAbsent(size, k -> new ArrayDeque<>()).addLast(b.ptr());
        }
        notifyAll(); // an allocation may be waiting for blocks to come back
    }

    /** A new, empty private pool for one graph (it holds nothing until {@link #beginPool}). */
    public synchronized Pool<P> newPool(String name) {
        return new Pool<>(name);
    }

    /** From now until {@link #endPool}, every allocation is served from {@code pool} (see the class comment). */
    public synchronized void beginPool(Pool<P> pool) {
        if (active != null) throw new IllegalStateException("[cuda alloc] " + active + " is already active: captures do not nest");
        if (pool.closed) throw new IllegalStateException("[cuda alloc] " + pool + " was closed");
        active = pool;
    }

    /** Allocations go to the shared cache again; the pool keeps its blocks. */
    public synchronized void endPool() {
        active = null;
    }

    /**
     * The pool's graph is gone: its free blocks join the shared cache now, blocks still held join it
     * when released. Call only after the device has finished the graph's last replay.
     */
    public synchronized void closePool(Pool<P> pool) {
        if (pool.closed) return;
        if (active == pool) active = null;
        pool.closed = true;
        for (var e : pool.free.entrySet())
            for (P p : e.getValue()) {
                pooledBlocks.remove(p);
                free.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>()).addLast(p);
                cached += e.getKey();
            }
        pool.free.clear();
        pool.freeBytes = 0;
        pooled -= pool.owned;
        pooledBlocks.values().removeIf(q -> q == pool); // held blocks: released to the shared cache from now on
        notifyAll();
    }

    /** Frees every cached block (blocks in use stay). */
    public synchronized void emptyCache() {
        emptyCacheLocked();
    }

    private void emptyCacheLocked() {
        for (ArrayDeque<P> q : free.values())
            for (P p : q) memory.free(p);
        free.clear();
        cached = 0;
    }

    public synchronized Stats stats() {
        return statsLocked();
    }

    private Stats statsLocked() {
        return new Stats(inUse, cached, peak, allocations, hits, requests, pooled);
    }

    /** Restarts the peak at the bytes in use now (e.g. to measure one training step). */
    public synchronized void resetPeak() {
        peak = inUse;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
