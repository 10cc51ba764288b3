package kr.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.data.SyntheticCifar;
import kr.io.Json;
import kr.models.Classifier;
import kr.train.DemoCnn;
import kr.train.StepContext;
import kr.train.StepHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A grid killed in the middle of a run continues where it stopped and redoes no finished run. */
class GridTest {
    @TempDir
    Path tmp;

    static final class Kill extends RuntimeException {}

    GridSpec spec() throws IOException {
        Path data = SyntheticCifar.write(tmp.resolve("data"), 8, 16);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "tiny grid");
        g.put("data", data.toString());
        g.put("out", tmp.resolve("grid").toString());
        g.put("seeds", 2L);
        g.put("train", Map.of("epochs", 2L, "batch_size", 8L, "eval_batch_size", 16L, "lr", 0.05, "schedule", "cosine", "checkpoint_every", 1L, "workers", 0L));
        g.put("teacher", Map.of("model", "democnn"));
        g.put("students", List.of("democnn"));
        g.put("methods", List.of("scratch", "kd", Map.of("name", "kr+kd", "method", "kr+kd", "kr_beta", 0.01)));
        Path f = tmp.resolve("grid.json");
        Files.writeString(f, Json.pretty(g));
        return GridSpec.read(f);
    }

    static Classifier model(String name, int classes) {
        return new DemoCnn(4, 8, 8, classes);
    }

    @Test
    void killedGridResumesWithoutRedoingFinishedRuns() throws IOException {
        GridSpec spec = spec();
        // first attempt: killed at step 3 of the second seed of kd (after a checkpoint at step 2)
        Grid first = new Grid(spec, GridTest::model, null).hook(run -> !run.id().equals("democnn/kd/seed1") ? null : new StepHook() {
            @Override
            public void afterStep(StepContext ctx, kr.train.Objective.Result r) {
                if (ctx.globalStep() == 2) throw new Kill();
            }
        });
        assertThrows(Kill.class, first::run);
        Map<String, Grid.Outcome> o1 = first.outcomes();
        assertEquals(List.of("teacher", "democnn/scratch/seed0", "democnn/scratch/seed1", "democnn/kd/seed0"), List.copyOf(o1.keySet()));
        Path grid = tmp.resolve("grid");
        Map<String, byte[]> before = new LinkedHashMap<>();
        for (String id : o1.keySet()) {
            Path dir = id.equals("teacher") ? grid.resolve("teacher") : grid.resolve(id);
            before.put(id, Files.readAllBytes(dir.resolve("checkpoints").resolve("last.json")));
        }

        Grid second = new Grid(spec, GridTest::model, null);
        Path table = second.run();
        Map<String, Grid.Outcome> o2 = second.outcomes();
        for (String id : o1.keySet()) {
            assertEquals(Grid.Outcome.SKIPPED, o2.get(id), id);
            Path dir = id.equals("teacher") ? grid.resolve("teacher") : grid.resolve(id);
            assertArrayEquals(before.get(id), Files.readAllBytes(dir.resolve("checkpoints").resolve("last.json")), id + " was redone");
        }
        assertEquals(Grid.Outcome.RESUMED, o2.get("democnn/kd/seed1"));
        assertEquals(Grid.Outcome.TRAINED, o2.get("democnn/kr+kd/seed0"));
        assertEquals(Grid.Outcome.TRAINED, o2.get("democnn/kr+kd/seed1"));

        String md = Files.readString(table);
        assertTrue(md.contains("| democnn | scratch |") && md.contains("| democnn | kd |") && md.contains("| democnn | kr+kd |"), md);
        Map<String, Object> summary = Json.parseObject(Files.readString(grid.resolve("summary.json")));
        assertEquals(3, ((List<?>) summary.get("rows")).size());
        assertTrue(Files.readString(grid.resolve("curves-democnn.svg")).contains("kr+kd"));

        // a third invocation has nothing left to train
        Grid third = new Grid(spec, GridTest::model, null);
        third.run();
        assertTrue(third.outcomes().values().stream().allMatch(x -> x == Grid.Outcome.SKIPPED), third.outcomes().toString());
    }

    @Test
    void aDeviceSettingReachesEveryRunTheTeacherFirst() throws IOException {
        GridSpec spec = spec().withTrainSetting("device", "cuda:97"); // kr reproduce --device: no machine has a 98th GPU
        RuntimeException e = assertThrows(RuntimeException.class, () -> new Grid(spec, GridTest::model, null).run());
        assertTrue(e.getMessage().contains("cuda:97"), "the teacher's run was to start on the missing device: " + e.getMessage());
        assertEquals(null, spec().train().get("device"), "the file's grid is unchanged");
    }

    @Test
    void controlPriorsAndAlignmentRunInAGridWithPairedDifferences() throws IOException {
        Path data = SyntheticCifar.write(tmp.resolve("data"), 8, 16);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "controls");
        g.put("data", data.toString());
        g.put("out", tmp.resolve("controls").toString());
        g.put("seeds", 2L);
        g.put("train", Map.of("epochs", 1L, "batch_size", 8L, "eval_batch_size", 16L, "lr", 0.05, "workers", 0L));
        g.put("teacher", Map.of("model", "resnet14", "train", Map.of("epochs", 1L)));
        g.put("students", List.of("resnet8"));
        g.put("methods", List.of("scratch", Map.of("name", "kr-untrained", "method", "kr", "kr_prior", "untrained"),
                Map.of("name", "kr-aligned", "method", "kr", "kr_align", true)));
        g.put("compare", Map.of("kr-aligned", "scratch", "kr-untrained", List.of("scratch", "kr-aligned")));
        Path f = tmp.resolve("controls.json");
        Files.writeString(f, Json.pretty(g));
        Grid grid = new Grid(GridSpec.read(f), kr.models.Models::create, null);
        String md = Files.readString(grid.run());
        Path out = tmp.resolve("controls").resolve("resnet8");
        for (int seed = 0; seed < 2; seed++) {
            Map<String, Object> cfg = Json.parseObject(Files.readString(out.resolve("kr-untrained/seed" + seed + "/config.json")));
            assertEquals("untrained", ((Map<?, ?>) cfg.get("distill")).get("kr_prior"));
            Map<String, Object> al = Json.parseObject(Files.readString(out.resolve("kr-aligned/seed" + seed + "/kr-alignment.json")));
            assertEquals(3, ((List<?>) al.get("blocks")).size(), "one aligned block per stage of resnet14: " + al);
        }
        assertTrue(md.contains("| resnet8 | kr-untrained | kr-aligned | 2 |") && md.contains("| resnet8 | kr-aligned | scratch | 2 |"), md);
        Map<String, Object> exp = Json.parseObject(Files.readString(tmp.resolve("controls").resolve("experiment.json")));
        assertEquals(List.of("scratch", "kr-aligned"), ((Map<?, ?>) exp.get("compare")).get("kr-untrained"), "experiment.json keeps the comparisons");
    }

    @Test
    void meanAndSampleStd() {
        assertEquals(2.0, GridReport.mean(new double[] {1, 2, 3}), 1e-12);
        assertEquals(1.0, GridReport.std(new double[] {1, 2, 3}), 1e-12);
        assertEquals(0.0, GridReport.std(new double[] {5}), 0);
    }

}
