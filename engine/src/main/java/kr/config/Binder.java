package kr.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import kr.io.Json;

/**
 * Reads, writes, validates and documents a settings class whose public fields carry {@link Setting}:
 * the one typed binder behind experiment files, {@code config.json} and the command line's flags.
 * Values are JSON-shaped ({@code Long} for integers, {@code Double}, {@code Boolean}, {@code String},
 * lists of {@code Long} for {@code int[]}, objects for {@code Map} fields, which merge key by key).
 *
 * <pre>{@code
 * Binder<TrainConfig> b = Binder.of(TrainConfig.class, TrainConfig::new, "config");
 * TrainConfig c = b.apply(new TrainConfig(), Json.parseObject(text));   // unknown keys and wrong types fail
 * b.validate(c);                                                          // ranges and names
 * Map<String, Object> saved = b.toMap(c);                                 // every key, in declaration order
 * }</pre>
 */
public final class Binder<T> {
    /** One declared setting. */
    public record Entry(String key, Field field, Setting setting) {
        /** Command-line names, the first the main one. */
        public String[] flags() {
            return setting.flags().length > 0 ? setting.flags() : new String[] {"--" + key.replace('_', '-')};
        }

        public Class<?> type() {
            return field.getType();
        }

        /** The value's name in help. */
        public String label() {
            if (!setting.label().isEmpty()) return setting.label();
            Class<?> t = type();
            if (t == int.class || t == Integer.class || t == long.class || t == Long.class) return "N";
            if (t == double.class || t == Double.class) return "X";
            if (t == int[].class) return "N";
            return key.toUpperCase(Locale.ROOT).replace('_', '-');
        }

        boolean isBoolean() {
            return type() == boolean.class || type() == Boolean.class;
        }
    }

    private final Class<T> type;
    private final String op;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Entry> byKey = new LinkedHashMap<>();
    private final Map<String, Object> defaults;

