package kr.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.Trace;
import kr.io.Json;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Linear;
import kr.nn.Module;
import kr.nn.Sequential;
import kr.optim.SGD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profiler on a tiny network's training steps: the table's columns, the work it counts, and a trace with steps, phases and layers. */
class ProfilerTest {
    static final class Tiny extends Module {
        final Sequential features = register("features", new Sequential(new Conv2d(3, 4, 3, 1, 1, false), new BatchNorm2d(4)));
        final Linear fc = register("fc", new Linear(4 * 4 * 4, 3));

        @Override
        public Tensor forward(Tensor x) {
            return fc.forward(features.forward(x).relu().flatten(1));
        }
    }

    private static void step(Tiny net, SGD opt, Tensor x, int[] y, int n) {
        try (var s = Trace.step(n)) {
            Tensor loss;
            try (var f = Trace.phase("forward")) {
                loss = F.crossEntropy(net.forward(x), y);
            }
            loss.backward();
            try (var o = Trace.phase("optimizer")) {
                opt.step();
                opt.zeroGrad();
            }
        }
    }

    @Test
    void modulesKnowTheirPathsAsNamedModulesNamesThem() {
        Tiny net = new Tiny();
        assertNull(net.path());
        assertEquals(List.of("features", "features.0", "features.1", "fc"), new ArrayList<>(net.namedModules().keySet()));
        net.namedModules().forEach((name, m) -> assertEquals(name, m.path()));
    }

    @Test
    void twoTrainingStepsGiveTheTableTheWorkAndATraceWithStepsPhasesAndLayers(@TempDir Path dir) throws Exception {
        Tiny net = new Tiny();
        SGD opt = new SGD(net.parameters(), 0.1, 0.9, 5e-4, false);
        Tensor x = Tensor.randn(new Rng(3), 2, 3, 4, 4);
        int[] y = {0, 2};
        Backend plain = Backends.of(Device.CPU);
        Profiler p = Profiler.start(Device.CPU, true);
        try {
            assertNotSame(plain, Backends.of(Device.CPU));
            for (int i = 0; i < 2; i++) step(net, opt, x, y, i);
        } finally {
            p.close();
        }
        assertSame(plain, Backends.of(Device.CPU), "closing restores the backend");
        assertFalse(Trace.recording());

        Profiler.Row conv = p.rows().stream().filter(r -> r.kernel().equals("conv2d")).findFirst().orElseThrow();
        assertEquals(2, conv.calls());
        assertEquals(2 * 2.0 * 2 * 4 * 4 * 4 * 3 * 3 * 3, conv.flops()); // 2 steps x 2 N Co Ho Wo C kh kw
        assertTrue(conv.totalMs() > 0 && conv.gflops() > 0 && conv.gbps() > 0, conv.toString());
        for (String k : new String[] {"conv2dBackwardWeight", "batchNorm", "batchNormBackward", "matmul", "sgdStep"})
            assertTrue(p.rows().stream().anyMatch(r -> r.kernel().equals(k)), "no row for " + k);

        String table = p.table();
        for (String col : new String[] {"calls", "total ms", "mean us", "GFLOP/s", "GB/s", "FLOP/B", "bound", "%peak", "share"})
            assertTrue(table.lines().findFirst().orElseThrow().contains(col), col + " missing in\n" + table);
        assertTrue(table.matches("(?s).*\nconv2d +2 .*(compute|memory) .*"), table);
        assertTrue(p.peakSummary().startsWith("peak: ") && p.peak().gflops() > 0 && p.peak().gbps() > 0, p.peakSummary());
        String layers = p.layerTable();
        assertTrue(layers.contains("forward ms") && layers.contains("backward ms") && layers.contains("features.0") && layers.contains("fc"), layers);
        // every shape listed (a top 5 by time depended on a cold JIT's timings); the rows are ordered by their total time
        String shapes = p.shapeTable(1000);
        assertTrue(shapes.contains("conv2d [2,3,4,4] [4,3,3,3] s1 p1 -> [2,4,4,4]"), shapes);
        double[] totals = shapes.lines().skip(1).filter(l -> !l.isBlank()).mapToDouble(l -> Double.parseDouble(l.trim().split(" +")[1])).toArray();
        assertTrue(totals.length >= 5, shapes);
        for (int i = 1; i < totals.length; i++) assertTrue(totals[i] <= totals[i - 1], "not ordered by time:\n" + shapes);
        assertEquals(6, p.shapeTable(5).lines().count(), p.shapeTable(5)); // header and 5 rows

        p.writeChromeTrace(dir.resolve("trace.json"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) Json.parseObject(Files.readString(dir.resolve("trace.json"))).get("traceEvents");
        List<String> names = events.stream().map(e -> (String) e.get("name")).toList();
        for (String n : new String[] {"step 0", "step 1", "forward", "backward", "optimizer", "features", "features.0", "features.1", "fc"})
            assertTrue(names.contains(n), n + " not in the trace: " + names);
        assertTrue(events.stream().allMatch(e -> "X".equals(e.get("ph")) && e.get("ts") instanceof Number && e.get("dur") instanceof Number));
        Map<String, Object> bw = kernel(events, "conv2dBackwardWeight");
        assertEquals("features.0", bw.get("layer"));
        assertEquals("backward", bw.get("phase"));
        assertEquals("conv2d", bw.get("vjp of"));
        Map<String, Object> fw = kernel(events, "conv2d");
        assertEquals("forward", fw.get("phase"));
        assertEquals("[2,3,4,4] [4,3,3,3] s1 p1 -> [2,4,4,4]", fw.get("shapes"));
        assertEquals(2L * 2 * 4 * 4 * 4 * 3 * 3 * 3, ((Number) fw.get("flops")).longValue());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> kernel(List<Map<String, Object>> events, String name) {
        return (Map<String, Object>) events.stream().filter(e -> name.equals(e.get("name")) && "kernel".equals(e.get("cat"))).findFirst().orElseThrow().get("args");
    }

    @Test
    void withoutAProfilerScopesAreNoOpsAndNodesRecordNoLayer() {
        assertFalse(Trace.recording());
        try (var s = Trace.layer("x"); var p = Trace.phase("forward")) {
            assertNull(Trace.currentLayer());
            assertNull(Trace.currentPhase());
            assertEquals(-1, Trace.currentStep());
        }
    }
}
