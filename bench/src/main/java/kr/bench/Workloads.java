package kr.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.vector.Gemm;

/**
 * The benchmarked problems and their correctness checks, shared by the JMH benchmarks and {@link Probe}.
 * Every check compares against a float64 reference and throws, so a wrong kernel never reports a time.
 */
public final class Workloads {
    private Workloads() {}

    public static final Backend VECTOR = Backends.cpu("vector");
    public static final Backend SCALAR = Backends.cpu("scalar");

    /** One convolution layer: input [n, cin, hw, hw], weight [cout, cin, k, k]. */
    public record Conv(int n, int cin, int cout, int hw, int k, int stride, int pad) {
        public Conv2dParams params() {
            return Conv2dParams.of(stride, pad);
        }

        public int out() {
            return params().outH(hw, k);
        }

        /** Multiply-adds x 2 of the forward pass (each backward pass costs the same). */
        public double flop() {
            return 2.0 * n * cout * out() * out() * cin * k * k;
        }

        public Conv withBatch(int batch) {
            return new Conv(batch, cin, cout, hw, k, stride, pad);
        }

        public int[] xShape() {
            return new int[] {n, cin, hw, hw};
        }

        public int[] wShape() {
            return new int[] {cout, cin, k, k};
        }

        public int[] yShape() {
            return new int[] {n, cout, out(), out()};
        }
    }

    /** Every convolution of a CIFAR ResNet-20 (1x1 stride-2 projection shortcuts) at the given batch. */
    public static List<Conv> resnet20(int batch) {
        List<Conv> l = new ArrayList<>();
        l.add(new Conv(batch, 3, 16, 32, 3, 1, 1)); // stem
        for (int i = 0; i < 6; i++) l.add(new Conv(batch, 16, 16, 32, 3, 1, 1));
        l.add(new Conv(batch, 16, 32, 32, 3, 2, 1));
        l.add(new Conv(batch, 16, 32, 32, 1, 2, 0));
        for (int i = 0; i < 5; i++) l.add(new Conv(batch, 32, 32, 16, 3, 1, 1));
        l.add(new Conv(batch, 32, 64, 16, 3, 2, 1));
        l.add(new Conv(batch, 32, 64, 16, 1, 2, 0));
        for (int i = 0; i < 5; i++) l.add(new Conv(batch, 64, 64, 8, 3, 1, 1));
        return l;
    }

    public static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    // ------------------------------------------------------------------ GEMM

