package kr.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class AutogradTest {
    @Test
    void valueUsedTwiceGetsBothContributions() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}).requiresGrad(true);
        Tensor y = x.mul(x).add(x).sum(); // d/dx = 2x + 1
        y.backward();
        assertArrayEquals(new float[] {3, 5, 7}, x.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        x.mul(3.0).sum().backward();
        x.mul(3.0).sum().backward();
        assertArrayEquals(new float[] {6, 6}, x.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void secondBackwardFailsUnlessRetained() {
        Tensor x = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        Tensor y = x.exp().sum();
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("second time"), e.getMessage());
        Tensor z = x.exp().sum();
        z.backward(Tensor.scalar(1.0), true);
        z.backward(Tensor.scalar(1.0), true);
    }

    @Test
    void noGradScopeRecordsNothingAndDetachCuts() {
        Tensor x = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        try (var ng = Grad.noGrad()) {
            assertFalse(x.mul(2.0).requiresGrad());
        }
        assertFalse(x.detach().mul(2.0).requiresGrad());
        assertTrue(x.mul(2.0).requiresGrad());
    }

    @Test
    void hooksSeeAndReplaceTheWholeGradient() {
        Tensor w = Tensor.of(new float[] {1, -1}).requiresGrad(true);
        float[][] seen = new float[1][];
        w.registerHook(g -> {
            seen[0] = g.toFloatArray();
            return g.mul(10.0);
        });
        w.mul(w).sum().add(w.sum()).backward(); // 2w + 1
        assertArrayEquals(new float[] {3, -1}, seen[0], 1e-6f);
        assertArrayEquals(new float[] {30, -10}, w.grad().toFloatArray(), 1e-5f);
    }

    @Test
    void shapeErrorNamesOpAndShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertEquals("[matmul] cannot multiply [2, 3] by [4, 5]", e.getMessage());
    }

    @Test
    void anomalyModeNamesTheFirstOpProducingNaN() {
        Tensor x = Tensor.of(new float[] {1, -1}).requiresGrad(true);
        try (var an = Grad.detectAnomaly()) {
            AnomalyException e = assertThrows(AnomalyException.class, () -> x.mul(2.0).log().exp().sum());
            assertEquals("log", e.op());
            assertTrue(e.getMessage().startsWith("[anomaly] 'log' produced NaN at index [1]"), e.getMessage());
        }
    }

    @Test
    void gradCheckPassesOnComposedFunction() {
        GradCheck.Result r = GradCheck.check(xs -> xs.get(0).matmul(xs.get(1)).tanh().mul(xs.get(0).sum(1, true)),
                List.of(Tensor.randn(new Rng(1), 3, 4), Tensor.randn(new Rng(2), 4, 2)));
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void gradCheckCatchesAWrongGradient() {
        // a hook that corrupts the gradient must be caught
        GradCheck.Result r = GradCheck.check(xs -> {
            Tensor y = xs.get(0).mul(2.0);
            if (y.requiresGrad()) y.registerHook(g -> g.mul(1.5));
            return y;
        }, List.of(Tensor.randn(new Rng(3), 5)));
        assertFalse(r.passed(), r.toString());
    }
}
