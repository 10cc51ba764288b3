package kr.reproduce;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
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
 * Runs an experiment grid ({@link GridSpec}): the teacher (unless given), then every student x
 * method x seed, each in its own run directory. A run that finished is skipped and one that was
 * interrupted resumes from its last checkpoint, so a killed grid continues where it stopped. When
 * all runs are done, {@link GridReport} writes the table, the JSON summary and the curves.
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

    /** What happened to a run in this invocation. */
    public enum Outcome { TRAINED, RESUMED, SKIPPED }

    private final GridSpec spec;
    private final BiFunction<String, Integer, Classifier> models;
    private final PrintStream log;
    private Progress progress = Progress.off();
    private Function<Run, StepHook> extraHook = r -> null;
    private final Map<String, Outcome> outcomes = new LinkedHashMap<>();

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

    /** What each run did in this invocation, by run id ("teacher" for the teacher). */
    public Map<String, Outcome> outcomes() {
        return outcomes;
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

    /** Trains whatever is not finished, then writes the report; returns the table's path. */
    public Path run() throws IOException {
        if (spec.data() == null) throw new kr.config.ConfigException("[reproduce] the grid names no data directory (\"data\" or --data)");
        Files.createDirectories(spec.out());
        AtomicFiles.writeString(spec.out().resolve("experiment.json"), Json.pretty(specMap()));
        DataOpener open = DataOpener.standard();
        Dataset train, test;
        try {
            train = open.open(Path.of(spec.data()), "train");
            test = open.open(Path.of(spec.data()), "test");
        } catch (IOException e) { // as kr train reports it: a data error (exit 3), not a failure of the run
            throw new kr.train.DataException("[data] cannot read " + spec.data() + ": " + e.getMessage(), e);
        }
        String teacher = spec.teacherWeights();
        if (teacher == null) {
            TrainConfig tc = config(spec.teacherModel(), 0, teacherDir());
            tc.apply(spec.teacherTrain());
            tc.validate();
            outcomes.put("teacher", train(tc, null, train, test, new Run(spec.teacherModel(), new GridSpec.Method("teacher", null), 0, teacherDir())));
            teacher = teacherDir().toString();
        }
        List<Run> runs = runs();
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            TrainConfig c = config(r.student(), r.seed(), r.dir());
            if (!r.method().scratch()) {
                Map<String, Object> d = new LinkedHashMap<>(spec.distill());
                d.putAll(r.method().distill());
                d.put("teacher", teacher);
                d.put("teacher_model", spec.teacherModel());
                c.distill = DistillConfig.from(d).validate().resolved().toMap();
            }
            c.validate();
            if (log != null) log.printf(Locale.ROOT, "[%d/%d] %s%n", i + 1, runs.size(), r.id());
            outcomes.put(r.id(), train(c, r.method().scratch() ? null : DistillConfig.from(c.distill), train, test, r));
        }
        return new GridReport(spec, runs, teacherDir()).write();
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

    /** Trains, resumes or skips one run. */
    private Outcome train(TrainConfig cfg, DistillConfig dc, Dataset trainSet, Dataset testSet, Run run) throws IOException {
        Path last = Path.of(cfg.out).resolve("checkpoints").resolve(Checkpoints.LAST);
        boolean resume = Files.exists(last);
        if (resume) {
            Map<String, Object> st;
            try {
                st = Json.parseObject(Files.readString(last));
            } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
                throw new kr.train.CheckpointException("[reproduce] cannot read " + last + ": " + e.getMessage(), e);
            }
            if (!(st.get("epoch") instanceof Number epoch) || !(st.get("step") instanceof Number step))
                throw new kr.train.CheckpointException("[reproduce] " + last + " has no numeric epoch and step: not a kr training state");
            if (epoch.intValue() >= cfg.epochs && step.intValue() == 0) {
                if (log != null) log.println("  done already: " + cfg.out);
                return Outcome.SKIPPED;
            }
        }
        Init.manualSeed(cfg.seed);
        Classifier net = models.apply(cfg.model, trainSet.numClasses());
        RunData d = RunData.of(cfg, trainSet, testSet);
        Trainer t = new Trainer(cfg, net, d.train(), d.test(), Path.of(cfg.out)).progress(progress).log(log);
        if (dc != null) {
            Classifier teacher = models.apply(dc.teacherModel, trainSet.numClasses());
            DistillSetup.loadTeacher(teacher, dc.teacher, d, Device.parse(cfg.device), null);
            DistillSetup ds = DistillSetup.build(cfg, dc, net, teacher, d, log);
            t.objective(ds.objective());
            if (ds.hook() != null) t.addHook(ds.hook());
        }
        StepHook extra = extraHook.apply(run);
        if (extra != null) t.addHook(extra);
        if (resume) t.resume();
        else t.run();
        return resume ? Outcome.RESUMED : Outcome.TRAINED;
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
        return m;
    }
}
