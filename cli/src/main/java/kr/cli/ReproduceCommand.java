package kr.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kr.config.ConfigException;
import kr.reproduce.Grid;
import kr.reproduce.GridSpec;
import kr.reproduce.SlurmArray;
import kr.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kr reproduce}: runs (or continues) an experiment grid, here, as a shard, or as a Slurm job array, and writes its table and curves. */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an experiment grid: the teacher (unless given), then every student x method x seed.",
            "Finished runs are skipped and an interrupted run resumes, so rerunning a killed grid continues it.",
            "Each run (a cell; the teacher is cell 0) is locked while it trains, so several processes may share a grid:",
            "--slurm submits it as a Slurm job array, --shard I/N runs every N-th cell (Kubernetes Indexed Jobs, a loop",
            "over hosts). The last cell to finish writes table.md (top-1 mean ± std over seeds at the best and at the",
            "last epoch), summary.json and curves-<student>.svg under the grid's out directory.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr reproduce experiments/cifar10-kr-grid.json --seeds 3",
            "  kr reproduce experiments/cifar10-kr-grid.json --data data/cifar10 --out results/cifar10-grid",
            "  # every run on the GPU:",
            "  kr reproduce experiments/cifar10-kr-grid-gpu.json --device cuda --tf32",
            "  # as a Slurm job array (--dry-run prints the sbatch script and submits nothing):",
            "  kr reproduce experiments/cifar10-kr-grid.json --slurm --partition gpu --time 4:00:00 \\",
            "      --cpus 8 --mem 16G --gpus 1 --device cuda",
            "  kr reproduce experiments/cifar10-kr-grid.json --slurm --dry-run",
            "  # four runs at once on this machine, one process and one thread each:",
            "  kr reproduce experiments/cifar10-kr-grid.json --parallel 4 --threads 1",
            "  # done, running, failed or pending, per cell:",
            "  kr reproduce experiments/cifar10-kr-grid.json --status",
            "  # shard 3 of 8 (a Kubernetes Indexed Job passes $JOB_COMPLETION_INDEX as the first number):",
            "  kr reproduce experiments/cifar10-kr-grid.json --shard 3/8 --threads 4",
            "",
            "The experiment file: {\"name\", \"data\", \"out\", \"seeds\", \"train\": {kr train settings},",
            " \"teacher\": {\"model\", \"weights\" (or null to train it), \"train\": {overrides}}, \"students\": [...],",
            " \"methods\": [\"scratch\", \"kd\", \"kr+kd\", {\"name\": ..., \"method\": ..., distill settings}], \"distill\": {...}}",
            "",
            "On SIGTERM (scancel, preemption) a run saves a checkpoint at its next step and exits; on SIGUSR1 (sent by",
            "the --slurm script two minutes before the time limit) it also requeues its Slurm task."})
