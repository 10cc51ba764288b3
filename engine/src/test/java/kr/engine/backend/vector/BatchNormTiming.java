package kr.engine.backend.vector;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;

/**
 * Batch norm forward and backward (plain or fused with ReLU) on ResNet-20's three shapes, interleaved
 * as in a training step, with the bytes each call allocates: a kernel that allocates more than its
 * output boxes vectors in its compiled loop (NOTES N3). Not a test: run by hand,
 *
 * <pre>
 * mvn -q -pl engine test-compile
 * java --add-modules jdk.incubator.vector -Dkr.threads=1 -cp engine/target/classes:engine/target/test-classes \
 *     kr.engine.backend.vector.BatchNormTiming [relu]
 * </pre>
 */
public final class BatchNormTiming {
    private BatchNormTiming() {}

    public static void main(String[] args) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        boolean relu = args.length > 0 && args[0].equals("relu");
        Backend be = Backends.cpu("vector");
        int[][] shapes = {{128, 16, 32, 32}, {128, 32, 16, 16}, {128, 64, 8, 8}};
        int reps = 300, timed = 100;
        Tensor[] x = new Tensor[3], g = new Tensor[3], gamma = new Tensor[3], beta = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            Rng r = new Rng(i);
            x[i] = Tensor.uniform(r, -1, 1, shapes[i]);
            g[i] = Tensor.uniform(r, -1, 1, shapes[i]);
            gamma[i] = Tensor.uniform(r, 0.5, 1.5, shapes[i][1]);
            beta[i] = Tensor.uniform(r, -0.5, 0.5, shapes[i][1]);
        }
        double[][] fwd = new double[3][timed], bwd = new double[3][timed];
        long[] fwdBytes = new long[3], bwdBytes = new long[3];
        for (int it = 0; it < reps; it++)
            for (int i = 0; i < 3; i++) {
                long a0 = mx.getCurrentThreadAllocatedBytes(), t0 = System.nanoTime();
                Tensor[] o = relu ? be.batchNormRelu(x[i], gamma[i], beta[i], 1e-5) : be.batchNorm(x[i], gamma[i], beta[i], 1e-5);
                long a1 = mx.getCurrentThreadAllocatedBytes(), t1 = System.nanoTime();
                if (relu) be.batchNormReluBackward(g[i], o[0], x[i], gamma[i], o[1], o[2]);
                else be.batchNormBackward(g[i], x[i], gamma[i], o[1], o[2]);
                long a2 = mx.getCurrentThreadAllocatedBytes(), t2 = System.nanoTime();
                int k = it - (reps - timed);
                if (k < 0) continue;
                fwd[i][k] = (t1 - t0) / 1e6;
                bwd[i][k] = (t2 - t1) / 1e6;
                fwdBytes[i] = a1 - a0;
                bwdBytes[i] = a2 - a1;
            }
        System.out.printf("vector bits %d, threads %d, %s; ms min / median over the last %d reps, bytes allocated by the last call%n",
                Kernels.VL * 32, Backends.config().threads(), relu ? "batchNormRelu" : "batchNorm", timed);
        for (int i = 0; i < 3; i++) {
            Arrays.sort(fwd[i]);
            Arrays.sort(bwd[i]);
            System.out.printf("%-18s fwd %6.2f / %6.2f ms %6.1f MB   bwd %6.2f / %6.2f ms %6.1f MB   (output %.1f MB)%n", Arrays.toString(shapes[i]),
                    fwd[i][0], fwd[i][timed / 2], fwdBytes[i] / 1e6, bwd[i][0], bwd[i][timed / 2], bwdBytes[i] / 1e6, 4.0 * x[i].numel() / 1e6);
        }
    }
}
