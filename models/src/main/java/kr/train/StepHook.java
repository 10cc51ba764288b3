package kr.train;

import kr.data.Batch;

/**
 * Callbacks around each training step. {@link #afterBackward} sees the gradients before the
 * optimizer does, so a method can modify them (clip, project, add terms); {@link #afterStep} runs
 * after the update; {@link #afterEpoch} after the epoch's evaluation. Throwing stops training (the
 * last checkpoint stays valid).
 * On the CPU a step runs in a {@link kr.engine.backend.StepArena}: tensors computed during the step
 * (activations, gradients, the result's logits) are dead once {@link #afterStep} returns, so a hook
 * that keeps one across steps copies out its numbers ({@code toFloatArray}, {@code item}).
 *
 * <pre>{@code trainer.addHook(new StepHook() { public void afterBackward(StepContext c, Batch b) { clip(c.model()); } }); }</pre>
 */
public interface StepHook {
    default void afterBackward(StepContext ctx, Batch batch) {}

    /**
     * Like {@link #afterBackward(StepContext, Batch)}, and may add named scalars to the step's logs
     * (averaged into the epoch metrics like an objective's logs). The trainer calls this one.
     */
    default void afterBackward(StepContext ctx, Batch batch, java.util.Map<String, Double> logs) {
        afterBackward(ctx, batch);
    }

    default void afterStep(StepContext ctx, Objective.Result result) {}

    default void afterEpoch(EpochMetrics metrics) {}
}
