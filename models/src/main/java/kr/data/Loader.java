package kr.data;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import kr.engine.Rng;
import kr.engine.Tensor;

/**
 * Turns a {@link Dataset} into normalized, augmented mini-batches. Every random choice is derived
 * from (seed, epoch, sample index), so epoch e is the same whether run straight through or resumed
 * at any batch, and whatever the number of worker threads. With {@code workers > 0} that many
 * background threads build the next batches while the caller trains on the current one; batches
 * still arrive in order. {@link #close} stops the threads (they are daemons, so forgetting it only
 * keeps them idle).
 *
 * <pre>{@code
 * Loader train = new Loader(ds, new Loader.Options(128, true, false, Augment.CIFAR, Loader.CIFAR10_MEAN, Loader.CIFAR10_STD, 2), 42);
 * for (Iterator<Batch> it = train.epoch(0, 0); it.hasNext(); ) { Batch b = it.next(); ... }
 * }</pre>
 */
public final class Loader implements AutoCloseable {
    public static final float[] CIFAR10_MEAN = {0.4914f, 0.4822f, 0.4465f};
    public static final float[] CIFAR10_STD = {0.2470f, 0.2435f, 0.2616f};
    public static final float[] CIFAR100_MEAN = {0.5071f, 0.4867f, 0.4408f};
    public static final float[] CIFAR100_STD = {0.2675f, 0.2565f, 0.2761f};

    /** {@code workers} background threads prepare batches ahead (0: build on the caller's thread). */
    public record Options(int batchSize, boolean shuffle, boolean dropLast, Augment augment, float[] mean, float[] std, int workers) {
        public Options {
            if (batchSize <= 0) throw new IllegalArgumentException("[loader] batch size must be positive, got " + batchSize);
            if (workers < 0) throw new IllegalArgumentException("[loader] workers must be >= 0, got " + workers);
        }
    }

    private final Dataset ds;
    private final Options o;

    /** How batches are built (size, shuffling, augmentation, normalisation, workers). */
    public Options options() {
        return o;
    }
    private final long seed;
    private ExecutorService pool;

    public Loader(Dataset ds, Options o, long seed) {
        this.ds = ds;
        this.o = o;
        this.seed = seed;
        if (o.mean().length != ds.channels() || o.std().length != ds.channels())
            throw new IllegalArgumentException("[loader] mean/std have " + o.mean().length + "/" + o.std().length + " entries for "
                    + ds.channels() + " channels");
    }

    public Dataset dataset() {
        return ds;
    }

    public int batchesPerEpoch() {
        int n = ds.size(), b = o.batchSize();
        return o.dropLast() ? n / b : (n + b - 1) / b;
    }

    /** Sample order of an epoch. */
    public int[] order(int epoch) {
        int[] idx = new int[ds.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        if (o.shuffle()) new Rng(mix(seed, epoch, -1)).shuffle(idx);
        return idx;
    }

    /** Batches {@code startBatch..} of {@code epoch}, prepared ahead by the workers if there are any. */
    public Iterator<Batch> epoch(int epoch, int startBatch) {
        int[] order = order(epoch);
        int total = batchesPerEpoch();
        if (o.workers() == 0) {
            return new Iterator<>() {
                int b = startBatch;

                @Override
                public boolean hasNext() {
                    return b < total;
                }

                @Override
                public Batch next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    return build(epoch, order, b++);
                }
            };
        }
        ExecutorService ex = pool();
        int ahead = 2 * o.workers(); // enough to keep every worker busy while the caller consumes
        return new Iterator<>() {
            final ArrayDeque<Future<Batch>> queue = new ArrayDeque<>();
            int submitted = startBatch;

            {
                fill();
            }

            private void fill() {
                while (queue.size() < ahead && submitted < total) {
                    int b = submitted++;
                    queue.add(ex.submit(() -> build(epoch, order, b)));
                }
            }

            @Override
            public boolean hasNext() {
                return !queue.isEmpty();
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                Future<Batch> f = queue.poll();
                fill();
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("[loader] interrupted while waiting for a batch", e);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException("[loader] building a batch failed: " + e.getCause(), e.getCause());
                }
            }
        };
    }

    private synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(o.workers(), r -> {
                Thread t = new Thread(r, "kr-loader");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /** Stops the worker threads; a later epoch starts new ones. */
    @Override
    public synchronized void close() {
        if (pool != null) pool.shutdownNow();
        pool = null;
    }

    /** Builds batch {@code b} of an epoch with the given order. */
    public Batch build(int epoch, int[] order, int b) {
        int bs = o.batchSize(), from = b * bs, to = Math.min(order.length, from + bs), n = to - from;
        int c = ds.channels(), h = ds.height(), w = ds.width(), plane = h * w, img = c * plane;
        float[] out = new float[n * img];
        int[] labels = new int[n], indices = new int[n];
        byte[] px = new byte[img];
        float[] scale = new float[c], shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            scale[ch] = 1f / (255f * o.std()[ch]);
            shift[ch] = -o.mean()[ch] / o.std()[ch];
        }
        Augment a = o.augment();
        for (int i = 0; i < n; i++) {
            int idx = order[from + i];
            indices[i] = idx;
            labels[i] = ds.label(idx);
            ds.image(idx, px, 0);
            Rng r = a.any() ? new Rng(mix(seed, epoch, idx)) : null;
            int dy = 0, dx = 0;
            boolean flip = false;
            if (a.padCrop() > 0) {
                dy = r.nextInt(2 * a.padCrop() + 1) - a.padCrop();
                dx = r.nextInt(2 * a.padCrop() + 1) - a.padCrop();
            }
            if (a.flip()) flip = r.nextBoolean();
            int cy = -1, cx = -1;
            if (a.cutout() > 0) {
                cy = r.nextInt(h);
                cx = r.nextInt(w);
            }
            int base = i * img;
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int sx = (flip ? w - 1 - x : x) + dx; // crop, then mirror the crop
                        float v;
                        if (sy < 0 || sy >= h || sx < 0 || sx >= w) v = shift[ch]; // zero pixel, normalized
                        else v = (px[ch * plane + sy * w + sx] & 0xff) * scale[ch] + shift[ch];
                        if (cy >= 0 && Math.abs(y - cy) <= a.cutout() / 2 && Math.abs(x - cx) <= a.cutout() / 2
                                && y - cy < (a.cutout() + 1) / 2 && x - cx < (a.cutout() + 1) / 2)
                            v = 0f;
                        out[base + ch * plane + y * w + x] = v;
                    }
                }
            }
        }
        return new Batch(Tensor.of(out, n, c, h, w), labels, indices);
    }

    static long mix(long seed, long epoch, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 31)) * 0xD6E8FEB86659FD93L;
        return z ^ (z >>> 32);
    }
}
