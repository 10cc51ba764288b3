package kr.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.config.ConfigException;
import kr.data.SyntheticCifar;
import kr.io.Json;
import kr.train.DemoCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sbatch script, which cells are submitted and how (teacher first, the runs after it), with a fake sbatch. */
class SlurmArrayTest {
    @TempDir
    Path tmp;

    Grid grid() throws IOException {
        Path data = SyntheticCifar.write(tmp.resolve("data"), 8, 16);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "slurm grid (test)");
        g.put("data", data.toString());
        g.put("out", tmp.resolve("out").toString());
        g.put("seeds", 2L);
        g.put("train", Map.of("epochs", 1L, "batch_size", 8L, "eval_batch_size", 16L, "workers", 0L));
        g.put("teacher", Map.of("model", "democnn"));
        g.put("students", List.of("democnn"));
        g.put("methods", List.of("scratch", "kd"));
        Path f = tmp.resolve("grid.json");
        Files.writeString(f, Json.pretty(g));
        return new Grid(GridSpec.read(f), (n, c) -> new DemoCnn(4, 8, 8, c), null).owner(new CellLock.Owner(null, null, "h", 1, "t", "s"))
                .liveness(o -> CellLock.State.GONE);
    }

    static final List<String> TASK = List.of("/opt/kr/bin/kr", "reproduce", "/home/me/my grid.json", "--threads", "4", "--task");

    @Test
    void theScriptAsksForTheResourcesAndRunsTheTaskCommand() throws IOException {
        Grid g = grid();
        SlurmArray a = new SlurmArray(g, new SlurmArray.Options("gpu", "proj1", "4:00:00", 4, "16G", 1, 3, List.of("--qos=long", "--constraint=a100")), TASK,
                tmp.resolve("work"));
        String s = a.scriptText();
        Path out = tmp.resolve("out").toAbsolutePath();
        for (String line : List.of("#!/bin/bash", "#SBATCH --job-name=kr-slurm-grid-test", "#SBATCH --output=" + out + "/slurm/cell-%a.log", "#SBATCH --open-mode=append",
                "#SBATCH --requeue", "#SBATCH --signal=B:USR1@120", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=16G", "#SBATCH --time=4:00:00", "#SBATCH --partition=gpu",
                "#SBATCH --account=proj1", "#SBATCH --gres=gpu:1", "#SBATCH --qos=long", "#SBATCH --constraint=a100", "cd " + tmp.resolve("work"),
                "export KR_NO_BUILD=1 KR_HEAP=12288m", "exec /opt/kr/bin/kr reproduce '/home/me/my grid.json' --threads 4 --task"))
            assertTrue(s.lines().anyMatch(line::equals), "missing line: " + line + "\n" + s);
        assertEquals(out.resolve("slurm/grid.sbatch"), a.script());

        String plain = new SlurmArray(g, new SlurmArray.Options(null, null, null, 1, null, 0, null, null), TASK, tmp).scriptText();
        for (String absent : List.of("--mem", "--time", "--partition", "--account", "--gres", "KR_HEAP"))
            assertFalse(plain.contains(absent), absent + " is left to the cluster's default:\n" + plain);
    }

    @Test
    void theTeacherGoesFirstAndTheRunsStartAfterItSucceeded() throws IOException {
        Grid g = grid();
        SlurmArray a = new SlurmArray(g, new SlurmArray.Options(null, null, null, 1, null, 0, 2, List.of()), TASK, tmp);
        SlurmArray.Plan p = a.plan();
        assertEquals(List.of(0), p.teacher());
        assertEquals(List.of(1, 2, 3, 4), p.runs());
        String sc = a.script().toString();
        assertEquals(List.of(List.of("sbatch", "--parsable", "--array=0", sc),
                List.of("sbatch", "--parsable", "--array=1-4%2", "--dependency=afterok:$T", "--kill-on-invalid-dep=yes", sc)), a.commands(List.of("sbatch"), p, "$T"));
        String dry = a.dryRun();
        assertTrue(dry.contains("TEACHER_JOB=$(sbatch --parsable --array=0 " + sc + ")\n"), dry);
        assertTrue(dry.contains("sbatch --parsable --array=1-4%2 --dependency=afterok:$TEACHER_JOB --kill-on-invalid-dep=yes " + sc + "\n"), dry);
        assertFalse(Files.exists(a.dir()), "a dry run writes nothing");

        // the teacher and cell 2 done: only cells 1, 3 and 4, with no dependency
        g.runCell(2);
        p = a.plan();
        assertEquals(List.of(), p.teacher());
        assertEquals(List.of(1, 3, 4), p.runs());
        assertEquals(List.of(List.of("sbatch", "--parsable", "--array=1,3-4%2", sc)), a.commands(List.of("sbatch"), p, null));
    }

    /** A fake sbatch that appends its arguments to a file and prints {@code reply}. */
    Path sbatch(String reply, int rc) throws IOException {
        Path s = tmp.resolve("sbatch-" + rc);
        Files.writeString(s, "#!/bin/sh\necho \"$@\" >> '" + tmp.resolve("sbatch.args") + "'\nn=$(wc -l < '" + tmp.resolve("sbatch.args") + "')\n"
                + "printf '" + reply + "\\n' \"$n\"\nexit " + rc + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        return s;
    }

    @Test
    void submitRunsSbatchTwiceAndRecordsTheJobs() throws IOException {
        Grid g = grid();
        SlurmArray a = new SlurmArray(g, new SlurmArray.Options(null, null, null, 1, null, 0, null, List.of()), TASK, tmp);
        SlurmArray.Submitted s = a.submit(List.of(sbatch("10%s;cluster", 0).toString()), null); // job ids 101, 102
        assertEquals("101", s.teacherJob());
        assertEquals("102", s.runsJob());
        List<String> args = Files.readAllLines(tmp.resolve("sbatch.args"));
        assertEquals("--parsable --array=0 " + a.script(), args.get(0));
        assertEquals("--parsable --array=1-4 --dependency=afterok:101 --kill-on-invalid-dep=yes " + a.script(), args.get(1));
        assertEquals(a.scriptText(), Files.readString(a.script()));
        String last = SlurmArray.lastSubmission(g.spec().out());
        assertTrue(last.contains("teacher job 101 (cell 0) runs job 102 (cells 1-4)"), last);

        IOException e = assertThrows(IOException.class, () -> a.submit(List.of(sbatch("sbatch: error: invalid partition", 1).toString()), null));
        assertTrue(e.getMessage().contains("failed (exit 1): sbatch: error: invalid partition"), e.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> a.submit(List.of(tmp.resolve("no-sbatch").toString()), null));
        assertTrue(missing.getMessage().contains("--slurm needs the Slurm client on this machine"), missing.getMessage());
    }

    @Test
    void aFinishedGridSubmitsNothing() throws IOException {
        Grid g = grid();
        g.run();
        SlurmArray a = new SlurmArray(g, new SlurmArray.Options(null, null, null, 1, null, 0, null, List.of()), TASK, tmp);
        SlurmArray.Submitted s = a.submit(List.of(tmp.resolve("never-run").toString()), null);
        assertNull(s.teacherJob());
        assertNull(s.runsJob());
        assertTrue(a.dryRun().contains("every cell is done: nothing to submit"));
    }

    @Test
    void rangesAndMemoryAndBadOptions() {
        assertEquals("0", SlurmArray.ranges(List.of(0)));
        assertEquals("1-3,5,7-8", SlurmArray.ranges(List.of(8, 1, 2, 3, 5, 7)));
        assertEquals(3072, SlurmArray.heapMegabytes("4G"));
        assertEquals(3000, SlurmArray.heapMegabytes("4000"));
        assertEquals(750, SlurmArray.heapMegabytes("1000m"));
        ConfigException e = assertThrows(ConfigException.class, () -> new SlurmArray.Options(null, null, null, 1, "lots", 0, null, null));
        assertEquals("[reproduce] --mem lots is not a Slurm memory size (e.g. 4000M, 16G)", e.getMessage());
        assertThrows(ConfigException.class, () -> new SlurmArray.Options(null, null, null, 0, null, 0, null, null));
        assertThrows(ConfigException.class, () -> new SlurmArray.Options(null, null, null, 1, "100M", 0, null, null));
        assertEquals("'a b'", SlurmArray.quote("a b"));
        assertEquals("'it'\\''s'", SlurmArray.quote("it's"));
    }
}
