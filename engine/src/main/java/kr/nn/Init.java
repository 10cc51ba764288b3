package kr.nn;

import kr.engine.Rng;
import kr.engine.Tensor;

/**
 * Weight initialisation (PyTorch's torch.nn.init) and the global seed layers draw from.
 *
 * <pre>{@code Init.manualSeed(0); Tensor w = Init.kaimingNormal(new int[] {64, 16, 3, 3}, FanMode.FAN_OUT, Init.rng()); }</pre>
 */
public final class Init {
    private static Rng global = new Rng(0);

    private Init() {}

    public enum FanMode { FAN_IN, FAN_OUT }

    /** Re-seeds the generator layers use for their default initialisation. */
    public static synchronized void manualSeed(long seed) {
        global = new Rng(seed);
    }

    public static synchronized Rng rng() {
        return global;
    }

    /**
     * Runs {@code f} with layers drawing from a generator seeded {@code seed}, then puts the previous
     * generator back untouched: building an extra network does not shift the draws of the others.
     *
     * <pre>{@code Classifier fresh = Init.withSeed(7, () -> Models.create("resnet20", 10)); }</pre>
     */
    public static synchronized <T> T withSeed(long seed, java.util.function.Supplier<T> f) {
        Rng saved = global;
        global = new Rng(seed);
        try {
            return f.get();
        } finally {
            global = saved;
        }
    }

    /** fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field. */
    public static int[] fans(int[] shape) {
        if (shape.length < 2) throw new IllegalArgumentException("[init] fan in/out need at least 2 dims, got " + java.util.Arrays.toString(shape));
        int rf = 1;
        for (int i = 2; i < shape.length; i++) rf *= shape[i];
        return new int[] {shape[1] * rf, shape[0] * rf};
    }

    /** N(0, gain/sqrt(fan)) with gain sqrt(2) (ReLU). */
    public static Tensor kaimingNormal(int[] shape, FanMode mode, Rng rng) {
        int fan = fans(shape)[mode == FanMode.FAN_IN ? 0 : 1];
        return Tensor.normal(rng, 0, Math.sqrt(2.0) / Math.sqrt(fan), shape);
    }

    /** U(-b, b) with b = gain*sqrt(3/fan), gain sqrt(2/(1+a^2)) (leaky ReLU slope a). */
    public static Tensor kaimingUniform(int[] shape, double a, FanMode mode, Rng rng) {
        int fan = fans(shape)[mode == FanMode.FAN_IN ? 0 : 1];
        double bound = Math.sqrt(2.0 / (1 + a * a)) * Math.sqrt(3.0 / fan);
        return Tensor.uniform(rng, -bound, bound, shape);
    }

    public static Tensor xavierUniform(int[] shape, double gain, Rng rng) {
        int[] f = fans(shape);
        double b = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return Tensor.uniform(rng, -b, b, shape);
    }

    public static Tensor xavierNormal(int[] shape, double gain, Rng rng) {
        int[] f = fans(shape);
        return Tensor.normal(rng, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), shape);
    }

    /** PyTorch's default for Linear and Conv weights: kaiming_uniform with a = sqrt(5). */
    public static Tensor torchDefaultWeight(int[] shape, Rng rng) {
        return kaimingUniform(shape, Math.sqrt(5), FanMode.FAN_IN, rng);
    }

    /** PyTorch's default bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    public static Tensor torchDefaultBias(int n, int fanIn, Rng rng) {
        double b = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return Tensor.uniform(rng, -b, b, n);
    }
}
