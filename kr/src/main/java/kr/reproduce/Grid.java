package kr.reproduce;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import kr.config.ConfigException;
import kr.data.Dataset;
import kr.distill.DistillConfig;
import kr.distill.DistillSetup;
import kr.engine.Device;
import kr.engine.backend.Backends;
import kr.io.AtomicFiles;
import kr.io.Json;
import kr.models.Classifier;
import kr.nn.Init;
import kr.train.Checkpoints;
import kr.train.DataOpener;
import kr.train.Progress;
import kr.train.RunData;
import kr.train.StepHook;
import kr.train.TrainConfig;
import kr.train.Trainer;

/**
 * Runs an experiment grid ({@link GridSpec}) as numbered cells: cell 0 trains the teacher (when the
 * grid trains one), the others are the student x method x seed runs, each in its own directory. A
 * finished cell is skipped and a started one resumes from its last checkpoint; a cell is run under
 * a {@link CellLock}, so two processes (Slurm array tasks, shards, a second local run) never write
 * the same cell at once. All cells in order ({@link #run()}), every N-th ({@link #runShard}) or one
 * ({@link #runCell}, a Slurm array task) take the same path; whoever finishes the last cell writes the
 * table, the JSON summary and the curves ({@link GridReport}).
 *
 * <pre>{@code new Grid(GridSpec.read(file), Models::create, System.out).run(); }</pre>
 */
public final class Grid {
    /** One run of the grid. */
    public record Run(String student, GridSpec.Method method, int seed, Path dir) {
        public String id() {
            return student + "/" + method.name() + "/seed" + seed;
        }
    }

    /** A unit of work, numbered as its Slurm array task: the teacher's training or one run. */
    public record Cell(int index, Run run, boolean teacher) {
        public String id() {
            return teacher ? "teacher" : run.id();
        }

        public Path dir() {
            return run.dir();
        }
    }

    /** What happened to a cell in this invocation; BUSY: another live process holds its lock. */
    public enum Outcome { TRAINED, RESUMED, SKIPPED, BUSY }

    /** The grid stopped on request (SIGTERM): the cell it was training saved a checkpoint first. */
    public static final class Stopped extends RuntimeException {
        Stopped(String message) {
            super(message);
        }
    }

    /** A cell's state for {@code kr reproduce --status}: done, running, failed or pending, a detail, and the end of its log. */
    public record CellStatus(Cell cell, String state, String detail, List<String> logTail) {}

    /** Files in a cell's directory beside the run's own: its log (appended by every attempt) and the last failure. */
    public static final String CELL_LOG = "cell.log", FAILED = "failed.json";

    private final GridSpec spec;
    private final BiFunction<String, Integer, Classifier> models;
    private final PrintStream log;
    private Progress progress = Progress.off();
    private Function<Run, StepHook> extraHook = r -> null;
    private final Map<String, Outcome> outcomes = new LinkedHashMap<>();
    private DataOpener data = DataOpener.standard();
    private CellLock.Owner owner;
    private CellLock.Liveness liveness = CellLock.Liveness.standard();
    private BooleanSupplier stop = () -> false;
    private long pollMillis = 10_000;
    private Dataset trainSet, testSet;

    public Grid(GridSpec spec, BiFunction<String, Integer, Classifier> models, PrintStream log) {
        this.spec = spec;
        this.models = models;
        this.log = log;
    }

    public Grid progress(Progress p) {
        this.progress = p;
        return this;
    }

    /** A hook added to every run (tests use it to interrupt a run). */
    public Grid hook(Function<Run, StepHook> f) {
        this.extraHook = f;
        return this;
    }

    /** How the data directory is opened (the CLI's also knows "demo", the bundled subset). */
    public Grid data(DataOpener d) {
        this.data = d;
        return this;
    }

    /** Who this process is in the cells' lock files (default: {@link CellLock.Owner#current()}). */
    public Grid owner(CellLock.Owner o) {
        this.owner = o;
        return this;
    }

    /** How a lock holder is found alive or gone (default: squeue, then the process table). */
    public Grid liveness(CellLock.Liveness l) {
        this.liveness = l;
        return this;
    }

    /** Asked before every training step and between cells: true stops the grid after saving a checkpoint. */
    public Grid stopWhen(BooleanSupplier s) {
        this.stop = s;
        return this;
    }

