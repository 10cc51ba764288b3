package kr.engine.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kr.engine.DType;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.io.Json;
import kr.io.SafeTensors;

/**
 * One golden file written by {@code engine/src/test/python/make_golden.py}: PyTorch's inputs and
 * results by name, and per-case arguments (the JSON strings in the safetensors metadata). Also the
 * comparison rule and the table of worst errors the conformance tests print.
 */
final class Golden {
    /** How our side runs: a CPU backend, a dtype and the relative bound that dtype must meet. */
    enum Mode {
        F32_VECTOR("vector", DType.F32, 1e-4, "", ""),
        F32_SCALAR("scalar", DType.F32, 1e-4, "", ""),
        F64_SCALAR("scalar", DType.F64, 1e-9, "64", "f64/");

        final String backend;
        final DType dtype;
        final double tol;
        /** Suffix ({@code out64}) or prefix ({@code f64/step0/}) of torch's results in this mode's dtype. */
        final String sfx, prefix;

        Mode(String backend, DType dtype, double tol, String sfx, String prefix) {
            this.backend = backend;
            this.dtype = dtype;
            this.tol = tol;
            this.sfx = sfx;
            this.prefix = prefix;
        }

        String label() {
            return dtype.name().toLowerCase() + "/" + backend;
        }
    }

    final String family;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> meta;

    private Golden(String family, SafeTensors.Contents c) {
        this.family = family;
        this.tensors = c.tensors();
        this.meta = c.metadata();
    }

    static Golden load(String family) {
        String res = "/golden/" + family + ".safetensors";
        URL u = Golden.class.getResource(res);
        if (u == null) throw new IllegalStateException("[golden] " + res + " is not on the test classpath; run make_golden.py");
        try {
            return new Golden(family, SafeTensors.readWithMetadata(Path.of(u.toURI())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Case names in file order. */
    List<String> cases() {
        return new ArrayList<>(meta.keySet());
    }

    Args args(String caseName) {
        String s = meta.get(caseName);
        if (s == null) throw new IllegalArgumentException("[golden] " + family + " has no case " + caseName);
        return new Args(Json.parseObject(s));
    }

    boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** A fresh copy of a golden tensor in {@code dtype}, safe to mutate or to use as a leaf. */
    Tensor get(String name, DType dtype) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("[golden] " + family + " has no tensor " + name);
        return t.copy().to(dtype);
    }

    /** Fresh copies of every tensor named {@code prefix + key}, by key, keys sorted. */
    Map<String, Tensor> group(String prefix, DType dtype) {
        Map<String, Tensor> r = new TreeMap<>();
        for (String k : tensors.keySet()) if (k.startsWith(prefix)) r.put(k.substring(prefix.length()), get(k, dtype));
        return r;
    }

    /** Typed access to a case's JSON arguments. */
    record Args(Map<String, Object> m) {
        boolean has(String k) {
            return m.get(k) != null;
        }

        Object raw(String k) {
            Object v = m.get(k);
            if (v == null && !m.containsKey(k)) throw new IllegalArgumentException("[golden] missing argument '" + k + "' in " + m);
            return v;
        }

        String s(String k) {
            return (String) raw(k);
        }

        double d(String k) {
            return ((Number) raw(k)).doubleValue();
        }

        int i(String k) {
            return ((Number) raw(k)).intValue();
        }

        boolean b(String k) {
            return (Boolean) raw(k);
        }

        int[] ints(String k) {
            return toInts(raw(k));
        }

        @SuppressWarnings("unchecked")
        Args sub(String k) {
            return new Args((Map<String, Object>) raw(k));
        }

        List<?> list(String k) {
            return has(k) ? (List<?>) raw(k) : List.of();
        }

        static int[] toInts(Object o) {
            List<?> l = (List<?>) o;
            int[] r = new int[l.size()];
            for (int j = 0; j < r.length; j++) r[j] = ((Number) l.get(j)).intValue();
            return r;
        }
    }

    // ------------------------------------------------------------------ comparison

    /**
     * Worst relative error of {@code actual} against {@code expected}: the largest
     * {@code |a - e| / max(|e|, s)} with the per-tensor scale {@code s = max |e|} of the expected
     * tensor (so elements near zero from cancellation are judged against the tensor's magnitude).
     * Fails when shapes differ or any element is off by more than {@code tol}.
     */
    static double compare(String what, Tensor actual, Tensor expected, double tol) {
        if (actual == null) throw new AssertionError(what + ": no value (expected " + Shapes.str(expected.shape()) + ")");
        if (!Shapes.same(actual.shape(), expected.shape()))
            throw new AssertionError(what + ": shape " + Shapes.str(actual.shape()) + " but PyTorch gives " + Shapes.str(expected.shape()));
        double[] a = actual.toDoubleArray(), e = expected.toDoubleArray();
        return compare(what, a, e, expected.shape(), tol);
    }

    static double compare(String what, double[] a, double[] e, int[] shape, double tol) {
        double s = 0;
        for (double v : e) s = Math.max(s, Math.abs(v));
        if (s == 0) s = Double.MIN_NORMAL; // an all-zero tensor must be matched exactly (up to denormals)
        double worst = 0;
        int at = -1;
        for (int k = 0; k < e.length; k++) {
            double err = Math.abs(a[k] - e[k]) / Math.max(Math.abs(e[k]), s);
            if (!(err <= worst)) {
                worst = err;
                at = k;
            }
        }
        if (!(worst <= tol))
            throw new AssertionError(String.format("%s: element %s is %.9g but PyTorch gives %.9g (relative error %.3g > %.1g, scale %.3g)",
                    what, Arrays.toString(unravel(at, shape)), a[at], e[at], worst, tol, s));
        return worst;
    }

    private static int[] unravel(int k, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : k % shape[d];
            k = shape[d] == 0 ? 0 : k / shape[d];
        }
        return idx;
    }

    /** Worst relative error per case and mode, printed as one compact table per test class. */
    static final class Table {
        private final String title;
        private final Map<String, Map<String, Double>> rows = new LinkedHashMap<>();
        private final List<String> columns;

        Table(String title, List<String> columns) {
            this.title = title;
            this.columns = columns;
        }

        synchronized void put(String row, String column, double err) {
            rows.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(column, err);
        }

        synchronized String render() {
            int w = 8;
            for (String r : rows.keySet()) w = Math.max(w, r.length());
            StringBuilder sb = new StringBuilder(title).append(" (worst |a-e|/max(|e|, max|e| of the tensor) per case)\n");
            sb.append(String.format("%-" + w + "s", "case"));
            for (String c : columns) sb.append(String.format(" | %-12s", c));
            sb.append('\n');
            double[] colMax = new double[columns.size()];
            for (var e : rows.entrySet()) {
                sb.append(String.format("%-" + w + "s", e.getKey()));
                for (int j = 0; j < columns.size(); j++) {
                    Double v = e.getValue().get(columns.get(j));
                    sb.append(v == null ? String.format(" | %-12s", "-") : String.format(" | %-12.2e", v));
                    if (v != null) colMax[j] = Math.max(colMax[j], v);
                }
                sb.append('\n');
            }
            sb.append(String.format("%-" + w + "s", "MAX"));
            for (double v : colMax) sb.append(String.format(" | %-12.2e", v));
            return sb.append('\n').toString();
        }
    }
}