    private Binder(Class<T> type, Supplier<T> factory, String op) {
        this.type = type;
        this.op = op;
        for (Field f : type.getDeclaredFields()) { // declaration order: the order of config.json
            Setting s = f.getAnnotation(Setting.class);
            if (s == null || Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers())) continue;
            String key = s.key().isEmpty() ? snake(f.getName()) : s.key();
            Entry e = new Entry(key, f, s);
            if (byKey.put(key, e) != null) throw new IllegalStateException("[" + op + "] two settings are called '" + key + "' in " + type.getName());
            entries.add(e);
        }
        this.defaults = toMap(factory.get());
    }

    /** The binder of {@code type}; {@code op} starts error messages ({@code [config] lr must be ...}). */
    public static <T> Binder<T> of(Class<T> type, Supplier<T> factory, String op) {
        return new Binder<>(type, factory, op);
    }

    /** Every setting, in declaration order. */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    public List<String> keys() {
        return List.copyOf(byKey.keySet());
    }

    /** The setting called {@code key}, or null. */
    public Entry entry(String key) {
        return byKey.get(key);
    }

    /** The defaults (a fresh instance's values), JSON-shaped. */
    public Map<String, Object> defaults() {
        return new LinkedHashMap<>(defaults);
    }

    /** Help's text for the default of {@code e}: its {@code defaultText}, or the initial value (null when there is none to show). */
    public String defaultText(Entry e) {
        if (!e.setting().defaultText().isEmpty()) return e.setting().defaultText();
        Object v = defaults.get(e.key());
        if (v == null) return null;
        if (v instanceof List<?> l) return String.join(",", l.stream().map(String::valueOf).toList());
        if (v instanceof Map<?, ?>) return null;
        if (v instanceof Double d) return new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
        return String.valueOf(v);
    }

    /** All settings of {@code o}, in declaration order, nulls included (a saved file documents every key). */
    public Map<String, Object> toMap(T o) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Entry e : entries) m.put(e.key(), json(get(e, o)));
        return m;
    }

    /** Sets the keys present in {@code m}; an unknown key or a value of the wrong type is a {@link ConfigException} naming the key. */
    public T apply(T o, Map<String, ?> m) {
        for (var kv : m.entrySet()) {
            Entry e = byKey.get(kv.getKey());
            if (e == null) throw new ConfigException("[" + op + "] unknown key '" + Json.printable(kv.getKey()) + "'; known keys: " + String.join(", ", byKey.keySet()));
            set(e, o, convert(e, kv.getValue(), get(e, o)));
        }
        return o;
    }

    /** Checks every setting's declared range and names; throws a {@link ConfigException} naming the first bad one. */
    public T validate(T o) {
        for (Entry e : entries) {
            Object v = get(e, o);
            Setting s = e.setting();
            if (v instanceof Number n) {
                double d = n.doubleValue();
                if (!Double.isFinite(d)) throw new ConfigException("[" + op + "] " + e.key() + " must be a finite number, got " + d);
                // every setting ends up in float32 arithmetic (rates, weights, temperatures): past its range it is infinite there
                if (Math.abs(d) > Float.MAX_VALUE) throw new ConfigException("[" + op + "] " + e.key() + " must be within the float range (|x| <= " + Float.MAX_VALUE + "), got " + d);
                boolean low = s.minExclusive() ? d <= s.min() : d < s.min(), high = s.maxExclusive() ? d >= s.max() : d > s.max();
                if (low || high) throw new ConfigException("[" + op + "] " + e.key() + " must be in " + range(s) + ", got " + Json.write(json(v)));
            }
            if (v instanceof String str && s.oneOf().length > 0 && !Arrays.asList(s.oneOf()).contains(str))
                throw new ConfigException("[" + op + "] " + e.key() + " must be " + orList(s.oneOf()) + ", got '" + Json.printable(str) + "'");
            if (v instanceof int[] a && s.min() > Double.NEGATIVE_INFINITY)
                for (int x : a) if (x < s.min()) throw new ConfigException("[" + op + "] every " + e.key() + " must be >= " + fmt(s.min()) + ", got " + x);
        }
        return o;
    }

    /** "a, b or c". */
    public static String orList(String[] names) {
        if (names.length == 1) return names[0];
        return String.join(", ", Arrays.copyOf(names, names.length - 1)) + " or " + names[names.length - 1];
    }

    private static String range(Setting s) {
        boolean lo = s.min() > Double.NEGATIVE_INFINITY, hi = s.max() < Double.POSITIVE_INFINITY;
        if (lo && hi) return (s.minExclusive() ? "(" : "[") + fmt(s.min()) + ", " + fmt(s.max()) + (s.maxExclusive() ? ")" : "]");
        if (lo) return (s.minExclusive() ? "(" : "[") + fmt(s.min()) + ", inf)";
        return "(-inf, " + fmt(s.max()) + (s.maxExclusive() ? ")" : "]");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** {@code value} (a JSON value, or a command-line one: Integer, int[]) as the field's type. */
    private Object convert(Entry e, Object v, Object current) {
        Class<?> t = e.type();
        String k = e.key();
        if (v == null) {
            if (t.isPrimitive()) throw new ConfigException("[" + op + "] " + k + " cannot be null (a " + describe(t) + " is expected)");
            // null means "not set" only where that is the default (threads, a model to be named); a setting with a value by default needs one
            if (defaults.get(k) != null) throw new ConfigException("[" + op + "] " + k + " cannot be null (" + expected(e) + " is expected; default: "
                    + Json.write(defaults.get(k)) + ")");
            return null;
        }
        if (t == String.class) {
            if (!(v instanceof String s)) throw wrong(k, "a string", v);
            return s;
        }
        if (t == boolean.class || t == Boolean.class) {
            if (!(v instanceof Boolean b)) throw wrong(k, "true or false", v);
            return b;
        }
        if (t == double.class || t == Double.class) return num(k, v);
        if (t == long.class || t == Long.class) return whole(k, v);
        if (t == int.class || t == Integer.class) return integer(k, v);
        if (t == int[].class) {
            if (v instanceof int[] a) return a.clone();
            if (!(v instanceof List<?> l)) throw wrong(k, "a list of integers", v);
            int[] r = new int[l.size()];
            for (int i = 0; i < r.length; i++) r[i] = integer(k, l.get(i));
            return r;
        }
        if (Map.class.isAssignableFrom(t)) { // layered: a later file or flag overrides only the keys it names
            if (!(v instanceof Map<?, ?> m)) throw wrong(k, "an object", v);
            Map<String, Object> r = new LinkedHashMap<>();
            if (current instanceof Map<?, ?> c) c.forEach((a, b) -> r.put(String.valueOf(a), b));
            m.forEach((a, b) -> r.put(String.valueOf(a), b));
            return r;
        }
        throw new IllegalStateException("[" + op + "] setting " + k + " has an unsupported type " + t.getName());
    }

    /** What a value of {@code e} must be, for an error message: its names, or its type. */
    private static String expected(Entry e) {
        if (e.setting().oneOf().length > 0) return orList(e.setting().oneOf());
        Class<?> t = e.type();
        if (t == String.class) return "a string";
        if (t == int[].class) return "a list of whole numbers";
        if (Map.class.isAssignableFrom(t)) return "an object";
        if (t == Boolean.class) return "true or false";
        return t == Double.class ? "a number" : "a whole number";
    }

    private static String describe(Class<?> t) {
        if (t == boolean.class) return "true or false";
        return t == double.class ? "number" : "whole number";
    }

    private ConfigException wrong(String k, String what, Object v) {
        return new ConfigException("[" + op + "] " + k + " must be " + what + ", got " + Json.write(json(v)));
    }

    private double num(String k, Object v) {
        if (!(v instanceof Number n)) throw wrong(k, "a number", v);
        return n.doubleValue();
    }

    private long whole(String k, Object v) {
        if (v instanceof Long || v instanceof Integer) return ((Number) v).longValue();
        double d = num(k, v);
        if (d != Math.rint(d) || Math.abs(d) > 1L << 53) throw wrong(k, "a whole number", v);
        return (long) d;
    }

    private int integer(String k, Object v) {
        long l = whole(k, v);
        if (l != (int) l) throw new ConfigException("[" + op + "] " + k + " is out of range: " + l);
        return (int) l;
    }

    /** Java values as JSON values: Integer -> Long, int[] -> list of Long, maps copied. */
    public static Object json(Object v) {
        if (v instanceof Integer i) return (long) i;
        if (v instanceof Float f) return (double) f;
        if (v instanceof int[] a) {
            List<Object> l = new ArrayList<>();
            for (int x : a) l.add((long) x);
            return l;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> r = new LinkedHashMap<>();
            m.forEach((a, b) -> r.put(String.valueOf(a), json(b)));
            return r;
        }
        if (v instanceof List<?> l) return new ArrayList<>(l.stream().map(Binder::json).toList());
        return v;
    }

    private Object get(Entry e, T o) {
        try {
            Object v = e.field().get(o);
            return v instanceof int[] a ? a.clone() : v;
        } catch (IllegalAccessException x) {
            throw new IllegalStateException("[" + op + "] cannot read setting " + e.key(), x);
        }
    }

    private void set(Entry e, T o, Object v) {
        try {
            e.field().set(o, v);
        } catch (IllegalAccessException x) {
            throw new IllegalStateException("[" + op + "] cannot write setting " + e.key(), x);
        }
    }

    /** camelCase -> snake_case. */
    static String snake(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) b.append('_').append(Character.toLowerCase(c));
            else b.append(c);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "Binder[" + type.getSimpleName() + ": " + String.join(", ", byKey.keySet()) + "]";
    }
}
