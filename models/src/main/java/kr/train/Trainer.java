package kr.train;

import kr.config.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import kr.data.Batch;
import kr.data.Dataset;
import kr.data.Loader;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.StepArena;
import kr.io.AtomicFiles;
import kr.io.Json;
import kr.models.Classifier;
import kr.nn.Module;
import kr.optim.LrSchedule;
import kr.optim.SGD;

/**
 * Trains a classifier: SGD (momentum, weight decay, Nesterov) with the learning rate set every step
 * from the fractional epoch, an {@link Objective} (cross-entropy with label smoothing by default),
 * {@link StepHook}s, evaluation on the test set after every epoch, and in {@code out/}:
 * {@code config.json}, {@code metrics.jsonl}, {@code curves.svg} and {@code checkpoints/} (see
 * {@link Checkpoints}). With the same seed, backend and thread count two runs give the same
 * metrics and weights bit for bit, and {@link #resume()} after a kill at any point continues
 * exactly as if there had been none (the loader is a function of (seed, epoch, index), the
 * schedule of the epoch, and the generator, partial-epoch sums and optimizer state are saved).
 *
 * <pre>{@code
 * Init.manualSeed(cfg.seed);                       // model initialisation is the caller's
 * Classifier net = Models.create("resnet20", 10);
 * RunData data = RunData.of(cfg, trainSet, testSet);
 * Trainer.Result r = new Trainer(cfg, net, data.train(), data.test(), Path.of("runs/r20")).run();
 * }</pre>
 */
public final class Trainer {
    private final TrainConfig cfg;
    private final Classifier model;
    private final Loader train, test;
    private final Path out;
    private final Device device;
    /** CPU buffers reused step after step. */
    private final StepArena arena = StepArena.forTraining();
    private Objective objective;
    private final List<StepHook> hooks = new ArrayList<>();
    private Progress progress = Progress.off();
    private PrintStream log = System.out;
    private Checkpoints checkpoints;
    private SGD opt;
    private boolean customObjective;
    private StepRunner.Factory runnerFactory;
    private StepRunner runner;
    private int undrained;
    private boolean runnerDescribed;
    private java.util.function.BooleanSupplier stopWhen = () -> false;

    private final TrainState st;

    /** The epochs run, the best test accuracy (fraction) and the epoch (1-based) that reached it. */
    public record Result(List<EpochMetrics> history, double bestAcc, int bestEpoch, Path out) {
        public EpochMetrics last() {
            return history.isEmpty() ? null : history.get(history.size() - 1);
        }
    }

    public Trainer(TrainConfig cfg, Classifier model, Loader train, Loader test, Path out) {
        this.cfg = cfg.copy();
        this.cfg.provenance = new LinkedHashMap<>(kr.engine.Provenance.current()); // this session's, also when resuming another's
        this.model = model;
        this.train = train;
        this.test = test;
        this.out = out;
        this.device = Device.parse(cfg.device);
        this.objective = Objective.crossEntropy(cfg.labelSmoothing);
        this.checkpoints = new Checkpoints(out.resolve("checkpoints"));
        this.st = new TrainState(new Rng(cfg.seed ^ 0x7A11E5L));
        if (train.batchesPerEpoch() == 0) throw new DataException("[train] the training set yields no batches (" + train.dataset().size() + " images)");
        model.to(device);
    }

    /** Replaces the default cross-entropy objective (e.g. with a distillation method). */
    public Trainer objective(Objective o) {
        this.objective = Objects.requireNonNull(o);
        this.customObjective = true;
        return this;
    }

    /**
     * Runs every step through a {@link StepRunner} (e.g. a replayed CUDA graph) instead of the
     * objective, hooks and optimizer here. Only the default cross-entropy objective with no hooks can
     * run that way (their code runs on the host every step); the runner's values reach the epoch
     * metrics when it is drained, every {@value #DRAIN_EVERY} steps, at checkpoints and at epoch ends.
     */
    public Trainer stepRunner(StepRunner.Factory f) {
        this.runnerFactory = Objects.requireNonNull(f);
        return this;
    }

    /** Steps of a session left out of the ETA's per-step time (the JIT compiles during them); no ETA before twice as many. */
    static final int ETA_WARMUP_STEPS = 3;