    /** C = A x B for n x n row-major matrices on all threads. */
    public static void gemm(int n, float[] a, float[] b, float[] c) {
        Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n, true);
    }

    /**
     * Checks 512 sampled entries of C = A x B (plus the four corners) against float64 dot products.
     * Tolerance: float32 accumulation error stays below {@code 2e-5 * sum|a*b|} for these depths.
     */
    public static void verifyGemm(int n, float[] a, float[] b, float[] c) {
        Random r = new Random(n);
        for (int s = 0; s < 516; s++) {
            int i = s < 4 ? (s & 1) * (n - 1) : r.nextInt(n), j = s < 4 ? (s >> 1) * (n - 1) : r.nextInt(n);
            double e = 0, mag = 0;
            for (int p = 0; p < n; p++) {
                e += (double) a[i * n + p] * b[p * n + j];
                mag += Math.abs((double) a[i * n + p] * b[p * n + j]);
            }
            if (!(Math.abs(c[i * n + j] - e) <= 1e-6 + 2e-5 * mag))
                throw new IllegalStateException("[bench] sgemm " + n + ": C[" + i + "," + j + "] = " + c[i * n + j] + ", expected " + e);
        }
    }

    // ------------------------------------------------------------------ convolution

    public enum Pass {
        FORWARD, BACKWARD_INPUT, BACKWARD_WEIGHT
    }

    /** Inputs of one conv layer: x, w and an output gradient gy. */
    public record ConvData(Conv conv, Tensor x, Tensor w, Tensor gy) {
        public static ConvData random(Conv c, long seed) {
            Rng rng = new Rng(seed);
            return new ConvData(c, Tensor.uniform(rng, -1, 1, c.xShape()), Tensor.uniform(rng, -1, 1, c.wShape()),
                    Tensor.uniform(rng, -1, 1, c.yShape()));
        }

        public Tensor run(Backend be, Pass pass) {
            return switch (pass) {
                case FORWARD -> be.conv2d(x, w, conv.params());
                case BACKWARD_INPUT -> be.conv2dBackwardInput(gy, w, conv.xShape(), conv.params());
                case BACKWARD_WEIGHT -> be.conv2dBackwardWeight(gy, x, conv.wShape(), conv.params());
            };
        }
    }

    /**
     * Checks one pass of the vector backend at the timed batch, on the timed inputs {@code d}: forward and
     * backward-input on the first and the last image (each image's result depends on that image alone)
     * against the scalar reference run on those two images; backward-weight (a sum over the whole batch)
     * against the scalar reference on the whole batch. Tolerance {@code 1e-3 + 1e-4 max|e|}: an
     * indexing or partitioning mistake is off by O(|e|).
     */
    public static void verifyConvAtBatch(ConvData d, Pass pass) {
        Conv c = d.conv();
        float[] got = d.run(VECTOR, pass).toFloatArray();
        double[] want;
        int[] pick = c.n() == 1 ? new int[] {0} : new int[] {0, c.n() - 1};
        float[] gotPicked;
        if (pass == Pass.BACKWARD_WEIGHT) {
            want = SCALAR.toDoubleArray(d.run(SCALAR, pass));
            gotPicked = got;
        } else {
            ConvData sub = new ConvData(c.withBatch(pick.length), images(d.x(), pick), d.w(), images(d.gy(), pick));
            want = SCALAR.toDoubleArray(sub.run(SCALAR, pass));
            gotPicked = images(got, c.n(), pick);
        }
        requireClose("conv " + c + " " + pass + " at the timed batch (images " + java.util.Arrays.toString(pick) + ")", gotPicked, want);
    }

    /** Throws unless every {@code |got - want| <= 1e-3 + 1e-4 max|want|}. */
    static void requireClose(String what, float[] got, double[] want) {
        if (got.length != want.length) throw new IllegalStateException("[bench] " + what + ": " + got.length + " values, expected " + want.length);
        double scale = 0;
        for (double e : want) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= 1e-3 + 1e-4 * scale))
                throw new IllegalStateException("[bench] " + what + ": element " + i + " is " + got[i] + ", expected " + want[i]);
    }

    /** Images {@code pick} of a batch tensor [n, ...] as a new tensor [pick.length, ...]. */
    private static Tensor images(Tensor t, int[] pick) {
        int[] shape = t.shape().clone();
        float[] sub = images(t.toFloatArray(), shape[0], pick);
        shape[0] = pick.length;
        return Tensor.of(sub, shape);
    }

    private static float[] images(float[] all, int n, int[] pick) {
        int per = all.length / n;
        float[] out = new float[pick.length * per];
        for (int i = 0; i < pick.length; i++) System.arraycopy(all, pick[i] * per, out, i * per, per);
        return out;
    }

    /**
     * Checks one pass of the vector backend against the scalar reference on the same layer with a
     * batch of 2. Tolerance {@code 1e-3 + 1e-4 |e|}: float32 sums of up to a few thousand terms in
     * [-1, 1] round at the 1e-5 level; an indexing mistake is off by O(1).
     */
    public static void verifyConv(Conv c, Pass pass) {
        ConvData d = ConvData.random(c.withBatch(2), 7);
        float[] got = d.run(VECTOR, pass).toFloatArray();
        double[] want = SCALAR.toDoubleArray(d.run(SCALAR, pass));
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= 1e-3 + 1e-4 * Math.abs(want[i])))
                throw new IllegalStateException("[bench] conv " + c + " " + pass + ": element " + i + " is " + got[i] + ", expected " + want[i]);
    }
}
