package kr.reproduce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kr.io.AtomicFiles;
import kr.io.Json;
import kr.train.Svg;

/**
 * The grid's results: {@code table.md} (top-1 as mean +- std over seeds, at the best epoch and at
 * the last epoch, since both conventions are in use; plus how fast each method reaches the
 * scratch student's final accuracy; then the paired differences of {@link GridSpec#compare()}: per
 * student, method minus baseline on the last epoch's top-1 over the seeds both have, with the 95%
 * t-interval of the mean difference), {@code summary.json} (every run and every comparison) and
 * {@code curves-<student>.svg} (mean test accuracy per epoch, one line per method).
 *
 * <pre>{@code GridReport.Paired p = GridReport.paired(new double[] {0.53, 0.54}, new double[] {0.52, 0.52}); // p.excludesZero() }</pre>
 */
public final class GridReport {
    private static final String[] COLORS = {"#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"};

    private final GridSpec spec;
    private final List<Grid.Run> runs;
    private final Path teacherDir;

    GridReport(GridSpec spec, List<Grid.Run> runs, Path teacherDir) {
        this.spec = spec;
        this.runs = runs;
        this.teacherDir = teacherDir;
    }

    /** Test accuracy per epoch, and the run's training seconds, read from its metrics.jsonl. */
    record Curve(double[] testAcc, double seconds) {
        double best() {
            double b = 0;
            for (double a : testAcc) b = Math.max(b, a);
            return b;
        }

        double last() {
            return testAcc[testAcc.length - 1];
        }
    }

    static Curve read(Path dir) throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        if (!Files.exists(f)) return null;
        List<Double> acc = new ArrayList<>();
        double secs = 0;
        for (String line : Files.readAllLines(f)) {
            if (line.isBlank()) continue;
            Map<String, Object> m = Json.parseObject(line);
            acc.add(((Number) m.get("test_acc")).doubleValue());
            secs += ((Number) m.get("epoch_seconds")).doubleValue();
        }
        if (acc.isEmpty()) return null;
        double[] a = new double[acc.size()];
        for (int i = 0; i < a.length; i++) a[i] = acc.get(i);
        return new Curve(a, secs);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** Sample standard deviation (n - 1); 0 for a single value. */
    static double std(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    /**
     * The paired difference {@code a - b} over seeds: n, mean, sample std, and the 95% t-interval
     * {@code mean +- t(0.975, n-1) * sd / sqrt(n)} (NaN bounds when n &lt; 2).
     */
    public record Paired(int n, double mean, double sd, double lo, double hi) {
        public boolean excludesZero() {
            return lo > 0 || hi < 0;
        }
    }

    /** Paired differences of matched samples {@code a[i] - b[i]}. */
    public static Paired paired(double[] a, double[] b) {
        if (a.length != b.length || a.length == 0)
            throw new IllegalArgumentException("[reproduce] paired samples need the same non-zero length, got " + a.length + " and " + b.length);
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) d[i] = a[i] - b[i];
        double m = mean(d), sd = std(d);
        if (d.length < 2) return new Paired(1, m, 0, Double.NaN, Double.NaN);
        double half = StudentT.quantile(0.975, d.length - 1) * sd / Math.sqrt(d.length);
        return new Paired(d.length, m, sd, m - half, m + half);
    }