    /** Steps a {@link StepRunner} queues between reads of its sums (each read waits for the device). */
    public static final int DRAIN_EVERY = 25;

    public Trainer addHook(StepHook h) {
        hooks.add(Objects.requireNonNull(h));
        return this;
    }

    /**
     * Asked before every step: when it answers true the run saves a resumable checkpoint at that step
     * boundary and throws {@link Stopped} (kr reproduce uses it on SIGTERM, so a preempted run loses no step).
     */
    public Trainer stopWhen(java.util.function.BooleanSupplier s) {
        this.stopWhen = Objects.requireNonNull(s);
        return this;
    }

    /** The run stopped on request ({@link #stopWhen}); {@code last.json} holds the state at the step it names. */
    public static final class Stopped extends RuntimeException {
        private final int epoch, step;

        Stopped(Path out, int epoch, int step, int steps) {
            super(String.format(Locale.ROOT, "[train] %s stopped on request at epoch %d step %d/%d; checkpoint saved, resuming continues there", out, epoch, step, steps));
            this.epoch = epoch;
            this.step = step;
        }

        /** The epoch (1-based) and step within it where the run resumes. */
        public int epoch() {
            return epoch;
        }

        public int step() {
            return step;
        }
    }

    public Trainer progress(Progress p) {
        this.progress = Objects.requireNonNull(p);
        return this;
    }

    /** Where the per-epoch summary lines go (null: nowhere). */
    public Trainer log(PrintStream p) {
        this.log = p;
        return this;
    }

    Trainer checkpointIo(Checkpoints.Io io) {
        this.checkpoints = new Checkpoints(out.resolve("checkpoints"), io);
        return this;
    }

    public Path out() {
        return out;
    }

    /** Trains from scratch for {@code cfg.epochs} epochs. */
    public Result run() throws IOException {
        prepare();
        AtomicFiles.writeString(out.resolve("config.json"), Json.pretty(cfg.toMap()));
        return loop();
    }

    /** Continues from {@code out/checkpoints/last.json} up to {@code cfg.epochs} epochs. */
    public Result resume() throws IOException {
        prepare();
        Checkpoints.Saved sv = checkpoints.loadLast();
        Map<String, Object> saved = sv.state();
        Path where = checkpoints.dir().resolve(Checkpoints.LAST);
        if (saved.get("model") != null && !saved.get("model").equals(cfg.model))
            throw new CheckpointException("[checkpoint] " + where + " is a run of model '" + saved.get("model") + "', not '" + cfg.model + "'");
        Checkpoints.loadInto(model, sv.weights(), checkpoints.dir().resolve((String) saved.get("weights")).toString());
        List<String> names = paramNames();
        if (!names.equals(saved.get("optimizer_params")))
            throw new CheckpointException("[checkpoint] " + where + " optimizer state belongs to parameters " + saved.get("optimizer_params")
                    + ", this run has " + names);
        opt.loadStateDict(Checkpoints.withoutPrefix(sv.optimizer(), "optimizer."), TrainState.num(saved, "optimizer_steps").longValue());
        Module om = objective.module();
        if (om != null) Checkpoints.loadInto(om, Checkpoints.withoutPrefix(sv.optimizer(), "objective."), where + " (objective state)");
        st.load(saved);
        if (st.step >= train.batchesPerEpoch())
            throw new CheckpointException("[checkpoint] " + where + " stopped at step " + st.step + " of an epoch that now has " + train.batchesPerEpoch()
                    + " steps: the data or batch size changed");
        if (log != null)
            log.printf(Locale.ROOT, "resuming %s at epoch %d step %d/%d (%s)%n", out, st.epoch + 1, st.step, train.batchesPerEpoch(), st.bestEpoch == 0
                    ? "no epoch finished yet" : String.format(Locale.ROOT, "best test acc so far %.2f%% at epoch %d", 100 * st.bestAcc, st.bestEpoch));
        return loop();
    }

    private void prepare() throws IOException {
        requireDataFitsModel();
        Files.createDirectories(out);
        AtomicFiles.removeStaleTemps(out); // a write killed half way (kill -9) left these; this run is the directory's only writer
        AtomicFiles.removeStaleTemps(checkpoints.dir());
        List<Tensor> params = new ArrayList<>(model.parameters());
        Module om = objective.module();
        if (om != null) {
            om.to(device);
            params.addAll(om.parameters());
        }
        opt = new SGD(params, cfg.lr, cfg.momentum, cfg.weightDecay, cfg.nesterov);
    }

