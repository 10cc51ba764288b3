package kr.distill;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.nn.Module;

/**
 * Knowledge Representing (Liu, Wen, Gao et al., arXiv 1911.05329): the teacher's parameters,
 * aggregated to the student's layer shapes ({@link Aggregation}, {@link LayerMatch}), form a fixed
 * prior A per student layer; after each backward pass the student's gradient is penalised by the
 * sparse recoding term {@code beta * M * (W - A)} ({@link SparseRecoding}), M keeping the top-rho
 * (or above-lambda) entries of |A|.
 *
 * <pre>{@code
 * KR kr = KR.build(student, teacher, KR.Options.defaults());
 * loss.backward(); double penalty = kr.penalize(epoch); optimizer.step();
 * }</pre>
 */
public final class KR {
    /** How beta changes over training. */
    public enum BetaSchedule {
        CONSTANT, LINEAR_DECAY;

        public static BetaSchedule parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /**
     * @param beta penalty weight; @param rho fraction of prior entries kept (top by magnitude);
     * @param lambda when not NaN, keep |A| > lambda instead of top-rho; @param init copy A into the
     * student before training; @param totalEpochs length of the run (for LINEAR_DECAY); @param firstBlockOnly
     * ablation: a student block takes only the first teacher block of its group instead of aggregating all
     */
    public record Options(double beta, BetaSchedule schedule, double rho, double lambda, Aggregation.FilterPool filterPool,
            Aggregation.SpatialPool spatialPool, boolean init, double totalEpochs, boolean firstBlockOnly) {
        public static Options defaults() {
            return new Options(5e-3, BetaSchedule.CONSTANT, 0.5, Double.NaN, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM, false, 1,
                    false);
        }
    }

    /** A student parameter with its fixed prior and mask threshold. */
    public record Prior(String name, Tensor param, Tensor prior, double threshold) {}

    private final Options options;
    private final List<Prior> priors;
    private final LayerMatch.Result match;

    private KR(Options options, List<Prior> priors, LayerMatch.Result match) {
        this.options = options;
        this.priors = priors;
        this.match = match;
    }

    /** Matches layers, aggregates the (frozen) teacher's weights into priors, computes the masks' thresholds. */
    public static KR build(Module student, Module teacher, Options o) {
        Map<String, Tensor> sp = student.namedParameters(), tp = teacher.namedParameters();
        LayerMatch.Result m = LayerMatch.match(sp, tp, o.firstBlockOnly());
        List<Prior> priors = new ArrayList<>();
        try (var ng = Grad.noGrad()) {
            for (LayerMatch.Pair p : m.pairs()) {
                Tensor w = sp.get(p.student());
                Tensor acc = null;
                for (String tn : p.teachers()) {
                    Tensor a = Aggregation.pool(tp.get(tn).to(kr.engine.Device.CPU), p.studentShape(), o.filterPool(), o.spatialPool());
                    acc = acc == null ? a : acc.add(a);
                }
                Tensor prior = acc.div(p.teachers().size()).to(w.dtype()).to(w.device());
                double thr = Double.isNaN(o.lambda()) ? SparseRecoding.topRhoThreshold(prior, o.rho()) : SparseRecoding.softThreshold(o.lambda());
                priors.add(new Prior(p.student(), w, prior, thr));
            }
        }
        if (priors.isEmpty())
            throw new IllegalArgumentException("[kr] no student layer could be matched to the teacher:\n" + m.report());
        KR kr = new KR(o, priors, m);
        if (o.init()) kr.initStudent();
        return kr;
    }

    public LayerMatch.Result match() {
        return match;
    }

    public List<Prior> priors() {
        return List.copyOf(priors);
    }

    /** Copies each prior into its student weight (the --kr-init option). */
    public void initStudent() {
        try (var ng = Grad.noGrad()) {
            for (Prior p : priors) Backends.of(p.param().device()).copyInto(p.param(), p.prior());
        }
    }

    public double beta(double epoch) {
        return options.schedule() == BetaSchedule.CONSTANT ? options.beta()
                : options.beta() * Math.max(0, 1 - epoch / Math.max(options.totalEpochs(), 1e-9));
    }

    /**
     * Adds {@code beta * M * (W - A)} to every matched parameter's gradient, in place, and returns the
     * penalty value {@code beta/2 * sum ||M (W - A)||^2}. Call between backward() and the optimizer step.
     */
    public double penalize(double epoch) {
        double beta = beta(epoch), sum = 0;
        if (beta == 0) return 0;
        try (var ng = Grad.noGrad()) {
            for (Prior p : priors) {
                Tensor g = p.param().grad();
                if (g == null) continue;
                sum += kr.engine.backend.KrKernels.of(g.device()).sparseRecoding(g, p.param(), p.prior(), p.threshold(), beta);
            }
        }
        return beta / 2 * sum;
    }
}
