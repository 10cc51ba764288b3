package kr.distill;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import kr.data.Batch;
import kr.engine.DType;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.io.SafeTensors;
import kr.models.Classifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each distillation loss against a PyTorch implementation of its formula (golden files from
 * src/test/python/make_golden.py): the value and the gradient of every input, in float32 on the
 * default backend (1e-4 relative, the project's conformance bound) and in float64 on the reference.
 */
class DistillTorchTest {
    enum Mode {
        F32_DEFAULT(DType.F32, null, 1e-4),
        F64_REFERENCE(DType.F64, "scalar", 1e-9);

        final DType dtype;
        final String backend;
        final double tol;

        Mode(DType dtype, String backend, double tol) {
            this.dtype = dtype;
            this.backend = backend;
            this.tol = tol;
        }
    }

    static Map<String, Tensor> golden(String name) throws Exception {
        return SafeTensors.read(Path.of(DistillTorchTest.class.getResource("/golden/" + name + ".safetensors").toURI()));
    }

    /**
     * max|a - e| / max|e| over the tensor. A tensor that is analytically zero (e.g. the gradient of a
     * conv bias followed by batch norm; PyTorch gives ~1e-17) is compared on an absolute scale of 1.
     */
    static double relErr(Tensor actual, Tensor expected) {
        double[] a = actual.toDoubleArray(), e = expected.toDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs(a[i] - e[i]));
            den = Math.max(den, Math.abs(e[i]));
        }
        return den < 1e-10 ? num : num / den;
    }

    private final List<String> report = new ArrayList<>();

    void check(String what, Tensor actual, Tensor expected, double tol) {
        double r = relErr(actual, expected);
        report.add(String.format("%-28s rel err %.2e", what, r));
        assertTrue(r <= tol, what + ": relative error " + r + " > " + tol);
    }

    /** Runs a case on leaves made from the named golden inputs and checks the loss and gradients. */
    void run(Mode m, String name, List<String> inputs, Function<Map<String, Tensor>, Tensor> f, double tolScale) throws Exception {
        Map<String, Tensor> g = golden(name);
        try (var s = m.backend == null ? Backends.use(Backends.defaultCpu().name()) : Backends.use(m.backend)) {
            Map<String, Tensor> x = new java.util.LinkedHashMap<>();
            for (String k : inputs) x.put(k, g.get(k).to(m.dtype).requiresGrad(true));
            Tensor loss = f.apply(x);
            loss.backward();
            check(name + " loss [" + m + "]", loss, g.get("loss"), m.tol * tolScale);
            for (String k : inputs)
                if (g.containsKey("grad_" + k)) check(name + " grad " + k + " [" + m + "]", x.get(k).grad(), g.get("grad_" + k), m.tol * tolScale);
        }
        report.forEach(System.out::println);
    }

    static Classifier.Output out(Tensor logits, Tensor... feats) {
        return new Classifier.Output(List.of(feats), logits);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void kd(Mode m) throws Exception {
        run(m, "kd", List.of("s", "t"), x -> KD.loss(x.get("s"), x.get("t"), 4.0), 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void at(Mode m) throws Exception {
        run(m, "at", List.of("fs0", "fs1", "ft0", "ft1"),
                x -> AT.loss(List.of(x.get("fs0"), x.get("fs1")), List.of(x.get("ft0"), x.get("ft1")), 2.0), 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sp(Mode m) throws Exception {
        run(m, "sp", List.of("fs", "ft"), x -> SP.loss(x.get("fs"), x.get("ft")), 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void rkd(Mode m) throws Exception {
        run(m, "rkd", List.of("fs", "ft"), x -> RKD.loss(x.get("fs"), x.get("ft"), 25, 50), 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pkt(Mode m) throws Exception {
        run(m, "pkt", List.of("fs", "ft"), x -> PKT.loss(x.get("fs"), x.get("ft")), 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void dkd(Mode m) throws Exception {
        int[] labels = toInts(golden("dkd").get("labels"));
        run(m, "dkd", List.of("s", "t"), x -> DKD.loss(x.get("s"), x.get("t"), labels, 1.0, 8.0, 4.0), 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void fitnets(Mode m) throws Exception {
        Map<String, Tensor> g = golden("fitnets");
        FitNets fit = new FitNets(1);
        Tensor fs0 = g.get("fs"), ft0 = g.get("ft");
        fit.init(out(null, fs0, fs0), out(null, ft0, ft0), 0);
        for (Tensor p : fit.stateDict().values()) p.setData(p.detach().to(m.dtype));
        Map<String, Tensor> state = new java.util.LinkedHashMap<>();
        g.forEach((k, v) -> {
            if (k.startsWith("regressor.")) state.put(k, v);
        });
        fit.loadStateDict(state, true);
        run(m, "fitnets", List.of("fs", "ft"), x -> fit.loss(out(null, x.get("fs"), x.get("fs")), out(null, x.get("ft"), x.get("ft")), null), 1);
        for (var e : fit.namedParameters().entrySet())
            check("fitnets grad " + e.getKey() + " [" + m + "]", e.getValue().grad(), g.get("grad_" + e.getKey()), m.tol);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void crd(Mode m) throws Exception {
        Map<String, Tensor> g = golden("crd");
        int k = g.get("contrast_idx").shape(1) - 1, n = g.get("memory_s").shape(0);
        CRD crd = new CRD(g.get("memory_s").shape(1), k, 0.07, 0.5, 1);
        crd.init(g.get("fs").shape(1), g.get("ft").shape(1), n);
        Map<String, Tensor> state = new java.util.LinkedHashMap<>();
        for (String key : List.of("embed_s.weight", "embed_s.bias", "embed_t.weight", "embed_t.bias", "memory_s", "memory_t")) state.put(key, g.get(key));
        state.put("z", Tensor.of(new double[] {-1, -1}));
        for (Tensor p : crd.namedParameters().values()) p.setData(p.detach().to(m.dtype));
        crd.loadStateDict(state, true);
        int[] y = toInts(g.get("indices")), idx = toInts(g.get("contrast_idx"));
        // the memory banks are float32, so float64 agrees to float32 rounding of the bank entries
        run(m, "crd", List.of("fs", "ft"), x -> crd.contrast(x.get("fs"), x.get("ft"), y, idx), m.dtype == DType.F64 ? 1e4 : 1);
        check("crd grad embed_s.weight [" + m + "]", crd.namedParameters().get("embed_s.weight").grad(), g.get("grad_embed_s.weight"),
                m.dtype == DType.F64 ? 1e-5 : m.tol);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void krPenaltyComposedAndFused(Mode m) throws Exception {
        Map<String, Tensor> g = golden("kr_penalty");
        double thr = g.get("threshold").item(), beta = 0.01;
        run(m, "kr_penalty", List.of("w"), x -> SparseRecoding.penalty(x.get("w"), g.get("prior").to(m.dtype), thr, beta), 1);
        try (var s = m.backend == null ? Backends.use(Backends.defaultCpu().name()) : Backends.use(m.backend)) {
            Tensor w = g.get("w").to(m.dtype), grad = Tensor.zerosLike(w);
            double sum = Backends.defaultCpu() == null ? 0
                    : kr.engine.backend.KrKernels.of(w.device()).sparseRecoding(grad, w, g.get("prior").to(m.dtype), thr, beta);
            check("kr fused loss [" + m + "]", Tensor.of(new double[] {beta / 2 * sum}).reshape(), g.get("loss"), m.tol);
            check("kr fused grad [" + m + "]", grad, g.get("grad_w"), m.tol);
        }
    }

    static int[] toInts(Tensor t) {
        double[] d = t.toDoubleArray();
        int[] r = new int[d.length];
        for (int i = 0; i < d.length; i++) r[i] = (int) d[i];
        return r;
    }

    static Batch batchOf(int[] labels) {
        return new Batch(null, labels, labels);
    }
}
