package kr.cli;

import static kr.cli.Kr.kr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import kr.data.SyntheticCifar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every subcommand with a bad input of each kind that applies to it (missing file, corrupt file,
 * wrong type, out-of-range number, unknown option, unknown model or method name, bad name of a
 * choice): the documented exit status (2 usage or configuration, 3 data, 4 checkpoint), exactly one
 * line on stderr ({@code kr <cmd>: [op] ...}) and no stack trace. The only multi-line errors are the
 * per-tensor listings of a checkpoint that does not fit (eval, import): their first line is the error
 * and each further line names one tensor, indented.
 */
class EveryCommandBadInputTest {
    @TempDir
    static Path tmp;
    static Path data, teacher, junk, missing, badJson, wrongType, corruptData, fileNotDir;

    @BeforeAll
    static void setUp() throws IOException {
        data = SyntheticCifar.write(tmp.resolve("cifar"), 8, 10);
        teacher = tmp.resolve("teacher");
        Kr.Run t = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "20", "--out", teacher.toString(),
                "--progress", "off");
        assertEquals(0, t.code(), t.err());
        junk = Files.write(tmp.resolve("junk.safetensors"), "this is not a safetensors file, just some text".getBytes());
        missing = tmp.resolve("no-such-thing");
        badJson = Files.writeString(tmp.resolve("bad.json"), "{\"model\": \"democnn\",\n \"epochs\": ");
        wrongType = Files.writeString(tmp.resolve("wrong-type.json"), "{\"model\": \"democnn\", \"data\": \"" + json(data) + "\", \"epochs\": \"ten\"}");
        corruptData = SyntheticCifar.write(tmp.resolve("corrupt"), 8, 10);
        Path b2 = corruptData.resolve("cifar-10-batches-bin/data_batch_2.bin");
        Files.write(b2, java.util.Arrays.copyOf(Files.readAllBytes(b2), 5000)); // cut inside a record
        fileNotDir = Files.writeString(tmp.resolve("plain-file"), "x");
    }

    static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    /** One bad invocation: what kind of bad input, the command's name as kr prints it, the expected status, and the arguments. */
    record Case(String kind, String command, int status, List<String> args, boolean listing) {
        String describe() {
            return kind + ": kr " + String.join(" ", args);
        }
    }

    static final List<Case> CASES = new ArrayList<>();

    static void bad(String kind, int status, String... args) {
        CASES.add(new Case(kind, command(args), status, List.of(args), false));
    }

    static void listing(String kind, int status, String... args) {
        CASES.add(new Case(kind, command(args), status, List.of(args), true));
    }

    /** The command kr names in its error line: the subcommand given, or kr itself for an unknown one. */
    static String command(String[] args) {
        List<String> known = List.of("demo", "train", "distill", "reproduce", "profile", "eval", "models", "data", "import");
        if (args.length == 0 || !known.contains(args[0])) return "";
        return args[0].equals("data") && args.length > 1 && List.of("info", "download").contains(args[1]) ? "data " + args[1] : args[0];
    }

    static final int USAGE = Main.USAGE, DATA = Main.DATA, CHECKPOINT = Main.CHECKPOINT;

    static List<Case> cases() {
        CASES.clear();
        String d = data.toString(), t = teacher.toString(), out = tmp.resolve("out").toString();
        // kr itself
        bad("no command", USAGE);
        bad("unknown command", USAGE, "trian");
        bad("unknown option", USAGE, "--nope");
        // demo
        bad("unknown option", USAGE, "demo", "--nope");
        bad("wrong type", USAGE, "demo", "--epochs", "ten");
        bad("out of range", USAGE, "demo", "--epochs", "0");
        bad("out of range", USAGE, "demo", "--threads", "0");
        bad("bad name", USAGE, "demo", "--device", "gpu");
        bad("bad name", USAGE, "demo", "--progress", "loud");
        // train
        bad("unknown option", USAGE, "train", "--nope");
        bad("missing file", USAGE, "train", "--config", missing.toString());
        bad("corrupt file", USAGE, "train", "--config", badJson.toString());
        bad("wrong type", USAGE, "train", "--config", wrongType.toString(), "--out", out);
        bad("wrong type", USAGE, "train", "--model", "democnn", "--data", d, "--epochs", "ten");
        bad("wrong type", USAGE, "train", "--model", "democnn", "--data", d, "--milestones", "5,x");
        bad("out of range", USAGE, "train", "--model", "democnn", "--data", d, "--lr", "-1", "--out", out);
        bad("out of range", USAGE, "train", "--model", "democnn", "--data", d, "--momentum", "5", "--out", out);
        bad("out of range", USAGE, "train", "--model", "democnn", "--data", d, "--epochs", "99999999999", "--out", out);
        bad("unknown model", USAGE, "train", "--model", "resnet21", "--data", d, "--out", out);
        bad("bad name", USAGE, "train", "--model", "democnn", "--data", d, "--schedule", "linear", "--out", out);
        bad("bad name", USAGE, "train", "--model", "democnn", "--data", d, "--backend", "gpu", "--out", out);
        bad("missing file", DATA, "train", "--model", "democnn", "--data", missing.toString(), "--out", out);
        bad("corrupt file", DATA, "train", "--model", "democnn", "--data", corruptData.toString(), "--out", out);
        bad("missing file", CHECKPOINT, "train", "--resume", "--out", missing.toString());
        // distill
        bad("unknown option", USAGE, "distill", "--nope");
        bad("unknown method", USAGE, "distill", "--teacher", t, "--student", "democnn", "--method", "kd+foo", "--data", d, "--out", out);
        bad("unknown model", USAGE, "distill", "--teacher", t, "--student", "resnet21", "--data", d, "--out", out);
        bad("unknown model", USAGE, "distill", "--teacher", t, "--teacher-model", "resnet21", "--student", "democnn", "--data", d, "--out", out);
        bad("wrong type", USAGE, "distill", "--teacher", t, "--student", "democnn", "--kd-t", "warm", "--data", d, "--out", out);
        bad("out of range", USAGE, "distill", "--teacher", t, "--student", "democnn", "--kd-t", "0", "--data", d, "--out", out);
        bad("out of range", USAGE, "distill", "--teacher", t, "--student", "democnn", "--method", "kr", "--kr-rho", "1.5", "--data", d, "--out", out);
        bad("bad name", USAGE, "distill", "--teacher", t, "--student", "democnn", "--method", "kr", "--kr-filter-pool", "median", "--data", d, "--out", out);
        bad("missing file", CHECKPOINT, "distill", "--teacher", missing.toString(), "--teacher-model", "democnn", "--student", "democnn", "--data", d,
                "--out", out);
        bad("corrupt file", CHECKPOINT, "distill", "--teacher", junk.toString(), "--teacher-model", "democnn", "--student", "democnn", "--data", d,
                "--out", out);
        bad("missing file", DATA, "distill", "--teacher", t, "--student", "democnn", "--data", missing.toString(), "--out", out);
        // reproduce
        bad("unknown option", USAGE, "reproduce", grid("\"seeds\": 1"), "--nope");
        bad("missing argument", USAGE, "reproduce");
        bad("missing file", USAGE, "reproduce", missing.toString());
        bad("corrupt file", USAGE, "reproduce", badJson.toString());
        bad("wrong type", USAGE, "reproduce", "--seeds", "three", badJson.toString());
        bad("out of range", USAGE, "reproduce", grid("\"seeds\": -2"));
        bad("out of range", USAGE, "reproduce", grid("\"seeds\": 1"), "--seeds", "0");
        bad("wrong type", USAGE, "reproduce", grid("\"seeds\": \"3\""));
        bad("unknown method", USAGE, "reproduce", gridWith("\"methods\": [\"scratch\", \"kd+foo\"]"), "--out", out);
        bad("unknown model", USAGE, "reproduce", gridWith("\"teacher\": {\"model\": \"resnet21\"}", "\"methods\": [\"scratch\"]"), "--out",
                tmp.resolve("grid-out").toString());
        bad("missing file", DATA, "reproduce", grid("\"seeds\": 1"), "--data", missing.toString(), "--out", tmp.resolve("grid-out2").toString());
        // profile
        bad("unknown option", USAGE, "profile", "--nope");
        bad("wrong type", USAGE, "profile", "--steps", "many");
        bad("out of range", USAGE, "profile", "--batch-size", "0");
        bad("out of range", USAGE, "profile", "--classes", "0");
        bad("out of range", USAGE, "profile", "--steps", "0");
        bad("unknown model", USAGE, "profile", "--model", "resnet21");
        bad("bad name", USAGE, "profile", "--device", "tpu");
        bad("bad name", USAGE, "profile", "--backend", "gpu");
        // eval
        bad("unknown option", USAGE, "eval", "--checkpoint", t, "--nope");
        bad("missing option", USAGE, "eval");
        bad("missing file", CHECKPOINT, "eval", "--checkpoint", missing.toString(), "--model", "democnn", "--data", d);
        bad("corrupt file", CHECKPOINT, "eval", "--checkpoint", junk.toString(), "--model", "democnn", "--data", d);
        bad("wrong type", USAGE, "eval", "--checkpoint", t, "--batch-size", "big");
        bad("out of range", USAGE, "eval", "--checkpoint", t, "--batch-size", "0");
        bad("out of range", USAGE, "eval", "--checkpoint", t, "--limit", "-5");
        bad("out of range", USAGE, "eval", "--checkpoint", t, "--dump-count", "0");
        bad("bad name", USAGE, "eval", "--checkpoint", t, "--split", "val");
        bad("unknown model", USAGE, "eval", "--checkpoint", t, "--model", "resnet21");
        bad("missing file", DATA, "eval", "--checkpoint", t, "--data", missing.toString());
        bad("corrupt file", DATA, "eval", "--checkpoint", t, "--data", corruptData.toString(), "--split", "train");
        listing("wrong model", CHECKPOINT, "eval", "--checkpoint", t, "--model", "resnet8");
        // models
        bad("unknown option", USAGE, "models", "--nope");
        bad("wrong type", USAGE, "models", "--classes", "ten");
        bad("out of range", USAGE, "models", "--classes", "0");
        // data
        bad("missing command", USAGE, "data");
        bad("unknown command", USAGE, "data", "fetch", "cifar10");
        // data info
        bad("missing argument", USAGE, "data", "info");
        bad("unknown option", USAGE, "data", "info", "--nope", d);
        bad("missing file", DATA, "data", "info", missing.toString());
        bad("missing file", DATA, "data", "info", fileNotDir.toString());
        bad("corrupt file", DATA, "data", "info", corruptData.toString());
        // data download
        bad("missing argument", USAGE, "data", "download");
        bad("unknown option", USAGE, "data", "download", "cifar10", "--nope");
        bad("unknown name", USAGE, "data", "download", "imagenet", "--dir", tmp.resolve("dl").toString());
        bad("bad url", USAGE, "data", "download", "cifar10", "--dir", tmp.resolve("dl").toString(), "--mirror", "not a url");
        bad("bad url", USAGE, "data", "download", "cifar10", "--dir", tmp.resolve("dl").toString(), "--mirror", "ftp://127.0.0.1:1/");
        bad("unreachable", DATA, "data", "download", "cifar10", "--dir", tmp.resolve("dl").toString(), "--mirror", "http://127.0.0.1:1/");
        bad("not a folder", DATA, "data", "download", "fashion-mnist", "--dir", fileNotDir.resolve("sub").toString(), "--mirror", "http://127.0.0.1:1/");
        // import
        bad("unknown option", USAGE, "import", "--model", "democnn", "--in", t, "--out", tmp.resolve("i.safetensors").toString(), "--nope");
        bad("missing option", USAGE, "import", "--model", "democnn");
        bad("missing file", CHECKPOINT, "import", "--model", "democnn", "--in", missing.toString(), "--out", tmp.resolve("i.safetensors").toString());
        bad("corrupt file", CHECKPOINT, "import", "--model", "democnn", "--in", junk.toString(), "--out", tmp.resolve("i.safetensors").toString());
        bad("wrong type", USAGE, "import", "--model", "democnn", "--classes", "ten", "--in", t, "--out", tmp.resolve("i.safetensors").toString());
        bad("out of range", USAGE, "import", "--model", "democnn", "--classes", "0", "--in", teacher.resolve("checkpoints/best.safetensors").toString(),
                "--out", tmp.resolve("i.safetensors").toString());
        bad("unknown model", USAGE, "import", "--model", "resnet21", "--in", teacher.resolve("checkpoints/best.safetensors").toString(), "--out",
                tmp.resolve("i.safetensors").toString());
        listing("wrong model", CHECKPOINT, "import", "--model", "resnet8", "--in", teacher.resolve("checkpoints/best.safetensors").toString(), "--out",
                tmp.resolve("i.safetensors").toString());
        return List.copyOf(CASES);
    }

    /** A grid file (a fresh name per content) with {@code extra} top-level entries and a working data set, teacher and students. */
    static String grid(String extra) {
        return gridWith(extra);
    }

    static String gridWith(String... entries) {
        List<String> e = new ArrayList<>(List.of("\"data\": \"" + json(data) + "\"", "\"train\": {\"epochs\": 1}", "\"students\": [\"democnn\"]"));
        e.addAll(List.of(entries));
        if (e.stream().noneMatch(s -> s.startsWith("\"methods\""))) e.add("\"methods\": [\"scratch\"]");
        if (e.stream().noneMatch(s -> s.startsWith("\"teacher\""))) e.add("\"teacher\": {\"model\": \"democnn\"}");
        String text = "{" + String.join(", ", e) + "}";
        Path f = tmp.resolve("grid-" + Integer.toHexString(text.hashCode()) + ".json");
        try {
            Files.writeString(f, text);
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
        return f.toString();
    }

    @Test
    void everyCommandFailsWithOneLineAndItsExitStatus() {
        List<String> failures = new ArrayList<>();
        Set<String> commands = new LinkedHashSet<>();
        for (Case c : cases()) {
            commands.add(c.command());
            Kr.Run r = kr(c.args());
            String prefix = c.command().isEmpty() ? "kr: [" : "kr " + c.command() + ": [";
            List<String> lines = r.errLines();
            boolean oneLine = lines.size() == 1 || c.listing() && lines.size() > 1 && lines.stream().skip(1).allMatch(l -> l.startsWith("  ") && !l.startsWith("  at "));
            boolean stack = r.err().lines().anyMatch(l -> l.startsWith("\tat ") || l.contains("Exception in thread") || l.startsWith("Caused by:"));
            if (r.code() != c.status() || !oneLine || !r.err().startsWith(prefix) || stack)
                failures.add(c.describe() + "\n    expected exit " + c.status() + " and one '" + prefix + "...' line; got exit " + r.code() + ", stderr:\n"
                        + r.err().indent(6));
        }
        assertEquals(List.of("", "demo", "train", "distill", "reproduce", "profile", "eval", "models", "data", "data info", "data download", "import"),
                List.copyOf(commands), "every subcommand is exercised");
        assertTrue(failures.isEmpty(), failures.size() + " of " + CASES.size() + " bad inputs misreported:\n" + String.join("\n", failures));
    }
}
