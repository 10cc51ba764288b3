package kr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights survive a safetensors round trip exactly; paths resolve to the right file; mismatches are listed. */
class CheckpointsTest {
    @TempDir
    Path tmp;

    @Test
    void safetensorsRoundTripKeepsWeightsMetadataAndLogits() throws IOException {
        DemoCnn a = TinyRuns.model(1);
        Tensor x = Tensor.randn(new Rng(2), 2, 3, 8, 8);
        a.train();
        try (var ng = Grad.noGrad()) {
            a.forward(x); // moves the BN running statistics off their initial values
        }
        Path f = tmp.resolve("w.safetensors");
        SafeTensors.write(f, a.stateDict(), Map.of("kr.model", DemoCnn.NAME));
        SafeTensors.Contents c = Checkpoints.read(f);
        assertEquals(a.stateDict().keySet(), c.tensors().keySet(), "PyTorch names in module order");
        assertEquals(DemoCnn.NAME, c.metadata().get("kr.model"));
        DemoCnn b = TinyRuns.model(9);
        Checkpoints.loadInto(b, c.tensors(), f.toString());
        TinyRuns.assertSameBits(a.stateDict(), b.stateDict());
        a.eval();
        b.eval();
        try (var ng = Grad.noGrad()) {
            assertEquals(java.util.Arrays.toString(a.forward(x).toFloatArray()), java.util.Arrays.toString(b.forward(x).toFloatArray()));
        }
    }

    @Test
    void missingAndUnexpectedTensorsAreListedOnePerLine() {
        DemoCnn a = TinyRuns.model(1);
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>(a.stateDict());
        sd.remove("bn2.running_var");
        sd.put("head.weight", Tensor.zeros(2, 2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadInto(TinyRuns.model(2), sd, "x.safetensors"));
        assertTrue(e.getMessage().contains("x.safetensors does not fit DemoCnn:\n  missing bn2.running_var [8]"), e.getMessage());
        assertTrue(e.getMessage().contains("\n  unexpected head.weight [2, 2]"), e.getMessage());
    }

    @Test
    void resolveWeightsFindsBestThenLast() throws IOException {
        Path run = tmp.resolve("run");
        Path ck = Files.createDirectories(run.resolve("checkpoints"));
        Files.writeString(ck.resolve("last.json"), "{\"format\": \"kr-train-state\", \"weights\": \"last-00000005.safetensors\"}");
        assertEquals(ck.resolve("last-00000005.safetensors").toAbsolutePath(), Checkpoints.resolveWeights(run).toAbsolutePath());
        Files.writeString(ck.resolve("best.safetensors"), "");
        assertEquals(ck.resolve("best.safetensors"), Checkpoints.resolveWeights(run));
        assertEquals(ck.resolve("best.safetensors"), Checkpoints.resolveWeights(ck));
        assertThrows(CheckpointException.class, () -> Checkpoints.resolveWeights(tmp));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(tmp.resolve("nope.safetensors")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
