package kr.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.config.ConfigException;
import kr.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grid report's paired differences and their t-intervals, against hand-computed values. */
class GridReportTest {
    @TempDir
    Path tmp;

    @Test
    void tQuantilesMatchPublishedValues() {
        // t(0.975, df) to 8 digits (any t table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2; these from scipy.stats.t.ppf)
        double[][] table = {{1, 12.706204736}, {2, 4.302652730}, {3, 3.182446305}, {4, 2.776445105}, {5, 2.570581836}, {9, 2.262157163},
            {10, 2.228138852}, {20, 2.085963447}, {30, 2.042272456}, {100, 1.983971519}};
        for (double[] r : table) assertEquals(r[1], StudentT.quantile(0.975, r[0]), 1e-8, "df " + r[0]);
        assertEquals(1.637744354, StudentT.quantile(0.9, 3), 1e-8);
        assertEquals(3.499483297, StudentT.quantile(0.995, 7), 1e-8);
        assertEquals(0.257885301, StudentT.quantile(0.6, 15), 1e-8);
        assertEquals(-2.776445105, StudentT.quantile(0.025, 4), 1e-8);
        // closed forms: df 1 is Cauchy, df 2 has t = (2p - 1) / sqrt(2 p (1 - p))
        for (double p : new double[] {0.55, 0.8, 0.95, 0.999}) {
            assertEquals(Math.tan(Math.PI * (p - 0.5)), StudentT.quantile(p, 1), 1e-8 * Math.max(1, Math.tan(Math.PI * (p - 0.5))));
            assertEquals((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), StudentT.quantile(p, 2), 1e-9);
        }
        assertEquals(0.5, StudentT.cdf(0, 7), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> StudentT.quantile(1, 3));
    }

    @Test
    void pairedIntervalByHand() {
        // differences 0.01 .. 0.05: mean 0.03, sd sqrt(2.5e-4), half-width t(0.975, 4) * sd / sqrt(5) = 2.7764451 * 0.0070711 = 0.0196324
        GridReport.Paired p = GridReport.paired(new double[] {0.51, 0.52, 0.53, 0.54, 0.55}, new double[] {0.50, 0.50, 0.50, 0.50, 0.50});
        assertEquals(5, p.n());
        assertEquals(0.03, p.mean(), 1e-12);
        assertEquals(Math.sqrt(2.5e-4), p.sd(), 1e-12);
        assertEquals(0.0103675684, p.lo(), 1e-9);
        assertEquals(0.0496324316, p.hi(), 1e-9);
        assertTrue(p.excludesZero());
        GridReport.Paired q = GridReport.paired(new double[] {0.51, 0.49, 0.52}, new double[] {0.5, 0.5, 0.5});
        assertEquals(-0.0312791637, q.lo(), 1e-9);
        assertEquals(0.0446124970, q.hi(), 1e-9);
        assertTrue(!q.excludesZero());
        GridReport.Paired one = GridReport.paired(new double[] {0.6}, new double[] {0.5});
        assertTrue(Double.isNaN(one.lo()) && !one.excludesZero());
    }

    static void metrics(Path dir, double... acc) throws IOException {
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder();
        for (double a : acc) sb.append("{\"test_acc\": ").append(a).append(", \"epoch_seconds\": 2.0}\n");
        Files.writeString(dir.resolve("metrics.jsonl"), sb.toString());
    }

    GridSpec spec(Object compare, Object baseline) throws IOException {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("name", "stats");
        g.put("out", tmp.resolve("grid").toString());
        g.put("seeds", 5L);
        g.put("teacher", Map.of("model", "democnn", "weights", "t.safetensors"));
        g.put("students", List.of("s"));
        g.put("methods", List.of("scratch", "kd", Map.of("name", "kr", "method", "kr")));
        if (compare != null) g.put("compare", compare);
        if (baseline != null) g.put("baseline", baseline);
        Path f = tmp.resolve("grid.json");
        Files.writeString(f, Json.pretty(g));
        return GridSpec.read(f);
    }

    @Test
    void tableAndSummaryCarryThePairedDifferences() throws IOException {
        GridSpec spec = spec(Map.of("kr", "scratch", "kd", List.of("kr")), null);
        assertEquals(Map.of("kd", List.of("kr"), "kr", List.of("scratch")), spec.compare());
        Grid grid = new Grid(spec, null, null);
        double[] scratch = {0.50, 0.50, 0.50, 0.50, 0.50}, kr = {0.51, 0.52, 0.53, 0.54, 0.55};
        for (Grid.Run r : grid.runs()) {
            double last = switch (r.method().name()) {
                case "scratch" -> scratch[r.seed()];
                case "kr" -> kr[r.seed()];
                default -> 0.52;
            };
            if (r.method().name().equals("kd") && r.seed() == 4) continue; // a missing run: kd vs kr pairs 4 seeds
            metrics(r.dir(), 0.3, last);
        }
        Path table = new GridReport(spec, grid.runs(), grid.teacherDir()).write();
        String md = Files.readString(table);
        assertTrue(md.contains("## Paired differences"), md);
        assertTrue(md.contains("| s | kr | scratch | 5 | +3.00 | [+1.04, +4.96] | **yes** |"), md);
        // kd - kr over seeds 0..3: 0.01, 0, -0.01, -0.02
        GridReport.Paired kd = GridReport.paired(new double[] {0.52, 0.52, 0.52, 0.52}, new double[] {0.51, 0.52, 0.53, 0.54});
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| s | kd | kr | 4 | %+.2f | [%+.2f, %+.2f] | no |", 100 * kd.mean(), 100 * kd.lo(),
                100 * kd.hi())), md);
        Map<String, Object> summary = Json.parseObject(Files.readString(tmp.resolve("grid").resolve("summary.json")));
        List<?> cs = (List<?>) summary.get("comparisons");
        assertEquals(2, cs.size());
        Map<?, ?> c = (Map<?, ?>) cs.stream().filter(x -> ((Map<?, ?>) x).get("method").equals("kr")).findFirst().orElseThrow();
        assertEquals("scratch", c.get("baseline"));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), c.get("seeds"));
        assertEquals(0.03, (Double) c.get("mean_diff"), 1e-12);
        assertEquals(0.0103675684, (Double) c.get("ci95_low"), 1e-9);
        assertEquals(0.0496324316, (Double) c.get("ci95_high"), 1e-9);
        assertEquals(Boolean.TRUE, c.get("excludes_zero"));
    }

    @Test
    void baselineDefaultsToScratchAndBadNamesAreRejected() throws IOException {
        assertEquals(Map.of("kd", List.of("scratch"), "kr", List.of("scratch")), spec(null, null).compare());
        assertEquals(Map.of("scratch", List.of("kd"), "kr", List.of("scratch", "kd")), spec(Map.of("kr", "scratch"), "kd").compare());
        ConfigException e = assertThrows(ConfigException.class, () -> spec(Map.of("kr", "nope"), null));
        assertTrue(e.getMessage().startsWith("[reproduce]") && e.getMessage().contains("'nope'"), e.getMessage());
        assertThrows(ConfigException.class, () -> spec(Map.of("kr", "kr"), null));
        assertThrows(ConfigException.class, () -> spec(null, "missing"));
        assertNull(spec(Map.of(), null).compare().get("kr"), "an empty compare turns the default off");
    }
}
