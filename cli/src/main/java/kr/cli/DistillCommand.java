package kr.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.distill.DistillConfig;
import kr.distill.DistillSetup;
import kr.engine.Device;
import kr.models.Classifier;
import kr.train.RunData;
import kr.train.TrainConfig;
import kr.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code kr distill}: {@code kr train} with a frozen teacher and a distillation method. Every option
 * of {@code kr train} applies; the distillation settings form the {@code distill} section of the
 * experiment file ({@code --kr-beta} is {@code distill.kr_beta}).
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = DistillCommand.Defaults.class,
        description = {"Train a student with knowledge distillation from a trained teacher.",
            "Methods: kd, fitnets, at, sp, rkd, pkt, dkd, crd and kr (Knowledge Representing), combined with '+', e.g. kr+kd.",
            "Loss = ce-weight * CE + kd-weight * KD + feat-weight * feature loss (RepDistiller's -r, -a, -b and defaults);",
            "kr adds beta * M * (W - A) to the student's weight gradients (A: teacher weights aggregated to the student's shapes).", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr distill --teacher runs/resnet56 --teacher-model resnet56 --student resnet20 --method kd --data data/cifar10 --out runs/r20-kd",
            "  kr distill --teacher runs/resnet56 --teacher-model resnet56 --student resnet20 --method kr+kd --kr-beta 0.005 --kr-rho 0.5 --data data/cifar10",
            "  kr distill --teacher t.safetensors --teacher-model resnet32x4 --student resnet8x4 --method at --data data/cifar100",
            "  kr distill --resume --out runs/r20-kd",
            "",
            "The teacher is a weights file or a run directory (its last checkpoint is used). See docs/method.md for every formula."})
final class DistillCommand extends TrainCommand {
    @Option(names = "--student", paramLabel = "NAME", description = "The student network (same as --model).")
    String student;

    @Option(names = "--teacher", paramLabel = "PATH", description = "Teacher weights (.safetensors) or run directory.")
    String teacher;

    @Option(names = "--teacher-model", paramLabel = "NAME", description = "The teacher network (`kr models`).")
    String teacherModel;

    @Option(names = "--method", paramLabel = "M", description = "Method(s), '+'-joined: kd fitnets at sp rkd pkt dkd crd kr (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--ce-weight", paramLabel = "W", description = "Weight of the cross-entropy (default: 0.1 with kd, else 1).")
    Double ceWeight;

    @Option(names = "--kd-weight", paramLabel = "W", description = "Weight of KD (default: 0.9 with kd, else 0).")
    Double kdWeight;

    @Option(names = "--feat-weight", paramLabel = "W", description = "Weight of the feature loss (default: per method: fitnets 100, at 1000, sp 3000, rkd 1, pkt 30000, crd 0.8, dkd 1).")
    Double featWeight;

    @Option(names = "--kd-t", paramLabel = "T", description = "KD temperature (default: ${DEFAULT-VALUE}).")
    Double kdT;

    @Option(names = "--kr-beta", paramLabel = "B", description = "KR penalty weight beta (default: ${DEFAULT-VALUE}).")
    Double krBeta;

    @Option(names = "--kr-schedule", paramLabel = "S", description = "KR beta over training: constant or linear-decay (default: ${DEFAULT-VALUE}).")
    String krSchedule;

    @Option(names = "--kr-rho", paramLabel = "R", description = "KR mask: keep the top R fraction of |A| per layer (default: ${DEFAULT-VALUE}).")
    Double krRho;

    @Option(names = "--kr-lambda", paramLabel = "L", description = "KR mask: keep |A| > L instead of top-rho.")
    Double krLambda;

    @Option(names = "--kr-filter-pool", paramLabel = "P", description = "KR aggregation of teacher filters: mean, max-magnitude or l2 (default: ${DEFAULT-VALUE}).")
    String krFilterPool;

    @Option(names = "--kr-spatial-pool", paramLabel = "P", description = "KR aggregation of larger teacher kernels: sum or mean (default: ${DEFAULT-VALUE}).")
    String krSpatialPool;

    @Option(names = "--kr-blocks", paramLabel = "B", description = "KR: group (aggregate all teacher blocks of a student block) or first (default: ${DEFAULT-VALUE}).")
    String krBlocks;

    @Option(names = "--kr-init", negatable = true, description = "KR: initialise the student's matched weights with the priors (default: ${DEFAULT-VALUE}).")
    Boolean krInit;

    @Option(names = "--hint-layer", paramLabel = "I", description = "FitNets: index of the hinted feature (default: ${DEFAULT-VALUE}).")
    Integer hintLayer;

    @Option(names = "--at-p", paramLabel = "P", description = "AT: power of the attention maps (default: ${DEFAULT-VALUE}).")
    Double atP;

    @Option(names = "--dkd-alpha", paramLabel = "A", description = "DKD: target-class weight (default: ${DEFAULT-VALUE}).")
    Double dkdAlpha;

    @Option(names = "--dkd-beta", paramLabel = "B", description = "DKD: non-target-class weight (default: ${DEFAULT-VALUE}).")
    Double dkdBeta;

    @Option(names = "--dkd-warmup", paramLabel = "E", description = "DKD: warm-up epochs (default: min(20, epochs/10)).")
    Double dkdWarmup;

    @Option(names = "--crd-k", paramLabel = "K", description = "CRD: negatives per sample (default: ${DEFAULT-VALUE}).")
    Integer crdK;

    @Override
    protected void configure(TrainConfig cfg) {
        if (student != null) cfg.model = student;
        Map<String, Object> d = cfg.distill == null ? new LinkedHashMap<>() : new LinkedHashMap<>(cfg.distill);
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            String k = distillKey(o);
            if (k == null) continue;
            Object v = o.getValue();
            d.put(k, v instanceof Integer i ? (Object) (long) i : v);
        }
        cfg.distill = DistillConfig.from(d).validate().toMap(); // complete, so config.json documents every constant
    }

    @Override
    protected void setup(TrainConfig cfg, Classifier net, RunData data, Trainer trainer) {
        DistillConfig dc = DistillConfig.from(cfg.distill);
        Classifier teacher = Zoo.create(dc.teacherModel, net.numClasses());
        DistillSetup.loadTeacher(teacher, dc.teacher, data, Device.parse(cfg.device), main.out);
        DistillSetup ds = DistillSetup.build(cfg, dc, net, teacher, data, main.out);
        trainer.objective(ds.objective());
        if (ds.hook() != null) trainer.addHook(ds.hook());
    }

    static String distillKey(OptionSpec o) {
        String k = o.longestName().replaceFirst("^--", "").replace('-', '_');
        return DistillConfig.keys().contains(k) ? k : null;
    }

    /** Defaults of both the training and the distillation settings, each from its one definition. */
    static final class Defaults implements IDefaultValueProvider {
        private static final Map<String, Object> DISTILL = new DistillConfig().toMap();
        private final TrainCommand.Defaults train = new TrainCommand.Defaults();

        @Override
        public String defaultValue(ArgSpec a) throws Exception {
            if (a instanceof OptionSpec o && distillKey(o) != null) {
                Object v = DISTILL.get(distillKey(o));
                return v == null ? null : v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(v);
            }
            return train.defaultValue(a);
        }
    }
}
