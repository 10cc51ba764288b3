package kr.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.config.Binder;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The command line's side of {@link Binder}: one option per declared setting (names, value label,
 * help and default from the declaration), and the settings a command line gave, by key.
 */
final class SettingOptions {
    private SettingOptions() {}

    /** Adds an option for every setting of {@code binder} that has a flag, in declaration order. */
    static void add(CommandSpec spec, Binder<?> binder) {
        for (Binder.Entry e : binder.entries()) {
            if (!e.setting().flag()) continue;
            String dflt = binder.defaultText(e), help = e.setting().help();
            if (dflt != null) help = help.endsWith(".") ? help.substring(0, help.length() - 1) + " (default: " + dflt + ")." : help + " (default: " + dflt + ")";
            OptionSpec.Builder b = OptionSpec.builder(e.flags()).description(help.replace("%", "%%"));
            Class<?> t = e.type();
            if (t == boolean.class || t == Boolean.class) {
                b.type(Boolean.class).arity("0").negatable(true);
            } else {
                b.paramLabel(e.label()).type(t.isPrimitive() ? box(t) : t);
                if (t == int[].class) b.splitRegex(",");
            }
            spec.addOption(b.build());
        }
    }

    /** The settings of {@code binder} given on the command line, by key, as JSON values. */
    static Map<String, Object> given(ParseResult parsed, Binder<?> binder) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Binder.Entry e : binder.entries()) {
            if (!e.setting().flag()) continue;
            OptionSpec o = parsed.matchedOption(e.flags()[0]);
            if (o != null) m.put(e.key(), Binder.json(o.getValue()));
        }
        return m;
    }

    /** "An experiment file is a JSON object with any of the keys a, b, ..." wrapped to the help width. */
    static List<String> keysText(String intro, List<String> keys, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder(intro);
        for (int i = 0; i < keys.size(); i++) {
            String word = " " + keys.get(i) + (i + 1 < keys.size() ? "," : ".");
            if (line.length() + word.length() > width) {
                lines.add(line.toString());
                line = new StringBuilder(" ");
                word = word.substring(1);
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    private static Class<?> box(Class<?> t) {
        if (t == int.class) return Integer.class;
        if (t == long.class) return Long.class;
        if (t == double.class) return Double.class;
        return t;
    }
}
