package kr.reproduce;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kr.config.ConfigException;
import kr.io.AtomicFiles;
import kr.io.Json;

/**
 * A grid as a Slurm job array. {@code <out>/slurm/grid.sbatch} runs, as array task I, cell I of the
 * grid (the task command, e.g. {@code kr reproduce GRID --task}, reads SLURM_ARRAY_TASK_ID); the
 * unfinished cells are submitted as the teacher's job (task 0) and the runs' array, which starts
 * after the teacher succeeded ({@code --dependency=afterok}). Every task's output is appended to
 * {@code <out>/slurm/cell-I.log}. Tasks are requeueable and get SIGUSR1 two minutes before their
 * time limit, on which kr saves a checkpoint and requeues the task.
 *
 * <pre>{@code
 * SlurmArray a = new SlurmArray(grid, new SlurmArray.Options("gpu", null, "4:00:00", 4, "16G", 1, null, List.of()), taskCommand, workDir);
 * System.out.print(a.dryRun());      // the script and the sbatch commands
 * a.submit(List.of("sbatch"), System.out);
 * }</pre>
 */
public final class SlurmArray {
    /** Resources per array task and extra #SBATCH lines; null means the cluster's default. */
    public record Options(String partition, String account, String time, int cpus, String mem, int gpus, Integer maxRunning, List<String> extra) {
        public Options {
            if (cpus < 1) throw new ConfigException("[reproduce] --cpus must be at least 1, got " + cpus);
            if (gpus < 0) throw new ConfigException("[reproduce] --gpus must be 0 or more, got " + gpus);
            if (maxRunning != null && maxRunning < 1) throw new ConfigException("[reproduce] --max-running must be at least 1, got " + maxRunning);
            if (mem != null) heapMegabytes(mem); // validates
            extra = extra == null ? List.of() : List.copyOf(extra);
        }
    }

    /** Which cells go to Slurm: the teacher's (empty or [0]) and the runs'. */
    public record Plan(List<Integer> teacher, List<Integer> runs) {}

    /** The job ids sbatch gave (null where nothing was submitted). */
    public record Submitted(String teacherJob, String runsJob, Plan plan) {}

    private final Grid grid;
    private final Options o;
    private final List<String> task;
    private final Path workDir;

    /** {@code taskCommand}: the command an array task runs (it reads SLURM_ARRAY_TASK_ID); {@code workDir}: where it runs. */
    public SlurmArray(Grid grid, Options o, List<String> taskCommand, Path workDir) {
        this.grid = grid;
        this.o = o;
        this.task = List.copyOf(taskCommand);
        this.workDir = workDir.toAbsolutePath().normalize();
    }

    public Path dir() {
        return grid.spec().out().toAbsolutePath().normalize().resolve("slurm");
    }

    public Path script() {
        return dir().resolve("grid.sbatch");
    }

    /** The batch script: resources as #SBATCH lines, then the task command. */
    public String scriptText() {
        String out = dir().toString();
        if (out.matches(".*\\s.*")) throw new ConfigException("[reproduce] --slurm: the grid's out directory " + out + " has white space, which #SBATCH lines cannot hold");
        StringBuilder b = new StringBuilder();
        b.append("#!/bin/bash\n");
        b.append("# kr reproduce --slurm: array task I runs cell I of grid '").append(grid.spec().name().replace('\n', ' ')).append("' (kr reproduce --status lists them).\n");
        b.append("# A task is safe to rerun: a finished cell is skipped, a started one resumes from its checkpoint.\n");
        b.append("#SBATCH --job-name=kr-").append(jobName(grid.spec().name())).append('\n');
        b.append("#SBATCH --output=").append(out).append("/cell-%a.log\n");
        b.append("#SBATCH --open-mode=append\n");
        b.append("#SBATCH --requeue\n");
        // two minutes before the time limit: kr saves a checkpoint and requeues the task
        b.append("#SBATCH --signal=B:USR1@120\n");
        b.append("#SBATCH --cpus-per-task=").append(o.cpus()).append('\n');
        if (o.mem() != null) b.append("#SBATCH --mem=").append(o.mem()).append('\n');
        if (o.time() != null) b.append("#SBATCH --time=").append(o.time()).append('\n');
        if (o.partition() != null) b.append("#SBATCH --partition=").append(o.partition()).append('\n');
        if (o.account() != null) b.append("#SBATCH --account=").append(o.account()).append('\n');
        if (o.gpus() > 0) b.append("#SBATCH --gres=gpu:").append(o.gpus()).append('\n');
        for (String e : o.extra()) b.append("#SBATCH ").append(e).append('\n');
        b.append("set -eu\n");
        b.append("cd ").append(quote(workDir.toString())).append('\n');
        // the jars are built already; tasks starting together must not rebuild them
        b.append("export KR_NO_BUILD=1");
        if (o.mem() != null) b.append(" KR_HEAP=").append(heapMegabytes(o.mem())).append('m');
        b.append('\n');
        b.append("exec");
        for (String t : task) b.append(' ').append(quote(t));
        b.append('\n');
        return b.toString();
    }

