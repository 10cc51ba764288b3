package kr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kr.engine.Tensor;
import kr.io.Json;
import kr.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kill-and-resume gives the uninterrupted run's weights and metrics bit for bit; failed checkpoint writes keep the previous one. */
class TrainerResumeTest {
    @TempDir
    static Path tmp;
    static DemoCnn reference;
    static Trainer.Result referenceResult;
    static Path referenceOut;

    static class Stop extends RuntimeException {
        Stop() {
            super("stop");
        }
    }

    /** A hook that throws after global step {@code k} (1-based count of finished steps). */
    static StepHook stopAfter(long k) {
        return new StepHook() {
            @Override
            public void afterStep(StepContext ctx, Objective.Result r) {
                if (ctx.globalStep() + 1 == k) throw new Stop();
            }
        };
    }

    @BeforeAll
    static void uninterrupted() throws IOException {
        referenceOut = tmp.resolve("reference");
        reference = TinyRuns.model(11);
        referenceResult = TinyRuns.trainer(TinyRuns.config(), reference, referenceOut).run();
    }

    @Test
    void runLearnsAndWritesItsFiles() throws IOException {
        List<EpochMetrics> h = referenceResult.history();
        assertEquals(3, h.size());
        assertTrue(h.get(2).testAcc() > 0.5, "the tiny problem should be learnt well above chance (1/3): " + h);
        for (String f : List.of("config.json", "metrics.jsonl", "curves.svg", "checkpoints/last.json", "checkpoints/best.safetensors"))
            assertTrue(Files.exists(referenceOut.resolve(f)), f);
        assertEquals(3, Files.readAllLines(referenceOut.resolve("metrics.jsonl")).size());
        Map<String, Object> line = Json.parseObject(Files.readAllLines(referenceOut.resolve("metrics.jsonl")).get(0));
        for (String k : List.of("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "epoch_seconds", "images_per_second", "train_ce"))
            assertTrue(line.containsKey(k), k);
        assertEquals(0.1 * TinyRuns.config().warmupStartFactor, (double) line.get("lr"), 1e-12, "warm-up starts at start_factor * lr");
        assertEquals(0.01, h.get(2).lr(), 1e-12, "milestone 2 multiplies the rate by gamma");
        try (Stream<Path> s = Files.list(referenceOut.resolve("checkpoints"))) {
            assertEquals(4, s.count(), "last.json, its two tensor files and best.safetensors; older generations are deleted");
        }
        Map<String, String> meta = SafeTensors.readWithMetadata(referenceOut.resolve("checkpoints/best.safetensors")).metadata();
        assertEquals(DemoCnn.NAME, meta.get("kr.model"));
        assertEquals("3", meta.get("kr.classes"));
    }

    /** kr train runs each CPU step in a StepArena (reused buffers, unzeroed outputs): without it, the same bits; a step's logits are dead after it. */
    @Test
    void stepArenaChangesNoBitAndEndsTheStepsTensors() throws IOException {
        String before = System.getProperty("kr.arena");
        System.setProperty("kr.arena", "false");
        DemoCnn plain = TinyRuns.model(11);
        Trainer.Result r;
        try {
            r = TinyRuns.trainer(TinyRuns.config(), plain, tmp.resolve("no-arena")).run();
        } finally {
            if (before == null) System.clearProperty("kr.arena");
            else System.setProperty("kr.arena", before);
        }
        TinyRuns.assertSameBits(reference.stateDict(), plain.stateDict());
        assertEquals(times(referenceResult.history()), times(r.history()));
        Tensor[] kept = new Tensor[1];
        Trainer t = TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), tmp.resolve("kept"));
        t.addHook(new StepHook() {
            @Override
            public void afterStep(StepContext ctx, Objective.Result res) {
                if (kept[0] == null) kept[0] = res.logits();
            }
        });
        t.run();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kept[0].toFloatArray());
        assertTrue(e.getMessage().contains("after its step closed"), e.getMessage());
    }

    @Test
    void sameSeedSameRunBitForBit() throws IOException {
        DemoCnn again = TinyRuns.model(11);
        Trainer.Result r = TinyRuns.trainer(TinyRuns.config(), again, tmp.resolve("again")).run();
        TinyRuns.assertSameBits(reference.stateDict(), again.stateDict());
        assertEquals(times(referenceResult.history()), times(r.history()));
    }

    @Test
    void killedMidEpochAndResumedEndsWithTheSameWeights() throws IOException {
        Path out = tmp.resolve("killed");
        // 6 steps an epoch, checkpoints every 2: stopping after step 9 (epoch 2, step 3) resumes from step 8.
        assertThrows(Stop.class, () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), out).addHook(stopAfter(9)).run());
        Map<String, Object> st = Json.parseObject(Files.readString(out.resolve("checkpoints/last.json")));
        assertEquals(1L, st.get("epoch"));
        assertEquals(2L, st.get("step"));
        assertEquals(8L, st.get("global_step"));

        DemoCnn resumed = TinyRuns.model(99); // different initial weights: everything must come from the checkpoint
        assertNotEquals(TinyRuns.bits(reference.stateDict()).get("conv1.weight")[0], TinyRuns.bits(resumed.stateDict()).get("conv1.weight")[0]);
        Trainer.Result r = TinyRuns.trainer(TinyRuns.config(), resumed, out).resume();
        TinyRuns.assertSameBits(reference.stateDict(), resumed.stateDict());
        assertEquals(times(referenceResult.history()), times(r.history()), "metrics of every epoch, the resumed one included");
        TinyRuns.assertSameBits(SafeTensors.read(referenceOut.resolve("checkpoints/best.safetensors")),
                SafeTensors.read(out.resolve("checkpoints/best.safetensors")));
        assertEquals(Files.readAllLines(referenceOut.resolve("metrics.jsonl")).size(), Files.readAllLines(out.resolve("metrics.jsonl")).size());
    }

    @Test
    void aStopRequestSavesAtThatStepAndResumesExactly() throws IOException {
        Path out = tmp.resolve("stopped");
        // requested during global step 9 (epoch 2, step 3; checkpoints every 2): saved before step 10, not back at step 8
        long[] seen = {0};
        Trainer t = TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), out).addHook(new StepHook() {
            @Override
            public void afterStep(StepContext ctx, Objective.Result r) {
                seen[0] = ctx.globalStep() + 1;
            }
        }).stopWhen(() -> seen[0] >= 9);
        Trainer.Stopped e = assertThrows(Trainer.Stopped.class, t::run);
        assertEquals(2, e.epoch());
        assertEquals(3, e.step());
        assertTrue(e.getMessage().contains("epoch 2 step 3/6"), e.getMessage());
        Map<String, Object> st = Json.parseObject(Files.readString(out.resolve("checkpoints/last.json")));
        assertEquals(9L, st.get("global_step"));
        DemoCnn resumed = TinyRuns.model(99);
        Trainer.Result r = TinyRuns.trainer(TinyRuns.config(), resumed, out).resume();
        TinyRuns.assertSameBits(reference.stateDict(), resumed.stateDict());
        assertEquals(times(referenceResult.history()), times(r.history()));
    }

    @Test
    void resumingTwiceAndAtEpochBoundariesStillMatches() throws IOException {
        Path out = tmp.resolve("twice");
        assertThrows(Stop.class, () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), out).addHook(stopAfter(6)).run());
        assertThrows(Stop.class, () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(5), out).addHook(stopAfter(15)).resume());
        DemoCnn m = TinyRuns.model(6);
        TinyRuns.trainer(TinyRuns.config(), m, out).resume();
        TinyRuns.assertSameBits(reference.stateDict(), m.stateDict());
    }

    /** Makes the {@code failAt}-th file write (1-based, counting weights, optimizer and state files) fail. */
    static Checkpoints.Io failing(int failAt) {
        int[] calls = {0};
        return new Checkpoints.Io() {
            @Override
            public void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> meta) throws IOException {
                if (++calls[0] == failAt) throw new IOException("injected failure writing " + file.getFileName());
                Checkpoints.ATOMIC.writeTensors(file, tensors, meta);
            }

            @Override
            public void writeText(Path file, String text) throws IOException {
                if (++calls[0] == failAt) throw new IOException("injected failure writing " + file.getFileName());
                Checkpoints.ATOMIC.writeText(file, text);
            }
        };
    }

    @Test
    void aFailedCheckpointWriteLeavesThePreviousOneUsable() throws IOException {
        // writes: 1-3 the checkpoint at step 2 (weights, optimizer, state); 4-6 the one at step 4.
        for (int failAt : new int[] {4, 5, 6}) {
            Path out = tmp.resolve("fail" + failAt);
            IOException e = assertThrows(IOException.class,
                    () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), out).checkpointIo(failing(failAt)).run());
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            Map<String, Object> st = Json.parseObject(Files.readString(out.resolve("checkpoints/last.json")));
            assertEquals(2L, st.get("global_step"), "failure at write " + failAt + " must leave the step-2 checkpoint in place");
            DemoCnn m = TinyRuns.model(3);
            TinyRuns.trainer(TinyRuns.config(), m, out).resume();
            TinyRuns.assertSameBits(reference.stateDict(), m.stateDict());
        }
    }

    @Test
    void aRenameThatFailsOnDiskLeavesThePreviousCheckpointAndNoTempFiles() throws IOException {
        Path out = tmp.resolve("blocked");
        Path ck = out.resolve("checkpoints");
        // a non-empty directory where the step-4 weights file must go: the atomic rename fails for real
        Files.createDirectories(ck.resolve("last-00000004.safetensors").resolve("x"));
        assertThrows(IOException.class, () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), out).run());
        assertEquals(2L, Json.parseObject(Files.readString(ck.resolve("last.json"))).get("global_step"));
        try (Stream<Path> s = Files.list(ck)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temp files are removed");
        }
        Files.delete(ck.resolve("last-00000004.safetensors").resolve("x"));
        Files.delete(ck.resolve("last-00000004.safetensors"));
        DemoCnn m = TinyRuns.model(3);
        TinyRuns.trainer(TinyRuns.config(), m, out).resume();
        TinyRuns.assertSameBits(reference.stateDict(), m.stateDict());
    }

    @Test
    void resumingAnotherModelFailsWithTheMismatchedTensors() throws IOException {
        Path out = tmp.resolve("other");
        assertThrows(Stop.class, () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(11), out).addHook(stopAfter(3)).run());
        kr.nn.Init.manualSeed(1);
        DemoCnn wider = new DemoCnn(4, 8, 16, 3);
        CheckpointException e = assertThrows(CheckpointException.class, () -> TinyRuns.trainer(TinyRuns.config(), wider, out).resume());
        assertTrue(e.getMessage().contains("conv3.weight: checkpoint [8, 8, 3, 3] vs model [16, 8, 3, 3]"), e.getMessage());
        assertTrue(e.getMessage().contains("fc.weight: checkpoint [3, 8] vs model [3, 16]"), e.getMessage());
        assertTrue(e.getMessage().contains("last-00000002.safetensors"), "names the file: " + e.getMessage());
    }

    @Test
    void resumingWithoutACheckpointSaysSo() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> TinyRuns.trainer(TinyRuns.config(), TinyRuns.model(1), tmp.resolve("nothing")).resume());
        assertTrue(e.getMessage().contains("no checkpoint to resume"), e.getMessage());
    }

    private static List<EpochMetrics> times(List<EpochMetrics> h) {
        return h.stream().map(EpochMetrics::withoutTimes).toList();
    }
}
