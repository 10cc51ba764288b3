package kr.train;

import java.util.Map;
import kr.data.Batch;
import kr.models.Classifier;
import kr.optim.SGD;

/**
 * Runs the trainer's whole step (forward, cross-entropy, backward, SGD update) another way, e.g. as
 * a replayed CUDA graph ({@link GraphedTrainStep}, {@code kr train --cuda-graphs}). Nothing
 * in a step returns a value to the host: the loss, the top-1 count and any logged values add up on
 * the device, and {@link #drain()} reads and resets them (the trainer drains every few dozen steps,
 * at checkpoints and at the end of each epoch), so the host can queue the next step while the
 * device runs this one.
 *
 * <pre>{@code
 * trainer.stepRunner(GraphedTrainStep.factory());
 * }</pre>
 */
public interface StepRunner extends AutoCloseable {
    /**
     * Sums since the last drain: loss times batch size, correct top-1 predictions, images, steps,
     * the step (1-based, counted from the last drain) whose loss was first not finite (0: none), and
     * named values times batch size (as {@link Objective.Result#logs()}).
     */
    record Drained(double lossSum, long correct, long seen, int steps, int firstNonFinite, Map<String, Double> logSums) {}

    /** Creates the runner once the trainer has its model (on the device) and optimizer. */
    @FunctionalInterface
    interface Factory {
        StepRunner create(Classifier model, SGD optimizer, TrainConfig cfg);
    }

    /** Queues one step on {@code batch} (images on the host) at learning rate {@code lr}. */
    void step(Batch batch, double lr, StepContext ctx);

    /** Reads and resets the device-side sums (waits for the queued steps). */
    Drained drain();

    /** One line for the log: how steps run (e.g. the graph's size, or why it runs eagerly). */
    String describe();

    /** Releases device resources (the graph and its memory). */
    @Override
    void close();
}
