package kr.cli;

import static kr.cli.Kr.kr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import kr.data.SyntheticCifar;
import kr.engine.Tensor;
import kr.io.SafeTensors;
import kr.train.DemoCnn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's repros (items 1 to 7), each as the issue gives it, through the command line in-process
 * (a child JVM where a real Error is needed). Each failed on the code before the fixes; the
 * test names are listed in the closing note.
 */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path data, teacher;

    @BeforeAll
    static void setUp() throws IOException {
        data = SyntheticCifar.write(tmp.resolve("cifar"), 12, 20);
        teacher = tmp.resolve("teacher");
        Kr.Run t = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "16", "--out", teacher.toString(),
                "--progress", "off");
        assertEquals(0, t.code(), t.err());
    }

    static String deepJson() {
        return "[".repeat(100_000) + "]".repeat(100_000);
    }

    // ---------------------------------------------------------------- item 1: non-finite weights

    /** Item 1: {@code --lr 1e4} wrote NaN into 10 tensors of best.safetensors and last; now exit 1 naming the tensor and the step, and no checkpoint at all. */
    @Test
    void item1_lr1e4StopsNamingTheFirstNonFiniteTensorAndStepAndCheckpointsNothingNonFinite() throws IOException {
        Path out = tmp.resolve("lr1e4");
        Kr.Run r = kr("train", "--model", "democnn", "--data", "demo", "--epochs", "2", "--limit-train", "500", "--limit-test", "200", "--threads", "1",
                "--lr", "1e4", "--out", out.toString());
        r.failsWith(Main.FAILURE, "train").errContains("[train] training diverged: after epoch ");
        assertTrue(r.err().matches("(?s).* step \\d+ \\(lr [^)]*\\) '[a-z0-9_.]+' holds (NaN|\\+Inf|-Inf) at element \\d+ of \\[.*"), r.err());
        assertEquals(Map.of(), Kr.nonFinite(out), "no checkpoint holds a non-finite value");
    }

    /** Item 1: {@code --lr 1000} wrote Inf into running_var of best and last and reported "done" (exit 0). */
    @Test
    void item1_lr1000NeverCheckpointsAnInfiniteRunningVar() throws IOException {
        Path out = tmp.resolve("lr1000");
        Kr.Run r = kr("train", "--model", "democnn", "--data", "demo", "--epochs", "2", "--limit-train", "500", "--limit-test", "200", "--threads", "1",
                "--lr", "1000", "--out", out.toString());
        r.failsWith(Main.FAILURE, "train").errContains("[train] training diverged: after epoch ", " holds ");
        assertFalse(r.out().contains("done:"), r.out());
        assertEquals(Map.of(), Kr.nonFinite(out), "no checkpoint holds a non-finite value");
    }

    /** Item 1: a run that diverges after a good epoch keeps that epoch's checkpoint (and says so); nothing non-finite is written after it. */
    @Test
    void item1_divergenceAfterAGoodEpochKeepsTheLastGoodCheckpoint() throws IOException {
        Path out = tmp.resolve("late");
        // epoch 1 at lr 0.05, then x1e6 from epoch 2 on
        Kr.Run r = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "3", "--batch-size", "16", "--lr", "0.05", "--milestones", "1",
                "--gamma", "1e6", "--checkpoint-every", "0", "--threads", "1", "--out", out.toString(), "--progress", "off");
        Path last = out.resolve("checkpoints/last.json");
        r.failsWith(Main.FAILURE, "train").errContains("training diverged: after epoch 2 ", "the last good checkpoint " + last + " is kept");
        assertTrue(r.out().contains("epoch 1/3"), r.out());
        assertEquals(Map.of(), Kr.nonFinite(out));
        assertTrue(Files.readString(last).contains("\"epoch\": 1"), "last.json is epoch 1's");
        assertTrue(Files.exists(out.resolve("checkpoints/best.safetensors")));
    }

    /** Item 1: eval and import of weights holding NaN exited 0 without a word; now one warning line, naming the tensor. */
    @Test
    void item1_evalAndImportWarnOnNonFiniteWeights() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>(SafeTensors.read(teacher.resolve("checkpoints/best.safetensors")));
        float[] w = sd.get("bn1.weight").toFloatArray();
        w[3] = Float.NaN;
        sd.put("bn1.weight", Tensor.of(w, w.length));
        Path nan = tmp.resolve("nan.safetensors");
        SafeTensors.write(nan, sd, Map.of("kr.model", "democnn"));
        for (Kr.Run r : List.of(kr("eval", "--checkpoint", nan.toString(), "--data", data.toString()),
                kr("import", "--model", "democnn", "--in", nan.toString(), "--out", tmp.resolve("nan-imported.safetensors").toString()))) {
            assertEquals(0, r.code(), r.err());
            assertEquals(List.of("kr: warning: " + nan + " holds non-finite values in 1 tensor(s) (first: 'bn1.weight' holds NaN at element 3 of [8]); results"
                    + " computed from it are meaningless"), r.errLines(), r.command());
        }
    }

    // ---------------------------------------------------------------- item 2: deep JSON

    /** Item 2: a config of 100,000 nested arrays was a StackOverflowError with ~1,000 lines of stack trace. */
    @Test
    void item2_deeplyNestedConfigIsOneLineAndExit2() throws IOException {
        Path d = tmp.resolve("d.json");
        Files.writeString(d, deepJson());
        kr("train", "--config", d.toString()).failsWith(Main.USAGE, "train").errContains(d + ": [json] nesting deeper than 512 levels at offset 512");
    }

    /** Item 2: the same nesting in a safetensors header, through eval, import and distill --teacher. */
    @Test
    void item2_deeplyNestedSafetensorsHeaderIsOneLineAndExit4() throws IOException {
        Path f = Kr.safetensors(tmp.resolve("deep.safetensors"), deepJson(), new byte[0]);
        String why = "[safetensors] " + f + ": header is not valid JSON: [json] nesting deeper than 512 levels";
        kr("eval", "--checkpoint", f.toString(), "--model", "democnn", "--data", data.toString()).failsWith(Main.CHECKPOINT, "eval").errContains(why);
        kr("import", "--model", "democnn", "--classes", "10", "--in", f.toString(), "--out", tmp.resolve("x.safetensors").toString())
                .failsWith(Main.CHECKPOINT, "import").errContains(why);
        kr("distill", "--teacher", f.toString(), "--teacher-model", "democnn", "--student", "democnn", "--data", data.toString(), "--epochs", "1", "--out",
                tmp.resolve("deep-distill").toString()).failsWith(Main.CHECKPOINT, "distill").errContains(why);
        assertFalse(Files.exists(tmp.resolve("x.safetensors")));
    }

    /** Item 2: the CLI caught Exception, not Error: an OutOfMemoryError printed a stack trace. A child JVM with a 64 MB heap runs out of memory. */
    @Test
    void item2_anOutOfMemoryErrorIsOneLineAndExit1() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "-Xmx64m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "profile", "--model", "democnn",
                "--classes", "10", "--batch-size", "100000", "--steps", "1", "--warmup", "0", "--threads", "1"));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(Main.FAILURE, p.exitValue(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("kr: [internal] out of memory ("), err);
    }

    // ---------------------------------------------------------------- item 3: stale temp files

    /** Item 3: a kill -9 during a checkpoint write left a full-size temp file that nothing removed; the next run and the next resume remove them. */
    @Test
    void item3_leftoverTempFilesAreRemovedByTheNextRunAndResume() throws IOException {
        Path out = tmp.resolve("stale"), ck = Files.createDirectories(out.resolve("checkpoints"));
        // a run killed before its first checkpoint, in this version's naming and in the decimal naming of kr before issue 13
        List<Path> stale = List.of(out.resolve(".config.json.0123456789abcdef.tmp"), ck.resolve(".last-00000003.safetensors.8364528236455123456.tmp"));
        for (Path p : stale) Files.write(p, new byte[4096]);
        Kr.Run r = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "16", "--out", out.toString(), "--progress", "off");
        assertEquals(0, r.code(), r.err());
        for (Path p : stale) assertFalse(Files.exists(p), p + " is left");
        stale = List.of(ck.resolve(".last-00000004.optim.safetensors.fedcba9876543210.tmp"), ck.resolve(".last-00000004.optim.safetensors.1234567890123456789.tmp"),
                out.resolve(".metrics.jsonl.42.tmp"));
        for (Path p : stale) Files.write(p, new byte[4096]);
        r = kr("train", "--resume", "--out", out.toString(), "--epochs", "2", "--progress", "off");
        assertEquals(0, r.code(), r.err());
        for (Path p : stale) assertFalse(Files.exists(p), p + " is left");
    }

    // ---------------------------------------------------------------- item 4: failed resume

    /** Item 4: --resume with data of other channels failed at the first conv after rewriting config.json; now exit 2 and both files as they were. */
    @Test
    void item4_resumeWithDataOfOtherChannelsFailsAndLeavesConfigJsonAsItWas() throws IOException {
        Path out = tmp.resolve("resume-grey");
        Kr.Run r = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "16", "--out", out.toString(), "--progress", "off");
        assertEquals(0, r.code(), r.err());
        byte[] config = Files.readAllBytes(out.resolve("config.json")), last = Files.readAllBytes(out.resolve("checkpoints/last.json"));
        Path grey = Kr.greyIdx(tmp.resolve("grey"), 40, 32);
        r = kr("train", "--resume", "--out", out.toString(), "--epochs", "3", "--data", grey.toString(), "--progress", "off");
        r.failsWith(Main.USAGE, "train").errContains("[train] the data set's images (1x32x32) do not fit model 'democnn'");
        assertArrayEquals(config, Files.readAllBytes(out.resolve("config.json")), "config.json is as it was");
        assertArrayEquals(last, Files.readAllBytes(out.resolve("checkpoints/last.json")), "last.json is as it was");
    }

    // ---------------------------------------------------------------- item 5: gzip bomb

    /** Item 5: a gzip IDX file of 200 MB of zeros behind a header of 2 images was inflated whole (OutOfMemoryError with a stack trace). */
    @Test
    void item5_aGzipBombFailsQuicklyNamingTheFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bomb"));
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        try (OutputStream g = new GZIPOutputStream(Files.newOutputStream(images), 1 << 16)) {
            g.write(java.nio.ByteBuffer.allocate(16).putInt(0x803).putInt(2).putInt(28).putInt(28).array());
            byte[] zeros = new byte[1 << 20];
            for (int k = 0; k < 200; k++) g.write(zeros);
        }
        ByteArrayOutputStream lb = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(lb)) {
            g.write(java.nio.ByteBuffer.allocate(10).putInt(0x801).putInt(2).put((byte) 1).put((byte) 2).array());
        }
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), lb.toByteArray());
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long a0 = threads.getCurrentThreadAllocatedBytes(), t0 = System.nanoTime();
        Kr.Run r = kr("data", "info", dir.toString());
        long allocated = threads.getCurrentThreadAllocatedBytes() - a0;
        double seconds = (System.nanoTime() - t0) / 1e9;
        r.failsWith(Main.DATA, "data info").errContains("[idx] " + images + ": longer than the header's 2x28x28 (1584 bytes inflated)");
        assertTrue(allocated < 32L << 20, "allocated " + allocated + " bytes for a 200 MB bomb");
        assertTrue(seconds < 5, seconds + " s");
    }

    // ---------------------------------------------------------------- item 6: exit codes and messages

    /** Item 6: shape and data_offsets given as strings were a ClassCastException, exit 1; now exit 4 naming the file and tensor. */
    @Test
    void item6_safetensorsShapeOrOffsetsAsStringsAreCheckpointErrorsNamingTheFile() throws IOException {
        Path shape = Kr.safetensors(tmp.resolve("strshape.safetensors"), "{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [\"10\", \"32\"], \"data_offsets\": [0, 1280]}}",
                new byte[1280]);
        Path offs = Kr.safetensors(tmp.resolve("stroffs.safetensors"), "{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [10, 32], \"data_offsets\": [\"0\", \"1280\"]}}",
                new byte[1280]);
        kr("eval", "--checkpoint", shape.toString(), "--model", "democnn", "--data", data.toString()).failsWith(Main.CHECKPOINT, "eval")
                .errContains("[safetensors] " + shape + ": tensor 'fc.weight' has shape entry \"10\"");
        kr("import", "--model", "democnn", "--in", offs.toString(), "--out", tmp.resolve("y.safetensors").toString()).failsWith(Main.CHECKPOINT, "import")
                .errContains("[safetensors] " + offs + ": tensor 'fc.weight' has data_offsets entry \"0\"");
    }

    /** Item 6: negative and > 2^31 shapes were '[tensor] negative dimension in shape [-1294967296]' (exit 1, no file), or wrapped silently to [10, 32]. */
    @Test
    void item6_negativeAndHugeShapesAreCheckpointErrorsNamingTheFile() throws IOException {
        String[][] cases = {{"[-1, -1]", "has shape entry -1"}, {"[3000000000]", "has a dimension of 3000000000"},
            {"[4294967306, 32]", "has a dimension of 4294967306"}};
        for (String[] c : cases) {
            Path f = Kr.safetensors(tmp.resolve("shape.safetensors"), "{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": " + c[0] + ", \"data_offsets\": [0, 1280]}}",
                    new byte[1280]);
            kr("eval", "--checkpoint", f.toString(), "--model", "democnn", "--data", data.toString()).failsWith(Main.CHECKPOINT, "eval")
                    .errContains("[safetensors] " + f + ": tensor 'fc.weight' " + c[1]);
        }
    }

    /** Item 6: a corrupt last.json on train --resume was exit 1 without its path (and its message ran over two lines). */
    @Test
    void item6_corruptLastJsonOnResumeIsExit4NamingIt() throws IOException {
        Path out = tmp.resolve("corrupt-last"), last = Files.createDirectories(out.resolve("checkpoints")).resolve("last.json");
        Files.writeString(last, "{\"epoch\": 1, \n");
        kr("train", "--resume", "--out", out.toString()).failsWith(Main.CHECKPOINT, "train").errContains("[train] cannot read " + last + ": [json] expected a key");
    }

    /** Item 6: a missing --config said only its path (exit 1), a non-UTF-8 one 'Input length = 1'. */
    @Test
    void item6_missingOrNonUtf8ConfigIsAUsageErrorNamingTheFile() throws IOException {
        Path missing = tmp.resolve("no-such.json"), latin1 = tmp.resolve("latin1.json");
        Files.write(latin1, "{\"model\": \"democnn\", \"data\": \"d\u00e9mo\"}".getBytes(StandardCharsets.ISO_8859_1));
        kr("train", "--config", missing.toString()).failsWith(Main.USAGE, "train").errContains("[config] experiment file " + missing + " does not exist");
        kr("train", "--config", latin1.toString()).failsWith(Main.USAGE, "train").errContains("[config] " + latin1 + " is not UTF-8 text");
    }

    /** Item 6: null values in a config were NullPointerExceptions at run time (exit 1). */
    @Test
    void item6_nullValuesInAConfigAreUsageErrorsNamingTheKey() throws IOException {
        for (String key : List.of("schedule", "augment", "normalize", "device", "milestones", "epochs", "lr")) {
            Path f = tmp.resolve("null-" + key + ".json");
            Map<String, Object> cfg = new LinkedHashMap<>(Map.of("model", "democnn", "data", data.toString(), "epochs", 1L));
            cfg.put(key, null);
            Files.writeString(f, kr.io.Json.write(cfg));
            kr("train", "--config", f.toString(), "--out", tmp.resolve("null-run").toString()).failsWith(Main.USAGE, "train")
                    .errContains("[config] " + key + " cannot be null");
        }
    }

    /** Item 6: write errors named the temp file ('.x.123.tmp -> x: Is a directory') or only the parent folder. */
    @Test
    void item6_writeErrorsNameTheTarget() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dump-here"));
        Files.writeString(dir.resolve("inside"), "x");
        Path best = teacher.resolve("checkpoints/best.safetensors");
        kr("eval", "--checkpoint", best.toString(), "--data", data.toString(), "--dump-logits", dir.toString()).failsWith(Main.FAILURE, "eval")
                .errContains("[write] cannot write " + dir + ": ");
        Path file = Files.writeString(tmp.resolve("a-file"), "x"), under = file.resolve("w.safetensors");
        Kr.Run r = kr("import", "--model", "democnn", "--in", best.toString(), "--out", under.toString());
        r.failsWith(Main.FAILURE, "import").errContains("[write] cannot write " + under + ": ");
        assertFalse(r.err().contains(".tmp"), r.err());
    }

    /** Item 6: eval --batch-size 0 was exit 1 ('[loader] batch size must be positive'). */
    @Test
    void item6_evalBatchSizeZeroIsAUsageError() {
        kr("eval", "--checkpoint", teacher.toString(), "--batch-size", "0").failsWith(Main.USAGE, "eval").errContains("[eval] --batch-size must be >= 1, got 0");
    }

    /** Item 6: --mirror 'not a url' was an IllegalArgumentException (exit 1, two lines). */
    @Test
    void item6_aMirrorThatIsNotAUrlIsAUsageError() {
        kr("data", "download", "cifar10", "--dir", tmp.resolve("dl").toString(), "--mirror", "not a url").failsWith(Main.USAGE, "data download")
                .errContains("[download] --mirror 'not a url' is not a URL");
    }

    /** Item 6: an ftp:// mirror was tried 3 times, claiming a partial file was kept; now refused at once. */
    @Test
    void item6_anFtpMirrorIsRefusedWithoutRetries() {
        Kr.Run r = kr("data", "download", "cifar10", "--dir", tmp.resolve("dl").toString(), "--mirror", "ftp://127.0.0.1:1/");
        r.failsWith(Main.USAGE, "data download").errContains("is not an http(s) URL with a host");
        assertFalse(r.err().contains("attempt") || r.err().contains("partial"), r.err());
    }

    // ---------------------------------------------------------------- item 7: accepted silently

    /** Item 7: --lr Infinity was accepted (and trained, exit 0). */
    @Test
    void item7_lrInfinityIsRefused() {
        kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--lr", "Infinity", "--out", tmp.resolve("inf").toString())
                .failsWith(Main.USAGE, "train").errContains("[config] lr must be a finite number, got Infinity");
        assertFalse(Files.exists(tmp.resolve("inf")));
    }

    /** Item 7: --momentum 5 was accepted. */
    @Test
    void item7_momentum5IsRefused() {
        kr("train", "--model", "democnn", "--data", data.toString(), "--momentum", "5", "--out", tmp.resolve("m5").toString())
                .failsWith(Main.USAGE, "train").errContains("[config] momentum must be in [0, 1], got 5.0");
    }

    /** Item 7: eval --limit -5 was accepted (every image evaluated). */
    @Test
    void item7_evalNegativeLimitIsRefused() {
        kr("eval", "--checkpoint", teacher.toString(), "--limit", "-5").failsWith(Main.USAGE, "eval").errContains("[eval] --limit must be >= 0");
    }

    /** Item 7: kr reproduce --seeds 0 trained the teacher and no student, exit 0. */
    @Test
    void item7_reproduceWithZeroSeedsIsRefused() throws IOException {
        Path grid = tmp.resolve("grid.json");
        Files.writeString(grid, "{\"name\": \"g\", \"data\": \"" + data.toString().replace("\\", "\\\\") + "\", \"train\": {\"epochs\": 1},"
                + " \"teacher\": {\"model\": \"democnn\"}, \"students\": [\"democnn\"], \"methods\": [\"scratch\"]}");
        Path out = tmp.resolve("grid-out");
        kr("reproduce", grid.toString(), "--seeds", "0", "--out", out.toString()).failsWith(Main.USAGE, "reproduce")
                .errContains("[reproduce] --seeds must be in [1, 1000], got 0");
        assertFalse(Files.exists(out.resolve("teacher")), "no teacher was trained");
    }

    /** Item 7: --tf32 on the CPU was accepted (and ignored). */
    @Test
    void item7_tf32OnCpuIsRefused() {
        kr("train", "--model", "democnn", "--data", data.toString(), "--tf32", "--out", tmp.resolve("tf32").toString()).failsWith(Main.USAGE, "train")
                .errContains("tf32 runs on cuda only");
        kr("eval", "--checkpoint", teacher.toString(), "--tf32").failsWith(Main.USAGE, "eval").errContains("--tf32 runs on cuda only");
    }

    /** Item 7: --kr-rho with --kr-lambda was accepted (lambda won silently). */
    @Test
    void item7_krRhoWithKrLambdaIsRefused() {
        kr("distill", "--teacher", teacher.toString(), "--student", "democnn", "--method", "kr", "--kr-rho", "0.3", "--kr-lambda", "0.01", "--data",
                data.toString(), "--out", tmp.resolve("rho").toString()).failsWith(Main.USAGE, "distill")
                .errContains("[distill] kr_rho (0.3) and kr_lambda (0.01) both choose the KR mask");
    }

    /** Item 7: duplicate JSON keys in a config were accepted (the last won). */
    @Test
    void item7_duplicateJsonKeysAreRefused() throws IOException {
        Path f = tmp.resolve("dup.json");
        Files.writeString(f, "{\"model\": \"democnn\", \"lr\": 0.1, \"lr\": 0.01}");
        kr("train", "--config", f.toString(), "--data", data.toString(), "--out", tmp.resolve("dup").toString()).failsWith(Main.USAGE, "train")
                .errContains("[config] " + f + ": [json] duplicate key \"lr\" at offset 32");
    }

    /** Item 7: import of I32 data into float weights was accepted (the integers became weights). */
    @Test
    void item7_importOfIntegerDataIntoFloatWeightsIsRefused() throws IOException {
        Map<String, Tensor> sd = SafeTensors.read(teacher.resolve("checkpoints/best.safetensors"));
        StringBuilder header = new StringBuilder("{");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (var e : sd.entrySet()) {
            boolean asInt = e.getKey().equals("conv1.weight") || e.getKey().endsWith("num_batches_tracked");
            double[] v = e.getValue().toDoubleArray();
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (double x : v) {
                if (asInt) b.putInt((int) Math.round(x * 100));
                else b.putFloat((float) x);
            }
            if (header.length() > 1) header.append(", ");
            header.append('"').append(e.getKey()).append("\": {\"dtype\": \"").append(asInt ? "I32" : "F32").append("\", \"shape\": ")
                    .append(java.util.Arrays.toString(e.getValue().shape())).append(", \"data_offsets\": [").append(bytes.size()).append(", ")
                    .append(bytes.size() + b.capacity()).append("]}");
            bytes.writeBytes(b.array());
        }
        Path f = Kr.safetensors(tmp.resolve("i32.safetensors"), header.append('}').toString(), bytes.toByteArray());
        Path out = tmp.resolve("i32-out.safetensors");
        Kr.Run r = kr("import", "--model", "democnn", "--in", f.toString(), "--out", out.toString());
        assertEquals(Main.CHECKPOINT, r.code(), r.err());
        assertEquals(List.of("kr import: [import] " + f + " does not fit democnn (10 classes): 1 problem(s)",
                "  wrong dtype conv1.weight: file I32 (integers), model float32"), r.errLines());
        assertFalse(Files.exists(out));
    }

    /** Item 7: a CIFAR-10 training batch cut at a record boundary was accepted (fewer images, no word). */
    @Test
    void item7_aCifarBatchTruncatedAtARecordBoundaryIsADataError() throws IOException {
        Path root = SyntheticCifar.write(tmp.resolve("cut"), 12, 20), b3 = root.resolve("cifar-10-batches-bin/data_batch_3.bin");
        byte[] raw = Files.readAllBytes(b3);
        Files.write(b3, java.util.Arrays.copyOf(raw, raw.length - 2 * 3073));
        kr("data", "info", root.toString()).failsWith(Main.DATA, "data info").errContains("[cifar] " + b3 + " holds 10 records but data_batch_1.bin holds 12");
        kr("train", "--model", DemoCnn.NAME, "--data", root.toString(), "--out", tmp.resolve("cut-run").toString()).failsWith(Main.DATA, "train");
    }
}
