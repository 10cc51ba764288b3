package kr.cli;

import static kr.cli.Kr.kr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kr.data.Loader;
import kr.data.SyntheticCifar;
import kr.io.Json;
import kr.io.SafeTensors;
import kr.train.RunData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 10: a run's config.json and weights files say where they were made (kr version and
 * commit, JDK, OS, CPU, vector width, backend, threads) and, in the weights, the input normalisation
 * a user of the weights elsewhere must apply; README shows the same numbers as the code.
 */
class ProvenanceTest {
    static final List<String> KEYS = List.of("version", "commit", "java", "os", "cpu", "vector_bits", "backend", "threads");

    @TempDir
    Path tmp;

    @Test
    void configJsonAndCheckpointMetadataCarryTheProvenanceAndTheNormalisation() throws IOException {
        Path data = SyntheticCifar.write(tmp.resolve("cifar"), 8, 10), out = tmp.resolve("run");
        Kr.Run r = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "20", "--threads", "1", "--out", out.toString(),
                "--progress", "off");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> cfg = Json.parseObject(Files.readString(out.resolve("config.json")));
        assertTrue(cfg.get("provenance") instanceof Map<?, ?>, "config.json has a provenance object: " + cfg);
        Map<?, ?> prov = (Map<?, ?>) cfg.get("provenance");
        assertEquals(KEYS, new ArrayList<>(prov.keySet()), "config.json's provenance keys");
        for (String k : KEYS) assertTrue(prov.get(k) instanceof String s && !s.isBlank(), "provenance." + k + " = " + prov.get(k));
        assertEquals("1", prov.get("threads"));
        assertEquals("vector", prov.get("backend"));
        assertEquals(kr.engine.Provenance.version(), prov.get("version"));

        List<Path> weights = new ArrayList<>();
        try (var s = Files.list(out.resolve("checkpoints"))) {
            s.filter(p -> p.toString().endsWith(".safetensors") && !p.toString().endsWith(".optim.safetensors")).forEach(weights::add);
        }
        assertTrue(weights.contains(out.resolve("checkpoints/best.safetensors")), weights.toString());
        assertEquals(2, weights.size(), "best and last: " + weights);
        for (Path w : weights) {
            Map<String, String> meta = SafeTensors.readWithMetadata(w).metadata();
            for (String k : KEYS) assertEquals(prov.get(k), meta.get("kr." + k), w.getFileName() + " kr." + k);
            assertEquals(Arrays.toString(Loader.CIFAR10_MEAN), meta.get("kr.normalize.mean"), w.getFileName().toString());
            assertEquals(Arrays.toString(Loader.CIFAR10_STD), meta.get("kr.normalize.std"), w.getFileName().toString());
            assertEquals("democnn", meta.get("kr.model"));
        }
    }

    /** README's normalisation table: the numbers RunData.normalization uses, row by row. */
    @Test
    void readmeShowsTheNormalisationKrApplies() throws IOException {
        String readme = Files.readString(HelpTest.repositoryRoot().resolve("README.md"));
        assertTrue(readme.contains("`kr.normalize.mean` and `kr.normalize.std`"), "README names the metadata keys");
        for (String k : KEYS) assertTrue(readme.contains("`kr." + k + "`"), "README names kr." + k);
        float[][][] expected = {RunData.normalization("cifar10", 3, 10), RunData.normalization("cifar100", 3, 100), RunData.normalization("auto", 1, 10),
            RunData.normalization("none", 1, 10)};
        String[] rows = {"CIFAR-10", "CIFAR-100", "one channel", "`none`"};
        for (int i = 0; i < rows.length; i++) {
            Matcher m = Pattern.compile("(?m)^\\| " + Pattern.quote(rows[i]) + "[^|]*\\| ([^|]+) \\| ([^|]+) \\|$").matcher(readme);
            assertTrue(m.find(), "README's normalisation table has no row '" + rows[i] + "'");
            assertEquals(Arrays.toString(expected[i][0]), numbers(m.group(1), expected[i][0].length), rows[i] + " mean");
            assertEquals(Arrays.toString(expected[i][1]), numbers(m.group(2), expected[i][1].length), rows[i] + " std");
        }
    }

    /** "0.4914, 0.4822, 0.4465" (or one number for every channel) as Arrays.toString of floats. */
    static String numbers(String cell, int channels) {
        String[] parts = cell.trim().split(",\\s*");
        float[] v = new float[channels];
        for (int c = 0; c < channels; c++) v[c] = Float.parseFloat(parts[parts.length == 1 ? 0 : c]);
        return Arrays.toString(v);
    }
}
