package kr.cuda;

import kr.engine.backend.GpuTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.io.Json;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.Trace;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.MachinePeak;
import kr.engine.backend.Profiler;
import kr.engine.backend.Tolerances;
import kr.engine.backend.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CUDA-specific behaviour on a GPU (skipped with the reason elsewhere): memory, errors, transfers, fused KR kernel, profiler, larger shapes. */
@GpuTest
class CudaBackendTest {
    static final Device CUDA = Device.cuda(0);
    static final Backend REF = Backends.cpu("scalar");

    @Test
    void reportsTheDeviceAndTheGemmPath() {
        CudaBackend be = Gpu.backend();
        System.out.println("[cuda] " + be);
        assertTrue(be.gemmPath().startsWith("cuBLAS") || be.gemmPath().startsWith("own kernels"), be.gemmPath());
        assertTrue(be.context().computeCapability() >= 75, be.context().toString());
    }

    @Test
    void transfersRoundTripFloat32Float64AndViews() {
        Gpu.backend();
        float[] f = new float[1000];
        for (int i = 0; i < f.length; i++) f[i] = (float) Math.sin(i);
        Tensor x = Tensor.of(f, 10, 100);
        Tensor g = x.to(CUDA);
        assertEquals(CUDA, g.device());
        assertArrayEquals(f, g.toFloatArray());
        assertArrayEquals(x.t().contiguous().toFloatArray(), g.t().toFloatArray(), "a transposed view read back");
        assertArrayEquals(x.narrow(0, 3, 2).toFloatArray(), g.narrow(0, 3, 2).toFloatArray(), "an offset view read back");
        Tensor d = x.to(DType.F64).to(CUDA);
        assertEquals(DType.F64, d.dtype());
        assertArrayEquals(x.to(DType.F64).toDoubleArray(), d.toDoubleArray());
        assertArrayEquals(f, d.to(DType.F32).to(Device.CPU).toFloatArray(), "cast on the device, then back");
        assertEquals(Math.sin(57), g.get(0, 57), 1e-6);
    }

