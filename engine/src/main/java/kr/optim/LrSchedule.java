package kr.optim;

import java.util.Arrays;

/**
 * A learning rate as a pure function of (fractional) epoch, so resuming needs no schedule state.
 * Schedules compose: {@code LrSchedule.warmup(LrSchedule.cosine(0.1, 30, 0), 1, 0.01)}.
 *
 * <pre>{@code for each step: opt.setLr(schedule.at(epoch + step / (double) stepsPerEpoch)); }</pre>
 */
@FunctionalInterface
public interface LrSchedule {
    double at(double epoch);

    static LrSchedule constant(double lr) {
        return e -> lr;
    }

    /** torch MultiStepLR: multiply by gamma at each milestone epoch (applied per whole epoch). */
    static LrSchedule multiStep(double base, int[] milestones, double gamma) {
        int[] ms = milestones.clone();
        Arrays.sort(ms);
        return e -> {
            int passed = 0;
            for (int m : ms) if (Math.floor(e) >= m) passed++;
            return base * Math.pow(gamma, passed);
        };
    }

    /** Cosine annealing from base to min over {@code total} epochs (continuous in the epoch). */
    static LrSchedule cosine(double base, double total, double min) {
        return e -> min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * Math.min(e, total) / total));
    }

    /** Linear warm-up from {@code startFactor * inner} to {@code inner} over {@code epochs}. */
    static LrSchedule warmup(LrSchedule inner, double epochs, double startFactor) {
        return e -> e >= epochs ? inner.at(e) : inner.at(e) * (startFactor + (1 - startFactor) * e / epochs);
    }

    /**
     * torch OneCycleLR (cosine annealing): from maxLr/div up to maxLr over pctStart of the run, then
     * down to maxLr/(div*finalDiv).
     */
    static LrSchedule oneCycle(double maxLr, double total, double pctStart, double div, double finalDiv) {
        double start = maxLr / div, end = start / finalDiv, up = pctStart * total;
        return e -> {
            if (e <= up) return cos(start, maxLr, e / up);
            return cos(maxLr, end, Math.min(1, (e - up) / (total - up)));
        };
    }

    private static double cos(double from, double to, double frac) {
        return to + (from - to) / 2 * (1 + Math.cos(Math.PI * frac));
    }
}
