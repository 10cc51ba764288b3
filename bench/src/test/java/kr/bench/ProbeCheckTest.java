package kr.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The probe never times a workload whose result it has not checked, and its checks catch wrong results. */
class ProbeCheckTest {
    @Test
    void gemmCheckCatchesOneWrongEntry() {
        int n = 64;
        float[] a = Workloads.random(1, n * n), b = Workloads.random(2, n * n), c = new float[n * n];
        Workloads.gemm(n, a, b, c);
        Workloads.verifyGemm(n, a, b, c);
        c[n * n - 1] += 0.5f; // a corner: always sampled
        assertThrows(IllegalStateException.class, () -> Workloads.verifyGemm(n, a, b, c));
    }

    @Test
    void convCheckCatchesAnOffByOneResult() {
        double[] want = {1, -2, 3, 0.5};
        Workloads.requireClose("ok", new float[] {1, -2, 3, 0.5f}, want);
        assertThrows(IllegalStateException.class, () -> Workloads.requireClose("shifted", new float[] {-2, 3, 0.5f, 1}, want));
        assertThrows(IllegalStateException.class, () -> Workloads.requireClose("short", new float[] {1, -2, 3}, want));
    }

    @Test
    void everyBuiltInWorkloadChecksBeforeItIsTimed() {
        for (String cmd : new String[] {"gemm 96", "conv fwd 4 16 32 8 3 2 1", "conv bwdi 4 16 32 8 1 2 0", "conv bwdw 4 3 16 8 3 1 1", "resnet20convs 2",
                "trainstep resnet8 4"}) {
            Map<String, Object> r = Probe.prepare(cmd.split(" "));
            assertFalse(String.valueOf(r.get("check")).isBlank(), cmd);
            Probe.warm(1.0, 2, cmd.split(" ")); // short: this test is about the checks
            Map<String, Object> t = Probe.run(2, cmd.split(" "));
            assertEquals(2, ((double[]) t.get("ms")).length, cmd);
        }
    }

    @Test
    void aWorkloadThatFailsItsCheckOrNamesNoneIsNeverTimed() {
        Probe.register(new Fake("fakewrong", null, true));
        Probe.register(new Fake("fakeunchecked", "", false));
        assertThrows(IllegalStateException.class, () -> Probe.run(1, new String[] {"fakewrong"}));
        assertThrows(IllegalStateException.class, () -> Probe.warm(0.03, 1, new String[] {"fakewrong"}));
        assertThrows(IllegalStateException.class, () -> Probe.run(1, new String[] {"fakeunchecked"}));
        assertEquals(0, Fake.timedRuns);
    }

    @Test
    void warmUpStopsOnceStableAndSaysSo() {
        Probe.register(new Fake("fakesteady", "nothing to check", false));
        Map<String, Object> w = Probe.warm(1.0, 20, new String[] {"fakesteady"}); // any two windows agree within 100%
        assertTrue((int) w.get("reps") >= 2 * Probe.WINDOW);
        assertTrue(w.containsKey("converged") && w.containsKey("jit_ms") && w.containsKey("median_ms"));
    }

    private record Fake(String name, String checked, boolean wrong) implements ProbeWorkload {
        static int timedRuns;

        @Override
        public Timed prepare(String[] args) {
            if (wrong) throw new IllegalStateException("[bench] fake: result differs from the reference");
            return Probe.timed(() -> {
                if (!name.equals("fakesteady")) timedRuns++;
                long t = System.nanoTime();
                while (System.nanoTime() - t < 200_000) Thread.onSpinWait();
            }, 0, checked);
        }
    }
}
