package kr.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.data.SyntheticCifar;
import kr.engine.Tensor;
import kr.engine.backend.GpuTests;
import kr.io.Json;
import kr.models.Classifier;
import kr.reproduce.Grid;
import kr.reproduce.GridSpec;
import kr.train.Checkpoints;
import kr.train.DemoCnn;
import kr.engine.backend.GpuTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every distillation method trains on cuda: a tiny grid (teacher, then one student run per method)
 * with {@code device: cuda}, as {@code kr reproduce --device cuda} runs it. Catches host tensors
 * meeting device ones in a method's setup or loss (the first GPU grid's AT run and this test's first
 * CRD run failed so), and CRD's host-resident memory banks reaching the checkpoint.
 */
@GpuTest
class DistillCudaTest {
    @TempDir
    Path tmp;

    @Test
    void everyMethodTrainsOnCuda() throws IOException {
        GpuTests.cuda();
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "methods on cuda");
        g.put("data", SyntheticCifar.write(tmp.resolve("data"), 8, 16).toString());
        g.put("out", tmp.resolve("grid").toString());
        g.put("seeds", 1L);
        g.put("train", Map.of("epochs", 1L, "batch_size", 8L, "eval_batch_size", 16L, "lr", 0.05, "workers", 0L, "device", "cuda"));
        g.put("teacher", Map.of("model", "democnn"));
        g.put("students", List.of("democnn"));
        List<String> methods = List.of("kd", "at", "fitnets", "sp", "rkd", "pkt", "dkd", "crd", "kr", "kr+kd");
        g.put("methods", methods);
        g.put("distill", Map.of("crd_k", 16L, "crd_dim", 8L));
        Path f = tmp.resolve("grid.json");
        Files.writeString(f, Json.pretty(g));
        Grid grid = new Grid(GridSpec.read(f), (name, classes) -> (Classifier) new DemoCnn(4, 8, 8, classes), null);
        grid.run();
        for (String m : methods) {
            assertEquals(Grid.Outcome.TRAINED, grid.outcomes().get("democnn/" + m + "/seed0"), m);
            List<String> rows = Files.readAllLines(tmp.resolve("grid/democnn/" + m + "/seed0/metrics.jsonl"));
            Map<String, Object> last = Json.parseObject(rows.get(rows.size() - 1));
            double loss = ((Number) last.get("train_loss")).doubleValue();
            assertTrue(Double.isFinite(loss), m + ": train loss " + loss);
        }
        // CRD's memory banks stay on the host and the checkpoint holds their live rows: one epoch
        // blends every sample's row and renormalises it (a stale copy would keep its random rows)
        Path ckpt;
        try (var files = Files.list(tmp.resolve("grid/democnn/crd/seed0/checkpoints"))) {
            ckpt = files.filter(p -> p.getFileName().toString().endsWith(".optim.safetensors")).findFirst().orElseThrow();
        }
        Map<String, Tensor> state = Checkpoints.read(ckpt).tensors();
        String key = state.keySet().stream().filter(k -> k.endsWith("memory_s")).findFirst().orElseThrow(() -> new AssertionError(state.keySet().toString()));
        Tensor bank = state.get(key);
        float[] v = bank.toFloatArray();
        int dim = bank.shape(1);
        for (int r = 0; r < bank.shape(0); r++) {
            double n = 0;
            for (int d = 0; d < dim; d++) n += (double) v[r * dim + d] * v[r * dim + d];
            assertEquals(1.0, Math.sqrt(n), 1e-5, key + " row " + r + " in " + ckpt);
        }
    }
}