    @Test
    void freedTensorsGoBackToTheCacheAndAreReused() throws InterruptedException {
        CudaBackend be = Gpu.backend();
        be.synchronize();
        long before = be.memoryStats().cacheHits();
        for (int i = 0; i < 200; i++) Tensor.full(1.0, DType.F32, CUDA, 1000, 10);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (be.memoryStats().cached() == 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(be.memoryStats().cached() > 0, "no block came back after GC: " + be.memoryStats());
        for (int i = 0; i < 50; i++) Tensor.full(2.0, DType.F32, CUDA, 1000, 10);
        CachingAllocator.Stats s = be.memoryStats();
        assertTrue(s.cacheHits() > before, "no cache hit: " + s);
        assertTrue(s.allocations() < s.requests(), s.toString());
        System.out.println("[cuda allocator] " + s);
        be.emptyCache();
        assertEquals(0, be.memoryStats().cached());
    }

    @Test
    void outOfMemorySaysWhatWasAskedAndWhatIsThere() {
        CudaBackend be = Gpu.backend();
        CudaException e = assertThrows(CudaException.class, () -> be.allocator().allocate(1L << 50));
        assertTrue(e.getMessage().startsWith("[cuda alloc] out of memory on cuda:0 allocating 1073741824.0 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("the driver reports"), e.getMessage());
        assertArrayEquals(new float[] {3f}, Tensor.scalar(3).to(CUDA).reshape(1).toFloatArray(), "the device still works after the failed allocation");
    }

    @Test
    void launcherErrorsNameTheOpAndTheKernel() {
        CudaBackend be = Gpu.backend();
        Tensor y = Tensor.zeros(4).to(CUDA);
        CudaStorage s = (CudaStorage) y.storage();
        CudaException e = assertThrows(CudaException.class,
                () -> be.launcher().launch("test", "elementwise", "no_such_kernel", 1, 1, 1, 32, new Launcher.Args().ptr(s).i(4)));
        assertTrue(e.getMessage().startsWith("[cuda test] kernel no_such_kernel not found in elementwise.compute_"), e.getMessage());
        e = assertThrows(CudaException.class, () -> be.launcher().launch("test", "nope", "k", 1, 1, 1, 32, new Launcher.Args()));
        assertTrue(e.getMessage().startsWith("[cuda test] no PTX for kernel family 'nope'"), e.getMessage());
        e = assertThrows(CudaException.class,
                () -> be.launcher().launch("test", "elementwise", "fill_f32", 1, 1, 1, 2048, new Launcher.Args().ptr(s).i(4).f(1f)));
        assertTrue(e.getMessage().startsWith("[cuda test] kernel fill_f32 launch (grid 1x1x1, block 2048) failed: CUDA_ERROR_"), e.getMessage());
        be.launcher().launch("test", "elementwise", "fill_f32", 1, 1, 1, 32, new Launcher.Args().ptr(s).i(4).f(7f));
        assertArrayEquals(new float[] {7, 7, 7, 7}, y.toFloatArray(), "a good launch after the failed ones");
    }

    @Test
    void unsupportedInputsFailClearly() {
        CudaBackend be = Gpu.backend();
        Tensor d = Tensor.of(new double[] {1, 2}).to(CUDA);
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> be.unary(UnaryOp.EXP, d));
        assertTrue(u.getMessage().startsWith("[cuda unary.exp] float64 is not supported on cuda"), u.getMessage());
        be.addInto(d, Tensor.of(new double[] {0.5, 0.25}).to(CUDA), 2.0); // float64 accumulation works (BatchNorm's batch counter)
        be.scaleInPlace(d, 2.0);
        assertArrayEquals(new double[] {4, 5}, d.toDoubleArray());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> be.unary(UnaryOp.NEG, Tensor.zeros(2)));
        assertEquals("[cuda unary.neg] expected a tensor on cuda:0 but got one on cpu", w.getMessage());
    }

    static Tensor rand(Rng r, double lo, double hi, int... shape) {
        return Tensor.uniform(r, lo, hi, shape);
    }

    static void close(Tolerances tol, String what, double[] got, double[] exp) {
        assertEquals(exp.length, got.length, what);
        for (int i = 0; i < exp.length; i++)
            if (!tol.close(got[i], exp[i])) fail(what + " element " + i + ": got " + got[i] + ", reference " + exp[i] + " (" + tol + ")");
    }

    @Test
    void fusedSparseRecodingSgdMatchesTheTwoStepsOfTheReference() {
        Gpu.backend();
        Rng r = new Rng(3);
        int[] shape = {64, 32, 3, 3};
        for (double momentum : new double[] {0, 0.9})
            for (boolean first : new boolean[] {true, false}) {
                Tensor g = rand(r, -1, 1, shape), w = rand(r, -1, 1, shape), a = rand(r, -1, 1, shape), buf = rand(r, -1, 1, shape);
                Tensor g64 = g.to(DType.F64), w64 = w.to(DType.F64), a64 = a.to(DType.F64), b64 = buf.to(DType.F64);
                double ref = REF.extension(kr.engine.backend.KrKernels.class).orElseThrow().sparseRecoding(g64, w64, a64, 0.4, 0.05);
                REF.sgdStep(w64, g64, momentum == 0 ? null : b64, 0.1, momentum, 0, 5e-4, false, first);
                Tensor gc = g.to(CUDA), wc = w.to(CUDA), ac = a.to(CUDA), bc = buf.to(CUDA);
                double got = kr.engine.backend.KrKernels.of(CUDA).sparseRecodingSgd(gc, wc, ac, momentum == 0 ? null : bc, 0.4, 0.05, 0.1, momentum, 0, 5e-4, false, first);
                String what = "momentum " + momentum + " first " + first;
                close(Tolerances.SUM, what + " penalty", new double[] {got}, new double[] {ref});
                close(Tolerances.UPDATE, what + " grad", Gpu.f64(gc.toFloatArray()), g64.toDoubleArray());
                close(Tolerances.UPDATE, what + " weight", Gpu.f64(wc.toFloatArray()), w64.toDoubleArray());
                if (momentum != 0) close(Tolerances.UPDATE, what + " buffer", Gpu.f64(bc.toFloatArray()), b64.toDoubleArray());
            }
    }

    @Test
    void largerShapesThanTheSuiteMatchTheReference() {
        CudaBackend be = Gpu.backend();
        Rng r = new Rng(5);
        // matmul with every tile edge partial, a transposed operand and a broadcast batch
        Tensor a = rand(r, -1, 1, 300, 500), b = rand(r, -1, 1, 700, 500).t();
        close(Tolerances.DOT, "matmul 300x500x700", Gpu.f64(be.matmul(a.to(CUDA), b.to(CUDA), new int[] {300, 700}).toFloatArray()),
                REF.matmul(a.to(DType.F64), b.to(DType.F64), new int[] {300, 700}).toDoubleArray());
        // a ResNet stage-1 convolution: the weight gradient sums 8*32*32 terms over split-K partials
        Tensor x = rand(r, -1, 1, 8, 16, 32, 32), w = rand(r, -0.3, 0.3, 16, 16, 3, 3), gy = rand(r, -1, 1, 8, 16, 32, 32);
        Conv2dParams p = Conv2dParams.of(1, 1);
        Tensor x64 = x.to(DType.F64), w64 = w.to(DType.F64), gy64 = gy.to(DType.F64);
        close(Tolerances.DOT, "conv2d", Gpu.f64(be.conv2d(x.to(CUDA), w.to(CUDA), p).toFloatArray()), REF.conv2d(x64, w64, p).toDoubleArray());
        close(Tolerances.DOT, "conv2dBackwardInput", Gpu.f64(be.conv2dBackwardInput(gy.to(CUDA), w.to(CUDA), x.shape(), p).toFloatArray()),
                REF.conv2dBackwardInput(gy64, w64, x.shape(), p).toDoubleArray());
        close(Tolerances.DOT, "conv2dBackwardWeight", Gpu.f64(be.conv2dBackwardWeight(gy.to(CUDA), x.to(CUDA), w.shape(), p).toFloatArray()),
                REF.conv2dBackwardWeight(gy64, x64, w.shape(), p).toDoubleArray());
        // a whole-tensor reduction over many blocks, and batch norm over 8*32*32 per channel
        close(Tolerances.SUM, "sum", new double[] {be.reduce(kr.engine.backend.ReduceOp.SUM, x.to(CUDA), new boolean[] {true, true, true, true}).item()},
                new double[] {REF.reduce(kr.engine.backend.ReduceOp.SUM, x64, new boolean[] {true, true, true, true}).item()});
        Tensor gamma = rand(r, 0.5, 1.5, 16), beta = rand(r, -1, 1, 16);
        Tensor[] bn = be.batchNorm(x.to(CUDA), gamma.to(CUDA), beta.to(CUDA), 1e-5), bnr = REF.batchNorm(x64, gamma.to(DType.F64), beta.to(DType.F64), 1e-5);
        for (int i = 0; i < 3; i++) close(Tolerances.NORM, "batchNorm output " + i, Gpu.f64(bn[i].toFloatArray()), bnr[i].toDoubleArray());
    }

    @Test
    void theProfilerTimesEveryCallAndLaunchInGpuTime(@TempDir Path dir) throws Exception {
        CudaBackend be = Gpu.backend();
        Tensor x = Tensor.randn(new Rng(1), 256, 256).to(CUDA);
        Tensor y;
        Profiler p = Profiler.start(CUDA, true);
        try (var step = Trace.step(0); var layer = Trace.layer("mlp")) {
            y = x.exp().matmul(x).relu().sum();
        } finally {
            p.close();
        }
        assertTrue(Double.isFinite(y.item()));
        String t = p.table();
        for (String k : new String[] {"unary.exp", "matmul", "unary.relu", "reduce.sum"}) assertTrue(t.contains(k), "no row for " + k + " in\n" + t);
        Profiler.Row mm = p.rows().stream().filter(r -> r.kernel().equals("matmul")).findFirst().orElseThrow();
        assertEquals(2.0 * 256 * 256 * 256, mm.flops());
        assertTrue(mm.totalMs() > 0 && mm.gflops() > 0, t);
        MachinePeak peak = p.peak();
        assertTrue(peak.gflops() > 1000 && peak.gbps() > 100, peak.toString());
        p.writeChromeTrace(dir.resolve("trace.json"));
        String json = Files.readString(dir.resolve("trace.json"));
        Json.parse(json);
        assertTrue(json.contains("\"name\":\"unary.exp\"") && json.contains("\"cat\":\"launch\"") && json.contains("\"name\":\"step 0\"")
                && json.contains("\"layer\":\"mlp\""), json);
        System.out.print(p.peakSummary() + t);
        assertFalse(be.toString().isEmpty());
    }
}
