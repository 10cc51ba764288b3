package kr.engine.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kr.engine.DType;
import kr.engine.GraphProbe;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.primitives.ArgMax;
import kr.engine.primitives.Compare;
import kr.engine.primitives.Primitive;

/**
 * Which primitives the PyTorch golden cases exercise, for PrimitiveCoverageTest: every case of the
 * op families that {@link TorchConformanceTest} compares op by op is run forward (float64, scalar
 * backend) and the primitives in its autograd graph are collected, so the answer is what runs, not
 * what a list says.
 */
public final class GoldenCoverage {
    /** The golden files whose cases TorchConformanceTest runs through its op table (with gradients). */
    public static final List<String> FAMILIES = List.of("primitives", "losses");

    /** Ops whose primitive records no graph node (its output carries no gradient), so the graph cannot show it. */
    static final Map<String, Class<? extends Primitive>> UNRECORDED = Map.of("compare", Compare.class, "argmax", ArgMax.class);

    private GoldenCoverage() {}

    /** Primitive -> "family/case" of every golden case that runs it. */
    public static Map<Class<? extends Primitive>, List<String>> casesByPrimitive() {
        Map<Class<? extends Primitive>, List<String>> r = new LinkedHashMap<>();
        try (var scope = Backends.use("scalar")) {
            for (String family : FAMILIES) {
                Golden g = Golden.load(family);
                for (String c : g.cases()) {
                    Tensor y = TorchConformanceTest.forward(g, c, DType.F64, new LinkedHashMap<>(), new LinkedHashMap<>());
                    Set<Class<? extends Primitive>> ps = new LinkedHashSet<>(GraphProbe.primitives(y));
                    Class<? extends Primitive> unrecorded = UNRECORDED.get(g.args(c).s("op"));
                    if (unrecorded != null) ps.add(unrecorded);
                    for (var p : ps) r.computeIfAbsent(p, k -> new ArrayList<>()).add(family + "/" + c);
                }
            }
        }
        return r;
    }
}
