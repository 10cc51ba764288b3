package kr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The allocator's bookkeeping on a fake device memory (no GPU needed). */
@SuppressWarnings("unchecked")
class CachingAllocatorTest {
    /** A device of {@code capacity} bytes handing out increasing addresses. */
    static final class FakeMemory implements DeviceMemory<Long> {
        final long capacity;
        long used, next = 4096, mallocs, frees;

        FakeMemory(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public Long allocate(long bytes) {
            if (used + bytes > capacity) return null;
            used += bytes;
            mallocs++;
            long p = next;
            next += bytes;
            sizes.put(p, bytes);
            return p;
        }

        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        @Override
        public void free(Long block) {
            frees++;
            used -= sizes.remove(block);
        }

        @Override
        public long[] info() {
            return new long[] {capacity - used, capacity};
        }
    }

    @Test
    void sizeClassesAreAtMostAQuarterLarger() {
        assertEquals(512, CachingAllocator.roundUp(1));
        assertEquals(512, CachingAllocator.roundUp(512));
        assertEquals(1024, CachingAllocator.roundUp(513));
        for (long bb = 1; bb < 1L << 34; bb = bb * 3 + 7) {
            long b = bb, r = CachingAllocator.roundUp(b);
            assertTrue(r >= b && (b <= 512 || r <= b * 1.25 + 512), () -> b + " -> " + r);
            assertEquals(r, CachingAllocator.roundUp(r), () -> "class " + r + " is not a fixed point");
        }
    }

    @Test
    void releasedBlocksAreReusedWithoutNewAllocations() {
        FakeMemory mem = new FakeMemory(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(mem, "cuda:0");
        var b1 = a.allocate(1000);
        var b2 = a.allocate(5000);
        assertNotEquals(b1.ptr(), b2.ptr());
        a.release(b1);
        var b3 = a.allocate(900); // same class as 1000
        assertEquals(b1.ptr(), b3.ptr());
        CachingAllocator.Stats s = a.stats();
        assertEquals(2, s.allocations());
        assertEquals(1, s.cacheHits());
        assertEquals(3, s.requests());
        assertEquals(b2.bytes() + b3.bytes(), s.inUse());
        assertEquals(0, s.cached());
        a.release(b2);
        a.release(b3);
        assertEquals(0, a.stats().inUse());
        assertEquals(b2.bytes() + b3.bytes(), a.stats().cached());
        assertEquals(b2.bytes() + b3.bytes(), a.stats().peak());
        a.emptyCache();
        assertEquals(0, a.stats().cached());
        assertEquals(2, mem.frees);
    }

    @Test
    void outOfMemoryEmptiesTheCacheAndRetriesOnce() {
        FakeMemory mem = new FakeMemory(8192);
        CachingAllocator<Long> a = new CachingAllocator<>(mem, "cuda:0");
        a.release(a.allocate(4096));
        a.release(a.allocate(2048)); // 6 KiB cached, 2 KiB free on the device
        var big = a.allocate(6000); // needs the cache back
        assertEquals(2, mem.frees);
        assertEquals(0, a.stats().cached());
        assertEquals(6144, big.bytes());
    }

    @Test
    void outOfMemoryNamesTheRequestTheDeviceAndTheCounters() {
        FakeMemory mem = new FakeMemory(1 << 20);
        CachingAllocator<Long> a = new CachingAllocator<>(mem, "cuda:0");
        a.allocate(512 * 1024);
        CudaException e = assertThrows(CudaException.class, () -> a.allocate(3L << 20));
        String m = e.getMessage();
        assertTrue(m.startsWith("[cuda alloc] out of memory on cuda:0 allocating 3.0 MiB (3145728 bytes requested)"), m);
        assertTrue(m.contains("the driver reports 0.5 MiB free of 1.0 MiB"), m);
        assertTrue(m.contains("in use 0.5 MiB"), m);
    }

    @Test
    void aFullDeviceAsksTheCollectorAndWaitsForBlocksToComeBack() {
        FakeMemory mem = new FakeMemory(4096);
        CachingAllocator<Long>[] ref = new CachingAllocator[1];
        CachingAllocator.Block<Long>[] dead = new CachingAllocator.Block[1];
        int[] reclaims = {0};
        // the "collector": another thread returns the dead block a little later, as a Cleaner would
        ref[0] = new CachingAllocator<>(mem, "cuda:0", () -> {
            reclaims[0]++;
            new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                ref[0].release(dead[0]);
            }).start();
        }, Long.MAX_VALUE);
        dead[0] = ref[0].allocate(4096);
        var b = ref[0].allocate(4096); // waits for the release, then takes the block from the cache
        assertEquals(dead[0].ptr(), b.ptr());
        assertEquals(1, reclaims[0]);
        assertEquals(1, ref[0].stats().cacheHits());
    }

