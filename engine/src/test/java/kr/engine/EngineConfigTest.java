package kr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import kr.engine.backend.Backends;
import org.junit.jupiter.api.Test;

/** The engine configuration: -D and environment overrides, their errors, and installing one for a scope. */
class EngineConfigTest {
    @Test
    void propertiesAndEnvironmentOverrideTheDefaults() {
        Map<String, String> props = Map.of("kr.threads", "3", "kr.tf32", "true", "kr.conv.path", "IM2COL", "kr.gemm.kc", "128", "kr.cuda.gcEveryMiB", "512");
        EngineConfig c = EngineConfig.from(props::get, Map.of("KR_BACKEND", "scalar", "KR_THREADS", "5"));
        assertEquals(3, c.threads(), "the property wins over the environment");
        assertEquals("scalar", c.cpuBackend());
        assertTrue(c.tf32());
        assertEquals("im2col", c.convPath());
        assertEquals(128, c.gemmKc());
        assertEquals(512, c.cudaGcEveryMiB());
        assertEquals(5, EngineConfig.from(k -> null, Map.of("KR_THREADS", "5")).threads());
        assertEquals(EngineConfig.defaults(), EngineConfig.from(k -> null, Map.of()));
    }

    @Test
    void badValuesNameTheSetting() {
        assertEquals("[engine config] kr.threads must be an integer, got 'two'",
                assertThrows(IllegalArgumentException.class, () -> EngineConfig.from(Map.of("kr.threads", "two")::get, Map.of())).getMessage());
        assertEquals("[engine config] -Dkr.tf32 must be true or false, got 'yes'",
                assertThrows(IllegalArgumentException.class, () -> EngineConfig.from(Map.of("kr.tf32", "yes")::get, Map.of())).getMessage());
        assertEquals("[engine config] conv path must be one of [auto, direct, im2col, positions], got 'fft'",
                assertThrows(IllegalArgumentException.class, () -> EngineConfig.defaults().withConvPath("fft")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.defaults().withThreads(0));
    }

    @Test
    void configureInstallsForAScopeAndRestores() {
        EngineConfig before = Backends.config();
        try (var s = Backends.configure(before.withCpuBackend("scalar").withConvPath("direct"))) {
            assertEquals("scalar", Backends.defaultCpu().name());
            assertEquals("direct", Backends.config().convPath());
        }
        assertSame(before, Backends.config());
        assertFalse(Backends.defaultCpu().name().equals("scalar") && before.cpuBackend() == null);
        assertThrows(IllegalArgumentException.class, () -> Backends.configure(before.withCpuBackend("gpu9000")));
        assertSame(before, Backends.config(), "a refused configuration changes nothing");
    }
}