    /** The unfinished cells: the teacher (if the grid trains it and it is not done) and the runs. */
    public Plan plan() {
        List<Integer> t = new ArrayList<>(), r = new ArrayList<>();
        for (Grid.Cell c : grid.unfinished()) (c.teacher() ? t : r).add(c.index());
        return new Plan(t, r);
    }

    /** The sbatch commands for {@code p}; the runs' depend on {@code teacherJob} when the teacher is submitted too. */
    public List<List<String>> commands(List<String> sbatch, Plan p, String teacherJob) {
        List<List<String>> cmds = new ArrayList<>();
        if (!p.teacher().isEmpty()) {
            List<String> c = new ArrayList<>(sbatch);
            c.addAll(List.of("--parsable", "--array=" + ranges(p.teacher()), script().toString()));
            cmds.add(c);
        }
        if (!p.runs().isEmpty()) {
            List<String> c = new ArrayList<>(sbatch);
            c.add("--parsable");
            c.add("--array=" + ranges(p.runs()) + (o.maxRunning() == null ? "" : "%" + o.maxRunning()));
            if (!p.teacher().isEmpty()) {
                c.add("--dependency=afterok:" + teacherJob);
                c.add("--kill-on-invalid-dep=yes"); // a failed teacher cancels the runs instead of leaving them pending forever
            }
            c.add(script().toString());
            cmds.add(c);
        }
        return cmds;
    }

    /** What --dry-run prints: the script and the commands that would submit it. */
    public String dryRun() {
        Plan p = plan();
        StringBuilder b = new StringBuilder();
        b.append("# ").append(script()).append('\n').append(scriptText()).append('\n');
        if (p.teacher().isEmpty() && p.runs().isEmpty()) return b.append("# every cell is done: nothing to submit\n").toString();
        b.append("# submitted with (").append(p.teacher().size() + p.runs().size()).append(" unfinished cells):\n");
        List<List<String>> cmds = commands(List.of("sbatch"), p, "$TEACHER_JOB");
        for (int i = 0; i < cmds.size(); i++) {
            String c = String.join(" ", cmds.get(i));
            b.append(i == 0 && !p.teacher().isEmpty() ? "TEACHER_JOB=$(" + c + ")" : c).append('\n');
        }
        return b.toString();
    }

    /** Writes the script and submits the unfinished cells with {@code sbatch}; records the job ids in {@code slurm/submitted.json}. */
    public Submitted submit(List<String> sbatch, PrintStream log) throws IOException {
        Plan p = plan();
        if (p.teacher().isEmpty() && p.runs().isEmpty()) return new Submitted(null, null, p);
        Files.createDirectories(dir());
        AtomicFiles.writeString(script(), scriptText());
        String teacherJob = null, runsJob = null;
        if (!p.teacher().isEmpty()) {
            teacherJob = sbatch(commands(sbatch, new Plan(p.teacher(), List.of()), null).get(0));
            if (log != null) log.println("submitted the teacher (cell " + ranges(p.teacher()) + ") as Slurm job " + teacherJob);
        }
        if (!p.runs().isEmpty()) {
            List<List<String>> cmds = commands(sbatch, p, teacherJob);
            runsJob = sbatch(cmds.get(cmds.size() - 1));
            if (log != null) log.println("submitted " + p.runs().size() + " run(s) (cells " + ranges(p.runs()) + ") as Slurm array job " + runsJob
                    + (teacherJob == null ? "" : ", starting after job " + teacherJob));
        }
        Submitted s = new Submitted(teacherJob, runsJob, p);
        record(s);
        return s;
    }

