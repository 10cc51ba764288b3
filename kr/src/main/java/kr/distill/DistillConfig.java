package kr.distill;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import kr.config.Binder;
import kr.config.Setting;
import kr.config.ConfigException;
import kr.io.Json;

/**
 * The {@code distill} section of an experiment file: teacher, method(s) and every constant of the
 * methods, with RepDistiller's defaults. Loss = ce_weight * CE + kd_weight * KD + sum of each
 * feature method's weight * its loss; KR acts on the gradients ({@link KR}).
 *
 * <pre>{@code {"teacher": "runs/resnet56", "teacher_model": "resnet56", "method": "kr+kd", "kr_beta": 0.005}}</pre>
 */
public final class DistillConfig {
    /** Every method name {@code --method} accepts (joined with '+'). */
    public static final List<String> METHODS = List.of("kd", "fitnets", "at", "sp", "rkd", "pkt", "dkd", "crd", "kr");
    /** RepDistiller's loss weight (its -b) of each feature method. */
    static final Map<String, Double> FEATURE_WEIGHT = Map.of("fitnets", 100.0, "at", 1000.0, "sp", 3000.0, "rkd", 1.0, "pkt", 30000.0, "crd", 0.8,
            "dkd", 1.0);

    @Setting(help = "Teacher weights (.safetensors) or run directory.", label = "PATH", flags = {"--teacher", "--path-t", "--path_t"})
    public String teacher;
    @Setting(help = "The teacher network (`kr models`).", label = "NAME", defaultText = "the teacher checkpoint's kr.model")
    public String teacherModel;
    @Setting(help = "Method(s), '+'-joined: kd fitnets at sp rkd pkt dkd crd kr.", label = "M", flags = {"--method", "--distill"})
    public String method = "kd";
    /** null: 0.1 when KD is among the methods, else 1 (RepDistiller's -r). */
    @Setting(help = "Weight of the cross-entropy (RepDistiller's -r).", label = "W", min = 0, defaultText = "0.1 with kd, else 1", flags = {"--ce-weight", "-r"})
    public Double ceWeight;
    /** null: 0.9 when KD is among the methods, else 0 (RepDistiller's -a). */
    @Setting(help = "Weight of KD (RepDistiller's -a).", label = "W", min = 0, defaultText = "0.9 with kd, else 0", flags = {"--kd-weight", "-a"})
    public Double kdWeight;
    /** null: each feature method's own default weight (RepDistiller's -b). */
    @Setting(help = "Weight of the feature loss (RepDistiller's -b).", label = "W", min = 0, flags = {"--feat-weight", "-b"},
            defaultText = "per method: fitnets 100, at 1000, sp 3000, rkd 1, pkt 30000, crd 0.8, dkd 1")
    public Double featWeight;
    @Setting(help = "KD temperature.", label = "T", min = 0, minExclusive = true)
    public double kdT = 4;
    @Setting(help = "KR penalty weight beta.", label = "B", min = 0)
    public double krBeta = 5e-3;
    @Setting(help = "KR beta over training: constant or linear-decay.", label = "S", oneOf = {"constant", "linear-decay"})
    public String krSchedule = "constant";
    /** null: 0.5, unless kr_lambda chooses the mask. */
    @Setting(help = "KR mask: keep the top R fraction of |A| per layer.", label = "R", min = 0, minExclusive = true, max = 1, defaultText = "0.5")
    public Double krRho;
    /** null: top-rho mask; a number: keep |A| > kr_lambda instead. */
    @Setting(help = "KR mask: keep |A| > L instead of top-rho.", label = "L", min = 0, defaultText = "top-rho")
    public Double krLambda;
    @Setting(help = "KR aggregation of teacher filters: mean, max-magnitude or l2.", label = "P", oneOf = {"mean", "max-magnitude", "l2"})
    public String krFilterPool = "mean";
    @Setting(help = "KR aggregation of larger teacher kernels: sum or mean.", label = "P", oneOf = {"sum", "mean"})
    public String krSpatialPool = "sum";
    /** group: a student block aggregates its whole group of teacher blocks; first: only the group's first block (ablation). */
    @Setting(help = "KR: group (aggregate all teacher blocks of a student block) or first.", label = "B", oneOf = {"group", "first"})
    public String krBlocks = "group";
    @Setting(help = "KR: initialise the student's matched weights with the priors.")
    public boolean krInit = false;
    /** teacher: KR; the others are controls with the same pooling and mask but none of the teacher's knowledge (docs/method.md). */
    @Setting(help = "KR prior: teacher, or a control: untrained (a fresh teacher), shuffled (entries permuted), zero (masked weight decay).",
            label = "P", oneOf = {"teacher", "untrained", "shuffled", "zero"})
    public String krPrior = "teacher";
    /** Git Re-Basin weight matching of each group's blocks on their hidden channels before averaging; see {@link Alignment}. */
    @Setting(help = "KR: align the hidden channels of each group's teacher blocks to its first block before averaging.")
    public boolean krAlign = false;
    @Setting(help = "FitNets: index of the hinted feature.", label = "I", min = 0)
    public int hintLayer = 2;
    @Setting(help = "AT: power of the attention maps.", label = "P", min = 0, minExclusive = true)
    public double atP = 2;
    @Setting(help = "RKD: distance loss weight.", label = "W", min = 0)
    public double rkdWd = 25;
    @Setting(help = "RKD: angle loss weight.", label = "W", min = 0)
    public double rkdWa = 50;
    @Setting(help = "DKD: target-class weight.", label = "A", min = 0)
    public double dkdAlpha = 1;
    @Setting(help = "DKD: non-target-class weight.", label = "B", min = 0)
    public double dkdBeta = 8;
    @Setting(help = "DKD temperature.", label = "T", min = 0, minExclusive = true)
    public double dkdT = 4;
    /** null: 20 epochs (mdistiller's CIFAR setting), capped at a tenth of the run. */
    @Setting(help = "DKD: warm-up epochs.", label = "E", min = 0, defaultText = "min(20, epochs/10)")
    public Double dkdWarmup;
    @Setting(help = "CRD: embedding size.", label = "D", min = 1)
    public int crdDim = 128;
    @Setting(help = "CRD: negatives per sample.", label = "K", min = 1)
    public int crdK = 16384;
    @Setting(help = "CRD temperature.", label = "T", min = 0, minExclusive = true)
    public double crdT = 0.07;
    @Setting(help = "CRD: momentum of the memory banks.", label = "M", min = 0, max = 1)
    public double crdMomentum = 0.5;
    /** exact: RepDistiller's default (--mode exact), other-class negatives without replacement; uniform: any sample, with replacement. */
    @Setting(help = "CRD negatives: exact (other-class, without replacement, as RepDistiller) or uniform (any sample, with replacement).",
            label = "S", oneOf = {"exact", "uniform"})
    public String crdSampler = "exact";

