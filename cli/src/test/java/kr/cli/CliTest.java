package kr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import kr.data.SyntheticCifar;
import kr.engine.Tensor;
import kr.io.Json;
import kr.io.SafeTensors;
import kr.nn.Init;
import kr.train.Checkpoints;
import kr.train.DemoCnn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end on a tiny CIFAR-10 binary directory: exit codes, files, resume, eval, import. */
class CliTest {
    @TempDir
    static Path tmp;
    static Path data;

    record Run(int code, String out, String err) {}

    static Run kr(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8), args);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** A CIFAR-10 binary directory with 5 x 12 training and 20 test records. */
    @BeforeAll
    static void writeData() throws IOException {
        data = SyntheticCifar.write(tmp.resolve("cifar"), 12, 20);
    }

    @Test
    void helpOfEveryCommandHasExamples() {
        for (String[] cmd : new String[][] {{"--help"}, {"train", "--help"}, {"eval", "--help"}, {"models", "--help"}, {"data", "--help"},
            {"data", "info", "--help"}, {"demo", "--help"}, {"import", "--help"}, {"distill", "--help"}, {"reproduce", "--help"}, {"profile", "--help"}}) {
            Run r = kr(cmd);
            assertEquals(0, r.code, String.join(" ", cmd));
            assertTrue(r.out.contains("Usage: kr"), r.out);
            if (cmd.length == 1 || !cmd[1].equals("info")) assertTrue(r.out.contains("Examples:"), String.join(" ", cmd) + ":\n" + r.out);
        }
        String help = kr("train", "--help").out;
        assertTrue(help.matches("(?s).*--epochs=N +Epochs \\(default: 240\\)\\..*"), "defaults come from TrainConfig:\n" + help);
    }

    @Test
    void exitCodesSayWhatWentWrong() throws IOException {
        assertEquals(Main.USAGE, kr().code);
        assertEquals(Main.USAGE, kr("train", "--no-such-flag").code);
        Run r = kr("train", "--data", data.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(Main.USAGE, r.code);
        assertTrue(r.err.contains("no model given"), r.err);
        r = kr("train", "--model", "nope", "--data", data.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(Main.USAGE, r.code);
        assertTrue(r.err.contains("unknown model 'nope'") && r.err.contains("democnn"), r.err);
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"epoch\": 3}");
        r = kr("train", "--config", bad.toString());
        assertEquals(Main.USAGE, r.code);
        assertTrue(r.err.contains("unknown key 'epoch'"), r.err);
        Files.writeString(bad, "{\"model\": \"democnn\", \"lr\": 0.1, \"lr\": 0.01}");
        r = kr("train", "--config", bad.toString());
        assertEquals(Main.USAGE, r.code);
        assertTrue(r.err.contains(bad + ": [json] duplicate key \"lr\""), r.err);
        r = kr("train", "--model", "democnn", "--data", tmp.resolve("missing").toString(), "--out", tmp.resolve("x").toString());
        assertEquals(Main.DATA, r.code);
        assertTrue(r.err.contains("missing") && r.err.contains("is not a directory"), r.err);
        r = kr("eval", "--checkpoint", tmp.resolve("none.safetensors").toString(), "--model", "democnn", "--data", data.toString());
        assertEquals(Main.CHECKPOINT, r.code);
        assertTrue(r.err.contains("does not exist"), r.err);
        r = kr("train", "--resume", "--out", tmp.resolve("never").toString());
        assertEquals(Main.CHECKPOINT, r.code);
        Path state = Files.createDirectories(tmp.resolve("corrupt").resolve("checkpoints")).resolve("last.json");
        Files.writeString(state, "{\"epoch\": 1, \"epoch\": 2}");
        r = kr("train", "--resume", "--out", tmp.resolve("corrupt").toString());
        assertEquals(Main.CHECKPOINT, r.code, r.err);
        assertTrue(r.err.contains("cannot read " + state + ": [json] duplicate key \"epoch\""), r.err);
        r = kr("data", "download", "cifar10", "--dir", tmp.resolve("dl").toString(), "--mirror", "http://127.0.0.1:1/");
        assertEquals(Main.DATA, r.code);
        assertTrue(r.err.contains("[download] cannot reach 127.0.0.1"), r.err);
        assertEquals(Main.USAGE, kr("data", "download", "imagenet").code);
        r = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--cuda-graphs", "--out", tmp.resolve("graphs").toString());
        assertEquals(Main.USAGE, r.code);
        assertTrue(r.err.contains("--cuda-graphs needs a device whose backend captures steps (--device cuda)"), r.err);
    }

    @Test
    void trainResumeEvalAndTheSavedConfiguration() throws IOException {
        Path out = tmp.resolve("run");
        Path cfg = tmp.resolve("run.json");
        Files.writeString(cfg, "{\"model\": \"democnn\", \"data\": \"" + data.toString().replace("\\", "\\\\") + "\", \"epochs\": 1, \"batch_size\": 20,"
                + " \"lr\": 0.5, \"schedule\": \"cosine\", \"checkpoint_every\": 1}");
        Run r = kr("train", "--config", cfg.toString(), "--lr", "0.02", "--out", out.toString(), "--progress", "off");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("epoch 1/1") && r.out.contains("done: final test accuracy"), r.out);
        Map<String, Object> saved = Json.parseObject(Files.readString(out.resolve("config.json")));
        assertEquals(0.02, (double) saved.get("lr"), "the flag overrides the file");
        assertEquals("cosine", saved.get("schedule"), "the file overrides the defaults");
        assertEquals(20L, saved.get("batch_size"));
        assertTrue(saved.get("threads") instanceof Long && saved.get("backend") instanceof String, "effective threads and backend are recorded");
        assertEquals(1, Files.readAllLines(out.resolve("metrics.jsonl")).size());

        r = kr("train", "--config", cfg.toString(), "--out", out.toString());
        assertEquals(Main.USAGE, r.code, "an existing run is never overwritten");
        assertTrue(r.err.contains("--resume"), r.err);

        r = kr("train", "--resume", "--out", out.toString(), "--epochs", "2", "--progress", "off");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("resuming") && r.out.contains("epoch 2/2"), r.out);
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        assertEquals(0.02, (double) Json.parseObject(Files.readString(out.resolve("config.json"))).get("lr"), "resume keeps the saved settings");
        r = kr("train", "--resume", "--out", out.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("nothing to do"), r.out);

        r = kr("eval", "--checkpoint", out.toString(), "--json", "--dump-logits", tmp.resolve("io.safetensors").toString(), "--dump-count", "3");
        assertEquals(0, r.code, r.err);
        Map<String, Object> ev = Json.parseObject(r.out.lines().findFirst().orElseThrow());
        assertEquals(20L, ev.get("images"));
        assertEquals("democnn", ev.get("model"));
        assertTrue((double) ev.get("top5") >= (double) ev.get("top1"));
        Map<String, Tensor> io = SafeTensors.read(tmp.resolve("io.safetensors"));
        assertEquals(3, io.get("logits").shape(0));
        assertEquals(10, io.get("logits").shape(1));

        r = kr("eval", "--checkpoint", out.resolve("checkpoints/last.json").toString(), "--data", data.toString(), "--split", "train", "--limit", "30");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("30 images") && r.out.contains("top-1"), r.out);
    }

    @Test
    void importMapsAPytorchStateDictAndReportsMismatches() throws IOException {
        Init.manualSeed(3);
        DemoCnn src = Zoo.demoCnn(10);
        Map<String, Tensor> torch = new LinkedHashMap<>();
        src.stateDict().forEach((k, v) -> torch.put("module." + k, v));
        torch.put("module.bn1.num_batches_tracked", Tensor.scalar(7));
        Path in = tmp.resolve("torch.safetensors"), out = tmp.resolve("imported.safetensors");
        SafeTensors.write(in, torch, Map.of("format", "pt"));
        Run r = kr("import", "--model", "democnn", "--classes", "10", "--in", in.toString(), "--out", out.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("prefix 'module.' stripped"), r.out);
        SafeTensors.Contents c = SafeTensors.readWithMetadata(out);
        assertEquals("democnn", c.metadata().get("kr.model"));
        assertEquals(src.stateDict().keySet(), c.tensors().keySet());
        assertEquals(java.util.Arrays.toString(src.stateDict().get("fc.weight").toFloatArray()),
                java.util.Arrays.toString(c.tensors().get("fc.weight").toFloatArray()));

        r = kr("import", "--model", "democnn", "--classes", "100", "--in", in.toString(), "--out", tmp.resolve("no.safetensors").toString());
        assertEquals(Main.CHECKPOINT, r.code);
        assertTrue(r.err.contains("wrong shape fc.weight: file [10, 32], model [100, 32]"), r.err);
        assertTrue(!Files.exists(tmp.resolve("no.safetensors")));
    }

    @Test
    void evalOfACheckpointThatDoesNotFitListsTheTensors() throws IOException {
        Init.manualSeed(1);
        Path w = tmp.resolve("hundred.safetensors");
        SafeTensors.write(w, Zoo.demoCnn(100).stateDict(), Map.of("kr.model", "democnn"));
        Run r = kr("eval", "--checkpoint", w.toString(), "--data", data.toString());
        assertEquals(Main.CHECKPOINT, r.code);
        assertTrue(r.err.contains("hundred.safetensors does not fit DemoCnn:\n  shape mismatch fc.weight: checkpoint [100, 32] vs model [10, 32]"), r.err);
    }

    @Test
    void modelsListsTheDemoNetwork() {
        Run r = kr("models", "--classes", "10");
        assertEquals(0, r.code);
        assertTrue(r.out.contains(DemoCnn.NAME), r.out);
        Init.manualSeed(0);
        assertTrue(r.out.contains(String.format(java.util.Locale.ROOT, "%,d", Zoo.demoCnn(10).parameterCount())), r.out);
        assertTrue(Checkpoints.BEST.endsWith(".safetensors"));
    }

    @Test
    void distillTrainsResumesAndRecordsItsSettings() throws IOException {
        Path teacher = tmp.resolve("teacher"), student = tmp.resolve("student");
        Run t = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "16", "--out", teacher.toString(), "--progress", "off");
        assertEquals(0, t.code, t.err);
        String[] args = {"distill", "--teacher", teacher.toString(), "--teacher-model", "democnn", "--student", "democnn", "--method", "kr+kd+at",
            "--kr-beta", "0.01", "--data", data.toString(), "--epochs", "2", "--batch-size", "16", "--checkpoint-every", "1", "--out", student.toString(),
            "--progress", "off"};
        Run d = kr(args);
        assertEquals(0, d.code, d.err);
        assertTrue(d.out.contains("KR: 4 student layers take priors") && d.out.contains("0.100 * CE + 0.900 * KD"), d.out);
        Map<String, Object> cfg = Json.parseObject(Files.readString(student.resolve("config.json")));
        @SuppressWarnings("unchecked")
        Map<String, Object> dist = (Map<String, Object>) cfg.get("distill");
        assertEquals("kr+kd+at", dist.get("method"));
        assertEquals(0.01, ((Number) dist.get("kr_beta")).doubleValue(), 0);
        assertEquals(4.0, ((Number) dist.get("kd_t")).doubleValue(), 0); // defaults are recorded too
        String metrics = Files.readString(student.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"train_kr_penalty\"") && metrics.contains("\"train_kd\"") && metrics.contains("\"train_at\""), metrics);
        // continuing with more epochs takes the saved distill settings
        Run r = kr("distill", "--resume", "--out", student.toString(), "--epochs", "3", "--progress", "off");
        assertEquals(0, r.code, r.err);
        assertEquals(3, Files.readAllLines(student.resolve("metrics.jsonl")).stream().filter(l -> !l.isBlank()).count());
        // a distill configuration is not a plain training run
        Run bad = kr("train", "--config", student.resolve("config.json").toString(), "--out", tmp.resolve("x2").toString());
        assertEquals(Main.USAGE, bad.code);
        assertTrue(bad.err.contains("run it with kr distill"), bad.err);
        Run unknown = kr("distill", "--teacher", teacher.toString(), "--teacher-model", "democnn", "--student", "democnn", "--method", "kd+foo",
            "--data", data.toString(), "--out", tmp.resolve("x3").toString());
        assertEquals(Main.USAGE, unknown.code);
        assertTrue(unknown.err.contains("[distill] unknown method 'foo'"), unknown.err);
    }

    @Test
    void reproducePrintsThePairedDifferencesWithTheirIntervals() throws IOException {
        Path grid = tmp.resolve("grid.json");
        Files.writeString(grid, "{\"name\": \"cli grid\", \"data\": \"" + data.toString().replace("\\", "\\\\") + "\", \"seeds\": 2,"
                + " \"train\": {\"epochs\": 1, \"batch_size\": 20, \"workers\": 0}, \"teacher\": {\"model\": \"democnn\"},"
                + " \"students\": [\"democnn\"], \"methods\": [\"scratch\", {\"name\": \"kr-zero\", \"method\": \"kr\", \"kr_prior\": \"zero\"}],"
                + " \"compare\": {\"kr-zero\": \"scratch\"}}");
        Run r = kr("reproduce", grid.toString(), "--out", tmp.resolve("grid-out").toString(), "--progress", "off");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("## Paired differences") && r.out.contains("95% CI") && r.out.contains("| democnn | kr-zero | scratch | 2 |"), r.out);
        assertTrue(Files.readString(tmp.resolve("grid-out").resolve("summary.json")).contains("\"ci95_low\""));
    }

    @Test
    void profileShowsTheRooflineColumnsPerKernelAndATraceWithStepsPhasesAndLayers() throws IOException {
        Path out = tmp.resolve("profile");
        Run r = kr("profile", "--model", "resnet8", "--batch-size", "2", "--steps", "2", "--warmup", "0", "--top", "100", "--out", out.toString()); // every shape: timing decides the order
        assertEquals(0, r.code, r.err);
        for (String s : new String[] {"peak: ", "GFLOP/s", "GB/s", "FLOP/B", "bound", "%peak", "share", "machine: ", "ridge"})
            assertTrue(r.out.contains(s), s + " missing in\n" + r.out);
        assertTrue(r.out.matches("(?s).*\nconv2dBackwardWeight +18 .* (compute|memory) +[0-9.]+% .*"), r.out);
        assertTrue(r.out.contains("conv2d [2,16,32,32] [16,16,3,3] s1 p1 -> [2,16,32,32]"), "per-shape table:\n" + r.out);
        assertTrue(r.out.matches("(?s).*\nlayer +forward ms +backward ms .*\nlayer1\\.0\\.conv1 .*"), "per-layer table:\n" + r.out);
        assertEquals(r.out.substring(0, r.out.indexOf("wrote ")), Files.readString(out.resolve("profile.txt")));
        String trace = Files.readString(out.resolve("trace.json"));
        Json.parse(trace);
        for (String name : new String[] {"step 0", "step 1", "forward", "backward", "optimizer", "layer1.0", "layer1.0.conv1", "conv2dBackwardInput"})
            assertTrue(trace.contains("\"name\":\"" + name + "\""), name + " not in the trace");
        assertTrue(trace.contains("\"layer\":\"layer1.0.conv1\",\"phase\":\"backward\",\"vjp of\":\"conv2d\""), "kernels carry layer and phase");
    }
}
