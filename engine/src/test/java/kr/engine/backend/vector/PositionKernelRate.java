package kr.engine.backend.vector;

import kr.engine.backend.MachinePeak;

/**
 * Diagnostic: the widest-register position kernel (8x2p3 at AVX-512, 4x2p3 at AVX2) over three-tap
 * runs with every operand in L1, as GFLOP/s and as a fraction of {@link MachinePeak}'s FMA figure.
 * What a conv pass could reach if packing, scatter and cache misses cost nothing (engine/NOTES.md P1).
 * Optional argument: warm-up phases "runs:calls,..." run before the timing at 96 runs (48, 96, 192:
 * the 16-, 32- and 64-channel layers of ResNet-20).
 * <pre>
 * java --add-modules jdk.incubator.vector [-XX:UseAVX=2] -cp engine/target/classes:engine/target/test-classes \
 *     kr.engine.backend.vector.PositionKernelRate 48:20000
 * </pre>
 */
public final class PositionKernelRate {
    private PositionKernelRate() {}

    public static void main(String[] args) {
        int maxRuns = 192, bs = 2 * Kernels.VL, ldc = 2 * Kernels.VL, rows = Kernels.WIDE ? 8 : 4;
        float[] a = new float[maxRuns * 40 + 64], b = new float[maxRuns * 3 * bs + 64], c = new float[rows * ldc];
        int[] goff = new int[maxRuns];
        for (int g = 0; g < maxRuns; g++) goff[g] = g * 34; // a padded 32-wide image: rows 34 floats apart
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat();
        String warm = args.length > 0 ? args[0] : "96:20000";
        for (String ph : warm.split(",")) {
            String[] p = ph.split(":");
            int runs = Integer.parseInt(p[0]), calls = Integer.parseInt(p[1]);
            for (int i = 0; i < calls; i++) kernel(runs, a, i % 8, goff, b, bs, c, ldc);
        }
        double best = Double.MAX_VALUE;
        int calls = 20000, runs = 96;
        for (int rep = 0; rep < 30; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) kernel(runs, a, i % 8, goff, b, bs, c, ldc);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        double gflops = (double) calls * runs * 3 * rows * bs * 2 / best / 1e9, peak = MachinePeak.cpu(1).gflops();
        System.out.printf("kernel%dx2p3, %d-bit vectors, warm-up %s: %.1f GFLOP/s; MachinePeak %.1f (%.0f%%); c[0] = %s%n", rows, Kernels.VL * 32, warm,
                gflops, peak, 100 * gflops / peak, c[0]);
    }

    private static void kernel(int runs, float[] a, int ao, int[] goff, float[] b, int bs, float[] c, int ldc) {
        if (Kernels.WIDE) Kernels.kernel8x2p3(runs, a, ao, goff, b, 0, bs, c, 0, ldc, false);
        else Kernels.kernel4x2p3(runs, a, ao, goff, b, 0, bs, c, 0, ldc, false);
    }
}
