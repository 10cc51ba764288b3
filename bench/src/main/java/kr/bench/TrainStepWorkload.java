package kr.bench;

/** Probe command {@code trainstep MODEL BATCH [CLASSES]}: one checked training step (see {@link TrainStep}). */
public final class TrainStepWorkload implements ProbeWorkload {
    @Override
    public String name() {
        return "trainstep";
    }

    @Override
    public Timed prepare(String[] args) {
        if (args.length < 2) throw new IllegalArgumentException("[bench] usage: trainstep MODEL BATCH [CLASSES]");
        return new TrainStep(args[0], Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 10);
    }
}
