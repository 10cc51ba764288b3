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

    // ------------------------------------------------------------------ the autograd contract

    @Test
    void hookOnANonLeafSeesItsWholeGradientOnceAndCanReplaceIt() throws Exception {
        Tensor x = Tensor.of(new float[] {1, 2, 3}).requiresGrad(true);
        Tensor y = x.mul(2.0); // a non-leaf used twice below
        float[][] seen = new float[1][];
        int[] calls = {0};
        AutoCloseable handle = y.registerHook(g -> {
            calls[0]++;
            seen[0] = g.toFloatArray();
            return g.mul(10.0);
        });
        y.mul(y).sum().add(y.sum()).backward(); // dL/dy = 2y + 1
        assertEquals(1, calls[0], "the hook runs once, on the summed gradient");
        assertArrayEquals(new float[] {5, 9, 13}, seen[0], 1e-6f);
        assertArrayEquals(new float[] {100, 180, 260}, x.grad().toFloatArray(), 1e-4f); // 10 * (2y + 1) * 2
        assertNull(y.grad(), "a non-leaf keeps no gradient unless retainGrad() was called");
        handle.close();
        x.zeroGrad();
        Tensor y2 = x.mul(2.0);
        y2.sum().backward();
        assertArrayEquals(new float[] {2, 2, 2}, x.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void removedHookNoLongerRuns() throws Exception {
        Tensor x = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        AutoCloseable h = x.registerHook(g -> g.mul(0.0));
        h.close();
        x.mul(3.0).sum().backward();
        assertArrayEquals(new float[] {3, 3}, x.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void retainGradKeepsTheGradientOfANonLeaf() {
        Tensor x = Tensor.of(new float[] {0.5f, -1}).requiresGrad(true);
        Tensor y = x.exp().retainGrad();
        Tensor z = y.mul(y);
        z.sum().backward(); // dL/dy = 2y, dL/dx = 2y * y
        float[] yv = y.toFloatArray();
        assertFalse(y.isLeaf());
        assertArrayEquals(new float[] {2 * yv[0], 2 * yv[1]}, y.grad().toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {2 * yv[0] * yv[0], 2 * yv[1] * yv[1]}, x.grad().toFloatArray(), 1e-5f);
        assertNull(z.grad());
    }

    @Test
    void detachInsideAGraphStopsTheGradientOnThatPath() {
        Tensor x = Tensor.of(new float[] {2, -3}).requiresGrad(true);
        Tensor d = x.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        assertSame(x.storage(), d.storage(), "detach shares data");
        x.mul(d).sum().backward(); // x * const: gradient x, not 2x
        assertArrayEquals(new float[] {2, -3}, x.grad().toFloatArray(), 1e-6f);
        Tensor y = x.exp();
        Tensor yd = y.detach();
        assertNull(yd.gradFn());
        assertFalse(yd.mul(2.0).requiresGrad());
    }

    @Test
    void requiresGradPropagatesFromAnyInputAndStopsAtNonDifferentiableOps() {
        Tensor a = Tensor.of(new float[] {1, 2}).requiresGrad(true), b = Tensor.of(new float[] {3, 4});
        Tensor c = a.add(b);
        assertTrue(c.requiresGrad());
        assertEquals("add", c.gradFn());
        assertFalse(c.isLeaf());
        assertFalse(b.mul(2.0).requiresGrad());
        assertNull(b.mul(2.0).gradFn());
        assertFalse(a.gt(b).requiresGrad(), "comparisons carry no gradient");
        assertFalse(a.argmax(0, false).requiresGrad(), "argmax carries no gradient");
        try (var ng = Grad.noGrad()) {
            assertFalse(a.add(b).requiresGrad());
        }
        assertTrue(a.add(b).exp().sum().requiresGrad());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.requiresGrad(false));
        assertTrue(e.getMessage().startsWith("[requiresGrad]"), e.getMessage());
        c.sum().backward();
        assertNull(b.grad(), "an input that does not require grad gets none");
        assertArrayEquals(new float[] {1, 1}, a.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void diamondGraphSumsBothPathsAndVisitsTheSharedNodeOnce() {
        Tensor x = Tensor.of(new double[] {0.3, -0.7}).requiresGrad(true);
        Tensor y = x.exp();
        int[] calls = {0};
        y.registerHook(g -> {
            calls[0]++;
            return null;
        });
        Tensor z = y.mul(2.0).mul(y.tanh()).sum(); // 2 e^x tanh(e^x)
        z.backward();
        assertEquals(1, calls[0]);
        double[] g = x.grad().toDoubleArray();
        for (int i = 0; i < 2; i++) {
            double e = Math.exp(x.get(i)), t = Math.tanh(e);
            assertEquals(2 * e * t + 2 * e * (1 - t * t) * e, g[i], 1e-12);
        }
    }

    @Test
    void deepChainOfTenThousandOpsBackpropagatesWithoutStackOverflow() {
        Tensor x = Tensor.of(new double[] {1.0}).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 10_000; i++) y = i % 2 == 0 ? y.mul(1.0001) : y.add(0.5);
        y.sum().backward();
        assertEquals(Math.pow(1.0001, 5000), x.grad().item(), 1e-9);
    }

    @Test
    void gradientOfAViewOfALeafFlowsBackToTheLeaf() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor v = x.t().narrow(0, 1, 2).select(1, 1); // x[1, 1:3] seen through a transpose: [5, 6]
        assertFalse(v.isLeaf());
        assertArrayEquals(new float[] {5, 6}, v.toFloatArray());
        v.mul(Tensor.of(new float[] {10, 20})).sum().backward();
        assertArrayEquals(new float[] {0, 0, 0, 0, 10, 20}, x.grad().toFloatArray(), 1e-6f);
        x.zeroGrad();
        x.reshape(3, 2).slice(0, 0, 3, 2).expand(2, 2, 2).sum().backward(); // rows 0 and 2 of the [3, 2] view, twice
        assertArrayEquals(new float[] {2, 2, 0, 0, 2, 2}, x.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void backwardOnANonScalarNeedsAnExplicitGradient() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor y = x.mul(2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, y::backward);
        assertEquals("[backward] gradient can be implicit only for a single element, got shape [2, 3]; pass the output gradient explicitly",
                e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(3)));
        assertEquals("[backward] gradient shape [3] does not match output shape [2, 3]", e2.getMessage());
        y.backward(Tensor.full(0.5, 2, 3));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, x.grad().toFloatArray(), 1e-6f);
        IllegalStateException e3 = assertThrows(IllegalStateException.class, () -> Tensor.ones(2).sum().backward());
        assertTrue(e3.getMessage().startsWith("[backward] tensor [] does not require grad"), e3.getMessage());
    }

    @Test
    void anomalyModeNamesTheBackwardThatProducedInfOrNaN() {
        Tensor x = Tensor.of(new float[] {0, 1}).requiresGrad(true);
        try (var an = Grad.detectAnomaly()) {
            Tensor y = x.sqrt().sum(); // finite forward; d sqrt/dx at 0 is +Inf
            AnomalyException e = assertThrows(AnomalyException.class, y::backward);
            assertEquals("backward of sqrt", e.op());
            assertEquals("[anomaly] backward of 'sqrt' produced +Inf at index [0] in the gradient of input 0 (shape [2])", e.getMessage());
            Tensor z = x.sqrt().mul(Tensor.of(new float[] {0, 1})).sum(); // 0 / (2 sqrt(0)) = NaN
            AnomalyException n = assertThrows(AnomalyException.class, z::backward);
            assertTrue(n.getMessage().startsWith("[anomaly] backward of 'sqrt' produced NaN at index [0]"), n.getMessage());
        }
        x.zeroGrad();
        x.sqrt().sum().backward(); // outside anomaly mode the Inf passes silently, as in PyTorch
        assertEquals(Float.POSITIVE_INFINITY, x.grad().toFloatArray()[0]);
    }
}