    /** How often a shard or task that needs the teacher checks whether another process finished it. */
    public Grid pollMillis(long ms) {
        this.pollMillis = ms;
        return this;
    }

    /** What each cell did in this invocation, by id ("teacher" for the teacher). */
    public Map<String, Outcome> outcomes() {
        return outcomes;
    }

    public GridSpec spec() {
        return spec;
    }

    public List<Run> runs() {
        List<Run> r = new ArrayList<>();
        for (String s : spec.students())
            for (GridSpec.Method m : spec.methods())
                for (int k = 0; k < spec.seeds(); k++) r.add(new Run(s, m, k, spec.out().resolve(s).resolve(m.name()).resolve("seed" + k)));
        return r;
    }

    public Path teacherDir() {
        return spec.out().resolve("teacher");
    }

    /** The teacher (cell 0, unless the grid is given its weights), then every run in {@link #runs()} order. */
    public List<Cell> cells() {
        List<Cell> c = new ArrayList<>();
        if (spec.teacherWeights() == null) c.add(new Cell(0, new Run(spec.teacherModel(), new GridSpec.Method("teacher", null), 0, teacherDir()), true));
        for (Run r : runs()) c.add(new Cell(c.size(), r, false));
        return c;
    }

    public Cell cell(int index) {
        List<Cell> c = cells();
        if (index < 0 || index >= c.size())
            throw new ConfigException("[reproduce] there is no cell " + index + ": grid " + spec.name() + " has " + c.size() + " cells (0-" + (c.size() - 1) + ")");
        return c.get(index);
    }

    /** Runs every cell in order (the teacher first) and returns the table, or null when cells run elsewhere still. */
    public Path run() throws IOException {
        prepare();
        ensureTeacher();
        List<Cell> cells = cells();
        for (Cell c : cells)
            if (!c.teacher()) {
                if (log != null) log.printf(Locale.ROOT, "[%d/%d] %s%n", c.index() + 1, cells.size(), c.id());
                runOne(c);
            }
        return finish();
    }

    /** Runs shard {@code shard} of {@code of}: cells shard, shard + of, ..., after the teacher (trained by whichever shard gets to it first). */
    public Path runShard(int shard, int of) throws IOException {
        if (of < 1 || shard < 0 || shard >= of) throw new ConfigException("[reproduce] shard " + shard + "/" + of + " does not exist: I/N needs 0 <= I < N");
        prepare();
        ensureTeacher();
        for (Cell c : cells())
            if (!c.teacher() && c.index() % of == shard) {
                if (log != null) log.printf(Locale.ROOT, "[cell %d, shard %d/%d] %s%n", c.index(), shard, of, c.id());
                runOne(c);
            }
        return finish();
    }

    /** Runs one cell (a Slurm array task): the teacher first if it is not done; writes the report if this was the last cell. */
    public Path runCell(int index) throws IOException {
        Cell c = cell(index);
        prepare();
        if (!c.teacher()) ensureTeacher();
        if (log != null) log.printf(Locale.ROOT, "[cell %d of %d] %s%n", index, cells().size(), c.id());
        runOne(c);
        return finish();
    }

    /** Writes table.md, summary.json and the curves from whatever has finished; returns the table. */
    public Path report() throws IOException {
        List<Cell> left = unfinished();
        if (!left.isEmpty() && log != null)
            log.println("[reproduce] " + left.size() + " of " + cells().size() + " cells are not finished (" + ids(left) + "); the table leaves them out");
        return new GridReport(spec, runs(), teacherDir()).write();
    }

