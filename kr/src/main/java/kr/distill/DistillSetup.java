package kr.distill;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import kr.data.Batch;
import kr.data.Dataset;
import kr.engine.Device;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.io.AtomicFiles;
import kr.io.Json;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.Init;
import kr.train.Checkpoints;
import kr.train.Evaluator;
import kr.train.Objective;
import kr.train.RunData;
import kr.train.StepHook;
import kr.train.TrainConfig;

/**
 * Builds what a distillation run adds to training: the teacher (loaded and frozen), the objective
 * with its methods, and KR's gradient hook. Used by {@code kr distill} and {@code kr reproduce}.
 *
 * <pre>{@code
 * DistillSetup d = DistillSetup.build(cfg, dc, student, teacher, data, System.out);
 * trainer.objective(d.objective()); if (d.hook() != null) trainer.addHook(d.hook());
 * }</pre>
 */
public final class DistillSetup {
    private final Objective objective;
    private final StepHook hook;
    private final KR kr;

    private DistillSetup(Objective objective, StepHook hook, KR kr) {
        this.objective = objective;
        this.hook = hook;
        this.kr = kr;
    }

    public Objective objective() {
        return objective;
    }

    /** KR's hook, or null when KR is not among the methods. */
    public StepHook hook() {
        return hook;
    }

    public KR kr() {
        return kr;
    }

    /** The label of every sample of {@code ds}, by index. */
    static int[] labels(Dataset ds) {
        int[] r = new int[ds.size()];
        for (int i = 0; i < r.length; i++) r[i] = ds.label(i);
        return r;
    }

    /**
     * The teacher's weights: a safetensors file, or a run directory, whose LAST checkpoint is used
     * (the final teacher, not the one selected on the test set).
     */
    public static Path teacherWeights(String teacher) {
        Path p = Path.of(teacher);
        if (Files.isDirectory(p)) {
            Path last = p.resolve("checkpoints").resolve(Checkpoints.LAST);
            if (Files.exists(last)) return Checkpoints.resolveWeights(last);
        }
        return Checkpoints.resolveWeights(p);
    }

    /** Loads the teacher's weights into {@code teacher}, freezes it and reports its test accuracy. */
    public static void loadTeacher(Classifier teacher, String source, RunData data, Device device, PrintStream log) {
        Path w = teacherWeights(source);
        Checkpoints.loadInto(teacher, Checkpoints.read(w).tensors(), w.toString());
        for (var p : teacher.parameters()) p.requiresGrad(false);
        teacher.to(device);
        teacher.eval();
        if (log != null) {
            Evaluator.Result r = Evaluator.evaluate(teacher, data.test(), device);
            log.printf(Locale.ROOT, "teacher %s: test accuracy %.2f%% on %d images%n", w, 100 * r.top1(), r.count());
        }
    }

    /**
     * The objective and hook for {@code dc} with a loaded, frozen teacher. Shape-dependent parts
     * (FitNets regressor, CRD embeddings) are built from one no-grad pass over a test batch.
     */
    public static DistillSetup build(TrainConfig cfg, DistillConfig dc, Classifier student, Classifier teacher, RunData data, PrintStream log) {
        return build(cfg, dc, student, teacher, data, log, Models::create);
    }

