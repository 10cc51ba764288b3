package kr.distill;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import kr.io.Json;
import kr.train.ConfigException;

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

    public String teacher;
    public String teacherModel;
    public String method = "kd";
    /** null: 0.1 when KD is among the methods, else 1 (RepDistiller's -r). */
    public Double ceWeight;
    /** null: 0.9 when KD is among the methods, else 0 (RepDistiller's -a). */
    public Double kdWeight;
    /** null: each feature method's own default weight (RepDistiller's -b). */
    public Double featWeight;
    public double kdT = 4;
    public double krBeta = 5e-3;
    public String krSchedule = "constant";
    public double krRho = 0.5;
    /** null: top-rho mask; a number: keep |A| > kr_lambda instead. */
    public Double krLambda;
    public String krFilterPool = "mean";
    public String krSpatialPool = "sum";
    /** group: a student block aggregates its whole group of teacher blocks; first: only the group's first block (ablation). */
    public String krBlocks = "group";
    public boolean krInit = false;
    public int hintLayer = 2;
    public double atP = 2;
    public double rkdWd = 25, rkdWa = 50;
    public double dkdAlpha = 1, dkdBeta = 8, dkdT = 4;
    /** null: 20 epochs (mdistiller's CIFAR setting), capped at a tenth of the run. */
    public Double dkdWarmup;
    public int crdDim = 128, crdK = 16384;
    public double crdT = 0.07, crdMomentum = 0.5;

    private static final List<String> KEYS = List.of("teacher", "teacher_model", "method", "ce_weight", "kd_weight", "feat_weight", "kd_t", "kr_beta",
            "kr_schedule", "kr_rho", "kr_lambda", "kr_filter_pool", "kr_spatial_pool", "kr_blocks", "kr_init", "hint_layer", "at_p", "rkd_wd",
            "rkd_wa", "dkd_alpha", "dkd_beta", "dkd_t", "dkd_warmup", "crd_dim", "crd_k", "crd_t", "crd_momentum");

    public static List<String> keys() {
        return KEYS;
    }

    /** Parses a distill section; unknown keys and wrong types are {@link ConfigException}s naming the key. */
    public static DistillConfig from(Map<String, ?> m) {
        DistillConfig c = new DistillConfig();
        if (m == null) return c;
        for (var e : m.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            switch (k) {
                case "teacher" -> c.teacher = str(k, v);
                case "teacher_model" -> c.teacherModel = str(k, v);
                case "method" -> c.method = str(k, v);
                case "ce_weight" -> c.ceWeight = v == null ? null : num(k, v);
                case "kd_weight" -> c.kdWeight = v == null ? null : num(k, v);
                case "feat_weight" -> c.featWeight = v == null ? null : num(k, v);
                case "kd_t" -> c.kdT = num(k, v);
                case "kr_beta" -> c.krBeta = num(k, v);
                case "kr_schedule" -> c.krSchedule = str(k, v);
                case "kr_rho" -> c.krRho = num(k, v);
                case "kr_lambda" -> c.krLambda = v == null ? null : num(k, v);
                case "kr_filter_pool" -> c.krFilterPool = str(k, v);
                case "kr_spatial_pool" -> c.krSpatialPool = str(k, v);
                case "kr_blocks" -> c.krBlocks = str(k, v);
                case "kr_init" -> c.krInit = bool(k, v);
                case "hint_layer" -> c.hintLayer = (int) num(k, v);
                case "at_p" -> c.atP = num(k, v);
                case "rkd_wd" -> c.rkdWd = num(k, v);
                case "rkd_wa" -> c.rkdWa = num(k, v);
                case "dkd_alpha" -> c.dkdAlpha = num(k, v);
                case "dkd_beta" -> c.dkdBeta = num(k, v);
                case "dkd_t" -> c.dkdT = num(k, v);
                case "dkd_warmup" -> c.dkdWarmup = v == null ? null : num(k, v);
                case "crd_dim" -> c.crdDim = (int) num(k, v);
                case "crd_k" -> c.crdK = (int) num(k, v);
                case "crd_t" -> c.crdT = num(k, v);
                case "crd_momentum" -> c.crdMomentum = num(k, v);
                default -> throw new ConfigException("[distill] unknown key '" + k + "'; known keys: " + String.join(", ", KEYS));
            }
        }
        return c;
    }

    /** Every setting, in a fixed order (nulls included). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("teacher", teacher);
        m.put("teacher_model", teacherModel);
        m.put("method", method);
        m.put("ce_weight", ceWeight);
        m.put("kd_weight", kdWeight);
        m.put("feat_weight", featWeight);
        m.put("kd_t", kdT);
        m.put("kr_beta", krBeta);
        m.put("kr_schedule", krSchedule);
        m.put("kr_rho", krRho);
        m.put("kr_lambda", krLambda);
        m.put("kr_filter_pool", krFilterPool);
        m.put("kr_spatial_pool", krSpatialPool);
        m.put("kr_blocks", krBlocks);
        m.put("kr_init", krInit);
        m.put("hint_layer", (long) hintLayer);
        m.put("at_p", atP);
        m.put("rkd_wd", rkdWd);
        m.put("rkd_wa", rkdWa);
        m.put("dkd_alpha", dkdAlpha);
        m.put("dkd_beta", dkdBeta);
        m.put("dkd_t", dkdT);
        m.put("dkd_warmup", dkdWarmup);
        m.put("crd_dim", (long) crdDim);
        m.put("crd_k", (long) crdK);
        m.put("crd_t", crdT);
        m.put("crd_momentum", crdMomentum);
        return m;
    }

    /** The methods of {@code method} ("kr+kd" -> [kr, kd]), checked. */
    public Set<String> methods() {
        Set<String> r = new LinkedHashSet<>();
        for (String p : method.toLowerCase(Locale.ROOT).split("\\+")) {
            String m = p.trim();
            if (!METHODS.contains(m)) throw new ConfigException("[distill] unknown method '" + m + "' in '" + method + "'; known: " + String.join(", ", METHODS));
            if (!r.add(m)) throw new ConfigException("[distill] method '" + m + "' appears twice in '" + method + "'");
        }
        return r;
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

    public KR.Options krOptions(double totalEpochs) {
        return new KR.Options(krBeta, KR.BetaSchedule.parse(krSchedule), krRho, krLambda == null ? Double.NaN : krLambda,
                Aggregation.FilterPool.parse(krFilterPool), Aggregation.SpatialPool.parse(krSpatialPool), krInit, totalEpochs,
                krBlocks.equals("first"));
    }

    /** Checks names and ranges; throws naming the first bad setting. */
    public DistillConfig validate() {
        if (teacher == null || teacher.isBlank()) throw new ConfigException("[distill] no teacher given (--teacher FILE or run directory)");
        if (teacherModel == null || teacherModel.isBlank()) throw new ConfigException("[distill] no teacher model given (--teacher-model NAME)");
        Set<String> ms = methods();
        if (!(kdT > 0)) throw new ConfigException("[distill] kd_t must be > 0, got " + kdT);
        if (!(krBeta >= 0)) throw new ConfigException("[distill] kr_beta must be >= 0, got " + krBeta);
        if (!(krRho > 0 && krRho <= 1)) throw new ConfigException("[distill] kr_rho must be in (0, 1], got " + krRho);
        if (krLambda != null && !(krLambda >= 0)) throw new ConfigException("[distill] kr_lambda must be >= 0, got " + krLambda);
        try {
            KR.BetaSchedule.parse(krSchedule);
            Aggregation.FilterPool.parse(krFilterPool);
            Aggregation.SpatialPool.parse(krSpatialPool);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("[distill] invalid KR option: kr_schedule=" + krSchedule + " (constant, linear-decay), kr_filter_pool=" + krFilterPool
                    + " (mean, max-magnitude, l2), kr_spatial_pool=" + krSpatialPool + " (sum, mean)");
        }
        if (!List.of("group", "first").contains(krBlocks)) throw new ConfigException("[distill] kr_blocks must be group or first, got '" + krBlocks + "'");
        if (ms.contains("crd") && (crdK < 1 || crdDim < 1)) throw new ConfigException("[distill] crd_k and crd_dim must be positive");
        return this;
    }

    private static String str(String k, Object v) {
        if (v == null) return null;
        if (!(v instanceof String s)) throw new ConfigException("[distill] " + k + " must be a string, got " + Json.write(v));
        return s;
    }

    private static double num(String k, Object v) {
        if (!(v instanceof Number n)) throw new ConfigException("[distill] " + k + " must be a number, got " + Json.write(v));
        return n.doubleValue();
    }

    private static boolean bool(String k, Object v) {
        if (!(v instanceof Boolean b)) throw new ConfigException("[distill] " + k + " must be true or false, got " + Json.write(v));
        return b;
    }

    static List<String> list(Set<String> s) {
        return new ArrayList<>(s);
    }
}
