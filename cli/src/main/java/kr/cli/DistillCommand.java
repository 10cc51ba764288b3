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
        footer = {"  kr distill --teacher runs/resnet56 --teacher-model resnet56 --student resnet20 --method kd --data data/cifar10 --out runs/r20-kd",
            "  kr distill --teacher runs/resnet56 --teacher-model resnet56 --student resnet20 --method kr+kd --kr-beta 0.005 --kr-rho 0.5 --data data/cifar10",
            "  kr distill --teacher t.safetensors --teacher-model resnet32x4 --student resnet8x4 --method at --data data/cifar100",
            "  kr distill --resume --out runs/r20-kd",
            "",
            "The teacher is a weights file or a run directory (its last checkpoint is used). See docs/method.md for every formula."})
final class DistillCommand extends TrainCommand {
    @Option(names = "--student", paramLabel = "NAME", description = "The student network (same as --model).")
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
        cfg.distill = DistillConfig.from(d).validate().toMap(); // complete, so config.json documents every constant
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