final class ReproduceCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec cmd;

    @Parameters(paramLabel = "EXPERIMENT_FILE", description = "The grid (JSON).")
    Path file;

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds per cell (default: the file's, else 1).")
    Integer seeds;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: the file's); demo is the bundled CIFAR-10 subset.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the grid's runs and results go (default: the file's).")
    Path out;

    @Mixin
    EngineOptions engine;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto", description = "Progress line on stderr: auto, tty, plain or off (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--status", description = "Print each cell's state (done, running and by which job, failed with the end of its log, pending) and exit.")
    boolean status;

    @Option(names = "--report", description = "Write table.md, summary.json and the curves from the finished cells now, and print the table.")
    boolean report;

    @Option(names = "--shard", paramLabel = "I/N", description = "Run cells I, I+N, I+2N, ... (after the teacher, which the first shard to get to it trains).")
    String shard;

    @Option(names = "--parallel", paramLabel = "N", description = {"Run N cells at once here, each in its own process with --threads",
        "threads (default: the cores / N; the teacher, trained first and alone, all cores). With --device cuda they share the GPU."})
    Integer parallel;

    @Option(names = "--slurm", description = "Submit the unfinished cells as a Slurm job array (the teacher first, the runs after it) instead of running them here.")
    boolean slurm;

    @Option(names = "--partition", paramLabel = "P", description = "--slurm: partition.")
    String partition;

    @Option(names = "--account", paramLabel = "A", description = "--slurm: account.")
    String account;

    @Option(names = "--time", paramLabel = "T", description = "--slurm: time limit per run (e.g. 4:00:00); a run that reaches it is checkpointed and requeued.")
    String time;

    @Option(names = "--cpus", paramLabel = "N", description = "--slurm: CPUs per run, also its --threads unless given (default: 1).")
    Integer cpus;

    @Option(names = "--mem", paramLabel = "M", description = "--slurm: memory per run (e.g. 16G); the JVM heap is three quarters of it.")
    String mem;

    @Option(names = "--gpus", paramLabel = "N", description = "--slurm: GPUs per run (--gres=gpu:N); add --device cuda to train on them.")
    Integer gpus;

    @Option(names = "--max-running", paramLabel = "K", description = "--slurm: at most K runs at once (--array=...%%K).")
    Integer maxRunning;

    @Option(names = "--sbatch-arg", paramLabel = "ARG", description = "--slurm: one more #SBATCH line, e.g. --sbatch-arg=--qos=long (repeatable).")
    List<String> sbatchArgs = new ArrayList<>();

    @Option(names = "--dry-run", description = "--slurm: print the script and the sbatch commands, submit nothing.")
    boolean dryRun;

    @Option(names = "--cell", paramLabel = "I", hidden = true, description = "Run cell I only (what a Slurm array task runs).")
    Integer cell;

    @Option(names = "--task", hidden = true, description = "Run the cell named by SLURM_ARRAY_TASK_ID (the --slurm script's command).")
    boolean task;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(file)) throw new ConfigException("[reproduce] experiment file " + file + " does not exist");
        checkModes();
        engine.apply();
        GridSpec spec = GridSpec.read(file);
        if (seeds != null) spec = spec.withSeeds(seeds);
        if (data != null) spec = spec.withData(data);
        if (out != null) spec = spec.withOut(out);
        // --device given: every run's (the file's train.device otherwise, else cpu)
        if (given("--device")) spec = spec.withTrainSetting("device", engine.device);
        Grid g = new Grid(spec, Zoo::create, main.out).progress(Progress.stderr(progress)).data((dir, split) -> Zoo.open(dir.toString(), split));
        if (status) {
            main.out.print(g.statusText());
            String s = SlurmArray.lastSubmission(spec.out());
            if (s != null) main.out.println(s);
            return Main.OK;
        }
        if (report) {
            Path table = g.report();
            main.out.println(Files.readString(table));
            main.out.println("results in " + spec.out() + " (table.md, summary.json, curves-*.svg)");
            return Main.OK;
        }
        if (slurm) return submit(g);
        StopSignals stop = StopSignals.install(main.err, "reproduce");
        g.stopWhen(stop);
        Path table;
        try {
            if (parallel != null) return runParallel(g, stop);
            if (shard != null) {
                int[] s = shard(shard);
                main.out.printf("grid %s: shard %d/%d of %d cell(s) -> %s%n", spec.name(), s[0], s[1], g.cells().size(), spec.out());
                table = g.runShard(s[0], s[1]);
            } else if (cell != null || task) {
                table = g.runCell(cell != null ? cell : taskIndex());
            } else {
                main.out.printf("grid %s: %d run(s) plus the teacher -> %s%n", spec.name(), g.runs().size(), spec.out());
                table = g.run();
            }
        } catch (Grid.Stopped e) { // the grid has logged where it stopped
            main.err.println("[reproduce] stopped by " + (stop.signal() == null ? "an interrupt" : stop.signal()) + "; exit status " + Main.STOPPED);
            if ("SIGUSR1".equals(stop.signal())) requeue();
            return Main.STOPPED;
        }
        if (table != null) {
            if (!task && cell == null) main.out.println(Files.readString(table));
            main.out.println("results in " + spec.out() + " (table.md, summary.json, curves-*.svg, experiment.json)");
        }
        return Main.OK;
    }

    /** --slurm: writes the script and submits the unfinished cells (or prints both with --dry-run). */
    private int submit(Grid g) throws IOException {
        SlurmArray.Options o = new SlurmArray.Options(partition, account, time, cpus == null ? 1 : cpus, mem, gpus == null ? 0 : gpus, maxRunning, sbatchArgs);
        SlurmArray a = new SlurmArray(g, o, taskCommand(o), Path.of("").toAbsolutePath());
        if (dryRun) {
            main.out.print(a.dryRun());
            return Main.OK;
        }
        SlurmArray.Submitted s = a.submit(List.of("sbatch"), main.out);
        if (s.teacherJob() == null && s.runsJob() == null) {
            main.out.println("every cell of grid " + g.spec().name() + " is done: nothing to submit");
            if (!Files.exists(g.spec().out().resolve("table.md"))) g.report();
            main.out.println("results in " + g.spec().out() + " (table.md, summary.json, curves-*.svg)");
            return Main.OK;
        }
        main.out.println("script " + a.script() + "; logs " + a.dir() + "/cell-I.log");
        main.out.println("follow it with: kr reproduce " + file + String.join("", overrides()) + " --status");
        return Main.OK;
    }

    static final int MAX_PARALLEL = 256;

    /**
     * --parallel N: the teacher in one child process with every thread, then N child processes that each run
     * the grid's cells in order, skipping those another holds (the cell locks share the work out); the last
     * to finish writes the table. Each child's output goes to OUT/parallel/worker-I.log.
     */
    private int runParallel(Grid g, StopSignals stop) throws IOException {
        GridSpec spec = g.spec();
        int n = parallel, cores = Runtime.getRuntime().availableProcessors();
        int each = engine.threads != null ? engine.threads : Math.max(1, cores / n);
        Path logs = spec.out().resolve("parallel");
        Files.createDirectories(logs);
        main.out.printf("grid %s: %d run(s) plus the teacher, %d at a time (a process each, %d thread(s) each) -> %s; logs in %s%n", spec.name(), g.runs().size(), n,
                each, spec.out(), logs);
        List<Integer> failed = new ArrayList<>();
        if (!g.cells().isEmpty() && g.cells().get(0).teacher() && !g.done(g.cells().get(0))) {
            // alone: every core, unless --threads fixes each run's (and so its bits)
            int t = engine.threads != null ? engine.threads : cores;
            main.out.println("teacher first (cell 0), " + t + " thread(s): " + logs.resolve("teacher.log"));
            int code = await(List.of(child(List.of("--cell", "0"), t, logs.resolve("teacher.log"))), stop).get(0);
            if (code == Main.STOPPED || stop.getAsBoolean()) return stopped(stop);
            if (code != 0) return workerFailed("the teacher (cell 0)", code, logs.resolve("teacher.log"));
        }
        List<Process> workers = new ArrayList<>();
        for (int i = 0; i < n; i++) workers.add(child(List.of(), each, logs.resolve("worker-" + i + ".log")));
        List<Integer> codes = await(workers, stop);
        if (stop.getAsBoolean()) return stopped(stop);
        for (int i = 0; i < n; i++)
            if (codes.get(i) != 0) failed.add(i);
        main.out.print(g.statusText());
        for (int i : failed) workerFailed("worker " + i, codes.get(i), logs.resolve("worker-" + i + ".log"));
        if (!failed.isEmpty()) return Main.FAILURE;
        Path table = spec.out().resolve("table.md");
        if (!g.unfinished().isEmpty()) {
            main.err.println("[reproduce] --parallel: " + g.unfinished().size() + " cell(s) not finished (held by another process?): kr reproduce " + file + " --status");
            return Main.FAILURE;
        }
        if (!Files.exists(table)) table = g.report();
        main.out.println(Files.readString(table));
        main.out.println("results in " + spec.out() + " (table.md, summary.json, curves-*.svg, experiment.json)");
        return Main.OK;
    }

    /** One child process running {@link #childCommand} on {@code threads} threads, output to {@code log}. */
    private Process child(List<String> extra, int threads, Path log) throws IOException {
        return new ProcessBuilder(childCommand(threads, extra)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
    }

    /** Waits for every process; on a stop request sends each SIGTERM (they checkpoint and exit) and waits for them. */
    private static List<Integer> await(List<Process> ps, StopSignals stop) {
        boolean sent = false;
        while (true) {
            if (stop.getAsBoolean() && !sent) {
                for (Process p : ps) p.destroy();
                sent = true;
            }
            if (ps.stream().noneMatch(Process::isAlive)) break;
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                for (Process p : ps) p.destroy();
                sent = true;
            }
        }
        List<Integer> codes = new ArrayList<>();
        for (Process p : ps) codes.add(p.exitValue());
        return codes;
    }

    private int stopped(StopSignals stop) {
        main.err.println("[reproduce] stopped by " + (stop.signal() == null ? "an interrupt" : stop.signal()) + ": every process checkpointed its run; rerun to continue");
        return Main.STOPPED;
    }

    private int workerFailed(String who, int code, Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        String tail = String.join("\n  ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        main.err.println("[reproduce] --parallel: " + who + " exited with status " + code + "; the end of " + log + ":\n  " + tail);
        return code == Main.STOPPED ? Main.STOPPED : Main.FAILURE;
    }

    /** What an array task runs: the child command on its --cpus (unless --threads is given), for the cell named by SLURM_ARRAY_TASK_ID. */
    private List<String> taskCommand(SlurmArray.Options o) {
        return childCommand(engine.threads != null ? engine.threads : o.cpus(), List.of("--task"));
    }

    /** This launcher running this grid with this command line's overrides and engine options on {@code threads} threads, quietly, then {@code extra}. */
    private List<String> childCommand(int threads, List<String> extra) {
        List<String> c = launcher();
        c.add("reproduce");
        c.add(file.toAbsolutePath().normalize().toString());
        for (String x : overrides()) c.addAll(List.of(x.trim().split(" ", 2)));
        if (engine.backend != null) c.addAll(List.of("--backend", engine.backend));
        if (engine.tf32) c.add("--tf32");
        c.addAll(List.of("--threads", Integer.toString(threads), "--progress", "off"));
        c.addAll(extra);
        return c;
    }

    /** The options that change the grid or its runs, as " --flag value" strings. */
    private List<String> overrides() {
        List<String> l = new ArrayList<>();
        if (seeds != null) l.add(" --seeds " + seeds);
        if (data != null) l.add(" --data " + data);
        if (out != null) l.add(" --out " + out);
        if (given("--device")) l.add(" --device " + engine.device);
        return l;
    }

    /** bin/kr (which exports KR_LAUNCHER), else this JVM's java and class path. */
    private static List<String> launcher() {
        String l = System.getenv("KR_LAUNCHER");
        if (l != null && !l.isBlank()) return new ArrayList<>(List.of(l));
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xss4m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
    }

    private void checkModes() {
        List<String> modes = new ArrayList<>();
        for (String m : List.of("--status", "--report", "--shard", "--slurm", "--cell", "--task", "--parallel")) if (given(m)) modes.add(m);
        if (modes.size() > 1) throw new ConfigException("[reproduce] " + String.join(" and ", modes) + " exclude each other: give one");
        if (parallel != null && (parallel < 1 || parallel > MAX_PARALLEL))
            throw new ConfigException("[reproduce] --parallel must be in [1, " + MAX_PARALLEL + "], got " + parallel);
        if (!slurm)
            for (String o : List.of("--partition", "--account", "--time", "--cpus", "--mem", "--gpus", "--max-running", "--sbatch-arg", "--dry-run"))
                if (given(o)) throw new ConfigException("[reproduce] " + o + " is an option of --slurm, which is not given");
    }

    private boolean given(String option) {
        return cmd.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** "I/N" as {I, N}. */
    static int[] shard(String s) {
        Matcher m = Pattern.compile("(\\d+)/(\\d+)").matcher(s.trim());
        if (!m.matches()) throw new ConfigException("[reproduce] --shard " + s + " is not I/N (e.g. 0/4: the first of four shards)");
        int i = Integer.parseInt(m.group(1)), n = Integer.parseInt(m.group(2));
        if (n < 1 || i >= n) throw new ConfigException("[reproduce] --shard " + s + ": I/N needs N >= 1 and 0 <= I < N");
        return new int[] {i, n};
    }

    private static int taskIndex() {
        String id = System.getenv("SLURM_ARRAY_TASK_ID");
        if (id == null) throw new ConfigException("[reproduce] --task runs the cell named by SLURM_ARRAY_TASK_ID, which is not set: run it as a Slurm array task, or give --cell I");
        try {
            return Integer.parseInt(id.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("[reproduce] SLURM_ARRAY_TASK_ID is '" + id + "', not a cell number");
        }
    }

    /** After SIGUSR1 (the time limit is near): puts this Slurm job back in the queue, to resume from the checkpoint just saved. */
    private void requeue() {
        String job = System.getenv("SLURM_JOB_ID");
        if (job == null) return;
        try {
            Process p = new ProcessBuilder("scontrol", "requeue", job).redirectErrorStream(true).start();
            String o;
            try (InputStream in = p.getInputStream()) {
                o = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            main.err.println(p.waitFor() == 0 ? "[reproduce] requeued Slurm job " + job + ": it resumes from the checkpoint just saved"
                    : "[reproduce] scontrol requeue " + job + " failed: " + o + " (resubmit with kr reproduce --slurm; finished cells are skipped)");
        } catch (IOException e) {
            main.err.println("[reproduce] cannot run scontrol to requeue job " + job + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
