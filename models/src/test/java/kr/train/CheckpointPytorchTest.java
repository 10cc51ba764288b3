package kr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.io.SafeTensors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint the trainer wrote loads in PyTorch (models/src/test/python/check_checkpoint.py) and
 * gives kr's logits. Skipped where python3 with torch is missing.
 */
class CheckpointPytorchTest {
    @TempDir
    Path tmp;

    @Test
    void pytorchReproducesKrLogitsFromATrainedCheckpoint() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python) && run(python.toString(), "-c", "import torch, numpy").exitCode == 0,
                "python3 with torch is not available");
        DemoCnn net = TinyRuns.model(4);
        TinyRuns.trainer(TinyRuns.config(), net, tmp.resolve("run")).run(); // BN statistics and weights far from init
        Path weights = tmp.resolve("run/checkpoints/best.safetensors");
        DemoCnn loaded = TinyRuns.model(5);
        Checkpoints.loadInto(loaded, SafeTensors.read(weights), weights.toString());
        loaded.eval();
        Tensor x = Tensor.randn(new Rng(3), 6, 3, 8, 8);
        Tensor logits;
        try (var ng = Grad.noGrad()) {
            logits = loaded.forward(x);
        }
        Map<String, Tensor> io = new LinkedHashMap<>();
        io.put("input", x);
        io.put("logits", logits);
        SafeTensors.write(tmp.resolve("io.safetensors"), io, Map.of());
        Path script = Path.of("src/test/python/check_checkpoint.py");
        Proc p = run(python.toString(), script.toString(), weights.toString(), tmp.resolve("io.safetensors").toString());
        assertEquals(0, p.exitCode, p.output);
        assertTrue(p.output.contains("OK: PyTorch reproduces kr's logits"), p.output);
    }

    record Proc(int exitCode, String output) {}

    static Proc run(String... cmd) throws IOException, InterruptedException {
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = pr.getInputStream().readAllBytes();
        if (!pr.waitFor(120, TimeUnit.SECONDS)) {
            pr.destroyForcibly();
            return new Proc(-1, "timed out");
        }
        return new Proc(pr.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
