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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import kr.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cell lock: one holder at a time, stale locks taken over, requeued jobs re-entering, and how liveness is decided (squeue, pids). */
class CellLockTest {
    @TempDir
    Path tmp;

    static CellLock.Owner slurm(String job, long pid) {
        return new CellLock.Owner(job, "50_" + job, "node1", pid, "2026-01-01T00:00:00Z", "2026-01-01T00:00:0" + (pid % 10) + "Z");
    }

    static final CellLock.Liveness NEVER_ASKED = o -> {
        throw new AssertionError("liveness of " + o.describe() + " was not to be asked");
    };

    @Test
    void oneHolderAtATimeAndReleaseDeletesTheFile() throws IOException {
        Path f = tmp.resolve("cell/lock.json");
        CellLock.Attempt a = CellLock.acquire(f, slurm("100", 1), NEVER_ASKED, null);
        assertNotNull(a.lock());
        assertEquals("100", Json.parseObject(Files.readString(f)).get("slurm_job"));
        CellLock.Attempt b = CellLock.acquire(f, slurm("200", 2), o -> CellLock.State.ALIVE, null);
        assertNull(b.lock(), "a live holder keeps the cell");
        assertEquals("100", b.holder().job());
        assertEquals(CellLock.State.ALIVE, b.holderState());
        CellLock.Attempt c = CellLock.acquire(f, slurm("200", 2), o -> CellLock.State.UNKNOWN, null);
        assertNull(c.lock(), "a holder that cannot be checked keeps the cell too");
        a.lock().close();
        assertFalse(Files.exists(f));
        CellLock.Attempt d = CellLock.acquire(f, slurm("200", 2), NEVER_ASKED, null);
        assertNotNull(d.lock());
        d.lock().close();
    }

    @Test
    void aStaleLockIsTakenOverAndItsOldHolderCannotDeleteTheNewOne() throws IOException {
        Path f = tmp.resolve("lock.json");
        CellLock old = CellLock.acquire(f, slurm("100", 1), NEVER_ASKED, null).lock();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CellLock.Attempt a = CellLock.acquire(f, slurm("200", 2), o -> o.job().equals("100") ? CellLock.State.GONE : CellLock.State.ALIVE,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertNotNull(a.lock());
        assertEquals("200", CellLock.holder(f).job());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("removed the stale lock " + f + " of Slurm job 50_100 (id 100)"), log.toString(StandardCharsets.UTF_8));
        old.close(); // the old holder comes back to life late: the lock is no longer its own
        assertEquals("200", CellLock.holder(f).job());
        a.lock().close();
        assertFalse(Files.exists(f));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList(), "no temp or stale files are left");
        }
    }

    @Test
    void aRequeuedSlurmJobTakesItsOwnLockBackWithoutAsking() throws IOException {
        Path f = tmp.resolve("lock.json");
        CellLock.acquire(f, slurm("100", 1), NEVER_ASKED, null); // killed without releasing it
        CellLock.Attempt again = CellLock.acquire(f, slurm("100", 7), NEVER_ASKED, null); // the same job id, a new process
        assertNotNull(again.lock());
        assertEquals(7L, CellLock.holder(f).pid());
        again.lock().close();
        assertFalse(Files.exists(f));
    }

    @Test
    void aFileThatIsNotALockIsReportedByName() throws IOException {
        Path f = tmp.resolve("lock.json");
        Files.writeString(f, "not json");
        IOException e = assertThrows(IOException.class, () -> CellLock.acquire(f, slurm("1", 1), NEVER_ASKED, null));
        assertTrue(e.getMessage().startsWith("[reproduce] the lock " + f + " is not a kr lock file"), e.getMessage());
    }

    @Test
    void processesOnThisHostAreCheckedByPidAndStartTime() throws Exception {
        CellLock.Owner me = CellLock.Owner.current(k -> null);
        assertNull(me.job());
        assertEquals(CellLock.State.ALIVE, CellLock.processState(me));
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        CellLock.Owner exited = new CellLock.Owner(null, null, me.host(), p.pid(), null, me.since());
        assertEquals(CellLock.State.GONE, CellLock.processState(exited));
        CellLock.Owner reused = new CellLock.Owner(null, null, me.host(), me.pid(), "1999-01-01T00:00:00Z", me.since());
        assertEquals(CellLock.State.GONE, CellLock.processState(reused), "a pid that now belongs to another process");
        CellLock.Owner elsewhere = new CellLock.Owner(null, null, me.host() + "-other", me.pid(), me.processStart(), me.since());
        assertEquals(CellLock.State.UNKNOWN, CellLock.processState(elsewhere));
        CellLock.Owner fromEnv = CellLock.Owner.current(Map.of("SLURM_JOB_ID", "812", "SLURM_ARRAY_JOB_ID", "800", "SLURM_ARRAY_TASK_ID", "12")::get);
        assertEquals("Slurm job 800_12 (id 812), pid " + me.pid() + " on " + me.host(), fromEnv.describe());
    }

    /** A fake squeue printing {@code output} with exit status {@code rc}, recording its arguments. */
    Path squeue(String output, int rc) throws IOException {
        Path s = tmp.resolve("squeue-" + rc + "-" + output.hashCode());
        Files.writeString(s, "#!/bin/sh\necho \"$@\" > '" + tmp.resolve("args") + "'\nprintf '%s\\n' '" + output + "'\nexit " + rc + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        return s;
    }

    @Test
    void squeueDecidesForSlurmOwners() throws IOException {
        assertEquals(CellLock.State.ALIVE, CellLock.squeue(List.of(squeue("RUNNING", 0).toString()), "4711"));
        assertEquals("-h -j 4711 -o %T", Files.readString(tmp.resolve("args")).trim());
        assertEquals(CellLock.State.ALIVE, CellLock.squeue(List.of(squeue("COMPLETING", 0).toString()), "1"));
        assertEquals(CellLock.State.GONE, CellLock.squeue(List.of(squeue("CANCELLED", 0).toString()), "1"));
        assertEquals(CellLock.State.GONE, CellLock.squeue(List.of(squeue("PENDING", 0).toString()), "1"), "requeued: not running now");
        assertEquals(CellLock.State.GONE, CellLock.squeue(List.of(squeue("", 0).toString()), "1"));
        assertEquals(CellLock.State.GONE, CellLock.squeue(List.of(squeue("slurm_load_jobs error: Invalid job id specified", 1).toString()), "1"));
        assertEquals(CellLock.State.UNKNOWN, CellLock.squeue(List.of(squeue("slurm_load_jobs error: Unable to contact slurm controller", 1).toString()), "1"));
        assertEquals(CellLock.State.UNKNOWN, CellLock.squeue(List.of(tmp.resolve("no-such-squeue").toString()), "1"));

        // without squeue, a Slurm owner on this host falls back to its pid
        CellLock.Owner me = CellLock.Owner.current(Map.of("SLURM_JOB_ID", "9")::get);
        CellLock.Liveness noSqueue = CellLock.Liveness.withSqueue(List.of(tmp.resolve("no-such-squeue").toString()));
        assertEquals(CellLock.State.ALIVE, noSqueue.check(me));
        CellLock.Liveness finished = CellLock.Liveness.withSqueue(List.of(squeue("COMPLETED", 0).toString()));
        assertEquals(CellLock.State.GONE, finished.check(me), "squeue's answer wins over the pid");
    }
}
