package kr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.data.SyntheticCifar;
import kr.io.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kr reproduce --slurm --dry-run, --status, --shard, --cell and --report from the command line; no Slurm needed. */
class ReproduceCommandTest {
    @TempDir
    static Path tmp;
    static Path grid;

    @BeforeAll
    static void writeGrid() throws IOException {
        Path data = SyntheticCifar.write(tmp.resolve("cifar"), 8, 16);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "cli grid");
        g.put("data", data.toString());
        g.put("seeds", 1L);
        g.put("train", Map.of("epochs", 1L, "batch_size", 8L, "eval_batch_size", 16L, "workers", 0L, "checkpoint_every", 4L));
        g.put("teacher", Map.of("model", "democnn"));
        g.put("students", List.of("democnn"));
        g.put("methods", List.of("scratch", "kd", "at"));
        grid = tmp.resolve("grid.json");
        Files.writeString(grid, Json.pretty(g));
    }

    static CliTest.Run kr(String... args) {
        return CliTest.kr(args);
    }

    @Test
    void dryRunPrintsTheScriptAndTheSubmissionAndWritesNothing() {
        Path out = tmp.resolve("dry");
        CliTest.Run r = kr("reproduce", grid.toString(), "--out", out.toString(), "--slurm", "--dry-run", "--partition", "cpu", "--account", "lab", "--time", "2:00:00",
                "--cpus", "2", "--mem", "8G", "--max-running", "2", "--sbatch-arg=--qos=short");
        assertEquals(0, r.code(), r.err());
        String o = r.out();
        for (String line : List.of("#SBATCH --partition=cpu", "#SBATCH --account=lab", "#SBATCH --time=2:00:00", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=8G",
                "#SBATCH --qos=short", "#SBATCH --output=" + out.toAbsolutePath() + "/slurm/cell-%a.log"))
            assertTrue(o.lines().anyMatch(line::equals), "missing " + line + ":\n" + o);
        String exec = o.lines().filter(l -> l.startsWith("exec ")).findFirst().orElseThrow();
        assertTrue(exec.endsWith(" reproduce " + grid.toAbsolutePath() + " --out " + out + " --threads 2 --progress off --task"), exec);
        assertTrue(o.contains("TEACHER_JOB=$(sbatch --parsable --array=0 "), o);
        assertTrue(o.contains("sbatch --parsable --array=1-3%2 --dependency=afterok:$TEACHER_JOB --kill-on-invalid-dep=yes "), o);
        assertFalse(Files.exists(out), "--dry-run submits and writes nothing");
    }

    @Test
    void shardsThenStatusThenReport() throws IOException {
        Path out = tmp.resolve("sharded");
        CliTest.Run st = kr("reproduce", grid.toString(), "--out", out.toString(), "--status");
        assertEquals(0, st.code(), st.err());
        assertTrue(st.out().startsWith("grid cli grid: 4 cells in " + out + ": 0 done, 0 running, 0 failed, 4 pending\n"), st.out());

        CliTest.Run c0 = kr("reproduce", grid.toString(), "--out", out.toString(), "--cell", "0", "--threads", "1", "--progress", "off");
        assertEquals(0, c0.code(), c0.err());
        assertTrue(c0.out().contains("3 of 4 cells not finished yet (1 democnn/scratch/seed0, 2 democnn/kd/seed0, 3 democnn/at/seed0)"), c0.out());
        st = kr("reproduce", grid.toString(), "--out", out.toString(), "--status");
        assertTrue(st.out().contains(": 1 done, 0 running, 0 failed, 3 pending\n"), st.out());

        CliTest.Run s1 = kr("reproduce", grid.toString(), "--out", out.toString(), "--shard", "1/2", "--threads", "1", "--progress", "off");
        assertEquals(0, s1.code(), s1.err());
        assertTrue(s1.out().contains("shard 1/2 of 4 cell(s)") && s1.out().contains("1 of 4 cells not finished yet (2 democnn/kd/seed0)"), "shard 1 runs cells 1 and 3:\n" + s1.out());
        assertFalse(Files.exists(out.resolve("table.md")));
        st = kr("reproduce", grid.toString(), "--out", out.toString(), "--status");
        assertTrue(st.out().contains(": 3 done, 0 running, 0 failed, 1 pending\n"), st.out());
        assertTrue(st.out().matches("(?s).*\n +2 +pending +democnn/kd/seed0\n.*"), st.out());

        CliTest.Run s0 = kr("reproduce", grid.toString(), "--out", out.toString(), "--shard", "0/2", "--threads", "1", "--progress", "off");
        assertEquals(0, s0.code(), s0.err());
        assertTrue(s0.out().contains("results in " + out), "the last shard writes the table:\n" + s0.out());
        String table = Files.readString(out.resolve("table.md"));
        assertTrue(table.contains("| democnn | scratch |") && table.contains("| democnn | kd |") && table.contains("| democnn | at |"), table);
        st = kr("reproduce", grid.toString(), "--out", out.toString(), "--status");
        assertTrue(st.out().contains(": 4 done, 0 running, 0 failed, 0 pending\n") && st.out().contains("\nall cells done: " + out.resolve("table.md") + "\n"), st.out());

        Files.delete(out.resolve("table.md"));
        CliTest.Run rep = kr("reproduce", grid.toString(), "--out", out.toString(), "--report");
        assertEquals(0, rep.code(), rep.err());
        assertEquals(table, Files.readString(out.resolve("table.md")));
        assertTrue(rep.out().contains("| democnn | at |"), rep.out());
    }

    @Test
    void parallelProcessesGiveTheSequentialGridsRunsAndTable() throws IOException {
        Path seq = tmp.resolve("sequential"), par = tmp.resolve("parallel");
        CliTest.Run a = kr("reproduce", grid.toString(), "--out", seq.toString(), "--threads", "1", "--progress", "off");
        assertEquals(0, a.code(), a.err());
        CliTest.Run b = kr("reproduce", grid.toString(), "--out", par.toString(), "--parallel", "2", "--threads", "1");
        assertEquals(0, b.code(), b.err() + b.out());
        assertTrue(b.out().contains("3 run(s) plus the teacher, 2 at a time (a process each, 1 thread(s) each)"), b.out());
        assertTrue(b.out().contains(": 4 done, 0 running, 0 failed, 0 pending"), b.out());
        assertTrue(Files.readString(par.resolve("parallel/teacher.log")).contains("[cell 0 of 4]"), "the teacher ran first, alone");
        // each worker walks the cells in order, skipping those done or held by the other: every cell was trained once
        for (String run : List.of("teacher", "democnn/scratch/seed0", "democnn/kd/seed0", "democnn/at/seed0")) {
            String log = Files.readString(par.resolve(run).resolve(kr.reproduce.Grid.CELL_LOG));
            assertEquals(1, log.lines().filter(l -> l.contains(") started by ")).count(), run + ":\n" + log);
        }
        for (String run : List.of("teacher", "democnn/scratch/seed0", "democnn/kd/seed0", "democnn/at/seed0")) {
            Path m = Path.of(run, "metrics.jsonl"), w = Path.of(run, "checkpoints", "best.safetensors");
            assertEquals(withoutTimes(seq.resolve(m)), withoutTimes(par.resolve(m)), run);
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(seq.resolve(w)), Files.readAllBytes(par.resolve(w))), run + ": best weights differ");
        }
        assertEquals(withoutTimes(seq.resolve("table.md")), withoutTimes(par.resolve("table.md")));
    }

    /** A metrics.jsonl or table.md without what depends on the clock: the seconds fields, and the table's train-time column. */
    private static List<String> withoutTimes(Path f) throws IOException {
        return Files.readAllLines(f).stream()
                .map(l -> l.replaceAll("\"(epoch_seconds|images_per_second)\":[^,}]*", "").replaceAll("\\| [0-9][0-9.]* (s|min|h) \\|", "| |"))
                .toList();
    }

    @Test
    void badModeCombinationsAndValuesAreUsageErrors() {
        String[][] cases = {
            {"--shard", "2/2"}, {"--shard 2/2: I/N needs N >= 1 and 0 <= I < N"},
            {"--shard", "half"}, {"--shard half is not I/N"},
            {"--status", "--report"}, {"--status and --report exclude each other"},
            {"--partition", "gpu"}, {"--partition is an option of --slurm, which is not given"},
            {"--dry-run"}, {"--dry-run is an option of --slurm"},
            {"--slurm", "--mem", "lots"}, {"--mem lots is not a Slurm memory size"},
            {"--cell", "9"}, {"there is no cell 9: grid cli grid has 4 cells (0-3)"},
            {"--parallel", "0"}, {"--parallel must be in [1, 256], got 0"},
            {"--parallel", "2", "--shard", "0/2"}, {"--shard and --parallel exclude each other"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> args = new java.util.ArrayList<>(List.of("reproduce", grid.toString(), "--out", tmp.resolve("bad").toString()));
            args.addAll(List.of(cases[i]));
            CliTest.Run r = kr(args.toArray(String[]::new));
            assertEquals(Main.USAGE, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().contains(cases[i + 1][0]), String.join(" ", cases[i]) + ": " + r.err());
        }
        if (System.getenv("SLURM_ARRAY_TASK_ID") == null) {
            CliTest.Run r = kr("reproduce", grid.toString(), "--task");
            assertEquals(Main.USAGE, r.code());
            assertTrue(r.err().contains("--task runs the cell named by SLURM_ARRAY_TASK_ID, which is not set"), r.err());
        }
    }
}