    Path write() throws IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("name", spec.name());
        Curve teacher = spec.teacherWeights() == null ? read(teacherDir) : null;
        Map<String, Object> tj = new LinkedHashMap<>();
        tj.put("model", spec.teacherModel());
        tj.put("weights", spec.teacherWeights() != null ? spec.teacherWeights() : teacherDir.toString());
        if (teacher != null) {
            tj.put("last_acc", teacher.last());
            tj.put("best_acc", teacher.best());
            tj.put("train_seconds", teacher.seconds());
        }
        summary.put("teacher", tj);
        StringBuilder md = new StringBuilder();
        md.append("# ").append(spec.name()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Teacher: %s%s. Data: %s. %d seed(s) per cell; top-1 test accuracy in %%, mean ± sample std over seeds.%n%n",
                spec.teacherModel(), teacher == null ? " (given weights)" : String.format(Locale.ROOT, ", %.2f%% final test accuracy (%.2f%% best)",
                        100 * teacher.last(), 100 * teacher.best()), spec.data(), spec.seeds()));
        md.append("| student | method | best epoch top-1 | last epoch top-1 | seeds | epoch reaching scratch's final acc | train time / run |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Map<String, Map<Integer, Double>>> lastBySeed = new LinkedHashMap<>(); // student -> method -> seed -> last-epoch top-1
        for (String s : spec.students()) {
            Map<String, double[]> meanCurves = new LinkedHashMap<>();
            double scratchFinal = Double.NaN;
            List<String[]> lines = new ArrayList<>();
            for (GridSpec.Method m : spec.methods()) {
                List<Curve> cs = new ArrayList<>();
                Map<Integer, Double> bySeed = new java.util.TreeMap<>();
                for (Grid.Run r : runs)
                    if (r.student().equals(s) && r.method().name().equals(m.name())) {
                        Curve c = read(r.dir());
                        if (c != null) {
                            cs.add(c);
                            bySeed.put(r.seed(), c.last());
                        }
                    }
                lastBySeed.computeIfAbsent(s, k -> new LinkedHashMap<>()).put(m.name(), bySeed);
                if (cs.isEmpty()) continue;
                int epochs = Integer.MAX_VALUE;
                for (Curve c : cs) epochs = Math.min(epochs, c.testAcc().length);
                double[] best = new double[cs.size()], last = new double[cs.size()], mc = new double[epochs];
                double secs = 0;
                for (int i = 0; i < cs.size(); i++) {
                    best[i] = cs.get(i).best();
                    last[i] = cs.get(i).last();
                    secs += cs.get(i).seconds();
                    for (int e = 0; e < epochs; e++) mc[e] += cs.get(i).testAcc()[e] / cs.size();
                }
                meanCurves.put(m.name(), mc);
                if (m.scratch()) scratchFinal = mean(last);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("student", s);
                row.put("method", m.name());
                row.put("seeds", (long) cs.size());
                row.put("best_acc", best);
                row.put("last_acc", last);
                row.put("best_mean", mean(best));
                row.put("best_std", std(best));
                row.put("last_mean", mean(last));
                row.put("last_std", std(last));
                row.put("mean_curve", mc);
                row.put("train_seconds_per_run", secs / cs.size());
                rows.add(row);
                lines.add(new String[] {s, m.name(), pm(best), pm(last), Integer.toString(cs.size()), null, minutes(secs / cs.size())});
            }
            for (String[] l : lines) {
                double[] mc = meanCurves.get(l[1]);
                int reach = -1;
                if (!Double.isNaN(scratchFinal))
                    for (int e = 0; e < mc.length && reach < 0; e++) if (mc[e] >= scratchFinal) reach = e + 1;
                l[5] = Double.isNaN(scratchFinal) ? "n/a" : reach < 0 ? "never" : Integer.toString(reach);
                for (Map<String, Object> row : rows)
                    if (row.get("student").equals(l[0]) && row.get("method").equals(l[1])) row.put("epoch_reaching_scratch_final", reach < 0 ? null : (long) reach);
                md.append("| ").append(String.join(" | ", l)).append(" |\n");
            }
            if (!meanCurves.isEmpty()) AtomicFiles.writeString(spec.out().resolve("curves-" + s + ".svg"), curves(s, meanCurves));
        }
        summary.put("rows", rows);
        List<Map<String, Object>> comparisons = comparisons(lastBySeed, md);
        summary.put("comparisons", comparisons);
        md.append("\nCurves: ");
        for (String s : spec.students()) md.append("[").append(s).append("](curves-").append(s).append(".svg) ");
        md.append("\n");
        AtomicFiles.writeString(spec.out().resolve("summary.json"), Json.pretty(summary));
        Path table = spec.out().resolve("table.md");
        AtomicFiles.writeString(table, md.toString());
        return table;
    }

    /** The paired differences of every student and {@code compare} entry, as rows for summary.json and a table appended to {@code md}. */
    private List<Map<String, Object>> comparisons(Map<String, Map<String, Map<Integer, Double>>> last, StringBuilder md) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (String s : spec.students()) {
            Map<String, Map<Integer, Double>> bm = last.getOrDefault(s, Map.of());
            spec.compare().forEach((method, bases) -> {
                for (String base : bases) {
                    Map<Integer, Double> a = bm.getOrDefault(method, Map.of()), b = bm.getOrDefault(base, Map.of());
                    List<Integer> seeds = new ArrayList<>();
                    for (int k : a.keySet()) if (b.containsKey(k)) seeds.add(k);
                    if (seeds.isEmpty()) continue;
                    double[] x = new double[seeds.size()], y = new double[seeds.size()];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = a.get(seeds.get(i));
                        y[i] = b.get(seeds.get(i));
                    }
                    Paired p = paired(x, y);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("student", s);
                    row.put("method", method);
                    row.put("baseline", base);
                    row.put("seeds", seeds.stream().map(Integer::longValue).toList());
                    double[] diffs = new double[x.length];
                    for (int i = 0; i < x.length; i++) diffs[i] = x[i] - y[i];
                    row.put("diffs", diffs);
                    row.put("n", (long) p.n());
                    row.put("mean_diff", p.mean());
                    row.put("sd_diff", p.sd());
                    row.put("ci95_low", p.n() < 2 ? null : p.lo());
                    row.put("ci95_high", p.n() < 2 ? null : p.hi());
                    row.put("excludes_zero", p.n() < 2 ? null : p.excludesZero());
                    out.add(row);
                    lines.add(String.format(Locale.ROOT, "| %s | %s | %s | %d | %+.2f | %s | %s |", s, method, base, p.n(), 100 * p.mean(),
                            p.n() < 2 ? "n/a (one seed)" : String.format(Locale.ROOT, "[%+.2f, %+.2f]", 100 * p.lo(), 100 * p.hi()),
                            p.n() < 2 ? "n/a" : p.excludesZero() ? "**yes**" : "no"));
                }
            });
        }
        if (!lines.isEmpty()) {
            md.append("\n## Paired differences\n\n");
            md.append("Last-epoch top-1 of the method minus its baseline's, in percentage points, over the seeds both have (same seed: same "
                    + "initial weights, data order and augmentation); 95% t-interval of the mean difference (mean ± t(0.975, n−1) · sd / √n). "
                    + "\"excludes 0\" is a paired t-test at 5% for that one comparison, not corrected for the number of comparisons in the table.\n\n");
            md.append("| student | method | baseline | seeds | mean difference | 95% CI | excludes 0 |\n|---|---|---|---|---|---|---|\n");
            for (String l : lines) md.append(l).append('\n');
        }
        return out;
    }

    private static String pm(double[] v) {
        return String.format(Locale.ROOT, "%.2f ± %.2f", 100 * mean(v), 100 * std(v));
    }

    private static String minutes(double secs) {
        return String.format(Locale.ROOT, "%.1f min", secs / 60);
    }

    /** Mean test accuracy per epoch of every method, one polyline each, with a legend. */
    static String curves(String student, Map<String, double[]> curves) {
        int w = 760, h = 420, left = 60, top = 40, pw = 520, ph = 320;
        double lo = 1, hi = 0;
        int epochs = 1;
        for (double[] c : curves.values()) {
            for (double a : c) {
                lo = Math.min(lo, a);
                hi = Math.max(hi, a);
            }
            epochs = Math.max(epochs, c.length);
        }
        lo = Math.max(0, Math.floor(lo * 20) / 20);
        hi = Math.min(1, Math.ceil(hi * 20) / 20);
        if (hi <= lo) hi = lo + 0.05;
        Svg s = new Svg(w, h);
        s.text(left + pw / 2.0, 22, "test accuracy per epoch (mean over seeds), student " + student, "middle", 14, 0);
        s.rect(left, top, pw, ph, "none", "#333");
        for (int k = 0; k <= 4; k++) {
            double a = lo + (hi - lo) * k / 4, y = top + ph - ph * k / 4.0;
            s.line(left, y, left + pw, y, "#ddd", 1);
            s.text(left - 6, y + 4, String.format(Locale.ROOT, "%.0f%%", 100 * a), "end", 11, 0);
        }
        for (int k = 0; k <= Math.min(epochs - 1, 10); k++) {
            int e = 1 + (int) Math.round((epochs - 1) * k / (double) Math.max(1, Math.min(epochs - 1, 10)));
            double x = left + (epochs == 1 ? 0 : pw * (e - 1) / (double) (epochs - 1));
            s.text(x, top + ph + 16, Integer.toString(e), "middle", 11, 0);
        }
        s.text(left + pw / 2.0, top + ph + 34, "epoch", "middle", 12, 0);
        int i = 0;
        for (var e : curves.entrySet()) {
            double[] c = e.getValue();
            double[] xs = new double[c.length], ys = new double[c.length];
            for (int k = 0; k < c.length; k++) {
                xs[k] = left + (epochs == 1 ? 0 : pw * k / (double) (epochs - 1));
                ys[k] = top + ph - ph * (c[k] - lo) / (hi - lo);
            }
            String col = COLORS[i % COLORS.length];
            s.polyline(xs, ys, col, 2, null);
            double ly = top + 10 + 18 * i;
            s.line(left + pw + 20, ly, left + pw + 44, ly, col, 3);
            s.text(left + pw + 50, ly + 4, String.format(Locale.ROOT, "%s (%.2f%%)", e.getKey(), 100 * c[c.length - 1]), "start", 12, 0);
            i++;
        }
        return s.finish();
    }
}
