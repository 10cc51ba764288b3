package kr.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parser's limits (nesting depth, duplicate keys) and a fuzz property: any input parses or fails with IllegalArgumentException. */
class JsonTest {
    @TempDir
    Path tmp;

    static String nested(String open, String close, int levels) {
        return open.repeat(levels) + close.repeat(levels);
    }

    @Test
    void nestingBeyondTheLimitFailsWithItsOffsetNotAStackOverflow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(nested("[", "]", 100_000)));
        assertTrue(e.getMessage().startsWith("[json] nesting deeper than 512 levels at offset 512 "), e.getMessage());
        // objects count the same; level 513 opens at offset 5 * 512
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse(nested("{\"a\":", "}", 100_000)));
        assertTrue(e.getMessage().startsWith("[json] nesting deeper than 512 levels at offset 2560 "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse(nested("[", "]", Json.MAX_DEPTH + 1)));
        assertTrue(e.getMessage().startsWith("[json] nesting deeper than 512 levels at offset 512 "), e.getMessage());
    }

    @Test
    void nestingUpToTheLimitParses() {
        Object v = Json.parse(nested("[", "]", Json.MAX_DEPTH));
        int depth = 0;
        while (v instanceof List<?> l) {
            depth++;
            v = l.isEmpty() ? null : l.get(0);
        }
        assertEquals(Json.MAX_DEPTH, depth);
        // mixed objects and arrays with values at every level, and the writer's output of it parses back the same
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < Json.MAX_DEPTH / 2; k++) b.append("{\"n\": ").append(k).append(", \"v\": [");
        b.append("true");
        for (int k = 0; k < Json.MAX_DEPTH / 2; k++) b.append("]}");
        Object m = Json.parse(b.toString());
        assertEquals(m, Json.parse(Json.write(m)));
        assertEquals(m, Json.parse(Json.pretty(m)));
    }

    @Test
    void aDuplicateKeyIsRefusedAndNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"lr\": 0.1, \"lr\": 0.2}"));
        assertTrue(e.getMessage().startsWith("[json] duplicate key \"lr\" at offset 12 "), e.getMessage());
        // the same key once escaped, and a duplicate deep inside
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1, \"\\u0061\": 2}"));
        assertTrue(e.getMessage().startsWith("[json] duplicate key \"a\" at offset 9 "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[{\"x\": {\"k\\n\": 1, \"y\": 2, \"k\\n\": 3}}]"));
        assertTrue(e.getMessage().startsWith("[json] duplicate key \"k\\n\" at offset 26 "), e.getMessage());
        // equal keys in different objects are fine
        assertEquals(Map.of("a", Map.of("lr", 1L), "b", Map.of("lr", 2L)), Json.parse("{\"a\": {\"lr\": 1}, \"b\": {\"lr\": 2}}"));
    }

    @Test
    void aBadUnicodeEscapeIsAJsonError() {
        for (String s : new String[] {"\"\\u12G4\"", "\"\\u12\"", "\"\\u+123\"", "\"\\u\uFF10\uFF10\uFF10\uFF10\""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(s), s);
            assertTrue(e.getMessage().startsWith("[json] bad unicode escape"), e.getMessage());
        }
        assertEquals("\u00e9A", Json.parse("\"\\u00E9\\u0041\""));
    }

    @Test
    void aDuplicateKeyInASafetensorsHeaderNamesTheFile() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("dup.safetensors");
        Files.write(f, ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).putFloat(1f).array());
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith("[safetensors] " + f + ": header is not valid JSON: [json] duplicate key \"w\""), e.getMessage());
    }

    // ------------------------------------------------------------------ fuzzing

    /** How a valid document is damaged before parsing. */
    enum Damage {
        NONE, TRUNCATE, FLIP_BITS, INSERT, DEEP, HUGE_NUMBER, CONTROL, DUPLICATE
    }

    /** Heap bytes a parse may allocate per input character (beyond {@link Hostile#SLACK}): the tree of a dense document of small values. */
    static final long BYTES_PER_CHAR = 160;

    /**
     * Any text parses or throws IllegalArgumentException with a one-line [json] message: never another
     * exception, never an Error (deep nesting), never more than {@link #BYTES_PER_CHAR} bytes of heap per character.
     */
    @Property(tries = 1000)
    void parsesOrFailsWithAJsonError(@ForAll Damage damage, @ForAll long seed) {
        Random r = new Random(seed);
        String valid = Json.write(value(r, 0));
        String text = damage(valid, damage, r);
        Hostile.Outcome<Object> o = Hostile.run(() -> Json.parse(text));
        String shown = damage + " of " + (text.length() > 300 ? text.substring(0, 300) + "... (" + text.length() + " chars)" : text);
        if (damage == Damage.NONE && o.error() != null) throw new AssertionError("a document written by Json.write fails to parse: " + valid, o.error());
        Hostile.check(o, shown, Hostile.bound(text.length(), BYTES_PER_CHAR), null, IllegalArgumentException.class);
        if (o.error() != null) assertTrue(o.error().getMessage().startsWith("[json] "), o.error().getMessage());
        if (damage == Damage.NONE) assertEquals(o.value(), Json.parse(Json.write(o.value())), valid);
        if (damage == Damage.DUPLICATE) assertTrue(o.error() != null && o.error().getMessage().contains("duplicate key"), shown);
    }

    @Test
    void anErrorNearALineBreakIsStillOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"epoch\": 1,\n\r\t\u0001"));
        assertEquals("[json] expected a key at offset 15 near '{\"epoch\": 1,\\n\\r\\t\\u0001'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[" + "9".repeat(100) + "e]"));
        assertTrue(e.getMessage().startsWith("[json] bad number '" + "9".repeat(40) + "... (101 characters)'"), e.getMessage());
    }

    static final String[] NUMBERS = {"0", "-0", "1e999", "-1e999", "1.5E-400", "123456789012345678901234567890", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "1e", "--1", "1.2.3", "+5", ".5", "0x1F", "1e+", "4.9e-324"};

    /** A random document: nested maps (unique keys) and lists of strings with escapes, numbers, booleans and null. */
    static Object value(Random r, int depth) {
        int kind = r.nextInt(depth > 4 ? 5 : 7);
        switch (kind) {
            case 0: return null;
            case 1: return r.nextBoolean();
            case 2: return r.nextBoolean() ? (Object) r.nextLong() : (Object) (r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20));
            case 3: case 4: return string(r);
            case 5: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int k = r.nextInt(4); k > 0; k--) m.put(string(r), value(r, depth + 1));
                return m;
            }
            default: {
                List<Object> l = new ArrayList<>();
                for (int k = r.nextInt(4); k > 0; k--) l.add(value(r, depth + 1));
                return l;
            }
        }
    }

    static String string(Random r) {
        String alphabet = "ab\"\\/\n\t\u0001\u00e9\u4e2d{}[]:, ";
        StringBuilder b = new StringBuilder();
        for (int k = r.nextInt(6); k > 0; k--) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return b.toString();
    }

    static String damage(String s, Damage d, Random r) {
        switch (d) {
            case TRUNCATE:
                return s.substring(0, r.nextInt(s.length() + 1));
            case FLIP_BITS: {
                char[] c = s.toCharArray();
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int at = r.nextInt(c.length);
                    c[at] = (char) (c[at] ^ (1 << r.nextInt(r.nextBoolean() ? 7 : 16)));
                }
                return new String(c);
            }
            case INSERT: {
                String junk = "[]{}\",:\\u0123456789eE.+-tfnul \u0000";
                StringBuilder b = new StringBuilder(s);
                for (int k = 1 + r.nextInt(3); k > 0; k--) b.insert(r.nextInt(b.length() + 1), junk.charAt(r.nextInt(junk.length())));
                return b.toString();
            }
            case DEEP: {
                // mostly around the limit, sometimes far past any stack
                int levels = r.nextInt(4) == 0 ? 50_000 + r.nextInt(150_000) : r.nextInt(3 * Json.MAX_DEPTH);
                int closed = r.nextBoolean() ? levels : r.nextInt(levels + 1);
                String open = r.nextBoolean() ? "[" : "{\"k\":", close = open.equals("[") ? "]" : "}";
                return open.repeat(levels) + s + close.repeat(closed);
            }
            case CONTROL: { // raw line breaks and control characters near an error
                StringBuilder b = new StringBuilder(s);
                for (int k = 1 + r.nextInt(4); k > 0; k--) b.insert(r.nextInt(b.length() + 1), "\n\r\u0000\u0085\u2028\t\u001b".charAt(r.nextInt(7)));
                b.insert(r.nextInt(b.length() + 1), r.nextBoolean() ? "\n}" : "\n\"\n");
                return b.toString();
            }
            case DUPLICATE: { // a key twice in one object, somewhere in the document
                String q = Json.write(string(r));
                return "[" + s + ", {\"a\": 1, " + q + ": 1, \"b\": [], " + q + ": " + s + "}]";
            }
            case HUGE_NUMBER: {
                String n = r.nextInt(3) == 0 ? "9".repeat(1 + r.nextInt(5000)) + (r.nextBoolean() ? "" : "e" + r.nextInt()) : NUMBERS[r.nextInt(NUMBERS.length)];
                return r.nextBoolean() ? n : "{\"x\": [" + n + ", " + s + "]}";
            }
            default:
                return s;
        }
    }
}