    private List<String> paramNames() {
        List<String> names = new ArrayList<>(model.namedParameters().keySet());
        Module om = objective.module();
        if (om != null) for (String k : om.namedParameters().keySet()) names.add("objective." + k);
        return names;
    }

    /**
     * One image through the model (eval mode: no statistics change, nothing drawn) before anything is
     * written: a data set of other channels or size fails here, naming both, not at the first step.
     */
    private void requireDataFitsModel() {
        Dataset ds = train.dataset();
        if (ds.size() == 0) return;
        byte[] px = new byte[ds.channels() * ds.height() * ds.width()];
        ds.image(0, px, 0);
        float[] x = new float[px.length];
        for (int i = 0; i < px.length; i++) x[i] = (px[i] & 0xff) / 255f;
        model.eval();
        try (var ng = kr.engine.Grad.noGrad()) {
            Tensor z = model.forward(Tensor.of(x, 1, ds.channels(), ds.height(), ds.width()).to(device));
            if (z.dim() != 2 || z.shape(1) != ds.numClasses())
                throw new ConfigException("[train] the model's output " + kr.engine.Shapes.str(z.shape()) + " does not fit the data set's " + ds.numClasses() + " classes");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[train] the data set's images (" + ds.channels() + "x" + ds.height() + "x" + ds.width() + ") do not fit model '" + cfg.model
                    + "': " + e.getMessage());
        } finally {
            model.train();
        }
    }

    private Result loop() throws IOException {
        Backends.Scope scope = cfg.backend == null ? null : Backends.use(cfg.backend);
        try {
            writeMetricsFiles();
            LrSchedule schedule = cfg.lrSchedule();
            int steps = train.batchesPerEpoch();
            if (runnerFactory != null && runner == null) startRunner();
            double sessionSeconds = 0, lastEvalSeconds = 0;
            long sessionSteps = 0;
            while (st.epoch < cfg.epochs) {
                model.train();
                if (objective.module() != null) objective.module().train();
                Iterator<Batch> it = train.epoch(st.epoch, st.step);
                while (st.step < steps) {
                    if (stopWhen.getAsBoolean()) {
                        // a step boundary: the state is whole, so a checkpoint here resumes exactly
                        if (runner != null && undrained > 0) drainRunner(schedule.at(st.epoch + st.step / (double) steps));
                        saveLast();
                        throw new Stopped(out, st.epoch + 1, st.step, steps);
                    }
                    long t0 = System.nanoTime();
                    double lr;
                    boolean checkpoint;
                    try (var arenaStep = arena.step()) { // the step's activations and gradients are dead after it
                        Batch b = it.next();
                        lr = schedule.at(st.epoch + st.step / (double) steps);
                        if (st.step == 0) st.partial.lr = lr;
                        opt.setLr(lr);
                        StepContext ctx = new StepContext(st.epoch, st.step, steps, st.globalStep, lr, st.rng, model, opt);
                        Objective.Result r = null;
                        if (runner != null) {
                            runner.step(b, lr, ctx); // queued on the device; its sums are drained below
                            opt.countStep();
                            undrained++;
                        } else {
                            Batch db = new Batch(b.images().to(device), b.labels(), b.indices());
                            opt.zeroGrad();
                            r = objective.compute(model, db, ctx);
                            Objects.requireNonNull(r.logits(), "[train] the objective returned no logits");
                            double loss = r.loss().item();
                            if (!Double.isFinite(loss))
                                throw new IllegalStateException(String.format(Locale.ROOT, "[train] loss is %s at epoch %d step %d (lr %.4g): lower the learning rate or check the data",
                                        loss, st.epoch + 1, st.step + 1, lr));
                            r.loss().backward();
                            Map<String, Double> logs = new java.util.LinkedHashMap<>(r.logs());
                            for (StepHook h : hooks) h.afterBackward(ctx, db, logs);
                            opt.step();
                            st.partial.add(loss, Evaluator.correct(r.logits().toFloatArray(), r.logits().shape(1), b.labels(), 1), b.labels().length, logs);
                        }
                        st.step++;
                        st.globalStep++;
                        checkpoint = cfg.checkpointEvery > 0 && st.step % cfg.checkpointEvery == 0 && st.step < steps;
                        if (runner != null && (undrained >= DRAIN_EVERY || st.step == steps || checkpoint)) drainRunner(lr);
                        double dt = (System.nanoTime() - t0) / 1e9;
                        st.partial.trainSeconds += dt;
                        if (++sessionSteps > ETA_WARMUP_STEPS) sessionSeconds += dt; // the first steps include the JIT's warm-up
                        if (r != null) for (StepHook h : hooks) h.afterStep(ctx, r);
                    }
                    if (checkpoint) saveLast();
                    double perStep = sessionSteps >= 2 * ETA_WARMUP_STEPS ? sessionSeconds / (sessionSteps - ETA_WARMUP_STEPS) : Double.NaN; // no ETA yet
                    double eta = perStep * ((steps - st.step) + (double) (cfg.epochs - st.epoch - 1) * steps) + lastEvalSeconds * (cfg.epochs - st.epoch);
                    if (cfg.logEvery > 0 && st.step % cfg.logEvery == 0 && st.step < steps && st.partial.seen > 0 && log != null)
                        log.printf(Locale.ROOT, "epoch %d/%d step %d/%d  lr %.4g  train loss %.4f acc %.2f%% (epoch so far)  %.0f img/s%n", st.epoch + 1, cfg.epochs,
                                st.step, steps, lr, st.partial.lossSum / st.partial.seen, 100.0 * st.partial.correct / st.partial.seen,
                                st.partial.seen / st.partial.trainSeconds);
                    if (st.partial.seen > 0) // a runner's first sums arrive at its first drain
                        progress.step(st.epoch + 1, cfg.epochs, st.step, steps, st.partial.lossSum / st.partial.seen, (double) st.partial.correct / st.partial.seen,
                                st.partial.seen / st.partial.trainSeconds, eta);
                }
                progress.clear();
                requireFinite();
                long e0 = System.nanoTime();
                Evaluator.Result ev = Evaluator.evaluate(model, test, device);
                lastEvalSeconds = (System.nanoTime() - e0) / 1e9;
                EpochMetrics m = new EpochMetrics(st.epoch + 1, st.partial.lr, st.partial.lossSum / st.partial.seen, (double) st.partial.correct / st.partial.seen, ev.loss(),
                        ev.top1(), ev.top5(), st.partial.trainSeconds + lastEvalSeconds, st.partial.seen / st.partial.trainSeconds, st.partial.meanLogs());
                st.history.add(m);
                boolean best = ev.top1() > st.bestAcc;
                if (best) {
                    st.bestAcc = ev.top1();
                    st.bestEpoch = st.epoch + 1;
                    Map<String, String> meta = meta(st.epoch + 1);
                    meta.put("kr.test_acc", Double.toString(ev.top1()));
                    checkpoints.saveBest(model.stateDict(), meta);
                }
                st.epoch++;
                st.step = 0;
                st.partial = new TrainState.Partial();
                saveLast();
                writeMetricsFiles();
                if (log != null) log.println(summary(m, best));
                for (StepHook h : hooks) h.afterEpoch(m);
            }
            return new Result(List.copyOf(st.history), st.bestAcc, st.bestEpoch, out);
        } finally {
            progress.clear();
            if (runner != null) {
                try {
                    runner.close();
                } catch (RuntimeException e) { // after a device fault closing fails too: keep the first error
                    System.err.println("[train] closing the step runner failed: " + e.getMessage());
                }
                runner = null;
            }
            if (scope != null) scope.close();
        }
    }

    private void startRunner() {
        if (customObjective || !hooks.isEmpty())
            throw new ConfigException("[train] a step runner (--cuda-graphs) runs the plain cross-entropy step only; this run has "
                    + (customObjective ? "its own objective (a distillation method)" : hooks.size() + " step hook(s)")
                    + ", whose host-side code runs every step: train without --cuda-graphs");
        runner = runnerFactory.create(model, opt, cfg);
        undrained = 0;
    }

    /** Adds the runner's device-side sums to the epoch's and fails on a non-finite loss, naming its step. */
    private void drainRunner(double lr) {
        StepRunner.Drained d = runner.drain();
        undrained = 0;
        if (d.firstNonFinite() > 0)
            throw new IllegalStateException(String.format(Locale.ROOT, "[train] loss is not finite at epoch %d step %d (lr %.4g): lower the learning rate or check the data"
                    + " (found when the step runner's sums were read, %d step(s) later)", st.epoch + 1, st.step - d.steps() + d.firstNonFinite(), lr,
                    d.steps() - d.firstNonFinite()));
        st.partial.addSums(d.lossSum(), d.correct(), d.seen(), d.logSums());
        if (log != null && !runnerDescribed) log.println("[train] " + runner.describe());
        runnerDescribed = true;
    }

    private String summary(EpochMetrics m, boolean best) {
        return String.format(Locale.ROOT, "epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%% top5 %.2f%%  %s  %.0f img/s%s",
                m.epoch(), cfg.epochs, m.lr(), m.trainLoss(), 100 * m.trainAcc(), m.testLoss(), 100 * m.testAcc(), 100 * m.testTop5(),
                Progress.duration(m.seconds()), m.imagesPerSecond(), best ? "  *best*" : "");
    }

    private Map<String, String> meta(int epochsDone) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("kr.model", cfg.model == null ? model.getClass().getSimpleName() : cfg.model);
        meta.put("kr.classes", Integer.toString(model.numClasses()));
        meta.put("kr.epoch", Integer.toString(epochsDone));
        meta.put("kr.global_step", Long.toString(st.globalStep));
        meta.put("kr.normalize.mean", java.util.Arrays.toString(train.options().mean())); // what a user loading the weights elsewhere must apply
        meta.put("kr.normalize.std", java.util.Arrays.toString(train.options().std()));
        kr.engine.Provenance.current().forEach((k, v) -> meta.put("kr." + k, v));
        return meta;
    }

    /**
     * Stops training before a non-finite parameter, buffer or optimizer value reaches a checkpoint
     * (the loss alone does not show them: ReLU maps NaN to 0), naming the tensor and the step.
     */
    private void requireFinite() {
        Map<String, Tensor> all = new LinkedHashMap<>(model.stateDict());
        all.putAll(Checkpoints.withPrefix(opt.stateDict(), "optimizer."));
        Module om = objective.module();
        if (om != null) all.putAll(Checkpoints.withPrefix(om.stateDict(), "objective."));
        String bad = Checkpoints.firstNonFinite(all);
        if (bad == null) return;
        Path last = checkpoints.dir().resolve(Checkpoints.LAST);
        throw new IllegalStateException(String.format(Locale.ROOT, "[train] training diverged: after epoch %d step %d (lr %.4g) %s; stopped before saving it, so %s."
                + " Lower the learning rate or check the data", st.epoch + 1, st.step, opt.lr(), bad,
                Files.exists(last) ? "the last good checkpoint " + last + " is kept" : "no checkpoint has been written"));
    }

    private void saveLast() throws IOException {
        requireFinite();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("format", "kr-train-state");
        s.put("version", 1L);
        s.put("model", cfg.model);
        s.put("classes", (long) model.numClasses());
        s.put("optimizer_steps", opt.stepCount());
        s.putAll(st.toMap());
        s.put("optimizer_params", paramNames());
        s.put("config", cfg.toMap());
        s.put("saved_at", Instant.now().toString());
        Map<String, Tensor> state = Checkpoints.withPrefix(opt.stateDict(), "optimizer.");
        Module om = objective.module();
        if (om != null) state.putAll(Checkpoints.withPrefix(om.stateDict(), "objective."));
        checkpoints.saveLast(s, model.stateDict(), meta(st.epoch), state);
        AtomicFiles.writeString(out.resolve("config.json"), Json.pretty(cfg.toMap())); // after the commit point: a failed resume leaves both as they were
    }

    private void writeMetricsFiles() throws IOException {
        StringBuilder b = new StringBuilder();
        for (EpochMetrics m : st.history) b.append(Json.write(m.toMap())).append('\n');
        AtomicFiles.writeString(out.resolve("metrics.jsonl"), b.toString());
        AtomicFiles.writeString(out.resolve("curves.svg"), LearningCurves.svg(st.history, (cfg.model == null ? "model" : cfg.model) + " on "
                + (cfg.data == null ? "data" : Path.of(cfg.data).getFileName())));
    }
}