    public boolean done(Cell c) {
        Path last = c.dir().resolve("checkpoints").resolve(Checkpoints.LAST);
        if (!Files.exists(last)) return false;
        try {
            Map<String, Object> st = Json.parseObject(Files.readString(last));
            return ((Number) st.get("epoch")).intValue() >= config(c).epochs && ((Number) st.get("step")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: not finished (training it will report the problem)
        }
    }

    public List<Cell> unfinished() {
        List<Cell> l = new ArrayList<>();
        for (Cell c : cells()) if (!done(c)) l.add(c);
        return l;
    }

    /** Every cell's state: done, running (by whom), failed (why, and the end of its log) or pending. */
    public List<CellStatus> status() {
        List<CellStatus> out = new ArrayList<>();
        for (Cell c : cells()) {
            Path dir = c.dir();
            if (done(c)) {
                out.add(new CellStatus(c, "done", finalAccuracy(dir), List.of()));
                continue;
            }
            String where = position(dir);
            CellLock.Owner h = CellLock.holder(dir.resolve(CellLock.FILE));
            if (h != null) {
                CellLock.State s = liveness.check(h);
                if (s == CellLock.State.ALIVE) out.add(new CellStatus(c, "running", h.describe() + where, List.of()));
                else if (s == CellLock.State.UNKNOWN) out.add(new CellStatus(c, "running", h.describe() + " (cannot be checked from here)" + where, List.of()));
                else out.add(new CellStatus(c, "failed", h.describe() + " ended without finishing it (killed?)" + where, tail(dir.resolve(CELL_LOG), 5)));
                continue;
            }
            Path failed = dir.resolve(FAILED);
            if (Files.exists(failed)) {
                String why;
                try {
                    why = String.valueOf(Json.parseObject(Files.readString(failed)).get("error"));
                } catch (IOException | RuntimeException e) {
                    why = "see " + failed;
                }
                out.add(new CellStatus(c, "failed", why.lines().findFirst().orElse("").strip() + where, tail(dir.resolve(CELL_LOG), 5)));
            } else out.add(new CellStatus(c, "pending", where.isEmpty() ? "" : "stopped" + where + ", resumes there", List.of()));
        }
        return out;
    }

    /** The status as printed by {@code kr reproduce --status}: a count line, then one line per cell (and a failed cell's log tail). */
    public String statusText() {
        List<CellStatus> st = status();
        Map<String, Integer> n = new LinkedHashMap<>();
        for (String k : List.of("done", "running", "failed", "pending")) n.put(k, 0);
        for (CellStatus s : st) n.merge(s.state(), 1, Integer::sum);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "grid %s: %d cells in %s: %d done, %d running, %d failed, %d pending%n", spec.name(), st.size(), spec.out(),
                n.get("done"), n.get("running"), n.get("failed"), n.get("pending")));
        int w = 8;
        for (CellStatus s : st) w = Math.max(w, s.cell().id().length());
        b.append(String.format(Locale.ROOT, "%5s  %-8s %-" + w + "s  %s%n", "cell", "state", "run", "detail"));
        for (CellStatus s : st) {
            b.append(String.format(Locale.ROOT, "%5d  %-8s %-" + w + "s  %s", s.cell().index(), s.state(), s.cell().id(), s.detail()).stripTrailing()).append('\n');
            for (String l : s.logTail()) b.append("         | ").append(l).append('\n');
        }
        if (n.get("done") == st.size())
            b.append(Files.exists(spec.out().resolve("table.md")) ? "all cells done: " + spec.out().resolve("table.md") + "\n"
                    : "all cells done; the table is not written yet: kr reproduce --report\n");
        return b.toString();
    }

    private void prepare() throws IOException {
        if (spec.data() == null) throw new ConfigException("[reproduce] the grid names no data directory (\"data\" or --data)");
        Files.createDirectories(spec.out());
        AtomicFiles.writeString(spec.out().resolve("experiment.json"), Json.pretty(specMap()));
    }

    /** The report when every cell is done (whoever finishes last writes it); null and a note otherwise. */
    private Path finish() throws IOException {
        List<Cell> left = unfinished();
        if (left.isEmpty()) return new GridReport(spec, runs(), teacherDir()).write();
        if (log != null)
            log.println("[reproduce] " + left.size() + " of " + cells().size() + " cells not finished yet (" + ids(left)
                    + "); the last to finish writes the table, or run kr reproduce --report");
        return null;
    }

    /** Trains the teacher unless done; waits while another process trains it. */
    private void ensureTeacher() throws IOException {
        List<Cell> cells = cells();
        if (cells.isEmpty() || !cells.get(0).teacher()) return;
        Cell t = cells.get(0);
        boolean said = false;
        while (runOne(t) == Outcome.BUSY) {
            if (!said && log != null) log.printf(Locale.ROOT, "[reproduce] waiting for the teacher (cell 0), which another process is training; checking every %d s%n", pollMillis / 1000);
            said = true;
            for (long waited = 0; waited < pollMillis; waited += 200) {
                if (stop.getAsBoolean()) throw stopped("[reproduce] stopped on request while waiting for the teacher (cell 0)");
                sleep(Math.min(200, pollMillis - waited));
            }
        }
    }

    private Stopped stopped(String message) {
        if (log != null) log.println(message);
        return new Stopped(message);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped("[reproduce] interrupted while waiting for the teacher");
        }
    }

    /** Skips, locks and trains (or resumes) one cell, recording what happened. */
    private Outcome runOne(Cell c) throws IOException {
        Outcome o = attempt(c);
        outcomes.put(c.id(), o);
        return o;
    }

    private Outcome attempt(Cell c) throws IOException {
        if (stop.getAsBoolean()) throw stopped("[reproduce] stopped on request before cell " + c.index() + " (" + c.id() + ")");
        if (done(c)) {
            if (log != null) log.println("  done already: " + c.dir());
            return Outcome.SKIPPED;
        }
        if (owner == null) owner = CellLock.Owner.current();
        CellLock.Attempt a = CellLock.acquire(c.dir().resolve(CellLock.FILE), owner, liveness, log);
        if (a.lock() == null) {
            if (log != null) log.println("  cell " + c.index() + " (" + c.id() + ") is being run by " + a.holder().describe()
                    + (a.holderState() == CellLock.State.UNKNOWN ? " (cannot be checked from here: delete " + c.dir().resolve(CellLock.FILE) + " if it is gone)" : "") + "; skipped");
            return Outcome.BUSY;
        }
        try (CellLock lock = a.lock(); PrintStream cl = cellLog(c.dir())) {
            if (done(c)) return Outcome.SKIPPED; // finished by another process between the check and the lock
            Files.deleteIfExists(c.dir().resolve(FAILED));
            cl.printf(Locale.ROOT, "--- %s: cell %d (%s) started by %s%n", Instant.now(), c.index(), c.id(), owner.describe());
            try {
                return train(c, cl);
            } catch (Trainer.Stopped e) {
                String m = String.format(Locale.ROOT, "[reproduce] cell %d (%s) terminated at epoch %d step %d: checkpoint saved, it resumes there", c.index(), c.id(),
                        e.epoch(), e.step());
                cl.println(m);
                throw new Stopped(m);
            } catch (IOException | RuntimeException | Error e) {
                String m = e.getMessage() == null ? e.toString() : e.getMessage();
                cl.println("[reproduce] cell " + c.index() + " (" + c.id() + ") failed: " + m);
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("error", m);
                f.put("by", owner.describe());
                f.put("at", Instant.now().toString());
                AtomicFiles.writeString(c.dir().resolve(FAILED), Json.pretty(f));
                throw e;
            }
        }
    }

    /** The grid's log plus the cell's own log file: appended, since every attempt (requeue, resume) adds to it. */
    private PrintStream cellLog(Path dir) throws IOException {
        Files.createDirectories(dir);
        OutputStream file = new FileOutputStream(dir.resolve(CELL_LOG).toFile(), true);
        PrintStream main = log;
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                file.write(b);
                if (main != null) main.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                file.write(b, off, len);
                if (main != null) main.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                file.flush();
                if (main != null) main.flush();
            }

            @Override
            public void close() throws IOException {
                file.close(); // the grid's log stays open
            }
        }, true, StandardCharsets.UTF_8);
    }

    private TrainConfig config(Cell c) {
        if (c.teacher()) {
            TrainConfig tc = config(spec.teacherModel(), 0, teacherDir());
            tc.apply(spec.teacherTrain());
            return tc.validate();
        }
        Run r = c.run();
        TrainConfig tc = config(r.student(), r.seed(), r.dir());
        if (!r.method().scratch()) {
            Map<String, Object> d = new LinkedHashMap<>(spec.distill());
            d.putAll(r.method().distill());
            d.put("teacher", spec.teacherWeights() != null ? spec.teacherWeights() : teacherDir().toString());
            d.put("teacher_model", spec.teacherModel());
            tc.distill = DistillConfig.from(d).validate().resolved().toMap();
        }
        return tc.validate();
    }

    private TrainConfig config(String model, int seed, Path dir) {
        TrainConfig c = new TrainConfig();
        c.apply(spec.train());
        c.model = model;
        c.data = spec.data();
        c.seed = c.seed + seed;
        c.out = dir.toString();
        c.threads = Backends.config().threads();
        c.backend = Backends.defaultCpu().name();
        return c;
    }

    /** Trains or resumes one cell (the lock is held). */
    private Outcome train(Cell c, PrintStream cl) throws IOException {
        TrainConfig cfg = config(c);
        DistillConfig dc = cfg.distill == null ? null : DistillConfig.from(cfg.distill);
        boolean resume = Files.exists(Path.of(cfg.out).resolve("checkpoints").resolve(Checkpoints.LAST));
        if (trainSet == null) {
            try {
                trainSet = data.open(Path.of(spec.data()), "train");
                testSet = data.open(Path.of(spec.data()), "test");
            } catch (IOException e) { // as kr train reports it: a data error (exit 3), not a failure of the run
                throw new kr.train.DataException("[data] cannot read " + spec.data() + ": " + e.getMessage(), e);
            }
        }
        Init.manualSeed(cfg.seed);
        Classifier net = models.apply(cfg.model, trainSet.numClasses());
        RunData d = RunData.of(cfg, trainSet, testSet);
        Trainer t = new Trainer(cfg, net, d.train(), d.test(), Path.of(cfg.out)).progress(progress).log(cl).stopWhen(stop);
        if (dc != null) {
            Classifier teacher = models.apply(dc.teacherModel, trainSet.numClasses());
            DistillSetup.loadTeacher(teacher, dc.teacher, d, Device.parse(cfg.device), null);
            DistillSetup ds = DistillSetup.build(cfg, dc, net, teacher, d, cl, models); // models: also kr_prior untrained's fresh teacher
            t.objective(ds.objective());
            if (ds.hook() != null) t.addHook(ds.hook());
        }
        StepHook extra = extraHook.apply(c.run());
        if (extra != null) t.addHook(extra);
        if (resume) t.resume();
        else t.run();
        return resume ? Outcome.RESUMED : Outcome.TRAINED;
    }

    private static String finalAccuracy(Path dir) {
        try {
            GridReport.Curve c = GridReport.read(dir);
            return c == null ? "" : String.format(Locale.ROOT, "top-1 %.2f%% (best %.2f%%)", 100 * c.last(), 100 * c.best());
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** "; at epoch E step S" from the cell's last checkpoint, or "" when it has none. */
    private static String position(Path dir) {
        try {
            Map<String, Object> st = Json.parseObject(Files.readString(dir.resolve("checkpoints").resolve(Checkpoints.LAST)));
            return String.format(Locale.ROOT, "; checkpoint at epoch %d step %d", ((Number) st.get("epoch")).intValue() + 1, ((Number) st.get("step")).intValue());
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static List<String> tail(Path file, int n) {
        try {
            List<String> l = new ArrayList<>(Files.readAllLines(file));
            while (!l.isEmpty() && l.get(l.size() - 1).isBlank()) l.remove(l.size() - 1);
            return l.subList(Math.max(0, l.size() - n), l.size());
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String ids(List<Cell> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i == 4 && cells.size() > 5) return b.append(", ... ").append(cells.size() - 4).append(" more").toString();
            b.append(i == 0 ? "" : ", ").append(cells.get(i).index()).append(' ').append(cells.get(i).id());
        }
        return b.toString();
    }

    private Map<String, Object> specMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", spec.name());
        m.put("data", spec.data());
        m.put("out", spec.out().toString());
        m.put("seeds", (long) spec.seeds());
        m.put("train", spec.train());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("model", spec.teacherModel());
        t.put("weights", spec.teacherWeights());
        t.put("train", spec.teacherTrain());
        m.put("teacher", t);
        m.put("students", spec.students());
        List<Object> ms = new ArrayList<>();
        for (GridSpec.Method x : spec.methods()) {
            if (x.scratch()) ms.add(x.name());
            else {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("name", x.name());
                o.putAll(x.distill());
                ms.add(o);
            }
        }
        m.put("methods", ms);
        m.put("distill", spec.distill());
        m.put("compare", spec.compare());
        return m;
    }
}