    private void record(Submitted s) throws IOException {
        Path f = dir().resolve("submitted.json");
        List<Object> all = new ArrayList<>();
        if (Files.exists(f)) {
            try {
                if (Json.parse(Files.readString(f)) instanceof List<?> l) all.addAll(l);
            } catch (IllegalArgumentException e) {
                // a damaged record is replaced: it only informs --status
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", Instant.now().toString());
        m.put("teacher_job", s.teacherJob());
        m.put("teacher_cells", ranges(s.plan().teacher()));
        m.put("runs_job", s.runsJob());
        m.put("run_cells", ranges(s.plan().runs()));
        m.put("script", script().toString());
        all.add(m);
        AtomicFiles.writeString(f, Json.pretty(all));
    }

    /** "submitted ...: teacher job 12 (cell 0), runs job 13 (cells 1-8)" from the last submission, or null. */
    public static String lastSubmission(Path out) {
        try {
            if (!(Json.parse(Files.readString(out.resolve("slurm").resolve("submitted.json"))) instanceof List<?> l) || l.isEmpty()) return null;
            Map<?, ?> m = (Map<?, ?>) l.get(l.size() - 1);
            StringBuilder b = new StringBuilder("last submitted to Slurm at " + m.get("at") + ":");
            if (m.get("teacher_job") != null) b.append(" teacher job ").append(m.get("teacher_job")).append(" (cell ").append(m.get("teacher_cells")).append(")");
            if (m.get("runs_job") != null) b.append(" runs job ").append(m.get("runs_job")).append(" (cells ").append(m.get("run_cells")).append(")");
            return b.append("; logs in ").append(out.resolve("slurm")).append("/cell-I.log").toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String sbatch(List<String> cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new ConfigException("[reproduce] cannot run " + cmd.get(0) + " (" + e.getMessage() + "): --slurm needs the Slurm client on this machine; --dry-run prints the script");
        }
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("[reproduce] interrupted while waiting for sbatch");
        }
        // --parsable prints "jobid" or "jobid;cluster", possibly after warnings
        String last = out.lines().reduce((a, b) -> b).orElse("").trim();
        Matcher m = Pattern.compile("^(\\d+)(;.*)?$").matcher(last);
        if (p.exitValue() != 0 || !m.matches())
            throw new IOException("[reproduce] " + String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out.replace('\n', ' '));
        return m.group(1);
    }

    /** Sorted cell numbers as a Slurm array range: [1, 2, 3, 5] is "1-3,5". */
    static String ranges(List<Integer> cells) {
        StringBuilder b = new StringBuilder();
        List<Integer> s = new ArrayList<>(cells);
        s.sort(null);
        for (int i = 0; i < s.size();) {
            int j = i;
            while (j + 1 < s.size() && s.get(j + 1) == s.get(j) + 1) j++;
            if (b.length() > 0) b.append(',');
            b.append(s.get(i));
            if (j > i) b.append('-').append(s.get(j));
            i = j + 1;
        }
        return b.toString();
    }

    /** Three quarters of a Slurm memory size ("16G", "4000M", "4000" = MB), in MB: the JVM heap that fits beside its own memory. */
    static long heapMegabytes(String mem) {
        Matcher m = Pattern.compile("(\\d+)([KMGT]?)B?").matcher(mem.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) throw new ConfigException("[reproduce] --mem " + mem + " is not a Slurm memory size (e.g. 4000M, 16G)");
        long n = Long.parseLong(m.group(1));
        long mb = switch (m.group(2)) {
            case "K" -> n / 1024;
            case "G" -> n * 1024;
            case "T" -> n * 1024 * 1024;
            default -> n;
        };
        if (mb < 256) throw new ConfigException("[reproduce] --mem " + mem + " is too little for a JVM run (at least 256M)");
        return mb * 3 / 4;
    }

    private static String jobName(String name) {
        String n = name.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        return n.isEmpty() ? "grid" : n.length() > 40 ? n.substring(0, 40) : n;
    }

    /** Single-quoted for the shell when it has anything beyond safe characters. */
    static String quote(String s) {
        if (s.matches("[A-Za-z0-9_./=:,+@%-]+")) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
