package kr.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.engine.DType;
import kr.engine.Tensor;

/**
 * The safetensors format (Hugging Face), so PyTorch users can load kr weights and the reverse:
 * an 8-byte little-endian header length, a JSON header mapping each name to dtype, shape and byte
 * offsets, then the raw little-endian data. F32 and F64 are read and written; F16/BF16 are read
 * as float32 and I64/I32 (PyTorch's num_batches_tracked, labels) as float64.
 *
 * <pre>{@code SafeTensors.write(path, model.stateDict(), Map.of("format", "pt")); Map<String, Tensor> sd = SafeTensors.read(path); }</pre>
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Writes tensors (in map order) atomically. */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long off = 0;
        List<Tensor> order = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long bytes = (long) t.numel() * t.dtype().bytes();
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("dtype", t.dtype() == DType.F32 ? "F32" : "F64");
            h.put("shape", t.shape());
            h.put("data_offsets", new long[] {off, off + bytes});
            header.put(e.getKey(), h);
            order.add(t);
            off += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        AtomicFiles.write(path, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length + pad);
            out.write(len.array());
            out.write(json);
            for (int k = 0; k < pad; k++) out.write(' ');
            for (Tensor t : order) {
                ByteBuffer buf;
                if (t.dtype() == DType.F32) {
                    float[] v = t.toFloatArray();
                    buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    buf.asFloatBuffer().put(v);
                } else {
                    double[] v = t.toDoubleArray();
                    buf = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                    buf.asDoubleBuffer().put(v);
                }
                out.write(buf.array());
            }
        });
    }

    /** Reads every tensor (F16/BF16 widened to F32) in file order. */
    public static Map<String, Tensor> read(Path path) throws IOException {
        return readWithMetadata(path).tensors();
    }

    /** The tensors (float32, or float64 for F64 and integer data), the metadata, and each tensor's dtype as the file stores it. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata, Map<String, String> dtypes) {}

    public static Contents readWithMetadata(Path path) throws IOException {
        long size = Files.size(path);
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(path), 1 << 20)) {
            byte[] lenb = in.readNBytes(8);
            if (lenb.length < 8) throw bad(path, "file is shorter than the 8-byte header length");
            long n = ByteBuffer.wrap(lenb).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > size - 8 || n > 100_000_000) throw bad(path, "header length " + n + " does not fit the file size " + size);
            String text = new String(in.readNBytes((int) n), StandardCharsets.UTF_8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(text.trim());
            } catch (IllegalArgumentException e) {
                throw bad(path, "header is not valid JSON: " + e.getMessage());
            }
            Map<String, String> meta = new LinkedHashMap<>();
            List<Object[]> entries = new ArrayList<>();
            for (var e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) m.forEach((k, v) -> meta.put(String.valueOf(k), String.valueOf(v)));
                    continue;
                }
                if (!(e.getValue() instanceof Map<?, ?> h)) throw bad(path, "entry '" + e.getKey() + "' is not an object");
                Object dt = h.get("dtype"), shp = h.get("shape"), offs = h.get("data_offsets");
                if (!(dt instanceof String) || !(shp instanceof List<?>) || !(offs instanceof List<?> ol) || ol.size() != 2)
                    throw bad(path, "entry '" + e.getKey() + "' lacks dtype, shape or data_offsets");
                List<?> sl = (List<?>) shp;
                int[] shape = new int[sl.size()];
                long count = 1;
                for (int k = 0; k < shape.length; k++) {
                    long d = whole(path, e.getKey(), "shape", sl.get(k));
                    if (d > Integer.MAX_VALUE) throw bad(path, "tensor '" + e.getKey() + "' has a dimension of " + d + " (more than 2^31 - 1)");
                    shape[k] = (int) d;
                    count *= Math.max(d, 1);
                    if (count > Integer.MAX_VALUE) throw bad(path, "tensor '" + e.getKey() + "' shape " + sl + " has more than 2^31 - 1 elements");
                }
                entries.add(new Object[] {e.getKey(), dt, shape, whole(path, e.getKey(), "data_offsets", ol.get(0)), whole(path, e.getKey(), "data_offsets", ol.get(1))});
            }
            entries.sort((a, b) -> Long.compare((Long) a[3], (Long) b[3]));
            long dataSize = size - 8 - n, pos = 0;
            Map<String, Tensor> out = new LinkedHashMap<>();
            Map<String, String> dtypes = new LinkedHashMap<>();
            for (Object[] e : entries) {
                String name = (String) e[0], dt = (String) e[1];
                int[] shape = (int[]) e[2];
                long begin = (Long) e[3], end = (Long) e[4];
                int el = (int) Math.max(1, java.util.Arrays.stream(shape).asLongStream().reduce(1, (x, y) -> x * y));
                if (shape.length > 0 && java.util.Arrays.stream(shape).anyMatch(d -> d == 0)) el = 0;
                int width = switch (dt) {
                    case "F32" -> 4;
                    case "F64" -> 8;
                    case "F16", "BF16" -> 2;
                    case "I64" -> -8;
                    case "I32" -> -4;
                    default -> throw bad(path, "tensor '" + name + "' has unsupported dtype " + dt);
                };
                if (begin < pos || end > dataSize || end - begin != (long) el * Math.abs(width))
                    throw bad(path, "tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] that do not fit " + dt + " "
                            + java.util.Arrays.toString(shape) + " in " + dataSize + " data bytes");
                in.skipNBytes(begin - pos);
                byte[] raw = in.readNBytes((int) (end - begin));
                if (raw.length != end - begin) throw bad(path, "file is truncated inside tensor '" + name + "'");
                pos = end;
                ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                Tensor t;
                if (width < 0) {
                    double[] v = new double[el];
                    for (int k = 0; k < el; k++) v[k] = width == -8 ? bb.getLong(8 * k) : bb.getInt(4 * k);
                    t = Tensor.of(v, shape);
                } else if (width == 8) {
                    double[] v = new double[el];
                    bb.asDoubleBuffer().get(v);
                    t = Tensor.of(v, shape);
                } else {
                    float[] v = new float[el];
                    if (width == 4) bb.asFloatBuffer().get(v);
                    else for (int k = 0; k < el; k++) v[k] = dt.equals("BF16") ? Float.intBitsToFloat((bb.getShort(2 * k) & 0xffff) << 16)
                            : halfToFloat(bb.getShort(2 * k));
                    t = Tensor.of(v, shape);
                }
                out.put(name, shape.length == 0 ? t.reshape() : t);
                dtypes.put(name, dt);
            }
            return new Contents(out, meta, dtypes);
        }
    }

    private static float halfToFloat(short h) {
        int bits = h & 0xffff, sign = (bits >>> 15) << 31, exp = (bits >>> 10) & 0x1f, mant = bits & 0x3ff;
        if (exp == 0) return (sign == 0 ? 1 : -1) * mant * 0x1p-24f;
        if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** A header number that must be a whole number >= 0 (a shape dimension or a data offset). */
    private static long whole(Path p, String name, String field, Object v) throws IOException {
        if (v instanceof Long l && l >= 0) return l;
        if (v instanceof Double d && d >= 0 && d == Math.rint(d) && d < 0x1p62) return d.longValue();
        throw bad(p, "tensor '" + name + "' has " + field + " entry " + Json.write(v) + " (a whole number >= 0 is expected)");
    }

    private static IOException bad(Path p, String why) {
        return new IOException("[safetensors] " + p + ": " + why);
    }
}
