package kr.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kr.io.Json;
import org.junit.jupiter.api.Test;

/** The settings binder on a small settings class: names, round trips, types, ranges, names, layering. */
class BinderTest {
    public static final class Demo {
        @Setting(help = "Epochs.", min = 1)
        public int epochs = 10;
        @Setting(help = "Rate.", label = "LR", min = 0, minExclusive = true, max = 1)
        public double learningRate = 0.1;
        @Setting(help = "Schedule.", oneOf = {"step", "cosine"})
        public String schedule = "step";
        @Setting(help = "Threads.", min = 1, defaultText = "all cores")
        public Integer threads;
        @Setting(help = "Flag.", flags = {"--fast", "-f"})
        public boolean fast;
        @Setting(help = "Steps.", min = 0)
        public int[] milestones = {3, 6};
        @Setting(help = "Section.", flag = false)
        public Map<String, Object> extra;
        public int notASetting = 5;
    }

    static final Binder<Demo> B = Binder.of(Demo.class, Demo::new, "demo");

    @Test
    void namesComeFromTheFieldsInDeclarationOrder() {
        assertEquals(List.of("epochs", "learning_rate", "schedule", "threads", "fast", "milestones", "extra"), B.keys());
        assertArrayEquals(new String[] {"--learning-rate"}, B.entry("learning_rate").flags());
        assertArrayEquals(new String[] {"--fast", "-f"}, B.entry("fast").flags());
        assertEquals("LR", B.entry("learning_rate").label());
        assertEquals("all cores", B.defaultText(B.entry("threads")));
        assertEquals("0.1", B.defaultText(B.entry("learning_rate")));
        assertEquals("3,6", B.defaultText(B.entry("milestones")));
    }

    @Test
    void aSavedConfigurationReadsBackTheSame() {
        Demo d = B.apply(new Demo(), Map.of("epochs", 7L, "learning_rate", 1L, "milestones", List.of(1L, 2L), "threads", 4L));
        assertEquals(1.0, d.learningRate);
        Map<String, Object> saved = Json.parseObject(Json.pretty(B.toMap(d)));
        assertEquals(Json.write(B.toMap(d)), Json.write(B.toMap(B.apply(new Demo(), saved))));
        assertEquals(List.of(1L, 2L), saved.get("milestones"));
        assertTrue(saved.containsKey("extra") && saved.get("extra") == null, "nulls are saved: the file documents every key");
    }

    @Test
    void wrongKeysTypesAndNullsNameTheKey() {
        assertEquals("[demo] unknown key 'epoch'; known keys: epochs, learning_rate, schedule, threads, fast, milestones, extra",
                assertThrows(ConfigException.class, () -> B.apply(new Demo(), Map.of("epoch", 1L))).getMessage());
        assertEquals("[demo] epochs must be a whole number, got 2.5", assertThrows(ConfigException.class, () -> B.apply(new Demo(), Map.of("epochs", 2.5))).getMessage());
        assertEquals("[demo] fast must be true or false, got \"yes\"", assertThrows(ConfigException.class, () -> B.apply(new Demo(), Map.of("fast", "yes"))).getMessage());
        Map<String, Object> nul = new HashMap<>();
        nul.put("epochs", null);
        assertEquals("[demo] epochs cannot be null (a whole number is expected)", assertThrows(ConfigException.class, () -> B.apply(new Demo(), nul)).getMessage());
        nul.clear();
        nul.put("threads", null);
        assertNull(B.apply(new Demo(), nul).threads, "a nullable setting takes null (its automatic default)");
        assertEquals("[demo] epochs is out of range: 4294967296", assertThrows(ConfigException.class, () -> B.apply(new Demo(), Map.of("epochs", 1L << 32))).getMessage());
    }

    @Test
    void validationChecksDeclaredRangesNamesAndFiniteness() {
        Demo d = new Demo();
        B.validate(d);
        d.learningRate = 0;
        assertEquals("[demo] learning_rate must be in (0, 1], got 0.0", assertThrows(ConfigException.class, () -> B.validate(d)).getMessage());
        d.learningRate = Double.POSITIVE_INFINITY;
        assertEquals("[demo] learning_rate must be a finite number, got Infinity", assertThrows(ConfigException.class, () -> B.validate(d)).getMessage());
        // DistillConfigFuzzTest (seed 481): feat_weight 1e308 on three feature methods summed to infinity
        d.learningRate = 1e308;
        assertEquals("[demo] learning_rate must be within the float range (|x| <= 3.4028235E38), got 1.0E308", assertThrows(ConfigException.class, () -> B.validate(d)).getMessage());
        d.learningRate = 0.5;
        d.schedule = "linear";
        assertEquals("[demo] schedule must be step or cosine, got 'linear'", assertThrows(ConfigException.class, () -> B.validate(d)).getMessage());
        d.schedule = "cosine";
        d.milestones = new int[] {2, -1};
        assertEquals("[demo] every milestones must be >= 0, got -1", assertThrows(ConfigException.class, () -> B.validate(d)).getMessage());
        d.milestones = new int[0];
        d.threads = 0;
        assertEquals("[demo] threads must be in [1, inf), got 0", assertThrows(ConfigException.class, () -> B.validate(d)).getMessage());
    }

    @Test
    void objectSettingsMergeKeyByKey() {
        Demo d = B.apply(new Demo(), Map.of("extra", Map.of("a", 1L, "b", 2L)));
        B.apply(d, Map.of("extra", Map.of("b", 3L)));
        assertEquals(Map.of("a", 1L, "b", 3L), d.extra);
    }
}
