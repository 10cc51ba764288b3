package kr.engine.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Float32 buffers reused across training steps. Inside {@link #step()} on the opening thread, the
 * outputs of CPU kernels ({@link CpuStorage#outputArray}) come from the buffers the previous steps
 * used; closing the step hands every one of them back. A step's allocations then repeat exactly,
 * so after the first steps nothing large is allocated: no young-generation pause copies the
 * in-flight activations, and no page is touched for the first time.
 *
 * <p>A tensor computed inside a step is dead once the step closes: reading it afterwards (its
 * storage's {@link CpuStorage#floats()}) throws, naming this arena, instead of returning another
 * step's numbers. Copy what must outlive the step ({@code Tensor.copy}, {@code toFloatArray},
 * {@code item}) before closing. Parameters, optimizer state and tensors made by the
 * {@code Tensor} factories are never drawn from the arena.
 *
 * <pre>{@code
 * StepArena arena = StepArena.forTraining();
 * for (int step = 0; step < steps; step++) {
 *     try (var s = arena.step()) {
 *         opt.zeroGrad();
 *         Tensor loss = F.crossEntropy(model.forward(x), labels);
 *         losses.add(loss.item()); // a double: it outlives the step
 *         loss.backward();
 *         opt.step();
 *     }
 * }
 * }</pre>
 */
public final class StepArena {
    private static final ThreadLocal<StepArena> CURRENT = new ThreadLocal<>();
    /** -Dkr.arena.poison=true: every arena fills the buffers it hands out again with NaN (see {@link #poisoned()}). */
    private static final boolean POISON = Boolean.getBoolean("kr.arena.poison");

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final ArrayList<float[]> taken = new ArrayList<>();
    private final IdentityHashMap<float[], Boolean> takenSet = new IdentityHashMap<>();
    private final long capBytes;
    private final boolean poison;
    private long heldBytes;
    private int generation;
    private boolean open;

    /** An arena that holds at most a quarter of the maximum heap; larger steps allocate the rest normally. */
    public StepArena() {
        this(Runtime.getRuntime().maxMemory() / 4);
    }

    public StepArena(long capBytes) {
        this(capBytes, POISON);
    }

    private StepArena(long capBytes, boolean poison) {
        if (capBytes < 0) throw new IllegalArgumentException("[step-arena] capacity must be >= 0 bytes, got " + capBytes);
        this.capBytes = capBytes;
        this.poison = poison;
    }

    /**
     * For tests: an arena that fills every buffer it hands out again with NaN before zeroing it
     * where asked, so a kernel that asked for an unzeroed output but leaves an element unwritten
     * shows NaN instead of a stale value from an earlier step.
     */
    public static StepArena poisoned() {
        return new StepArena(Runtime.getRuntime().maxMemory() / 4, true);
    }

    /** Whether training loops reuse buffers ({@code -Dkr.arena=false} turns it off, e.g. to compare). */
    public static boolean enabled() {
        return !"false".equals(System.getProperty("kr.arena"));
    }

    /**
     * The arena of a training loop ({@code kr train}, {@code kr profile}, the benchmarks): a quarter of the heap, or,
     * with {@code -Dkr.arena=false}, none, so that its steps allocate every output anew as without an arena.
     */
    public static StepArena forTraining() {
        return new StepArena(enabled() ? Runtime.getRuntime().maxMemory() / 4 : 0);
    }

    /** Opens a step on this thread; its outputs go back to the arena when it closes. Steps do not nest. */
    public Step step() {
        if (open) throw new IllegalStateException("[step-arena] a step is already open");
        if (CURRENT.get() != null) throw new IllegalStateException("[step-arena] this thread already has an open step of another arena");
        open = true;
        CURRENT.set(this);
        return new Step();
    }

    /** Bytes of buffers the arena holds, handed out or free. */
    public long heldBytes() {
        return heldBytes;
    }

    /** The number of steps closed so far; a storage drawn in step {@code g} is live while this equals {@code g}. */
    int generation() {
        return generation;
    }

    /** The arena of the step open on this thread, or null. */
    static StepArena current() {
        return CURRENT.get();
    }

    /** A buffer of exactly {@code n} floats, zeroed when {@code zero}, or null when the arena is full. */
    float[] take(int n, boolean zero) {
        ArrayDeque<float[]> q = free.get(n);
        float[] a = q == null ? null : q.pollLast();
        if (a == null) {
            if (heldBytes + 4L * n > capBytes) return null;
            a = new float[n];
            heldBytes += 4L * n;
        } else {
            if (poison) Arrays.fill(a, Float.NaN);
            if (zero) Arrays.fill(a, 0f);
        }
        taken.add(a);
        takenSet.put(a, Boolean.TRUE);
        return a;
    }

    /** Whether {@code a} was handed out in the step now open. */
    boolean handedOut(float[] a) {
        return takenSet.containsKey(a);
    }

    /** The scope of one step: closing it returns the step's buffers (their tensors are dead from then on). */
    public final class Step implements AutoCloseable {
        private boolean closed;

        private Step() {}

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            for (float[] a : taken) free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
            taken.clear();
            takenSet.clear();
            generation++;
            open = false;
            CURRENT.remove();
        }
    }
}
