package kr.train;

import kr.engine.Rng;
import kr.models.Classifier;
import kr.optim.Optimizer;

/**
 * Where the trainer is: epoch and step (0-based), steps per epoch, steps done before this one, the
 * learning rate of this step, and the run's generator (saved in checkpoints, so methods that draw
 * random numbers resume exactly).
 */
public record StepContext(int epoch, int step, int stepsPerEpoch, long globalStep, double lr, Rng rng, Classifier model,
        Optimizer optimizer) {
    /** The epoch as a real number: {@code epoch + step / stepsPerEpoch}. */
    public double fractionalEpoch() {
        return epoch + step / (double) stepsPerEpoch;
    }
}
