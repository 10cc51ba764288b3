package kr.cuda;

import kr.engine.backend.GpuTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import kr.engine.Device;
import kr.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * CUDA graph capture and replay (GPU; skipped without one): a replay follows its static input, the
 * tensors a captured body leaves behind hold every replay's result, host round trips during a
 * capture are named (and fall back to eager work when asked), and the private pool goes back to the
 * shared cache at close.
 */
@GpuTest
class GraphedStepTest {
    static final Device CUDA = Device.cuda(0);

    static float[] ramp(int n, float scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = scale * (i % 97 - 48);
        return f;
    }

    static float[] affine(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * 2f + 1f;
        return y;
    }

    @Test
    void replaysFollowTheStaticInputAndKeepTheirOutputTensor() {
        CudaBackend be = Gpu.backend();
        int n = 10_000;
        Tensor x = Tensor.of(ramp(n, 1f), n).to(CUDA);
        Tensor[] y = new Tensor[1];
        try (GraphedStep g = new GraphedStep(be, "affine", () -> y[0] = x.mul(2.0).add(1.0), 1, false)) {
            g.run(); // eager warm-up
            assertEquals(GraphedStep.State.WARMING_UP, g.state());
            assertArrayEquals(affine(ramp(n, 1f)), y[0].toFloatArray());
            be.copyInto(x, Tensor.of(ramp(n, 0.5f), n).to(CUDA)); // the caller rewrites the static input between runs
            g.run(); // captured, then launched
            assertEquals(GraphedStep.State.REPLAYING, g.state(), g.describe());
            Tensor captured = y[0];
            assertArrayEquals(affine(ramp(n, 0.5f)), captured.toFloatArray());
            assertTrue(g.nodes() >= 4, "fills and binary kernels: " + g.nodes());
            assertTrue(g.poolBytes() > 0 && be.memoryStats().pooled() >= g.poolBytes(), be.memoryStats().toString());
            be.copyInto(x, Tensor.of(ramp(n, -3f), n).to(CUDA));
            g.run(); // a replay: the body does not run, the same output tensor is rewritten
            assertSame(captured, y[0]);
            assertArrayEquals(affine(ramp(n, -3f)), captured.toFloatArray());
        }
        assertEquals(0, be.memoryStats().pooled(), "closing gives the pool back");
    }

    @Test
    void aHostReadDuringTheCaptureIsNamedAndTheStepFallsBackToEagerWork() {
        CudaBackend be = Gpu.backend();
        Tensor x = Tensor.of(ramp(1000, 1f), 1000).to(CUDA);
        double[] sum = new double[1];
        Runnable body = () -> sum[0] = x.sum().item(); // item() synchronises: not capturable
        try (GraphedStep strict = new GraphedStep(be, "strict", body, 1, false)) {
            strict.run();
            CudaException e = assertThrows(CudaException.class, strict::run);
            assertTrue(e.getMessage().contains("while a CUDA graph is being captured"), e.getMessage());
            assertFalse(be.context().capturing());
        }
        try (GraphedStep lenient = new GraphedStep(be, "lenient", body, 1, true)) {
            for (int i = 0; i < 3; i++) lenient.run();
            assertEquals(GraphedStep.State.EAGER, lenient.state());
            assertTrue(lenient.failure().contains("to_host") || lenient.failure().contains("synchronis"), lenient.failure());
            double expected = 0;
            for (float v : ramp(1000, 1f)) expected += v;
            assertEquals(expected, sum[0], 1e-3, "the runs after the failed capture did the work eagerly");
        }
        assertEquals(1000.0, x.add(1.0).sum().item() - x.sum().item(), 1e-2, "the context still works after a failed capture");
        assertEquals(0, be.memoryStats().pooled());
    }

    @Test
    void anUploadDuringTheCaptureIsNamed() {
        CudaBackend be = Gpu.backend();
        try (GraphedStep g = new GraphedStep(be, "upload", () -> Tensor.of(new float[] {1, 2, 3}, 3).to(CUDA), 1, false)) {
            g.run();
            CudaException e = assertThrows(CudaException.class, g::run);
            assertTrue(e.getMessage().startsWith("[cuda to_device] host data (3 values) is uploaded while a CUDA graph is being captured"), e.getMessage());
        }
    }

    @Test
    void graphsOffRunsEveryStepEagerly() {
        CudaBackend be = Gpu.backend();
        Tensor x = Tensor.of(ramp(100, 1f), 100).to(CUDA);
        Tensor[] y = new Tensor[1];
        GraphedStep g;
        try (var s = kr.engine.backend.Backends.configure(kr.engine.backend.Backends.config().withCudaGraphs(false))) {
            g = new GraphedStep(be, "off", () -> y[0] = x.mul(2.0).add(1.0), 1, false);
        }
        Tensor first = null;
        for (int i = 0; i < 3; i++) {
            g.run();
            if (first == null) first = y[0];
        }
        assertEquals(GraphedStep.State.EAGER, g.state());
        assertTrue(g.describe().contains("graphs are off"), g.describe());
        assertFalse(first == y[0], "eager runs make new tensors");
        assertArrayEquals(affine(ramp(100, 1f)), y[0].toFloatArray());
        g.close();
    }
}
