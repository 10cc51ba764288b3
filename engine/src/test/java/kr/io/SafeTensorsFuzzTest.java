package kr.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import kr.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the safetensors reader: valid files (every dtype it reads, scalars, empty tensors,
 * metadata) damaged by truncation, bit flips, hostile header lengths, wrong JSON types, huge and
 * negative shapes and offsets, overlapping data and deep nesting. Every outcome is the file's
 * tensors or an IOException whose one-line message starts with {@code [safetensors] <file>:}; never
 * an Error or another exception, and never more heap than {@value #BYTES_PER_BYTE} bytes per byte
 * of the file (F16/I32 widen 2x, and the header is text, then a JSON tree) plus {@link Hostile#SLACK}.
 */
class SafeTensorsFuzzTest extends Hostile.Suite {
    static final long BYTES_PER_BYTE = 48;
    static final String[] DTYPES = {"F32", "F64", "F16", "BF16", "I64", "I32"};


    SafeTensorsFuzzTest() throws IOException {
        super("kr-safetensors-fuzz");
    }



    enum Damage {
        NONE, TRUNCATE, FLIP_BITS, HEADER_LENGTH, WRONG_TYPE, HUGE_SIZE, NEGATIVE_SIZE, OVERLAP, DEEP, NOT_AN_OBJECT, JUNK_BYTES
    }

    /** A generated file: its header (name -> entry, "__metadata__" first when present) and its data bytes. */
    record Doc(Map<String, Object> header, byte[] data) {
        byte[] bytes() {
            return file(Json.write(header).getBytes(StandardCharsets.UTF_8), data);
        }
    }

    static byte[] file(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header).put(data).array();
    }

    static int width(String dt) {
        return switch (dt) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            default -> 2;
        };
    }

    static Doc valid(Random r) {
        Map<String, Object> h = new LinkedHashMap<>();
        if (r.nextBoolean()) h.put("__metadata__", new LinkedHashMap<>(Map.of("format", "pt", "kr.model", "democnn")));
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (int t = r.nextInt(4); t >= 0; t--) {
            String dt = DTYPES[r.nextInt(DTYPES.length)];
            List<Object> shape = new ArrayList<>();
            long n = 1;
            for (int d = r.nextInt(4); d > 0; d--) {
                int s = r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(5);
                shape.add((long) s);
                n *= s;
            }
            byte[] raw = new byte[(int) n * width(dt)];
            if (!dt.startsWith("I")) r.nextBytes(raw); // random floats, NaN and Inf included: the reader does not judge values
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", dt);
            e.put("shape", shape);
            e.put("data_offsets", new ArrayList<>(List.of((long) data.size(), (long) data.size() + raw.length)));
            h.put("t" + t + (r.nextBoolean() ? ".weight" : ".running_var"), e);
            data.writeBytes(raw);
        }
        return new Doc(h, data.toByteArray());
    }

    /** Some tensor entry of {@code d} (null when it has none). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> someEntry(Doc d, Random r) {
        List<String> names = d.header().keySet().stream().filter(k -> !k.equals("__metadata__")).toList();
        return names.isEmpty() ? null : (Map<String, Object>) d.header().get(names.get(r.nextInt(names.size())));
    }

    static final Object[] WRONG = {"10", "F32", -1L, 1.5, true, null, List.of(), List.of("3"), List.of(1.5), List.of(true), List.of(List.of(1L)),
        Map.of(), Map.of("a", 1L), 1e300, "\u0000", List.of(1L, 2L, 3L), List.of(0L)};

    static byte[] damage(Doc d, Damage how, Random r) {
        Map<String, Object> e = someEntry(d, r);
        switch (how) {
            case TRUNCATE:
                return Hostile.truncate(d.bytes(), r);
            case FLIP_BITS:
                return Hostile.flipBits(d.bytes(), r, 8);
            case HEADER_LENGTH: {
                byte[] b = d.bytes();
                long[] lengths = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, b.length, b.length - 7, b.length - 8, 1L << 60, 100_000_001, 7, Hostile.hostileNumber(r)};
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[r.nextInt(lengths.length)]);
                return b;
            }
            case WRONG_TYPE: {
                int what = r.nextInt(6);
                Object bad = WRONG[r.nextInt(WRONG.length)];
                if (what == 5 || e == null) d.header().put(r.nextBoolean() ? "__metadata__" : "x", bad);
                else if (what == 4) d.header().put(d.header().keySet().stream().filter(k -> !k.equals("__metadata__")).findFirst().orElse("x"), bad);
                else if (what == 3) e.remove(new String[] {"dtype", "shape", "data_offsets"}[r.nextInt(3)]);
                else e.put(new String[] {"dtype", "shape", "data_offsets"}[what], bad);
                return d.bytes();
            }
            case HUGE_SIZE:
            case NEGATIVE_SIZE: {
                if (e == null) return d.bytes();
                long v = how == Damage.NEGATIVE_SIZE ? -1 - r.nextInt(1 << 20) : Hostile.hostileNumber(r);
                Object num = r.nextInt(4) == 0 ? (Object) (double) v : (Object) v;
                @SuppressWarnings("unchecked")
                List<Object> target = (List<Object>) e.get(r.nextBoolean() ? "shape" : "data_offsets");
                if (target.isEmpty()) target.add(num);
                else target.set(r.nextInt(target.size()), num);
                if (r.nextInt(3) == 0) { // a shape whose product overflows a long: 2^31 x 2^31 x 2^31 ...
                    List<Object> shape = new ArrayList<>();
                    for (int k = 2 + r.nextInt(4); k > 0; k--) shape.add((long) Integer.MAX_VALUE + r.nextInt(3));
                    e.put("shape", shape);
                }
                return d.bytes();
            }
            case OVERLAP: {
                if (e == null) return d.bytes();
                @SuppressWarnings("unchecked")
                List<Object> offs = (List<Object>) e.get("data_offsets");
                long shift = r.nextInt(2 * d.data().length + 3) - d.data().length - 1;
                offs.set(0, Math.max(0, (Long) offs.get(0) + shift));
                if (r.nextBoolean()) offs.set(1, Math.max(0, (Long) offs.get(1) + shift));
                return d.bytes();
            }
            case DEEP: {
                int levels = r.nextInt(4) == 0 ? 100_000 : r.nextInt(3 * Json.MAX_DEPTH);
                String deep = "[".repeat(levels) + "]".repeat(r.nextBoolean() ? levels : r.nextInt(levels + 1));
                String header = Json.write(d.header());
                String text = switch (r.nextInt(3)) {
                    case 0 -> deep;
                    case 1 -> header.substring(0, header.length() - 1) + ", \"deep\": " + deep + "}";
                    default -> "{\"__metadata__\": {\"a\": " + deep + "}}";
                };
                return file(text.getBytes(StandardCharsets.UTF_8), d.data());
            }
            case NOT_AN_OBJECT: {
                String[] texts = {"[]", "null", "5", "\"x\"", "", " ", "{", "}", "{\"a\": }", "\uFEFF{}", Json.write(d.header()) + "}"};
                return file(texts[r.nextInt(texts.length)].getBytes(StandardCharsets.UTF_8), d.data());
            }
            case JUNK_BYTES: {
                byte[] junk = new byte[r.nextInt(64)];
                r.nextBytes(junk);
                return r.nextBoolean() ? file(junk, d.data()) : junk;
            }
            default:
                return d.bytes();
        }
    }

    /** 1,100 files (100 per kind of damage on average), each read once. */
    @Property(tries = 1100)
    void readsTheTensorsOrFailsNamingTheFile(@ForAll Damage how, @ForAll long seed) throws IOException {
        Random r = new Random(seed);
        Doc d = valid(r);
        byte[] bytes = damage(d, how, r);
        Path f = tmp.resolve("f" + Long.toHexString(seed) + ".safetensors");
        Files.write(f, bytes);
        Hostile.Outcome<SafeTensors.Contents> o = Hostile.run(() -> SafeTensors.readWithMetadata(f));
        Hostile.check(o, how + " (seed " + seed + ", " + bytes.length + " bytes)", Hostile.bound(bytes.length, BYTES_PER_BYTE),
                "[safetensors] " + f + ": ", IOException.class);
        if (how == Damage.NONE) {
            assertNotNull(o.value(), () -> "a valid file fails: " + o.error());
            Map<String, Tensor> ts = o.value().tensors();
            assertEquals(d.header().keySet().stream().filter(k -> !k.equals("__metadata__")).sorted().toList(), ts.keySet().stream().sorted().toList());
            for (var e : ts.entrySet()) {
                @SuppressWarnings("unchecked")
                List<Object> shape = (List<Object>) ((Map<String, Object>) d.header().get(e.getKey())).get("shape");
                assertArrayEquals(shape.stream().mapToInt(x -> ((Long) x).intValue()).toArray(), e.getValue().shape(), e.getKey());
            }
        }
        Files.delete(f);
    }

    @Test
    void theIssuesExamplesNameTheFileAndTheTensor() throws IOException {
        // item 6: shape and offsets as strings were a ClassCastException; negative and > 2^31 shapes did not name the file
        String[][] cases = {
            {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [\"10\", \"32\"], \"data_offsets\": [0, 1280]}}", "has shape entry \"10\""},
            {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [10, 32], \"data_offsets\": [\"0\", \"1280\"]}}", "has data_offsets entry \"0\""},
            {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [-1, -1], \"data_offsets\": [0, 4]}}", "has shape entry -1"},
            {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [3000000000], \"data_offsets\": [0, 4]}}", "has a dimension of 3000000000"},
            {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [4294967306, 32], \"data_offsets\": [0, 1280]}}", "has a dimension of 4294967306"},
            {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [65536, 65536], \"data_offsets\": [0, 1280]}}", "has more than 2^31 - 1 elements"}};
        for (String[] c : cases) {
            Path f = tmp.resolve("issue.safetensors");
            Files.write(f, file(c[0].getBytes(StandardCharsets.UTF_8), new byte[1280]));
            IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f), c[0]);
            assertTrue(e.getMessage().startsWith("[safetensors] " + f + ": tensor 'fc.weight' ") && e.getMessage().contains(c[1]), e.getMessage());
        }
        clean();
    }
}
