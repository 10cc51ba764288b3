package kr.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal JSON for metrics, experiment files, training state and safetensors headers. Parses into
 * {@code Map<String,Object>} (insertion ordered), {@code List<Object>}, {@code String},
 * {@code Double}/{@code Long}, {@code Boolean} and {@code null}; writes the same. Malformed input,
 * a repeated key in one object and nesting deeper than {@link #MAX_DEPTH} fail with an
 * IllegalArgumentException that gives the offset.
 *
 * <pre>{@code Map<String, Object> m = Json.parseObject("{\"epoch\": 3}"); String s = Json.write(m); }</pre>
 */
public final class Json {
    /** Deepest nesting of arrays and objects accepted: the parser recurses per level, so hostile input must not reach the stack's end. */
    public static final int MAX_DEPTH = 512;

    private final String s;
    private int i;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) throw p.err("trailing characters");
        return v;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object o = parse(text);
        if (!(o instanceof Map)) throw new IllegalArgumentException("[json] expected an object at the top level");
        return (Map<String, Object>) o;
    }

    private IllegalArgumentException err(String what) {
        return err(what, i);
    }

    private IllegalArgumentException err(String what, int at) {
        int from = Math.max(0, at - 20), to = Math.min(s.length(), at + 20);
        return new IllegalArgumentException("[json] " + what + " at offset " + at + " near '" + printable(s.substring(from, to)) + "'");
    }

    /**
     * {@code text} with line breaks and other control characters escaped (a line break as backslash-n,
     * others as backslash-u and four hex digits), for error messages that quote input: a message stays one line.
     */
    public static String printable(String text) {
        String excerpt = text;
        StringBuilder b = new StringBuilder(excerpt.length());
        for (int k = 0; k < excerpt.length(); k++) {
            char c = excerpt.charAt(k);
            switch (c) {
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029 || c == 0x85) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.toString();
    }

    /** One more level of nesting: an array or object opens at {@code i} (its closing bracket takes the level off). */
    private void enter() {
        if (++depth > MAX_DEPTH) throw err("nesting deeper than " + MAX_DEPTH + " levels");
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private Object value() {
        if (i >= s.length()) throw err("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default: return number();
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) throw err("invalid literal");
        i += word.length();
        return v;
    }

    private Map<String, Object> object() {
        enter();
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            depth--;
            return m;
        }
        while (true) {
            ws();
            if (i >= s.length() || s.charAt(i) != '"') throw err("expected a key");
            int at = i;
            String k = string();
            // a repeated key would silently override the first (e.g. a config's "lr"): refuse it
            if (m.containsKey(k)) {
                StringBuilder q = new StringBuilder();
                quote(q, k);
                throw err("duplicate key " + (q.length() > 80 ? q.substring(0, 80) + "...\"" : q), at);
            }
            ws();
            if (i >= s.length() || s.charAt(i) != ':') throw err("expected ':'");
            i++;
            ws();
            m.put(k, value());
            ws();
            if (i >= s.length()) throw err("unexpected end in object");
            char c = s.charAt(i++);
            if (c == '}') {
                depth--;
                return m;
            }
            if (c != ',') throw err("expected ',' or '}'");
        }
    }

    private List<Object> array() {
        enter();
        List<Object> l = new ArrayList<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            depth--;
            return l;
        }
        while (true) {
            ws();
            l.add(value());
            ws();
            if (i >= s.length()) throw err("unexpected end in array");
            char c = s.charAt(i++);
            if (c == ']') {
                depth--;
                return l;
            }
            if (c != ',') throw err("expected ',' or ']'");
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length()) throw err("unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) throw err("unterminated escape");
            char e = s.charAt(i++);
            switch (e) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u': {
                    int code = 0;
                    for (int k = 0; k < 4; k++) {
                        char h = i + k < s.length() ? s.charAt(i + k) : 'x';
                        int d = h < 128 ? Character.digit(h, 16) : -1; // ASCII hex only (digit() also takes other scripts' digits)
                        if (d < 0) throw err("bad unicode escape");
                        code = code * 16 + d;
                    }
                    b.append((char) code);
                    i += 4;
                    break;
                }
                default: b.append(e);
            }
        }
    }

    private Object number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        String t = s.substring(start, i);
        if (t.isEmpty()) throw err("unexpected character");
        try {
            if (t.indexOf('.') < 0 && t.indexOf('e') < 0 && t.indexOf('E') < 0) return Long.parseLong(t);
            return Double.parseDouble(t);
        } catch (NumberFormatException ex) {
            throw err("bad number '" + (t.length() > 40 ? t.substring(0, 40) + "... (" + t.length() + " characters)" : t) + "'");
        }
    }

    /** Compact JSON text for maps, lists, strings, numbers, booleans, null, arrays of primitives. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, -1, 0);
        return b.toString();
    }

    /** Indented JSON text (2 spaces). */
    public static String pretty(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, 2, 0);
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Object v, int indent, int level) {
        if (v == null) b.append("null");
        else if (v instanceof String str) quote(b, str);
        else if (v instanceof Double d) b.append(Double.isFinite(d) ? num(d) : "null");
        else if (v instanceof Float f) b.append(Float.isFinite(f) ? num(f.doubleValue()) : "null");
        else if (v instanceof Number || v instanceof Boolean) b.append(v);
        else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (var e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                nl(b, indent, level + 1);
                quote(b, String.valueOf(e.getKey()));
                b.append(indent >= 0 ? ": " : ":");
                write(b, e.getValue(), indent, level + 1);
            }
            if (!m.isEmpty()) nl(b, indent, level);
            b.append('}');
        } else if (v instanceof Iterable<?> it) {
            b.append('[');
            boolean first = true;
            for (Object o : it) {
                if (!first) b.append(indent >= 0 ? ", " : ",");
                first = false;
                write(b, o, indent, level + 1);
            }
            b.append(']');
        } else if (v instanceof long[] a) {
            List<Object> l = new ArrayList<>();
            for (long x : a) l.add(x);
            write(b, l, indent, level);
        } else if (v instanceof int[] a) {
            List<Object> l = new ArrayList<>();
            for (int x : a) l.add(x);
            write(b, l, indent, level);
        } else if (v instanceof double[] a) {
            List<Object> l = new ArrayList<>();
            for (double x : a) l.add(x);
            write(b, l, indent, level);
        } else quote(b, v.toString());
    }

    private static String num(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d) + ".0";
        return Double.toString(d);
    }

    private static void nl(StringBuilder b, int indent, int level) {
        if (indent < 0) return;
        b.append('\n');
        for (int k = 0; k < indent * level; k++) b.append(' ');
    }

    private static void quote(StringBuilder b, String str) {
        b.append('"');
        for (int k = 0; k < str.length(); k++) {
            char c = str.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }
}
