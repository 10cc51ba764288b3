package kr.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import kr.config.ConfigException;
import kr.data.SyntheticCifar;
import kr.io.Json;
import kr.models.Classifier;
import kr.train.DemoCnn;
import kr.train.StepContext;
import kr.train.StepHook;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cells, shards, locks, stop requests and --status of a grid, with fake lock owners instead of Slurm. */
class GridClusterTest {
    @TempDir
    static Path shared;
    static Path data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void writeData() throws IOException {
        data = SyntheticCifar.write(shared.resolve("data"), 8, 16);
    }

    /** Teacher (cell 0) and democnn x {scratch, kd} x 2 seeds (cells 1-4), 2 epochs of 5 steps, a checkpoint every 3. */
    GridSpec spec(String out) throws IOException {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "cluster grid");
        g.put("data", data.toString());
        g.put("out", tmp.resolve(out).toString());
        g.put("seeds", 2L);
        g.put("train", Map.of("epochs", 2L, "batch_size", 8L, "eval_batch_size", 16L, "lr", 0.05, "schedule", "cosine", "checkpoint_every", 3L, "workers", 0L));
        g.put("teacher", Map.of("model", "democnn"));
        g.put("students", List.of("democnn"));
        g.put("methods", List.of("scratch", "kd"));
        Path f = tmp.resolve(out + ".json");
        Files.writeString(f, Json.pretty(g));
        return GridSpec.read(f);
    }

    static Classifier model(String name, int classes) {
        return new DemoCnn(4, 8, 8, classes);
    }

    static final CellLock.Owner ME = new CellLock.Owner(null, null, "here", 1, "t0", "s0");

    Grid grid(GridSpec spec, CellLock.Liveness l) {
        return new Grid(spec, GridClusterTest::model, null).owner(ME).liveness(l).pollMillis(20);
    }

    static List<Map<String, Object>> metricsWithoutTimes(Path dir) throws IOException {
        List<Map<String, Object>> l = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            Map<String, Object> m = Json.parseObject(line);
            m.remove("epoch_seconds");
            m.remove("images_per_second");
            l.add(m);
        }
        return l;
    }

    @Test
    void cellsNumberTheTeacherFirstAndAMissingCellIsNamed() throws IOException {
        Grid g = grid(spec("g"), o -> CellLock.State.GONE);
        List<Grid.Cell> c = g.cells();
        assertEquals(5, c.size());
        assertTrue(c.get(0).teacher());
        assertEquals("democnn/scratch/seed0", c.get(1).id());
        assertEquals("democnn/kd/seed1", c.get(4).id());
        ConfigException e = assertThrows(ConfigException.class, () -> g.runCell(5));
        assertEquals("[reproduce] there is no cell 5: grid cluster grid has 5 cells (0-4)", e.getMessage());
        assertThrows(ConfigException.class, () -> g.runShard(2, 2));
    }

    @Test
    void twoShardsTogetherGiveTheSameGridAsOneRunAndTheLastWritesTheTable() throws IOException {
        Grid one = grid(spec("one"), o -> CellLock.State.GONE);
        assertNotNull(one.run());

        GridSpec s = spec("sharded");
        Grid second = grid(s, o -> CellLock.State.GONE);
        assertNull(second.runShard(1, 2), "cells 2 and 4 are not done yet: no table");
        assertEquals(List.of("teacher", "democnn/scratch/seed0", "democnn/kd/seed0"), List.copyOf(second.outcomes().keySet()), "the teacher, then cells 1 and 3");
        assertTrue(second.outcomes().values().stream().allMatch(o -> o == Grid.Outcome.TRAINED), second.outcomes().toString());
        assertFalse(Files.exists(s.out().resolve("table.md")));

        Grid first = grid(s, o -> CellLock.State.GONE);
        Path table = first.runShard(0, 2);
        assertNotNull(table, "the last shard writes the table");
        assertEquals(Grid.Outcome.SKIPPED, first.outcomes().get("teacher"));
        assertEquals(List.of("teacher", "democnn/scratch/seed1", "democnn/kd/seed1"), List.copyOf(first.outcomes().keySet()));

        for (Grid.Cell c : one.cells()) {
            Path rel = one.spec().out().relativize(c.dir());
            assertEquals(metricsWithoutTimes(c.dir()), metricsWithoutTimes(s.out().resolve(rel)), rel + ": the same run, sharded or not");
        }
        String a = Files.readString(one.spec().out().resolve("table.md")), b = Files.readString(table);
        assertEquals(a.replaceAll("\\| [0-9.]+ min \\|", "|"), b.replaceAll("\\| [0-9.]+ min \\|", "|"));
    }

    @Test
    void aCellLockedByALiveJobIsSkippedAndStatusShowsEveryState() throws IOException {
        GridSpec s = spec("locked");
        CellLock.Owner other = new CellLock.Owner("77", "70_3", "node9", 4242, "t1", "s1");
        AtomicBoolean otherAlive = new AtomicBoolean(true);
        CellLock.Liveness l = o -> o.job() != null && o.job().equals("77") && otherAlive.get() ? CellLock.State.ALIVE : CellLock.State.GONE;
        Grid g = grid(s, l);
        // cell 3 is being run by Slurm job 77; cell 4 fails on its first step
        assertNotNull(CellLock.acquire(g.cell(3).dir().resolve(CellLock.FILE), other, o -> CellLock.State.GONE, null).lock());
        g.hook(r -> !r.id().equals("democnn/kd/seed1") ? null : new StepHook() {
            @Override
            public void afterStep(StepContext ctx, kr.train.Objective.Result r2) {
                throw new IllegalStateException("[test] injected failure at step " + ctx.globalStep());
            }
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, g::run);
        assertEquals("[test] injected failure at step 0", e.getMessage());
        assertEquals(Grid.Outcome.BUSY, g.outcomes().get("democnn/kd/seed0"));

        String st = grid(s, l).statusText();
        assertTrue(st.startsWith("grid cluster grid: 5 cells in " + s.out() + ": 3 done, 1 running, 1 failed, 0 pending\n"), st);
        assertTrue(st.matches("(?s).*\n +0 +done +teacher +top-1 [0-9.]+% \\(best [0-9.]+%\\)\n.*"), st);
        assertTrue(st.contains("    3  running  democnn/kd/seed0       Slurm job 70_3 (id 77), pid 4242 on node9\n"), st);
        assertTrue(st.contains("    4  failed   democnn/kd/seed1       [test] injected failure at step 0\n"), st);
        assertTrue(st.contains("         | [reproduce] cell 4 (democnn/kd/seed1) failed: [test] injected failure at step 0\n"), "the end of the cell's log:\n" + st);

        // job 77 dies without releasing the lock: failed; an untouched grid is all pending
        otherAlive.set(false);
        st = grid(s, l).statusText();
        assertTrue(st.contains("    3  failed   democnn/kd/seed0       Slurm job 70_3 (id 77), pid 4242 on node9 ended without finishing it (killed?)"), st);
        assertTrue(grid(spec("fresh"), l).statusText().contains(": 0 done, 0 running, 0 failed, 5 pending\n"));

        // --report writes what is finished; then the cell with the stale lock is taken over and the last cell writes the table
        Path partial = grid(s, l).report();
        assertFalse(Files.readString(partial).contains("| democnn | kd |"), "no kd run has finished");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Grid again = new Grid(s, GridClusterTest::model, new PrintStream(log, true, StandardCharsets.UTF_8)).owner(ME).liveness(l);
        assertNull(again.runCell(3), "cell 4 is still not done");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("removed the stale lock"), log.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(again.cell(3).dir().resolve(CellLock.FILE)), "released after the run");
        Path table = grid(s, l).runCell(4);
        assertNotNull(table);
        assertFalse(Files.exists(again.cell(4).dir().resolve(Grid.FAILED)), "a successful attempt clears the failure");
        assertTrue(Files.readString(table).contains("| democnn | kd |"));
        String done = grid(s, l).statusText();
        assertTrue(done.contains("5 done, 0 running, 0 failed, 0 pending\n") && done.endsWith("all cells done: " + s.out().resolve("table.md") + "\n"), done);
    }

    @Test
    void aStopRequestSavesTheCellReleasesItsLockAndTheNextRunResumesIt() throws IOException {
        GridSpec s = spec("stopped");
        AtomicInteger steps = new AtomicInteger();
        Grid g = grid(s, o -> CellLock.State.GONE).hook(r -> !r.id().equals("democnn/scratch/seed0") ? null : new StepHook() {
            @Override
            public void afterStep(StepContext ctx, kr.train.Objective.Result r2) {
                steps.incrementAndGet();
            }
        }).stopWhen(() -> steps.get() >= 4);
        Grid.Stopped e = assertThrows(Grid.Stopped.class, () -> g.runCell(1));
        assertEquals("[reproduce] cell 1 (democnn/scratch/seed0) terminated at epoch 1 step 4: checkpoint saved, it resumes there", e.getMessage());
        Path dir = g.cell(1).dir();
        assertFalse(Files.exists(dir.resolve(CellLock.FILE)));
        assertTrue(Files.readString(dir.resolve(Grid.CELL_LOG)).contains(e.getMessage()));
        assertEquals(4L, Json.parseObject(Files.readString(dir.resolve("checkpoints/last.json"))).get("step"), "saved at the stop, not back at step 3");
        assertTrue(grid(s, o -> CellLock.State.GONE).statusText().contains("    1  pending  democnn/scratch/seed0  stopped; checkpoint at epoch 1 step 4, resumes there\n"));

        Grid again = grid(s, o -> CellLock.State.GONE);
        again.runCell(1);
        assertEquals(Grid.Outcome.RESUMED, again.outcomes().get("democnn/scratch/seed0"));
        String log = Files.readString(dir.resolve(Grid.CELL_LOG));
        assertTrue(log.contains("resuming " + dir + " at epoch 1 step 4/5"), log);
    }

    @Test
    void aCellWaitsForTheTeacherWhileAnotherProcessTrainsIt() throws IOException {
        GridSpec s = spec("waits");
        CellLock.Owner other = new CellLock.Owner("5", null, "node2", 9, "t", "s");
        assertNotNull(CellLock.acquire(s.out().resolve("teacher").resolve(CellLock.FILE), other, o -> CellLock.State.GONE, null).lock());
        AtomicInteger asked = new AtomicInteger();
        // alive for three checks, then gone (it was killed): the waiting cell takes the teacher over
        CellLock.Liveness l = o -> asked.incrementAndGet() <= 3 ? CellLock.State.ALIVE : CellLock.State.GONE;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Grid g = new Grid(s, GridClusterTest::model, new PrintStream(log, true, StandardCharsets.UTF_8)).owner(ME).liveness(l).pollMillis(20);
        g.runCell(2);
        String out = log.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("waiting for the teacher (cell 0), which another process is training"), out);
        assertEquals(4, asked.get());
        assertEquals(Grid.Outcome.TRAINED, g.outcomes().get("teacher"));
        assertEquals(Grid.Outcome.TRAINED, g.outcomes().get("democnn/scratch/seed1"));
    }
}
