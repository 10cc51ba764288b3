package kr.engine.backend.vector;

import java.util.Arrays;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;

/**
 * A/B timing of the convolution paths on ResNet-20's layers in one JVM, alternating the paths rep
 * by rep so machine noise hits them alike (min and median ms of each). Not a test: run by hand,
 *
 * <pre>
 * mvn -q -pl engine test-compile
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     kr.engine.backend.vector.ConvPathTiming [reps] [paths, e.g. direct,winograd] [layer, e.g. 16->32s2] [passes, e.g. fwd,bwd-w]
 * </pre>
 */
public final class ConvPathTiming {
    private ConvPathTiming() {}

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        String[] paths = (args.length > 1 ? args[1] : "direct,positions").split(",");
        Backend be = Backends.cpu("vector");
        // n, c, hw, co, k, stride, pad: ResNet-20's layers
        int[][] layers = {{128, 16, 32, 16, 3, 1, 1}, {128, 32, 16, 32, 3, 1, 1}, {128, 64, 8, 64, 3, 1, 1}, {128, 16, 32, 32, 3, 2, 1},
            {128, 32, 16, 64, 3, 2, 1}, {128, 3, 32, 16, 3, 1, 1}, {128, 16, 32, 32, 1, 2, 0}};
        System.out.printf("vector bits %d, threads %d%n", Kernels.VL * 32, Backends.config().threads());
        // n, c, hw, co, k, stride, pad: ResNet-20's layers
        String only = args.length > 2 ? args[2] : null;
        for (int[] l : layers) {
            if (only != null && !(l[1] + "->" + l[3] + (l[4] == 1 ? "k1" : "") + "s" + l[5]).equals(only)) continue;
            Rng r = new Rng(1);
            Conv2dParams p = Conv2dParams.of(l[5], l[6]);
            int ho = (l[2] + 2 * l[6] - l[4]) / l[5] + 1;
            Tensor x = Tensor.uniform(r, -1, 1, l[0], l[1], l[2], l[2]), w = Tensor.uniform(r, -1, 1, l[3], l[1], l[4], l[4]);
            Tensor gy = Tensor.uniform(r, -1, 1, l[0], l[3], ho, ho);
            for (String pass : (args.length > 3 ? args[3] : "fwd,bwd-in,bwd-w").split(",")) {
                double[][] ms = new double[paths.length][reps];
                for (int i = -3; i < reps; i++)
                    for (int k = 0; k < paths.length; k++) {
                        // "auto-", "positions-": that path with the three-tap runs (C10, C11) and the dot kernels (C12) off, for A/B in one JVM
                        System.setProperty("kr.conv.runs3", String.valueOf(!paths[k].endsWith("-")));
                        System.setProperty("kr.conv.dot", String.valueOf(!paths[k].endsWith("-")));
                        try (var s = Backends.configure(Backends.config().withConvPath(paths[k].replace("-", "")))) {
                            long t0 = System.nanoTime();
                            if (pass.equals("fwd")) be.conv2d(x, w, p);
                            else if (pass.equals("bwd-in")) be.conv2dBackwardInput(gy, w, x.shape(), p);
                            else be.conv2dBackwardWeight(gy, x, w.shape(), p);
                            if (i >= 0) ms[k][i] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                StringBuilder b = new StringBuilder(String.format("%3d->%3d %2dx%-2d k%d s%d %-6s", l[1], l[3], l[2], l[2], l[4], l[5], pass));
                for (int k = 0; k < paths.length; k++) {
                    double[] s = ms[k].clone();
                    Arrays.sort(s);
                    b.append(String.format("  %s min %6.2f med %6.2f", paths[k], s[0], s[reps / 2]));
                }
                System.out.println(b);
            }
        }
    }
}
