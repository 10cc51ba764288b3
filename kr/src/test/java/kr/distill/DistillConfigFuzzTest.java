package kr.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kr.config.Binder;
import kr.config.ConfigException;
import kr.io.Hostile;
import kr.io.Json;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the distill section of an experiment file ({@link DistillConfig#from}, {@code validate},
 * and what a run derives: {@code resolved()}, the loss weights, KR's options): valid sections with
 * wrong types, nulls, out-of-range and non-finite numbers, unknown or repeated methods, bad names and
 * unknown keys. Every outcome is a usable configuration or a ConfigException whose one-line message
 * starts with {@code [distill]}; never another exception or an Error, within
 * {@value #BYTES_PER_BYTE} heap bytes per byte of the section's JSON text plus {@link Hostile#SLACK}.
 */
class DistillConfigFuzzTest {
    static final long BYTES_PER_BYTE = 256;

    enum Damage {
        NONE, WRONG_TYPE, NULL, OUT_OF_RANGE, METHOD, BAD_NAME, UNKNOWN_KEY, RHO_AND_LAMBDA
    }

    static final Object[] WRONG = {"x", "", 1L, -2L, 0.5, true, List.of(), List.of(1L), Map.of(), Map.of("a", 1L)};
    static final Object[] NUMBERS = {-1L, 0L, -1e-12, 1e308, -1e308, 2.0, 1.5, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, (long) Integer.MAX_VALUE + 1,
        Long.MIN_VALUE, 1e-320};

    static Map<String, Object> valid(Random r) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (var e : DistillConfig.BINDER.defaults().entrySet()) if (e.getValue() != null && r.nextBoolean()) m.put(e.getKey(), e.getValue());
        m.put("teacher", "runs/t");
        m.put("teacher_model", "resnet20");
        List<String> ms = new ArrayList<>(DistillConfig.METHODS);
        java.util.Collections.shuffle(ms, r);
        m.put("method", String.join("+", ms.subList(0, 1 + r.nextInt(3))));
        if (r.nextBoolean()) m.put(r.nextBoolean() ? "kr_rho" : "kr_lambda", r.nextDouble() * 0.9 + 0.05);
        if (r.nextBoolean()) m.put("ce_weight", r.nextDouble());
        return m;
    }

    static List<String> keys() {
        return DistillConfig.BINDER.keys();
    }

    static void damage(Map<String, Object> m, Damage how, Random r) {
        String key = keys().get(r.nextInt(keys().size()));
        switch (how) {
            case WRONG_TYPE -> m.put(key, WRONG[r.nextInt(WRONG.length)]);
            case NULL -> m.put(key, null);
            case OUT_OF_RANGE -> {
                List<String> numeric = DistillConfig.BINDER.entries().stream().filter(e -> e.type() != String.class && e.type() != boolean.class)
                        .map(Binder.Entry::key).toList();
                m.put(numeric.get(r.nextInt(numeric.size())), NUMBERS[r.nextInt(NUMBERS.length)]);
            }
            case METHOD -> m.put("method", new String[] {"", "+", "kd+", "kd+kd", "KD", " kr + kd ", "foo", "kd++at", "kr+kd+at+sp+rkd+pkt+dkd+crd+fitnets",
                "kd\n+at", "kd+\u0000"}[r.nextInt(11)]);
            case BAD_NAME -> {
                String[] named = {"kr_schedule", "kr_filter_pool", "kr_spatial_pool", "kr_blocks"};
                m.put(named[r.nextInt(named.length)], new String[] {"", "Mean", "max", "linear", "all"}[r.nextInt(5)]);
            }
            case UNKNOWN_KEY -> m.put(new String[] {"kr_betta", "alpha", "", "T", "teacher_path"}[r.nextInt(5)], 1L);
            case RHO_AND_LAMBDA -> {
                m.put("kr_rho", 0.3);
                m.put("kr_lambda", 0.01);
            }
            default -> {}
        }
    }

    /** Everything a run computes from the configuration. */
    static Object use(DistillConfig c) {
        DistillConfig r = c.resolved();
        double w = r.ce() + r.kd();
        for (String m : c.methods()) if (!m.equals("kd") && !m.equals("kr")) w += c.weight(m);
        c.dkdWarmup(240);
        c.krOptions(240, 0L);
        assertTrue(Double.isFinite(w), "weights " + w);
        return DistillConfig.from(r.toMap()).validate().toMap();
    }

    @Property(tries = 400)
    void readsAUsableSectionOrFailsNamingTheSetting(@ForAll Damage how, @ForAll long seed) {
        Random r = new Random(seed);
        Map<String, Object> m = valid(r);
        damage(m, how, r);
        long bytes = Json.write(m).length();
        Hostile.Outcome<Object> o = Hostile.run(() -> use(DistillConfig.from(m).validate()));
        String what = how + " (seed " + seed + "): " + Json.write(m);
        Hostile.check(o, what, Hostile.bound(bytes, BYTES_PER_BYTE), "[distill] ", ConfigException.class);
        if (how == Damage.NONE) assertNotNull(o.value(), () -> "a valid section fails: " + o.error());
        if (how == Damage.RHO_AND_LAMBDA) assertTrue(o.error() != null && o.error().getMessage().contains("both choose the KR mask"), what);
    }

    /** Issue 13 item 7: --kr-rho with --kr-lambda was accepted (lambda won silently). */
    @Test
    void rhoAndLambdaTogetherAreRefused() {
        Map<String, Object> m = new LinkedHashMap<>(Map.of("teacher", "t", "teacher_model", "resnet20", "method", "kr", "kr_rho", 0.3, "kr_lambda", 0.01));
        ConfigException e = assertThrows(ConfigException.class, () -> DistillConfig.from(m).validate());
        assertEquals("[distill] kr_rho (0.3) and kr_lambda (0.01) both choose the KR mask: give one (top-rho fraction, or |A| > lambda)", e.getMessage());
    }
}