    /** The binder of these settings (the distill section of an experiment file, and kr distill's flags). */
    public static final Binder<DistillConfig> BINDER = Binder.of(DistillConfig.class, DistillConfig::new, "distill");

    public static List<String> keys() {
        return BINDER.keys();
    }

    /** Parses a distill section; unknown keys and wrong types are {@link ConfigException}s naming the key. */
    public static DistillConfig from(Map<String, ?> m) {
        DistillConfig c = new DistillConfig();
        return m == null ? c : BINDER.apply(c, m);
    }

    /** Every setting, in a fixed order (nulls included). */
    public Map<String, Object> toMap() {
        return BINDER.toMap(this);
    }

    /** The methods of {@code method} ("kr+kd" -> [kr, kd]), checked. */
    public Set<String> methods() {
        Set<String> r = new LinkedHashSet<>();
        for (String p : method.toLowerCase(Locale.ROOT).split("\\+")) {
            String m = p.trim();
            if (!METHODS.contains(m))
                throw new ConfigException("[distill] unknown method '" + Json.printable(m) + "' in '" + Json.printable(method) + "'; known: " + String.join(", ", METHODS));
            if (!r.add(m)) throw new ConfigException("[distill] method '" + m + "' appears twice in '" + Json.printable(method) + "'");
        }
        return r;
    }

    /** The KR mask's top fraction: kr_rho, else 0.5 (unused when kr_lambda is set). */
    public double rho() {
        return krRho != null ? krRho : 0.5;
    }

    /**
     * This configuration with the defaults that depend on other settings written out (ce_weight,
     * kd_weight, and kr_rho unless kr_lambda chooses the mask), so a saved config.json says what ran.
     */
    public DistillConfig resolved() {
        DistillConfig c = from(toMap());
        c.ceWeight = ce();
        c.kdWeight = kd();
        if (krLambda == null) c.krRho = rho();
        return c;
    }

    public double ce() {
        return ceWeight != null ? ceWeight : methods().contains("kd") ? 0.1 : 1.0;
    }

    public double kd() {
        return kdWeight != null ? kdWeight : methods().contains("kd") ? 0.9 : 0.0;
    }

    /** The weight of feature (or DKD) method {@code m}. */
    public double weight(String m) {
        return featWeight != null ? featWeight : FEATURE_WEIGHT.get(m);
    }

    public double dkdWarmup(int epochs) {
        return dkdWarmup != null ? dkdWarmup : Math.min(20, Math.max(1, epochs / 10.0));
    }

    /** KR's options for a run of {@code totalEpochs} epochs with seed {@code runSeed} (the controls derive their seeds from it). */
    public KR.Options krOptions(double totalEpochs, long runSeed) {
        return new KR.Options(krBeta, KR.BetaSchedule.parse(krSchedule), rho(), krLambda == null ? Double.NaN : krLambda,
                Aggregation.FilterPool.parse(krFilterPool), Aggregation.SpatialPool.parse(krSpatialPool), krInit, totalEpochs,
                krBlocks.equals("first"), KR.PriorSource.parse(krPrior), krAlign, runSeed);
    }

    /** Checks names and ranges; throws naming the first bad setting. */
    public DistillConfig validate() {
        if (teacher == null || teacher.isBlank()) throw new ConfigException("[distill] no teacher given (--teacher FILE or run directory)");
        if (teacherModel == null || teacherModel.isBlank())
            throw new ConfigException("[distill] no teacher model given, and the teacher checkpoint does not name one (--teacher-model NAME)");
        methods();
        BINDER.validate(this);
        if (krRho != null && krLambda != null)
            throw new ConfigException("[distill] kr_rho (" + krRho + ") and kr_lambda (" + krLambda + ") both choose the KR mask: give one (top-rho fraction, or |A| > lambda)");
        if (krInit && krPrior.equals("zero")) throw new ConfigException("[distill] kr_init with kr_prior zero would set the student's matched weights to zero");
        if (krAlign && krBlocks.equals("first")) throw new ConfigException("[distill] kr_align has nothing to align with kr_blocks first (one teacher block per prior)");
        return this;
    }

    static List<String> list(Set<String> s) {
        return new ArrayList<>(s);
    }
}
