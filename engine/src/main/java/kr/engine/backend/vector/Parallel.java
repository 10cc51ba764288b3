package kr.engine.backend.vector;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import kr.engine.backend.Backends;

/**
 * A fixed pool for the vector backend. Work is split statically into one contiguous chunk per
 * thread, so a given thread count always partitions (and reduces) the same way: results are
 * reproducible bit for bit for a fixed thread count ({@link kr.engine.EngineConfig#threads()}).
 */
public final class Parallel {
    private static volatile int THREADS;
    private static volatile ExecutorService POOL;
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    static {
        configure(Backends.config().threads());
    }

    private Parallel() {}

    /** Resizes the pool to {@code threads} (no-op when unchanged); called by {@link Backends#configure}, never while work runs. */
    static synchronized void configure(int threads) {
        if (threads < 1) throw new IllegalArgumentException("[threads] the compute pool needs at least one thread, got " + threads);
        if (threads == THREADS) return;
        if (POOL != null) POOL.shutdown();
        POOL = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "kr-worker");
            t.setDaemon(true);
            return t;
        }) : null;
        THREADS = threads;
    }

    /** Number of threads work is split over. */
    static int threads() {
        return THREADS;
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int chunk, int lo, int hi);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads()} chunks of at least
     * {@code grain} items; chunk c covers a fixed range. Nested calls run serially.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = chunks(n, grain);
        if (chunks <= 1 || INSIDE.get()) {
            if (n > 0) body.run(0, 0, n);
            return;
        }
        ExecutorService pool = POOL;
        CountDownLatch done = new CountDownLatch(chunks - 1);
        AtomicReference<Throwable> err = new AtomicReference<>();
        for (int c = 1; c < chunks; c++) {
            final int cc = c;
            pool.execute(() -> {
                INSIDE.set(true);
                try {
                    body.run(cc, bound(n, chunks, cc), bound(n, chunks, cc + 1));
                } catch (Throwable t) {
                    err.compareAndSet(null, t);
                } finally {
                    INSIDE.set(false);
                    done.countDown();
                }
            });
        }
        INSIDE.set(true);
        try {
            body.run(0, 0, bound(n, chunks, 1));
        } catch (Throwable t) {
            err.compareAndSet(null, t);
        } finally {
            INSIDE.set(false);
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("[parallel] interrupted", e);
        }
        Throwable t = err.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /** How many chunks {@link #forRange} uses for n items. */
    public static int chunks(int n, int grain) {
        if (THREADS == 1 || INSIDE.get()) return n > 0 ? 1 : 0;
        return (int) Math.max(Math.min(THREADS, (long) n / Math.max(grain, 1)), n > 0 ? 1 : 0);
    }

    private static int bound(int n, int chunks, int c) {
        return (int) ((long) n * c / chunks);
    }
}