    /**
     * As above; {@code models} builds a network by name and class count, for the untrained teacher of
     * {@code kr_prior untrained} (built with {@link Init#withSeed}, from a seed derived from the run's).
     */
    public static DistillSetup build(TrainConfig cfg, DistillConfig dc, Classifier student, Classifier teacher, RunData data, PrintStream log,
            BiFunction<String, Integer, Classifier> models) {
        Set<String> ms = dc.validate().methods();
        Map<String, Distiller> methods = new LinkedHashMap<>();
        Map<String, Double> weights = new LinkedHashMap<>();
        for (String m : ms) {
            Distiller d = switch (m) {
                case "fitnets" -> new FitNets(dc.hintLayer);
                case "at" -> new AT(dc.atP);
                case "sp" -> new SP();
                case "rkd" -> new RKD(dc.rkdWd, dc.rkdWa);
                case "pkt" -> new PKT();
                case "dkd" -> new DKD(dc.dkdAlpha, dc.dkdBeta, dc.dkdT, dc.dkdWarmup(cfg.epochs));
                case "crd" -> new CRD(dc.crdDim, dc.crdK, dc.crdT, dc.crdMomentum, cfg.seed, CRD.Sampler.parse(dc.crdSampler), labels(data.train().dataset()));
                default -> null; // kd is a logit term of the objective, kr a gradient hook
            };
            if (d == null) continue;
            methods.put(m, d);
            weights.put(m, dc.weight(m));
        }
        if (!methods.isEmpty()) {
            Batch sample = data.test().epoch(0, 0).next();
            boolean wasTraining = student.isTraining();
            student.eval();
            try (var ng = Grad.noGrad()) {
                Tensor x = sample.images().to(Device.parse(cfg.device)); // where the trainer put both networks
                Classifier.Output s = student.forwardFeatures(x, false), t = teacher.forwardFeatures(x, false);
                for (Distiller d : methods.values()) d.init(s, t, data.train().dataset().size());
            }
            student.train(wasTraining);
        }
        KR kr = null;
        StepHook hook = null;
        if (ms.contains("kr")) {
            int classes = teacher.numClasses();
            kr = KR.build(student, teacher, dc.krOptions(cfg.epochs, cfg.seed), seed -> Init.withSeed(seed, () -> models.apply(dc.teacherModel, classes)));
            hook = new KRHook(kr);
            if (kr.alignment() != null && cfg.out != null) {
                try {
                    Files.createDirectories(Path.of(cfg.out));
                    AtomicFiles.writeString(Path.of(cfg.out).resolve("kr-alignment.json"), Json.pretty(kr.alignment()));
                } catch (IOException e) {
                    throw new UncheckedIOException("[kr] cannot write " + cfg.out + "/kr-alignment.json: " + e.getMessage(), e);
                }
            }
            if (log != null) {
                log.printf(Locale.ROOT, "KR: %d student layers take priors from the %s (beta %.3g, %s, %s pooling, %s spatial, blocks %s%s%s)%n",
                        kr.priors().size(), switch (dc.krPrior) {
                            case "untrained" -> "untrained teacher (control)";
                            case "shuffled" -> "teacher, entries shuffled (control)";
                            case "zero" -> "teacher's mask with zero values (control: masked weight decay)";
                            default -> "teacher";
                        }, dc.krBeta, dc.krLambda == null ? "top " + dc.rho() + " of |A|" : "|A| > " + dc.krLambda,
                        dc.krFilterPool, dc.krSpatialPool, dc.krBlocks, dc.krAlign ? ", hidden channels aligned" : "",
                        dc.krInit ? ", student initialised from the priors" : "");
                if (kr.alignment() != null)
                    log.print("KR alignment: pairwise cosine of the pooled teacher weights each prior averages, before -> after\n" + kr.alignmentSummary());
                if (!kr.match().unmatched().isEmpty()) log.print("KR: unmatched student layers:\n" + kr.match().report().lines()
                        .filter(l -> l.contains("UNMATCHED")).map(l -> l + "\n").reduce("", String::concat));
            }
        }
        if (log != null)
            log.printf(Locale.ROOT, "objective: %.3g * CE%s%s%n", dc.ce(), dc.kd() > 0 ? String.format(Locale.ROOT, " + %.3g * KD(T=%.3g)", dc.kd(), dc.kdT) : "",
                    weights.entrySet().stream().map(e -> String.format(Locale.ROOT, " + %.4g * %s", e.getValue(), e.getKey().toUpperCase(Locale.ROOT)))
                            .reduce("", String::concat) + (kr != null ? " (+ KR gradient penalty)" : ""));
        Objective o = new DistillObjective(teacher, dc.ce(), dc.kd(), dc.kdT, cfg.labelSmoothing, methods, weights);
        return new DistillSetup(o, hook, kr);
    }
}
