package kr.bench.gpu;

import java.util.Locale;
import java.util.function.Supplier;
import kr.cuda.CudaBackend;
import kr.cuda.CudaDriver;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.ReduceOp;

/**
 * GPU kernel benchmarks: SGEMM (fp32 kernel, TF32 tensor cores, cuBLAS where it loads), the
 * ResNet-20 convolutions at batch 128, and the bandwidth of the memory-bound kernels. Each figure is
 * GPU time between CUDA events over {@code reps} launches after warm-up, so it excludes Java.
 * Prints one table; compare within a run only (figures move 10-30% between runs and machines).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp 'lib/*' kr.bench.gpu.GpuBench [quick]</pre>
 */
public final class GpuBench {
    private final CudaBackend be;
    private final StringBuilder out = new StringBuilder();

    private GpuBench(CudaBackend be) {
        this.be = be;
    }

    public static void main(String[] args) {
        if (!CudaDriver.available()) {
            System.err.println(CudaDriver.unavailableReason());
            System.exit(2);
        }
        boolean quick = args.length > 0 && args[0].equals("quick");
        CudaBackend be = (CudaBackend) Backends.of(Device.cuda(0));
        GpuBench b = new GpuBench(be);
        System.out.println("[bench] " + be);
        b.run(quick);
        System.out.print(b.out);
    }

    /** Milliseconds of GPU time per call of {@code f}, the median of 5 batches of {@code reps} calls. */
    private double time(int reps, Supplier<Object> f) {
        return GpuTimer.ms(be, reps, 5, f::get);
    }

    private void row(String what, String shape, double ms, double work, String unit) {
        out.append(String.format(Locale.ROOT, "%-34s %-26s %10.3f ms %10.1f %s%n", what, shape, ms, work / ms / 1e6, unit));
    }

    private void run(boolean quick) {
        out.append(String.format(Locale.ROOT, "%-34s %-26s %13s %15s%n", "kernel", "shape", "time", "rate"));
        Device cuda = Device.cuda(0);
        Rng r = new Rng(1);
        boolean tc = be.context().computeCapability() >= 80;
        for (int n : quick ? new int[] {1024} : new int[] {1024, 2048, 4096}) {
            Tensor a = Tensor.uniform(r, -1, 1, n, n).to(cuda), b = Tensor.uniform(r, -1, 1, n, n).to(cuda);
            int[] o = {n, n};
            int reps = n >= 4096 ? 3 : 10;
            double flop = 2.0 * n * n * n;
            String shape = n + "x" + n + "x" + n;
            row("sgemm " + (be.gemmPath().startsWith("cuBLAS") ? "(cuBLAS)" : "(kr fp32 kernel)"), shape, time(reps, () -> be.matmul(a, b, o)), flop, "GFLOP/s");
            if (tc) {
                try (var tf32 = Backends.configure(Backends.config().withTf32(true))) {
                    row("sgemm TF32 (kr mma.sync kernel)", shape, time(reps, () -> be.matmul(a, b, o)), flop, "GFLOP/s");
                }
            }
        }
        // ResNet-20's three stages at batch 128: 3x3 convolutions, stride 1, padding 1
        int[][] convs = {{128, 16, 32, 32, 16}, {128, 32, 16, 16, 32}, {128, 64, 8, 8, 64}};
        Conv2dParams p = Conv2dParams.of(1, 1);
        for (int[] c : convs) {
            Tensor x = Tensor.uniform(r, -1, 1, c[0], c[1], c[2], c[3]).to(cuda), w = Tensor.uniform(r, -1, 1, c[4], c[1], 3, 3).to(cuda);
            Tensor gy = be.conv2d(x, w, p);
            double flop = 2.0 * c[0] * c[4] * c[2] * c[3] * c[1] * 9;
            String shape = String.format(Locale.ROOT, "[%d,%d,%d,%d] * %dx%dx3x3", c[0], c[1], c[2], c[3], c[4], c[1]);
            for (boolean tf : tc ? new boolean[] {false, true} : new boolean[] {false}) {
                String tag = tf ? " TF32" : "";
                try (var prec = Backends.configure(Backends.config().withTf32(tf))) {
                    row("conv2d fwd" + tag, shape, time(10, () -> be.conv2d(x, w, p)), flop, "GFLOP/s");
                    row("conv2d bwd input" + tag, shape, time(10, () -> be.conv2dBackwardInput(gy, w, x.shape(), p)), flop, "GFLOP/s");
                    row("conv2d bwd weight" + tag, shape, time(10, () -> be.conv2dBackwardWeight(gy, x, w.shape(), p)), flop, "GFLOP/s");
                }
            }
        }
        // memory-bound kernels on 64 Mi floats (256 MiB): bytes read + written per call
        int n = quick ? 1 << 24 : 1 << 26;
        Tensor x = Tensor.full(1.0, kr.engine.DType.F32, cuda, n), y = Tensor.full(2.0, kr.engine.DType.F32, cuda, n);
        int[] shape = {n};
        String s = n / (1 << 20) + " Mi floats";
        row("copy (contiguous)", s, time(10, () -> be.copy(x)), 8.0 * n, "GB/s");
        row("binary add", s, time(10, () -> be.binary(BinaryOp.ADD, x, y, shape)), 12.0 * n, "GB/s");
        Tensor t2 = Tensor.wrap(x.storage(), new int[] {n / 4096, 4096}).transpose(0, 1);
        row("copy (transposed view)", s, time(5, () -> be.copy(t2)), 8.0 * n, "GB/s");
        row("reduce sum (all)", s, time(10, () -> be.reduce(ReduceOp.SUM, x, new boolean[] {true})), 4.0 * n, "GB/s");
        row("sgd step (momentum)", s, time(10, () -> {
            be.sgdStep(x, y, y, 1e-9, 0.9, 0, 0, false, false);
            return null;
        }), 20.0 * n, "GB/s");
        row("sparse recoding (fused, + host sum)", s, time(10, () -> be.sparseRecoding(y, x, x, 0.5, 1e-9)), 16.0 * n, "GB/s");
        Tensor bx = Tensor.uniform(r, -1, 1, 128, 64, 32, 32).to(cuda), g = Tensor.full(1.0, kr.engine.DType.F32, cuda, 64),
                bb = Tensor.full(0.0, kr.engine.DType.F32, cuda, 64);
        row("batch norm fwd", "[128,64,32,32]", time(10, () -> be.batchNorm(bx, g, bb, 1e-5)), 3.0 * 4 * bx.numel(), "GB/s");
    }
}
