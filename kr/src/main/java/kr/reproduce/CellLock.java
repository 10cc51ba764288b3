package kr.reproduce;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import kr.io.AtomicFiles;
import kr.io.Json;

/**
 * The lock of one grid cell, {@code <cell>/lock.json}, holding its owner: the Slurm job (when run
 * by one) and the host, pid and start time of the process. It is created with {@code link(2)},
 * which fails when the file exists, also on NFS. A lock whose owner is gone (the Slurm job has
 * left the queue or is not running, or the process on this host has exited) is stale and taken
 * over; a requeued Slurm job keeps its job id and so takes its own lock back.
 *
 * <pre>{@code
 * CellLock.Attempt a = CellLock.acquire(dir.resolve("lock.json"), Owner.current(), Liveness.standard(), log);
 * if (a.lock() != null) try (CellLock l = a.lock()) { ... } else System.out.println("busy: " + a.holder().describe());
 * }</pre>
 */
public final class CellLock implements AutoCloseable {
    public static final String FILE = "lock.json";

    /** Who holds a lock: Slurm job id (null outside Slurm), its array form ("1234_5"), host, pid, process start. */
    public record Owner(String job, String arrayTask, String host, long pid, String processStart, String since) {
        /** This process, from the Slurm environment variables (SLURM_JOB_ID, SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID). */
        public static Owner current() {
            return current(System::getenv);
        }

        static Owner current(Function<String, String> env) {
            String job = env.apply("SLURM_JOB_ID"), aj = env.apply("SLURM_ARRAY_JOB_ID"), at = env.apply("SLURM_ARRAY_TASK_ID");
            ProcessHandle me = ProcessHandle.current();
            return new Owner(job, aj != null && at != null ? aj + "_" + at : null, hostName(), me.pid(),
                    me.info().startInstant().map(Instant::toString).orElse(null), Instant.now().toString());
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("slurm_job", job);
            m.put("slurm_array_task", arrayTask);
            m.put("host", host);
            m.put("pid", pid);
            m.put("process_start", processStart);
            m.put("since", since);
            return m;
        }

        static Owner fromMap(Map<String, Object> m) {
            return new Owner(str(m.get("slurm_job")), str(m.get("slurm_array_task")), str(m.get("host")),
                    m.get("pid") instanceof Number n ? n.longValue() : -1, str(m.get("process_start")), str(m.get("since")));
        }

        private static String str(Object o) {
            return o == null ? null : o.toString();
        }

        /** "Slurm job 1234_5 (id 1239) on node7, pid 42" or "pid 42 on laptop". */
        public String describe() {
            String p = "pid " + pid + " on " + host;
            if (job == null) return p;
            return "Slurm job " + (arrayTask != null ? arrayTask + " (id " + job + ")" : job) + ", " + p;
        }

        /** The same holder: the same Slurm job (a requeued job restarts with its id), else the same process. */
        boolean sameHolder(Owner o) {
            if (job != null || o.job != null) return Objects.equals(job, o.job);
            return pid == o.pid && Objects.equals(host, o.host) && Objects.equals(processStart, o.processStart);
        }
    }

    /** Whether a lock's owner still runs. */
    public enum State { ALIVE, GONE, UNKNOWN }

    /** Decides whether an owner is still running (tests pass a fake; {@link #standard()} asks Slurm, then the process table). */
    @FunctionalInterface
    public interface Liveness {
        State check(Owner o);

        /** squeue for a Slurm owner, then the process table for an owner on this host; UNKNOWN for a process on another host. */
        static Liveness standard() {
            return withSqueue(List.of("squeue"));
        }

        /** {@link #standard()} with another squeue command (tests use a script). */
        static Liveness withSqueue(List<String> squeue) {
            return o -> {
                if (o.job() != null) {
                    State s = squeue(squeue, o.job());
                    if (s != State.UNKNOWN) return s;
                }
                return processState(o);
            };
        }
    }

