package kr.train;

import kr.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kr.io.Json;
import kr.optim.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainConfigTest {
    @Test
    void jsonRoundTripKeepsEverySetting() {
        TrainConfig c = TinyRuns.config();
        c.threads = 2;
        c.backend = "scalar";
        c.schedule = "cosine";
        TrainConfig d = new TrainConfig().apply(Json.parseObject(Json.pretty(c.toMap())));
        assertEquals(Json.write(c.toMap()), Json.write(d.toMap()));
        assertEquals(TrainConfig.keys(), List.copyOf(c.toMap().keySet()));
    }

    @Test
    void layersApplyInOrderAndUnknownKeysAreRejected() {
        TrainConfig c = new TrainConfig().apply(Map.of("epochs", 30L, "milestones", List.of(10L, 20L))).apply(Map.of("epochs", 40L));
        assertEquals(40, c.epochs);
        assertArrayEquals(new int[] {10, 20}, c.milestones);
        ConfigException e = assertThrows(ConfigException.class, () -> c.apply(Map.of("epoch", 3L)));
        assertTrue(e.getMessage().contains("unknown key 'epoch'") && e.getMessage().contains("epochs"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> c.apply(Map.of("epochs", 2.5)));
        assertTrue(e.getMessage().contains("epochs must be a whole number"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> c.apply(Map.of("nesterov", "yes")));
        assertTrue(e.getMessage().contains("nesterov must be true or false"), e.getMessage());
    }

    @Test
    void validationNamesTheBadSetting() {
        TrainConfig c = TinyRuns.config();
        c.schedule = "step";
        assertTrue(assertThrows(ConfigException.class, c::validate).getMessage().contains("schedule must be"));
        TrainConfig d = TinyRuns.config();
        d.model = null;
        assertTrue(assertThrows(ConfigException.class, d::validate).getMessage().contains("--model"));
        TrainConfig e = TinyRuns.config();
        e.momentum = 0;
        assertTrue(assertThrows(ConfigException.class, e::validate).getMessage().contains("nesterov needs momentum"));
    }

    /** Found by TrainConfigFuzzTest (seed 15157): multistep with gamma 1e308 gave an infinite rate after its second milestone. */
    @Test
    void aGammaThatOverflowsTheRateIsRefusedAndALargeOneIsNot() {
        TrainConfig c = TinyRuns.config();
        c.schedule = "multistep";
        c.lr = 0.05;
        c.milestones = new int[] {8, 228};
        c.gamma = 1e308; // past the float range itself: every setting is checked for that
        String m = assertThrows(ConfigException.class, c::validate).getMessage();
        assertTrue(m.startsWith("[config] gamma must be within the float range"), m);
        c.gamma = 1e30; // a float, but the rate after two milestones is not
        m = assertThrows(ConfigException.class, c::validate).getMessage();
        assertTrue(m.startsWith("[config] gamma 1.0E30 takes the learning rate 0.05 past the float range at milestone 2 of 2"), m);
        c.gamma = 2; // growing rates are legal, as in PyTorch
        c.validate();
        assertEquals(0.2, c.lrSchedule().at(300), 1e-12);
    }

    @Test
    void schedulesFollowTheConfiguration() {
        TrainConfig c = new TrainConfig();
        c.lr = 0.1;
        c.milestones = new int[] {2, 4};
        LrSchedule s = c.lrSchedule();
        assertEquals(0.1, s.at(1.99), 1e-15);
        assertEquals(0.01, s.at(2), 1e-15);
        assertEquals(0.001, s.at(4.5), 1e-15);
        c.schedule = "cosine";
        c.epochs = 10;
        assertEquals(0.05, c.lrSchedule().at(5), 1e-12);
        c.warmupEpochs = 1;
        c.warmupStartFactor = 0;
        assertEquals(0.5 * 0.1 * 0.5 * (1 + Math.cos(Math.PI * 0.05)), c.lrSchedule().at(0.5), 1e-12, "linear warm-up per step");
        c.schedule = "onecycle";
        c.warmupEpochs = 0;
        assertEquals(0.1, c.lrSchedule().at(3), 1e-12, "one-cycle peaks at pct_start * epochs");
        assertEquals(0.1 / 25, c.lrSchedule().at(0), 1e-12);
    }

    @Test
    void aConfigFileWithARepeatedKeyFailsNamingTheFile(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("run.json"), "{\"model\": \"resnet8\", \"lr\": 0.1, \"lr\": 0.01}");
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.readFile(f));
        assertTrue(e.getMessage().startsWith("[config] " + f + ": [json] duplicate key \"lr\" at offset 32 "), e.getMessage());
    }
}
