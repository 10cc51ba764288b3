package kr.engine.backend;

import kr.engine.Tensor;
import kr.optim.SGD;

/**
 * The device pieces of a training step that runs without host round trips, a
 * {@link Backend#extension backend extension} (the CUDA backend's: graphs, pinned staging, a
 * multi-tensor SGD, device-side sums). The step itself is written once, device-neutrally, in the
 * trainer ({@code kr.train.GraphedTrainStep}); a backend without this extension cannot run it.
 *
 * <pre>{@code
 * StepCapture cap = Backends.of(device).extension(StepCapture.class).orElseThrow();
 * try (var batch = cap.stagedBatch(new int[] {128, 3, 32, 32}, 10); var g = cap.replay("step", body, 1, true)) {
 *     batch.stage(images, labels, lr); g.run();
 * }
 * }</pre>
 */
public interface StepCapture {
    /**
     * A piece of device work run eagerly for {@code warmup} runs, then captured once and replayed
     * (the body must be capture-safe: static inputs, no reads back to the host). When the capture
     * fails and {@code fallBack} is set the body runs eagerly from then on, else the failure is
     * thrown. With {@code EngineConfig.cudaGraphs()} off every run is eager.
     */
    Replay replay(String name, Runnable body, int warmup, boolean fallBack);

    /** Static device buffers for batches of {@code imageShape} (first dim: batch size) over {@code classes} classes. */
    StagedBatch stagedBatch(int[] imageShape, int classes);

    /**
     * {@code opt}'s update of all its parameters as one device operation, with the same arithmetic as
     * {@link SGD#step()}; every parameter's gradient becomes a view of one flat buffer.
     */
    FusedOptimizer fusedSgd(SGD opt);

    /** Device-side sums of a run of steps (loss times batch size, top-1 hits, images, steps, first non-finite step). */
    StepStats stepStats();

    /** A captured (or eager) step. */
    interface Replay extends AutoCloseable {
        /** Runs the body once: eagerly while warming up, else by replaying the captured work. */
        void run();

        /** Never capture this step; {@code why} appears in {@link #describe()}. */
        void disable(String why);

        /** Whether runs now replay a captured graph. */
        boolean replaying();

        /** One line: the state, the graph's size and memory, or why it is eager. */
        String describe();

        @Override
        void close();
    }

    /** One batch's inputs in static device memory, refilled before every step from pinned host memory. */
    interface StagedBatch extends AutoCloseable {
        /** The images, {@code imageShape}, float32. */
        Tensor images();

        /** The smoothed one-hot targets {@code [n, classes]} that {@link #oneHot} writes. */
        Tensor target();

        /** Queues the copy of a batch and its learning rate (after the previous copy from the same host memory has finished). */
        void stage(float[] images, int[] labels, double lr);

        /** Writes {@link #target()} from the staged labels on the device: {@code on} at the label, {@code off} elsewhere (capturable). */
        void oneHot(float on, float off);

        @Override
        void close();
    }

    /** A multi-tensor optimizer step. */
    interface FusedOptimizer {
        /** Zeroes every gradient (capturable). */
        void zeroGrad();

        /** Updates every parameter, reading the learning rate that {@code lrFrom} staged (capturable once warmed up). */
        void step(StagedBatch lrFrom);

        /** Parameters covered. */
        int size();

        /** Device work items per update (blocks, for the log). */
        int chunks();
    }

    /** Sums kept on the device. */
    interface StepStats {
        /** Adds {@code loss} (a scalar) times the batch size, the top-1 hits of {@code logits} [n, classes] against the staged labels, n images and one step (capturable). */
        void add(Tensor loss, Tensor logits, StagedBatch batch);

        /** Reads and zeroes the sums: {loss sum, correct, seen, steps, first non-finite step (1-based, 0: none)}; waits for queued work. */
        double[] drain();
    }
}