    @Test
    void theCollectorRunsAfterEveryThresholdOfBytes() {
        int[] reclaims = {0};
        CachingAllocator<Long> a = new CachingAllocator<>(new FakeMemory(1 << 30), "cuda:0", () -> reclaims[0]++, 1 << 20);
        for (int i = 0; i < 10; i++) a.release(a.allocate(512 * 1024));
        assertEquals(5, reclaims[0]);
    }

    @Test
    void releasingTwiceFails() {
        CachingAllocator<Long> a = new CachingAllocator<>(new FakeMemory(1 << 20), "cuda:0");
        var b = a.allocate(100);
        a.release(b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.release(b));
        assertTrue(e.getMessage().startsWith("[cuda alloc] block released twice"), e.getMessage());
    }

    // ---- private pools (CUDA graphs)

    @Test
    void aPoolNeverTakesFromTheSharedCacheAndNeverGivesToIt() {
        FakeMemory mem = new FakeMemory(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(mem, "cuda:0");
        var eager = a.allocate(1000);
        a.release(eager); // cached in the shared cache
        var pool = a.newPool("step");
        a.beginPool(pool);
        var captured = a.allocate(1000); // same class, but the shared block is not the pool's
        assertNotEquals(eager.ptr(), captured.ptr());
        a.release(captured); // back to the pool, not the shared cache
        var again = a.allocate(900);
        assertEquals(captured.ptr(), again.ptr(), "the pool reuses its own block within the capture");
        a.endPool();
        assertEquals(pool.ownedBytes(), a.stats().pooled());
        a.release(again);
        var later = a.allocate(1000); // eager again: the shared block, never the pool's
        assertEquals(eager.ptr(), later.ptr());
        var fresh = a.allocate(1000);
        assertNotEquals(captured.ptr(), fresh.ptr(), "a block reserved for the graph must not serve eager work");
        assertEquals(1024, pool.freeBytes());
    }

    @Test
    void blocksReleasedAfterTheCaptureStayReservedUntilThePoolCloses() {
        FakeMemory mem = new FakeMemory(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(mem, "cuda:0");
        var pool = a.newPool("step");
        a.beginPool(pool);
        var out = a.allocate(4096); // e.g. the step's loss, held by the caller
        var tmp = a.allocate(8192);
        a.endPool();
        a.release(tmp); // an activation collected after the capture
        assertEquals(0, a.stats().cached());
        assertEquals(8192, pool.freeBytes());
        a.closePool(pool); // the graph is destroyed
        assertEquals(8192, a.stats().cached(), "free pool blocks join the shared cache");
        assertEquals(0, a.stats().pooled());
        a.release(out); // still held at close: joins the shared cache when released
        assertEquals(8192 + 4096, a.stats().cached());
        var reuse = a.allocate(4096);
        assertEquals(out.ptr(), reuse.ptr());
        assertEquals(0, mem.frees);
    }

    @Test
    void aFullDeviceDuringACaptureFailsWithoutFreeingAndSaysWhy() {
        FakeMemory mem = new FakeMemory(8192);
        CachingAllocator<Long> a = new CachingAllocator<>(mem, "cuda:0");
        a.release(a.allocate(4096)); // cached: emptying it would need cuMemFree, not allowed in a capture
        var pool = a.newPool("step");
        a.beginPool(pool);
        a.allocate(4096);
        CudaException e = assertThrows(CudaException.class, () -> a.allocate(4096));
        assertEquals(0, mem.frees);
        assertTrue(e.getMessage().contains("while capturing a CUDA graph into graph pool 'step'"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dkr.cuda.graphs=false"), e.getMessage());
        a.endPool();
        a.allocate(4096); // eager: the cached block
        assertEquals(0, mem.frees);
    }

    @Test
    void capturesDoNotNestAndClosedPoolsCannotBeginAgain() {
        CachingAllocator<Long> a = new CachingAllocator<>(new FakeMemory(1 << 20), "cuda:0");
        var p = a.newPool("a");
        a.beginPool(p);
        assertThrows(IllegalStateException.class, () -> a.beginPool(a.newPool("b")));
        a.endPool();
        a.closePool(p);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.beginPool(p));
        assertTrue(e.getMessage().contains("was closed"), e.getMessage());
    }
}
