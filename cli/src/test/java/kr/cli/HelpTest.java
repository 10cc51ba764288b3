package kr.cli;

import static kr.cli.Kr.kr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.config.Binder;
import kr.distill.DistillConfig;
import kr.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command's {@code --help} tells the truth (issue 13 item 8): no line wider than 100 columns,
 * real defaults (never "(default: null)", and every setting with a default shows it), and examples
 * that work as printed. Each example of the "Examples:" footer (a line starting {@code "  kr "};
 * {@code "  #"} lines are comments; a line ending in {@code " \"} continues on the next) is parsed by
 * a fresh command line, and the cheap ones that need no data from outside are run, with their
 * {@code --out} moved to a temp folder.
 */
class HelpTest {
    @TempDir
    Path tmp;

    static final List<List<String>> COMMANDS = List.of(List.of(), List.of("demo"), List.of("train"), List.of("distill"), List.of("reproduce"),
            List.of("profile"), List.of("eval"), List.of("models"), List.of("data"), List.of("data", "info"), List.of("data", "download"), List.of("import"));

    /** The examples worth running here: fast, and on data that ships with kr. Each must still be printed by some --help. */
    static final List<String> RUN = List.of("kr models", "kr models --classes 10", "kr data info demo", "kr train --help",
            "kr train --model democnn --data demo --epochs 2 --limit-train 1000 --out runs/quick");

    static String help(List<String> cmd) {
        List<String> args = new ArrayList<>(cmd);
        args.add("--help");
        Kr.Run r = kr(args);
        assertEquals(0, r.code(), r.command() + ": " + r.err());
        assertEquals("", r.err(), r.command());
        return r.out();
    }

    /** The examples of a help text, each as one command line (continuations joined). */
    static List<String> examples(String help) {
        List<String> out = new ArrayList<>();
        List<String> lines = help.lines().toList();
        int start = lines.indexOf("Examples:");
        if (start < 0) return out;
        StringBuilder cur = null;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (cur != null) { // a continuation of the previous line
                String part = line.strip();
                boolean more = part.endsWith(" \\");
                cur.append(' ').append(more ? part.substring(0, part.length() - 2).strip() : part);
                if (!more) {
                    out.add(cur.toString());
                    cur = null;
                }
                continue;
            }
            if (line.isBlank()) break; // the examples end at the first blank line
            if (line.startsWith("  #")) continue;
            assertTrue(line.startsWith("  kr "), () -> "an example line that is neither '  kr ...' nor a '  #' comment: '" + line + "'");
            String text = line.substring(2).stripTrailing();
            if (text.endsWith(" \\")) cur = new StringBuilder(text.substring(0, text.length() - 2).stripTrailing());
            else out.add(text);
        }
        assertTrue(cur == null, "an example ends in a continuation: " + cur);
        return out;
    }

    /** Words of an example, as a shell splits them (plain words, '...' and "..."). */
    static List<String> words(String example) {
        List<String> w = new ArrayList<>();
        StringBuilder b = null;
        char quote = 0;
        for (char c : example.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0;
                else b.append(c);
            } else if (c == '\'' || c == '"') {
                if (b == null) b = new StringBuilder();
                quote = c;
            } else if (Character.isWhitespace(c)) {
                if (b != null) w.add(b.toString());
                b = null;
            } else {
                if (b == null) b = new StringBuilder();
                b.append(c);
            }
        }
        assertEquals(0, quote, "unbalanced quote in " + example);
        if (b != null) w.add(b.toString());
        assertEquals("kr", w.get(0), example);
        return w.subList(1, w.size());
    }

    @Test
    void everyHelpFitsA100ColumnTerminalAndShowsNoNullDefault() {
        for (List<String> cmd : COMMANDS) {
            String h = help(cmd);
            for (String line : h.lines().toList())
                assertTrue(line.codePointCount(0, line.length()) <= 100, () -> "kr " + String.join(" ", cmd) + " --help: a line of " + line.length()
                        + " columns: " + line);
            assertTrue(!h.contains("default: null") && !h.contains("(default: )"), () -> "kr " + String.join(" ", cmd) + " --help:\n" + h);
            assertTrue(h.contains("Examples:"), () -> "kr " + String.join(" ", cmd) + " --help has no examples:\n" + h);
        }
    }

    /** Item 8: distill --help showed "(default: null)" for a dozen settings; every flag with a default must show it. */
    @Test
    void everySettingWithADefaultShowsIt() {
        Map<String, Binder<?>> binders = new LinkedHashMap<>();
        binders.put("train", TrainConfig.BINDER);
        binders.put("distill", DistillConfig.BINDER);
        String distill = help(List.of("distill")), train = help(List.of("train"));
        for (var b : binders.entrySet()) {
            for (Binder.Entry e : b.getValue().entries()) {
                String dflt = b.getValue().defaultText(e);
                if (!e.setting().flag() || dflt == null) continue;
                // the option's description may wrap: compare with whitespace collapsed
                String flat = (b.getKey().equals("train") ? train : distill).replaceAll("\\s+", " ");
                assertTrue(flat.contains("(default: " + dflt.replaceAll("\\s+", " ") + ")"), () -> "kr " + b.getKey() + " --help does not show "
                        + e.flags()[0] + "'s default " + dflt);
                if (b.getKey().equals("train")) assertTrue(distill.replaceAll("\\s+", " ").contains("(default: " + dflt.replaceAll("\\s+", " ") + ")"));
            }
        }
        // the class count of a head has one default everywhere a command builds one without data
        for (String cmd : List.of("models", "profile")) assertTrue(help(List.of(cmd)).contains("(default: 100"), cmd);
    }

    /** Every example parses as printed; the ones that need no outside data run, with --out in a temp folder. */
    @Test
    void everyExampleParsesAndTheCheapOnesRun() throws IOException {
        List<String> all = new ArrayList<>();
        for (List<String> cmd : COMMANDS) {
            List<String> ex = examples(help(cmd));
            assertTrue(!ex.isEmpty(), "kr " + String.join(" ", cmd) + " --help has no examples");
            all.addAll(ex);
        }
        Path root = repositoryRoot();
        for (String example : all) {
            List<String> args = words(example);
            CommandLine cl = new CommandLine(new Main());
            try {
                cl.parseArgs(args.toArray(new String[0]));
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError("the example '" + example + "' does not parse: " + e.getMessage(), e);
            }
            // a file of this repository that an example names must exist (reproduce --help named a grid that did not)
            for (String a : args)
                if (a.startsWith("experiments/") || a.startsWith("results/") && a.endsWith(".safetensors"))
                    assertTrue(Files.exists(root.resolve(a)), () -> "the example '" + example + "' names " + a + ", which is not in the repository");
        }
        for (String example : RUN) {
            assertTrue(all.contains(example), () -> "no --help prints the example '" + example + "' any more: update HelpTest.RUN");
            List<String> args = new ArrayList<>(words(example));
            int out = args.indexOf("--out");
            if (out >= 0) args.set(out + 1, tmp.resolve(args.get(out + 1)).toString());
            args.addAll(args.contains("train") && !args.contains("--help") ? List.of("--progress", "off") : List.of());
            Kr.Run r = kr(args);
            assertEquals(0, r.code(), () -> example + " fails: " + r.err());
            assertEquals("", r.err(), example);
            if (out >= 0) assertTrue(Files.exists(tmp.resolve("runs/quick/checkpoints/best.safetensors")), example + " wrote no weights");
        }
    }

    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("experiments"))) p = p.getParent();
        assertTrue(p != null, "the repository root (with experiments/) is not above " + Path.of("").toAbsolutePath());
        return p;
    }
}
