package kr.distill;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import kr.engine.Device;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.nn.Module;

/**
 * Knowledge Representing (Liu, Wen, Gao et al., arXiv 1911.05329): the teacher's parameters,
 * aggregated to the student's layer shapes ({@link Aggregation}, {@link LayerMatch}), form a fixed
 * prior A per student layer; after each backward pass the student's gradient is penalised by the
 * sparse recoding term {@code beta * M * (W - A)} ({@link SparseRecoding}), M keeping the top-rho
 * (or above-lambda) entries of |A|. Controls ({@link PriorSource}) replace the teacher's prior by an
 * untrained teacher's, a shuffled or a zero one; {@code align} matches the hidden channels of the
 * blocks a prior averages first ({@link Alignment}).
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

    /** Where the priors come from: the teacher (the method), or a control that keeps the pooling and the mask but not the teacher's knowledge. */
    public enum PriorSource {
        /** The trained teacher's pooled weights (KR itself). */
        TEACHER,
        /** The same pooling of a freshly initialised, never trained teacher of the same architecture (seeded from the run seed). */
        UNTRAINED,
        /** The teacher's pooled prior with its entries randomly permuted within each tensor (same values, no structure; seeded). */
        SHUFFLED,
        /** Zeros under the teacher prior's mask: the penalty becomes a masked extra weight decay. */
        ZERO;

        public static PriorSource parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /**
     * @param beta penalty weight; @param rho fraction of prior entries kept (top by magnitude);
     * @param lambda when not NaN, keep |A| > lambda instead of top-rho; @param init copy A into the
     * student before training; @param totalEpochs length of the run (for LINEAR_DECAY); @param firstBlockOnly
     * ablation: a student block takes only the first teacher block of its group instead of aggregating all;
     * @param prior the prior's source (a control other than TEACHER); @param align permute each teacher
     * block's hidden channels to its group's first block before averaging ({@link Alignment}); @param seed
     * the run seed, from which the UNTRAINED teacher's and the SHUFFLED permutation's seeds derive
     */
    public record Options(double beta, BetaSchedule schedule, double rho, double lambda, Aggregation.FilterPool filterPool,
            Aggregation.SpatialPool spatialPool, boolean init, double totalEpochs, boolean firstBlockOnly, PriorSource prior, boolean align, long seed) {
        public static Options defaults() {
            return new Options(5e-3, BetaSchedule.CONSTANT, 0.5, Double.NaN, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM, false, 1,
                    false, PriorSource.TEACHER, false, 0);
        }

        public Options withPrior(PriorSource p, boolean alignBlocks, long runSeed) {
            return new Options(beta, schedule, rho, lambda, filterPool, spatialPool, init, totalEpochs, firstBlockOnly, p, alignBlocks, runSeed);
        }
    }

    /**
     * A student parameter with its fixed prior and mask threshold; {@code mask} is null (M = |A| >= threshold,
     * the fused kernel) except for the ZERO control, whose 0/1 mask is the teacher prior's.
     */
    public record Prior(String name, Tensor param, Tensor prior, double threshold, Tensor mask) {}

    /** Salts of the seeds the controls derive from the run seed (ASCII "untraine", "shuffled"). */
    static final long UNTRAINED_SALT = 0x756E747261696E65L, SHUFFLED_SALT = 0x73687566666C6564L;

    private final Options options;
    private final List<Prior> priors;
    private final LayerMatch.Result match;
    private final Map<String, Object> alignment;

    private KR(Options options, List<Prior> priors, LayerMatch.Result match, Map<String, Object> alignment) {
        this.options = options;
        this.priors = priors;
        this.match = match;
        this.alignment = alignment;
    }

    /** The seed a control draws from: the first draw of a generator seeded by the run seed XOR the control's salt. */
    public static long derivedSeed(long runSeed, long salt) {
        return new Rng(runSeed ^ salt).nextLong();
    }

    /** Matches layers, aggregates the (frozen) teacher's weights into priors, computes the masks' thresholds. */
    public static KR build(Module student, Module teacher, Options o) {
        return build(student, teacher, o, null);
    }

    /**
     * As {@link #build(Module, Module, Options)}; {@code untrained} builds a fresh teacher of the same
     * architecture from a seed (only used, and then required, for {@link PriorSource#UNTRAINED}).
     */
    public static KR build(Module student, Module teacher, Options o, LongFunction<? extends Module> untrained) {
        Map<String, Tensor> sp = student.namedParameters();
        Module source = teacher;
        if (o.prior() == PriorSource.UNTRAINED) {
            if (untrained == null) throw new IllegalArgumentException("[kr] the untrained prior needs a way to build a fresh teacher (none given)");
            source = untrained.apply(derivedSeed(o.seed(), UNTRAINED_SALT));
        }
        Map<String, Tensor> ts = new LinkedHashMap<>();
        source.stateDict().forEach((k, v) -> ts.put(k, v.detach().to(Device.CPU)));
        Map<String, Object> report = null;
        Map<String, Tensor> pooledFrom = ts;
        LayerMatch.Result m;
        if (o.align() && !o.firstBlockOnly()) {
            Alignment.Aligned a = Alignment.alignGroups(ts, LayerMatch.groups(sp.keySet(), LayerMatch.layers(ts).keySet(), false));
            m = LayerMatch.match(sp, a.state(), false, true);
            report = alignmentReport(sp, ts, LayerMatch.match(sp, ts, false), a, m, o);
            pooledFrom = a.state();
        } else m = LayerMatch.match(sp, ts, o.firstBlockOnly());
        List<Prior> priors = new ArrayList<>();
        Rng shuffle = new Rng(derivedSeed(o.seed(), SHUFFLED_SALT));
        try (var ng = Grad.noGrad()) {
            for (LayerMatch.Pair p : m.pairs()) {
                Tensor w = sp.get(p.student());
                Tensor prior = pooledMean(pooledFrom, p, o).to(w.dtype());
                double thr = threshold(prior, o);
                Tensor mask = null;
                switch (o.prior()) {
                    case SHUFFLED -> prior = shuffled(prior, shuffle);
                    case ZERO -> {
                        mask = SparseRecoding.mask(prior, thr).to(w.device());
                        prior = Tensor.zerosLike(prior);
                    }
                    case TEACHER, UNTRAINED -> { }
                }
                priors.add(new Prior(p.student(), w, prior.to(w.device()), thr, mask));
            }
        }
        if (priors.isEmpty())
            throw new IllegalArgumentException("[kr] no student layer could be matched to the teacher:\n" + m.report());
        KR kr = new KR(o, priors, m, report);
        if (o.init()) kr.initStudent();
        return kr;
    }

    /** The mask threshold of a prior: top-rho of |A|, or lambda. */
    private static double threshold(Tensor prior, Options o) {
        return Double.isNaN(o.lambda()) ? SparseRecoding.topRhoThreshold(prior, o.rho()) : SparseRecoding.softThreshold(o.lambda());
    }

    /** The mean over the pair's teacher layers of their weights pooled to the student's shape. */
    private static Tensor pooledMean(Map<String, Tensor> teacher, LayerMatch.Pair p, Options o) {
        Tensor acc = null;
        for (String tn : p.teachers()) {
            Tensor a = Aggregation.pool(teacher.get(tn), p.studentShape(), o.filterPool(), o.spatialPool());
            acc = acc == null ? a : acc.add(a);
        }
        return acc.div(p.teachers().size());
    }

    /** {@code t}'s entries in a random order (Fisher-Yates), same shape and dtype. */
    static Tensor shuffled(Tensor t, Rng rng) {
        double[] v = t.toDoubleArray();
        for (int i = v.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            double x = v[i];
            v[i] = v[j];
            v[j] = x;
        }
        return Tensor.of(v, t.shape()).to(t.dtype());
    }

    /** Cosine of two tensors of the same shape, in double. */
    static double cosine(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double d = 0, nx = 0, ny = 0;
        for (int i = 0; i < x.length; i++) {
            d += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }
        return nx == 0 || ny == 0 ? 0 : d / Math.sqrt(nx * ny);
    }

    /**
     * Per student layer whose prior averages several teacher layers: the pairwise cosines of the pooled
     * teacher weights and |mean| / mean |.|, before (today's group, unaligned) and after alignment (the
     * aligned group, same-shape layers only); per aligned block: the matched inner product and cosine.
     */
    private static Map<String, Object> alignmentReport(Map<String, Tensor> sp, Map<String, Tensor> raw, LayerMatch.Result before,
            Alignment.Aligned a, LayerMatch.Result after, Options o) {
        List<Object> layers = new ArrayList<>();
        for (LayerMatch.Pair pb : before.pairs()) {
            LayerMatch.Pair pa = null;
            for (LayerMatch.Pair x : after.pairs()) if (x.student().equals(pb.student())) pa = x;
            if (pb.teachers().size() < 2 && (pa == null || pa.teachers().size() < 2)) continue;
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("student", pb.student());
            l.put("teachers_before", pb.teachers());
            l.putAll(cosines("before", raw, pb, o));
            if (pa != null) {
                l.put("teachers_after", pa.teachers());
                l.putAll(cosines("after", a.state(), pa, o));
            }
            layers.add(l);
        }
        List<Object> blocks = new ArrayList<>();
        for (Alignment.BlockAlignment b : a.blocks()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("stage", b.stage());
            x.put("reference", (long) b.reference());
            x.put("block", (long) b.block());
            x.put("inner_product_before", b.before());
            x.put("inner_product_after", b.after());
            x.put("cos_before", b.cosBefore());
            x.put("cos_after", b.cosAfter());
            x.put("sweeps", (long) b.sweeps());
            blocks.add(x);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("layers", layers);
        r.put("blocks", blocks);
        r.put("skipped", a.skipped());
        return r;
    }

    private static Map<String, Object> cosines(String tag, Map<String, Tensor> teacher, LayerMatch.Pair p, Options o) {
        List<Tensor> pooled = new ArrayList<>();
        for (String tn : p.teachers()) pooled.add(Aggregation.pool(teacher.get(tn), p.studentShape(), o.filterPool(), o.spatialPool()));
        List<Object> pairs = new ArrayList<>();
        for (int i = 0; i < pooled.size(); i++)
            for (int j = i + 1; j < pooled.size(); j++) pairs.add(cosine(pooled.get(i), pooled.get(j)));
        double meanNorm = 0;
        for (Tensor t : pooled) meanNorm += Math.sqrt(t.mul(t).sum().item()) / pooled.size();
        Tensor mean = pooledMean(teacher, p, o);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("cos_" + tag, pairs);
        r.put("norm_ratio_" + tag, meanNorm == 0 ? 0.0 : Math.sqrt(mean.mul(mean).sum().item()) / meanNorm);
        return r;
    }

    /** With {@code --kr-align}: what alignment did (see {@code kr-alignment.json}); null otherwise. */
    public Map<String, Object> alignment() {
        return alignment;
    }

    /** One line per student layer of {@link #alignment()}: the cosines before -> after and |mean| / mean |.|. */
    public String alignmentSummary() {
        if (alignment == null) return "";
        StringBuilder sb = new StringBuilder();
        for (Object o : (List<?>) alignment.get("layers")) {
            Map<?, ?> l = (Map<?, ?>) o;
            sb.append(String.format(Locale.ROOT, "  %-24s cos %s -> %s, |mean|/mean|.| %.2f -> %.2f%n", l.get("student"), fmt(l.get("cos_before")),
                    fmt(l.get("cos_after")), (Double) l.get("norm_ratio_before"), l.get("norm_ratio_after") == null ? Double.NaN : (Double) l.get("norm_ratio_after")));
        }
        return sb.toString();
    }

    private static String fmt(Object cos) {
        if (!(cos instanceof List<?> l)) return "-";
        if (l.isEmpty()) return "(one layer)";
        StringBuilder sb = new StringBuilder("[");
        for (Object x : l) sb.append(sb.length() > 1 ? " " : "").append(String.format(Locale.ROOT, "%.2f", (Double) x));
        return sb.append(']').toString();
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
                if (p.mask() == null) sum += kr.engine.backend.KrKernels.of(g.device()).sparseRecoding(g, p.param(), p.prior(), p.threshold(), beta);
                else {
                    // the zero control: an explicit mask, composed of primitives (not the fused kernel, whose mask is |A| >= threshold)
                    Tensor d = p.param().sub(p.prior()).mul(p.mask());
                    Backends.of(g.device()).copyInto(g, g.add(d.mul(beta)));
                    sum += d.mul(d).sum().item();
                }
            }
        }
        return beta / 2 * sum;
    }
}
