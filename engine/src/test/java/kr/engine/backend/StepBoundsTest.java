package kr.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The whole-step comparison of ResNetStepTest and GpuSpeed, on made-up gradients (no GPU needed). */
class StepBoundsTest {
    static Map<String, float[]> grads(float scaleB, float nudge) {
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put("a.weight", new float[] {1, -2, 3, 4});
        m.put("b.bias", new float[] {0.5f * scaleB, -0.25f * scaleB + nudge});
        return m;
    }

    @Test
    void identicalStepsAreZeroApart() {
        StepBounds.Result r = StepBounds.compare(grads(1, 0), grads(1, 0), 2.3, 2.3);
        assertEquals(0, r.gradL2());
        assertEquals(0, r.worst());
        assertTrue(StepBounds.FP32.holds(r));
    }

    @Test
    void theWorstParameterIsMeasuredAgainstItsOwnScaleAndNamed() {
        // b.bias's second entry is off by 0.15 = 0.3 of b.bias's largest magnitude (0.5)
        StepBounds.Result r = StepBounds.compare(grads(1, 0.15f), grads(1, 0), 2.3, 2.3);
        assertEquals(0.3, r.worst(), 1e-6);
        assertEquals("b.bias", r.worstAt());
        assertEquals(0.15 / Math.sqrt(1 + 4 + 9 + 16 + 0.25 + 0.0625), r.gradL2(), 1e-6);
        assertFalse(StepBounds.FP32.holds(r));
        assertTrue(StepBounds.TF32.holds(r));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StepBounds.FP32.check("resnet20 step", r));
        assertTrue(e.getMessage().startsWith("[resnet20 step] the cuda step differs"), e.getMessage());
        assertTrue(e.getMessage().contains("b.bias"), e.getMessage());
    }

    @Test
    void aLossApartOrANanFails() {
        assertFalse(StepBounds.FP32.holds(StepBounds.compare(grads(1, 0), grads(1, 0), 2.31, 2.3)));
        assertFalse(StepBounds.TF32.holds(StepBounds.compare(grads(1, Float.NaN), grads(1, 0), 2.3, 2.3)));
    }

    @Test
    void aMissingOrResizedGradientIsNamed() {
        Map<String, float[]> g = grads(1, 0);
        g.put("b.bias", new float[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepBounds.compare(g, grads(1, 0), 1, 1));
        assertTrue(e.getMessage().contains("b.bias") && e.getMessage().contains("3 elements instead of 2"), e.getMessage());
    }
}
