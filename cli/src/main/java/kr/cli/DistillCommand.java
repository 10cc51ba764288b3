package kr.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import kr.distill.DistillConfig;
import kr.distill.DistillSetup;
import kr.engine.Device;
import kr.models.Classifier;
import kr.train.RunData;
import kr.train.TrainConfig;
import kr.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code kr distill}: {@code kr train} with a frozen teacher and a distillation method. Every option
 * of {@code kr train} applies; the distillation settings form the {@code distill} section of the
 * experiment file ({@code --kr-beta} is {@code distill.kr_beta}).
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false, modelTransformer = DistillCommand.Settings.class,
        description = {"Train a student with knowledge distillation from a trained teacher.",
            "Methods: kd, fitnets, at, sp, rkd, pkt, dkd, crd and kr (Knowledge Representing), combined with '+', e.g. kr+kd.",
            "Loss = ce-weight * CE + kd-weight * KD + feat-weight * feature loss (RepDistiller's -r, -a, -b and defaults);",
            "kr adds beta * M * (W - A) to the student's weight gradients (A: teacher weights aggregated to the student's shapes).", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr distill --teacher runs/resnet56 --student resnet20 --method kd --data data/cifar10 \\",
            "      --out runs/r20-kd",
            "  kr distill --teacher runs/resnet56 --student resnet20 --method kr+kd --kr-beta 0.005 \\",
            "      --kr-rho 0.5 --data data/cifar10",
            "  # RepDistiller's flags work too:",
            "  kr distill --path_t t.safetensors --model_s resnet8x4 --distill kd -r 0.1 -a 0.9 \\",
            "      --data data/cifar100",
            "  kr distill --resume --out runs/r20-kd",
            "",
            "The teacher is a weights file or a run directory (its best weights, else its last). Its model is",
            "the one its checkpoint names (kr.model) unless --teacher-model says. docs/method.md has every formula.",
            "The distill section of an experiment file holds the distillation settings above, by key (kr_beta)."})
final class DistillCommand extends TrainCommand {
    @Option(names = {"--student", "--model-s", "--model_s"}, paramLabel = "NAME", description = "The student network (same as --model).")
    String student;

    /** The training settings' options, then one per distillation setting ({@link DistillConfig#BINDER}). */
    static final class Settings extends TrainCommand.Settings {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            super.transform(spec);
            SettingOptions.add(spec, DistillConfig.BINDER);
            return spec;
        }
    }

    @Override
    protected void configure(TrainConfig cfg) {
        if (student != null) cfg.model = student;
        Map<String, Object> d = cfg.distill == null ? new LinkedHashMap<>() : new LinkedHashMap<>(cfg.distill);
        d.putAll(SettingOptions.given(spec.commandLine().getParseResult(), DistillConfig.BINDER));
        if (d.get("teacher_model") == null && d.get("teacher") instanceof String t) d.put("teacher_model", teacherModelOf(t));
        cfg.distill = DistillConfig.from(d).validate().resolved().toMap(); // complete, so config.json documents every constant as used
    }

    /** The model a teacher checkpoint names in its metadata ({@code kr.model}), or null (then --teacher-model is required). */
    static String teacherModelOf(String teacher) {
        java.nio.file.Path p = java.nio.file.Path.of(teacher);
        if (!java.nio.file.Files.exists(p)) return null; // reported with the teacher itself
        return kr.train.Checkpoints.read(kr.train.Checkpoints.resolveWeights(p)).metadata().get("kr.model");
    }

    @Override
    protected void setup(TrainConfig cfg, Classifier net, RunData data, Trainer trainer) {
        DistillConfig dc = DistillConfig.from(cfg.distill);
        Classifier teacher = Zoo.create(dc.teacherModel, net.numClasses());
        DistillSetup.loadTeacher(teacher, dc.teacher, data, Device.parse(cfg.device), main.out);
        DistillSetup ds = DistillSetup.build(cfg, dc, net, teacher, data, main.out, Zoo::create);
        trainer.objective(ds.objective());
        if (ds.hook() != null) trainer.addHook(ds.hook());
    }
}