    /** Slurm states in which the job's processes run (or are being stopped); any other, or no entry, means gone. */
    private static final Set<String> RUNNING = Set.of("RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "STOPPED", "SIGNALING", "RESIZING", "STAGE_OUT");

    /** Asks {@code squeue -h -j JOB -o %T}; UNKNOWN when squeue is missing or cannot reach the controller. */
    static State squeue(List<String> squeue, String job) {
        List<String> cmd = new ArrayList<>(squeue);
        cmd.addAll(List.of("-h", "-j", job, "-o", "%T"));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return State.UNKNOWN;
            }
            if (p.exitValue() != 0) return out.contains("Invalid job id") ? State.GONE : State.UNKNOWN; // purged from the controller: long finished
            if (out.isEmpty()) return State.GONE;
            return RUNNING.contains(out.lines().findFirst().orElse("").trim().toUpperCase(Locale.ROOT)) ? State.ALIVE : State.GONE;
        } catch (IOException e) {
            return State.UNKNOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return State.UNKNOWN;
        }
    }

    /** A process on this host is alive when its pid runs with the recorded start time (pids are reused). */
    static State processState(Owner o) {
        if (!Objects.equals(o.host(), hostName())) return State.UNKNOWN;
        Optional<ProcessHandle> p = ProcessHandle.of(o.pid());
        if (p.isEmpty() || !p.get().isAlive()) return State.GONE;
        String start = p.get().info().startInstant().map(Instant::toString).orElse(null);
        return o.processStart() == null || start == null || o.processStart().equals(start) ? State.ALIVE : State.GONE;
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h == null ? "unknown-host" : h;
        }
    }

    /** The result of {@link #acquire}: the lock, or (null lock) who holds it and whether they are known to run. */
    public record Attempt(CellLock lock, Owner holder, State holderState) {}

    // locks this JVM holds, released by a shutdown hook when it exits on a signal
    private static final Set<CellLock> HELD = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (CellLock l : HELD) l.close();
        }, "kr-cell-locks"));
    }

    private final Path file;
    private final Owner owner;

    private CellLock(Path file, Owner owner) {
        this.file = file;
        this.owner = owner;
        HELD.add(this);
    }

    public Path file() {
        return file;
    }

    /** Takes the lock unless a live (or unverifiable) owner holds it; a stale lock is removed, saying so on {@code log}. */
    public static Attempt acquire(Path file, Owner me, Liveness liveness, PrintStream log) throws IOException {
        Files.createDirectories(file.getParent());
        String mine = Json.pretty(me.toMap());
        for (int attempt = 0; attempt < 5; attempt++) {
            if (create(file, mine)) return new Attempt(new CellLock(file, me), null, null);
            String text;
            try {
                text = Files.readString(file);
            } catch (NoSuchFileException gone) {
                continue; // released meanwhile
            }
            Owner holder;
            try {
                holder = Owner.fromMap(Json.parseObject(text));
            } catch (IllegalArgumentException e) {
                throw new IOException("[reproduce] the lock " + file + " is not a kr lock file (" + e.getMessage() + "); delete it if no run of this cell is going on");
            }
            if (holder.sameHolder(me)) { // our own job, requeued: its earlier run is over
                AtomicFiles.writeString(file, mine);
                return new Attempt(new CellLock(file, me), null, null);
            }
            State s = liveness.check(holder);
            if (s != State.GONE) return new Attempt(null, holder, s);
            // stale: move it aside (only one taker's rename succeeds), and put it back if it changed meanwhile
            Path aside = file.resolveSibling(file.getFileName() + ".stale-" + me.pid() + "-" + System.nanoTime());
            try {
                Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException raced) {
                continue;
            }
            String moved = Files.readString(aside);
            if (!moved.equals(text)) {
                try {
                    Files.createLink(file, aside);
                } catch (FileAlreadyExistsException e) {
                    // someone locked it again meanwhile; their lock stands and ours (moved) is dropped
                }
                Files.deleteIfExists(aside);
                continue;
            }
            Files.deleteIfExists(aside);
            if (log != null) log.println("[reproduce] removed the stale lock " + file + " of " + holder.describe() + " (no longer running)");
        }
        throw new IOException("[reproduce] could not take the lock " + file + " after 5 tries: other runs keep taking it");
    }

    /** Creates {@code file} with {@code text} only if it does not exist: a hard link of a complete temp file. */
    private static boolean create(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        // written in place, not through AtomicFiles: the name is this attempt's alone, and an AtomicFiles temp file here
        // is removed by the cell's trainer (Trainer.start: stale temps), which runs in another process
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            ch.force(true); // complete on disk before it becomes the lock
        }
        try {
            Files.createLink(file, tmp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException e) { // a file system without hard links: the rename may replace a lock taken meanwhile
            if (Files.exists(file)) return false;
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The holder recorded in {@code file}, or null when there is no (readable) lock. */
    public static Owner holder(Path file) {
        try {
            return Owner.fromMap(Json.parseObject(Files.readString(file)));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Deletes the lock if it is still ours (a stale-lock recovery may have handed it to another run). */
    @Override
    public void close() {
        HELD.remove(this);
        Owner h = holder(file);
        if (h != null && h.sameHolder(owner) && Objects.equals(h.since(), owner.since())) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                System.err.println("[reproduce] could not delete the lock " + file + ": " + e.getMessage());
            }
        }
    }
}
