package kr.engine.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kr.engine.DType;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.Pool2dParams;
import kr.engine.torch.Golden.Args;
import kr.engine.torch.Golden.Mode;
import kr.nn.F;
import kr.optim.Adam;
import kr.optim.LrSchedule;
import kr.optim.Optimizer;
import kr.optim.SGD;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Conformance with PyTorch 1.13: every primitive, the losses, the optimizers and the LR schedules
 * against golden files from {@code engine/src/test/python/make_golden.py} (no Python at run time).
 *
 * <p>Each primitive/loss case runs in float32 on the vector and on the scalar backend (bound 1e-4
 * relative) and in float64 on the scalar backend (bound 1e-9, against torch's float64 run on the
 * same values). Forward output and the gradient of {@code sum(w * y)} w.r.t. every input are
 * compared, with the fixed random weighting {@code w} from the golden file. See
 * {@link Golden#compare} for the error measure; the worst error per case is printed at the end.
 * {@link GoldenCoverage} runs the same cases to tell PrimitiveCoverageTest which primitives they reach.
 */
class TorchConformanceTest {
    private static final Golden.Table TABLE = new Golden.Table("PyTorch conformance",
            List.of(Mode.F32_VECTOR.label(), Mode.F32_SCALAR.label(), Mode.F64_SCALAR.label()));

    @AfterAll
    static void printTable() {
        System.out.println(TABLE.render());
    }

    // ------------------------------------------------------------------ primitives and losses

    @TestFactory
    Stream<DynamicTest> primitives() {
        return opCases(Golden.load("primitives"));
    }

    @TestFactory
    Stream<DynamicTest> losses() {
        return opCases(Golden.load("losses"));
    }

    private static Stream<DynamicTest> opCases(Golden g) {
        List<DynamicTest> tests = new ArrayList<>();
        for (String c : g.cases())
            for (Mode m : Mode.values()) tests.add(DynamicTest.dynamicTest(c + " " + m.label(), () -> runOpCase(g, c, m)));
        return tests.stream();
    }

    private static void runOpCase(Golden g, String name, Mode mode) {
        double worst = 0;
        try (var scope = Backends.use(mode.backend)) {
            DType dt = mode.dtype;
            Map<String, Tensor> leaves = new LinkedHashMap<>(), extras = new LinkedHashMap<>();
            Tensor y = forward(g, name, dt, leaves, extras);
            String where = name + " [" + mode.label() + "] ";
            worst = Golden.compare(where + "output", y, g.get(name + "/out" + mode.sfx, dt), mode.tol);
            for (var e : g.group(name + "/extra" + mode.sfx + "/", dt).entrySet())
                worst = Math.max(worst, Golden.compare(where + e.getKey(), extras.get(e.getKey()), e.getValue(), mode.tol));
            if (g.has(name + "/w")) {
                y.mul(g.get(name + "/w", dt)).sum().backward();
                for (var e : g.group(name + "/grad" + mode.sfx + "/", dt).entrySet()) {
                    Tensor grad = leaves.get(e.getKey()).grad();
                    if (grad == null) grad = Tensor.zerosLike(e.getValue()); // torch stores zeros for "no gradient"
                    worst = Math.max(worst, Golden.compare(where + "grad " + e.getKey(), grad, e.getValue(), mode.tol));
                }
            }
        }
        TABLE.put(g.family + "/" + name, mode.label(), worst);
    }

    /**
     * Runs our side of case {@code name} in {@code dt} on the current backend; its inputs, made
     * leaves that require grad, are put in {@code leaves}, the op's extra results in {@code extras}.
     */
    static Tensor forward(Golden g, String name, DType dt, Map<String, Tensor> leaves, Map<String, Tensor> extras) {
        Args a = g.args(name);
        Op op = OPS.get(a.s("op"));
        if (op == null) throw new AssertionError("[conformance] no kr mapping for torch op '" + a.s("op") + "' of case " + name);
        leaves.putAll(g.group(name + "/in/", dt));
        leaves.values().forEach(t -> t.requiresGrad(true));
        Map<String, Tensor> in = new LinkedHashMap<>(leaves);
        for (Object k : a.list("transpose")) in.put((String) k, in.get(k).transpose(-1, -2));
        return op.apply(in, g.group(name + "/const/", dt), a, extras);
    }

    /** Our side of one torch op: inputs (transposed per the case), constants and the case's args. */
    @FunctionalInterface
    interface Op {
        Tensor apply(Map<String, Tensor> in, Map<String, Tensor> c, Args a, Map<String, Tensor> extras);
    }

    private static final Map<String, Op> OPS = new LinkedHashMap<>();

    static {
        OPS.put("unary", (in, c, a, x) -> unary(a.s("fn"), in.get("x")));
        OPS.put("pow", (in, c, a, x) -> in.get("x").pow(a.d("p")));
        OPS.put("clamp", (in, c, a, x) -> in.get("x").clamp(a.d("lo"), a.d("hi")));
        OPS.put("binary", (in, c, a, x) -> binary(a.s("fn"), in.get("a"), in.get("b")));
        OPS.put("binary_scalar", (in, c, a, x) -> binaryScalar(a.s("fn"), in.get("a"), a.d("c")));
        OPS.put("compare", (in, c, a, x) -> compare(a.s("fn"), c.get("a"), c.get("b")));
        OPS.put("where", (in, c, a, x) -> Tensor.where(c.get("cond"), in.get("a"), in.get("b")));
        OPS.put("reduce", (in, c, a, x) -> reduce(in.get("x"), a));
        OPS.put("argmax", (in, c, a, x) -> a.has("dim") ? c.get("x").argmax(a.i("dim"), a.b("keepdim")) : c.get("x").argmax());
        OPS.put("matmul", (in, c, a, x) -> in.get("a").matmul(in.get("b")));
        OPS.put("conv2d", (in, c, a, x) -> {
            int[] s = a.ints("stride"), p = a.ints("padding"), d = a.ints("dilation");
            return F.conv2d(in.get("x"), in.get("w"), in.get("b"), new Conv2dParams(s[0], s[1], p[0], p[1], d[0], d[1], a.i("groups")));
        });
        OPS.put("max_pool2d", (in, c, a, x) -> F.maxPool2d(in.get("x"), pool(a, true)));
        OPS.put("avg_pool2d", (in, c, a, x) -> F.avgPool2d(in.get("x"), pool(a, a.b("count_include_pad"))));
        OPS.put("adaptive_avg_pool2d", (in, c, a, x) -> F.adaptiveAvgPool2d(in.get("x"), a.ints("out")[0], a.ints("out")[1]));
        OPS.put("batch_norm", (in, c, a, x) -> {
            Tensor rm = c.get("running_mean"), rv = c.get("running_var");
            Tensor y = F.batchNorm(in.get("x"), rm, rv, in.get("weight"), in.get("bias"), a.b("training"), a.d("momentum"), a.d("eps"));
            if (a.b("training")) {
                x.put("running_mean", rm);
                x.put("running_var", rv);
            }
            return y;
        });
        OPS.put("log_softmax", (in, c, a, x) -> F.logSoftmax(in.get("x"), a.i("dim")));
        OPS.put("softmax", (in, c, a, x) -> F.softmax(in.get("x"), a.i("dim")));
        OPS.put("cat", (in, c, a, x) -> Tensor.cat(new ArrayList<>(in.values()), a.i("dim"))); // keys x0, x1, ... sorted
        OPS.put("stack", (in, c, a, x) -> Tensor.stack(new ArrayList<>(in.values()), a.i("dim")));
        OPS.put("pad", (in, c, a, x) -> in.get("x").pad(a.d("value"), a.ints("pads")));
        OPS.put("cast", (in, c, a, x) -> in.get("x").mul(a.d("scale")).to(DType.F64).to(DType.F32).to(in.get("x").dtype()));
        OPS.put("chain", (in, c, a, x) -> chain(in.get("x"), a.list("steps")));
        OPS.put("linear", (in, c, a, x) -> F.linear(in.get("x"), in.get("w"), in.get("b")));
        OPS.put("dropout", (in, c, a, x) -> F.dropout(in.get("x"), a.d("p"), a.b("training"), new Rng(0)));
        OPS.put("cross_entropy", (in, c, a, x) -> F.crossEntropy(in.get("logits"), labels(c.get("labels")), a.d("label_smoothing")));
        OPS.put("cross_entropy_soft", (in, c, a, x) -> F.crossEntropy(in.get("logits"), c.get("target")));
        OPS.put("kl_distill", (in, c, a, x) -> F.klDiv(in.get("student"), in.get("teacher"), a.d("T")));
        OPS.put("mse", (in, c, a, x) -> F.mse(in.get("a"), in.get("b")));
        OPS.put("l1", (in, c, a, x) -> F.l1(in.get("a"), in.get("b")));
    }

    static int[] labels(Tensor t) {
        float[] v = t.toFloatArray();
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }

    private static Tensor unary(String fn, Tensor x) {
        return switch (fn) {
            case "neg" -> x.neg();
            case "exp" -> x.exp();
            case "log" -> x.log();
            case "sqrt" -> x.sqrt();
            case "abs" -> x.abs();
            case "relu" -> x.relu();
            case "sigmoid" -> x.sigmoid();
            case "tanh" -> x.tanh();
            case "sign" -> x.sign();
            default -> throw new IllegalArgumentException("[conformance] unknown unary " + fn);
        };
    }

    private static Tensor binary(String fn, Tensor a, Tensor b) {
        return switch (fn) {
            case "add" -> a.add(b);
            case "sub" -> a.sub(b);
            case "mul" -> a.mul(b);
            case "div" -> a.div(b);
            case "maximum" -> a.maximum(b);
            case "minimum" -> a.minimum(b);
            default -> throw new IllegalArgumentException("[conformance] unknown binary " + fn);
        };
    }

    private static Tensor binaryScalar(String fn, Tensor a, double c) {
        return switch (fn) {
            case "add" -> a.add(c);
            case "sub" -> a.sub(c);
            case "mul" -> a.mul(c);
            case "div" -> a.div(c);
            case "maximum" -> a.maximum(c);
            case "minimum" -> a.minimum(c);
            default -> throw new IllegalArgumentException("[conformance] unknown binary " + fn);
        };
    }

    private static Tensor compare(String fn, Tensor a, Tensor b) {
        return switch (fn) {
            case "eq" -> a.eq(b);
            case "ne" -> a.ne(b);
            case "lt" -> a.lt(b);
            case "le" -> a.le(b);
            case "gt" -> a.gt(b);
            case "ge" -> a.ge(b);
            default -> throw new IllegalArgumentException("[conformance] unknown comparison " + fn);
        };
    }

    private static Tensor reduce(Tensor x, Args a) {
        boolean all = !a.has("dims"), keep = a.has("keepdim") && a.b("keepdim");
        int[] dims = all ? null : a.ints("dims");
        return switch (a.s("fn")) {
            case "sum" -> all ? x.sum() : x.sum(dims, keep);
            case "mean" -> all ? x.mean() : x.mean(dims, keep);
            case "amax" -> all ? x.amax() : x.amax(dims, keep);
            case "amin" -> x.amin(dims[0], keep);
            case "var" -> x.variance(dims, a.b("unbiased"), keep);
            case "std" -> x.std(dims, a.b("unbiased"), keep);
            default -> throw new IllegalArgumentException("[conformance] unknown reduction " + a.s("fn"));
        };
    }

    private static Pool2dParams pool(Args a, boolean countIncludePad) {
        int[] k = a.ints("kernel"), s = a.ints("stride"), p = a.ints("padding");
        return new Pool2dParams(k[0], k[1], s[0], s[1], p[0], p[1], a.b("ceil_mode"), countIncludePad);
    }

    /** The view steps of make_golden.py's view_chain, e.g. {@code ["slice", dim, start, end, step]}. */
    private static Tensor chain(Tensor x, List<?> steps) {
        for (Object o : steps) {
            List<?> s = (List<?>) o;
            String op = (String) s.get(0);
            x = switch (op) {
                case "reshape" -> x.reshape(Args.toInts(s.get(1)));
                case "permute" -> x.permute(Args.toInts(s.get(1)));
                case "expand" -> x.expand(Args.toInts(s.get(1)));
                case "narrow" -> x.narrow(n(s, 1), n(s, 2), n(s, 3));
                case "slice" -> x.slice(n(s, 1), n(s, 2), n(s, 3), n(s, 4));
                case "transpose" -> x.transpose(n(s, 1), n(s, 2));
                case "unsqueeze" -> x.unsqueeze(n(s, 1));
                case "squeeze" -> x.squeeze(n(s, 1));
                case "select" -> x.select(n(s, 1), n(s, 2));
                case "flatten" -> x.flatten(n(s, 1));
                case "contiguous" -> x.contiguous();
                default -> unary(op, x);
            };
        }
        return x;
    }

    private static int n(List<?> s, int i) {
        return ((Number) s.get(i)).intValue();
    }

    // ------------------------------------------------------------------ optimizers

    /** The same parameters and gradient sequence through torch.optim and kr.optim, step by step. */
    @TestFactory
    Stream<DynamicTest> optimizers() {
        Golden g = Golden.load("optim");
        List<DynamicTest> tests = new ArrayList<>();
        for (String c : g.cases())
            for (Mode m : Mode.values()) tests.add(DynamicTest.dynamicTest(c + " " + m.label(), () -> runOptimizer(g, c, m)));
        return tests.stream();
    }

    private static void runOptimizer(Golden g, String name, Mode mode) {
        Args a = g.args(name);
        double worst = 0;
        try (var scope = Backends.use(mode.backend)) {
            List<Tensor> ps = new ArrayList<>(g.group("params/", mode.dtype).values());
            ps.forEach(p -> p.requiresGrad(true));
            Optimizer opt = optimizer(a, ps);
            for (int t = 0; t < a.i("steps"); t++) {
                for (int i = 0; i < ps.size(); i++) ps.get(i).setGrad(g.get("grads/step" + t + "/p" + i, mode.dtype));
                opt.step();
                for (int i = 0; i < ps.size(); i++) {
                    String key = name + "/" + mode.prefix + "step" + t + "/p" + i;
                    worst = Math.max(worst, Golden.compare(key + " [" + mode.label() + "]", ps.get(i), g.get(key, mode.dtype), mode.tol));
                }
            }
        }
        TABLE.put("optim/" + name, mode.label(), worst);
    }

    private static Optimizer optimizer(Args a, List<Tensor> ps) {
        double lr = a.d("lr"), wd = a.d("weight_decay");
        return switch (a.s("op")) {
            case "sgd" -> new SGD(ps, lr, a.d("momentum"), a.d("dampening"), wd, a.b("nesterov"));
            case "adam" -> new Adam(ps, lr, beta(a, 0), beta(a, 1), a.d("eps"), wd, false);
            case "adamw" -> {
                if (beta(a, 0) != 0.9 || beta(a, 1) != 0.999 || a.d("eps") != 1e-8)
                    throw new IllegalArgumentException("[conformance] Adam.adamW has torch's default betas and eps, the case has " + a);
                yield Adam.adamW(ps, lr, wd);
            }
            default -> throw new IllegalArgumentException("[conformance] unknown optimizer " + a.s("op"));
        };
    }

    private static double beta(Args a, int i) {
        return ((Number) a.list("betas").get(i)).doubleValue();
    }

    // ------------------------------------------------------------------ LR schedules

    /**
     * torch's schedulers count scheduler steps; {@link LrSchedule} is a function of the fractional
     * epoch. With {@code S} scheduler steps per epoch, torch step {@code k} is epoch {@code k / S}:
     * <ul>
     *   <li>MultiStepLR(milestones, gamma) stepped per epoch = {@code multiStep(base, milestones, gamma)}
     *       at every epoch in {@code [e, e+1)};
     *   <li>CosineAnnealingLR(T_max, eta_min) = {@code cosine(base, T_max / S, eta_min)} for
     *       {@code k <= T_max} (past T_max torch's cosine rises again, ours stays at eta_min);
     *   <li>OneCycleLR(max_lr, total_steps N, pct_start, div, final_div, anneal 'cos') =
     *       {@code oneCycle(max_lr, (N-1)/S, (pct_start*N - 1)/(N-1), div, final_div)}: torch's warm-up
     *       ends at step {@code pct_start*N - 1} and its annealing at step {@code N - 1}.
     * </ul>
     */
    @TestFactory
    Stream<DynamicTest> schedules() {
        Golden g = Golden.load("schedules");
        return g.cases().stream().map(c -> DynamicTest.dynamicTest(c, () -> runSchedule(g, c)));
    }

    private static void runSchedule(Golden g, String name) {
        Args a = g.args(name);
        double[] torch = g.get(name + "/lr", DType.F64).toDoubleArray();
        double s = a.d("steps_per_epoch");
        LrSchedule kr = switch (a.s("op")) {
            case "multistep" -> LrSchedule.multiStep(a.d("base"), a.ints("milestones"), a.d("gamma"));
            case "cosine" -> LrSchedule.cosine(a.d("base"), a.d("t_max") / s, a.d("eta_min"));
            case "onecycle" -> {
                double n = a.d("total_steps");
                yield LrSchedule.oneCycle(a.d("max_lr"), (n - 1) / s, (a.d("pct_start") * n - 1) / (n - 1), a.d("div_factor"),
                        a.d("final_div_factor"));
            }
            default -> throw new IllegalArgumentException("[conformance] unknown schedule " + a.s("op"));
        };
        // a per-epoch schedule must hold its value across the epoch; a per-step one is sampled at k/S
        double[] fractions = a.s("op").equals("multistep") ? new double[] {0, 0.25, 0.999} : new double[] {0};
        double worst = 0;
        for (double f : fractions) {
            double[] ours = new double[torch.length];
            for (int k = 0; k < torch.length; k++) ours[k] = kr.at((k + f) / s);
            worst = Math.max(worst, Golden.compare(name + " at step fraction " + f, ours, torch, new int[] {torch.length},
                    Mode.F64_SCALAR.tol));
        }
        TABLE.put("schedule/" + name, Mode.F64_SCALAR.label(), worst);
    }
}
