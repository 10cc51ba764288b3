package kr.distill;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.data.Batch;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.F;
import kr.nn.Module;
import kr.train.Objective;
import kr.train.StepContext;

/**
 * The distillation objective: {@code ce_weight * CE(student) + kd_weight * KD + sum_m w_m * L_m}
 * over the configured feature methods, with the frozen teacher evaluated under no-grad in eval
 * mode. KR is not a loss term: its penalty acts on the gradients ({@link KRHook}).
 */
final class DistillObjective implements Objective {
    private final Classifier teacher;
    private final double ce, kd, kdT, labelSmoothing;
    private final Map<String, Distiller> methods;
    private final Map<String, Double> weights;
    private final Module holder;
    private final boolean features;

    /** Trainable parts of the methods, saved with the run under "objective.<method>.". */
    static final class Holder extends Module {
        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("[distill] the objective holder is not a layer");
        }
    }

    DistillObjective(Classifier teacher, double ce, double kd, double kdT, double labelSmoothing, Map<String, Distiller> methods,
            Map<String, Double> weights) {
        this.teacher = teacher;
        this.ce = ce;
        this.kd = kd;
        this.kdT = kdT;
        this.labelSmoothing = labelSmoothing;
        this.methods = methods;
        this.weights = weights;
        Holder h = new Holder();
        methods.forEach((name, d) -> {
            if (!d.stateDict().isEmpty()) h.register(name, d);
        });
        this.holder = h.stateDict().isEmpty() ? null : h;
        boolean f = false;
        for (String m : methods.keySet()) f |= !m.equals("dkd");
        this.features = f;
    }

    @Override
    public Result compute(Classifier model, Batch batch, StepContext ctx) {
        Tensor x = batch.images();
        Classifier.Output s = features ? model.forwardFeatures(x, false) : new Classifier.Output(List.of(), model.forward(x));
        Classifier.Output t = null;
        if (kd > 0 || !methods.isEmpty()) { // KR alone (and its controls) never reads the teacher's outputs: skip its forward pass
            try (var ng = Grad.noGrad()) {
                t = features ? teacher.forwardFeatures(x, false) : new Classifier.Output(List.of(), teacher.forward(x));
            }
        }
        Map<String, Double> logs = new LinkedHashMap<>();
        Tensor ceLoss = F.crossEntropy(s.logits(), batch.labels(), labelSmoothing);
        logs.put("ce", ceLoss.item());
        Tensor loss = ceLoss.mul(ce);
        if (kd > 0) {
            Tensor k = KD.loss(s.logits(), t.logits(), kdT);
            logs.put("kd", k.item());
            loss = loss.add(k.mul(kd));
        }
        for (var e : methods.entrySet()) {
            Distiller d = e.getValue();
            d.setEpoch(ctx.fractionalEpoch());
            Tensor l = d.loss(s, t, batch);
            logs.put(e.getKey(), l.item());
            loss = loss.add(l.mul(weights.get(e.getKey())));
        }
        return new Result(loss, s.logits(), logs);
    }

    @Override
    public Module module() {
        return holder;
    }
}
