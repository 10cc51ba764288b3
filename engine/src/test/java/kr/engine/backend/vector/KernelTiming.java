package kr.engine.backend.vector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.CompareOp;
import kr.engine.backend.Pool2dParams;
import kr.engine.backend.ReduceOp;
import kr.engine.backend.UnaryOp;
import kr.nn.F;

/**
 * A rough, JMH-free timing of the vector kernels against the scalar reference on ResNet-sized
 * float32 tensors (median of a few runs after warm-up; the machine may be shared, so read ratios,
 * not absolute numbers). Not a test: run it by hand, e.g.
 *
 * <pre>
 * mvn -q -pl engine test-compile
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     kr.engine.backend.vector.KernelTiming [filter]
 * </pre>
 */
public final class KernelTiming {
    private static final int RUNS = Integer.getInteger("runs", 10);

    private KernelTiming() {}

    interface Body {
        Object run(Backend be);
    }

    record Case(String name, Body body) {}

    public static void main(String[] args) {
        String filter = args.length > 0 ? args[0] : "";
        Rng rng = new Rng(1);
        Tensor x = Tensor.randn(rng, 128, 16, 32, 32), g = Tensor.randn(rng, 128, 16, 32, 32);
        Tensor bias = Tensor.randn(rng, 1, 16, 1, 1), gamma = Tensor.rand(rng, 16), beta = Tensor.randn(rng, 16);
        Tensor zero = Tensor.scalar(0), logits = Tensor.randn(rng, 128, 1000), p = Tensor.randn(rng, 1 << 20);
        Tensor pg = Tensor.randn(rng, 1 << 20), m = Tensor.zeros(1 << 20), v = Tensor.zeros(1 << 20);
        int[] xs = x.shape();
        Tensor[] bn = Backends.cpu("vector").batchNorm(x, gamma, beta, 1e-5);
        List<Case> cases = new ArrayList<>(List.of(
                new Case("batchNorm fwd+bwd [128,16,32,32]", be -> {
                    Tensor[] r = be.batchNorm(x, gamma, beta, 1e-5);
                    return be.batchNormBackward(g, x, gamma, r[1], r[2]);
                }),
                new Case("batchNorm fwd+bwd autograd (F.batchNorm)", be -> {
                    try (var s = Backends.use(be.name())) {
                        Tensor xr = x.detach().requiresGrad(true), gr = gamma.detach().requiresGrad(true), br = beta.detach().requiresGrad(true);
                        F.batchNorm(xr, null, null, gr, br, true, 0.1, 1e-5).backward(g);
                        return xr.grad();
                    }
                }),
                new Case("relu fwd+bwd autograd (x.relu())", be -> {
                    try (var s = Backends.use(be.name())) {
                        Tensor xr = x.detach().requiresGrad(true);
                        xr.relu().backward(g);
                        return xr.grad();
                    }
                }),
                new Case("batchNorm fwd", be -> be.batchNorm(x, gamma, beta, 1e-5)),
                new Case("batchNorm bwd", be -> be.batchNormBackward(g, x, gamma, bn[1], bn[2])),
                new Case("relu fwd+bwd (relu, x>0, g*mask)", be -> {
                    be.unary(UnaryOp.RELU, x);
                    return be.binary(BinaryOp.MUL, g, be.compare(CompareOp.GT, x, zero, xs), xs);
                }),
                new Case("add same shape", be -> be.binary(BinaryOp.ADD, x, g, xs)),
                new Case("add bias [1,C,1,1]", be -> be.binary(BinaryOp.ADD, x, bias, xs)),
                new Case("exp", be -> be.unary(UnaryOp.EXP, x)),
                new Case("sum per channel {0,2,3}", be -> be.reduce(ReduceOp.SUM, x, new boolean[] {true, false, true, true})),
                new Case("mean over HW {2,3}", be -> be.reduce(ReduceOp.SUM, x, new boolean[] {false, false, true, true})),
                new Case("sum over batch {0}", be -> be.reduce(ReduceOp.SUM, x, new boolean[] {true, false, false, false})),
                new Case("logSoftmax [128,1000] dim 1", be -> be.logSoftmax(logits, 1)),
                new Case("maxPool2d 2x2 fwd+bwd", be -> {
                    Tensor[] r = be.maxPool2d(x, Pool2dParams.of(2, 2, 0));
                    return be.maxPool2dBackward(r[0], r[1], xs);
                }),
                new Case("avgPool2d 2x2 fwd+bwd", be -> be.avgPool2dBackward(be.avgPool2d(x, Pool2dParams.of(2, 2, 0)), xs, Pool2dParams.of(2, 2, 0))),
                new Case("copy of NCHW->NHWC permuted view", be -> be.copy(x.permute(0, 2, 3, 1))),
                new Case("sgd momentum 1M", be -> {
                    be.sgdStep(p, pg, m, 0.01, 0.9, 0, 5e-4, true, false);
                    return null;
                }),
                new Case("adamw 1M", be -> {
                    be.adamStep(p, pg, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, 3);
                    return null;
                })));
        System.out.printf("threads=%d species=%s%n", Parallel.threads(), Vec.S);
        for (Case c : cases) {
            if (!c.name().contains(filter)) continue;
            double vt = time(Backends.cpu("vector"), c.body(), RUNS), st = time(Backends.cpu("scalar"), c.body(), 3);
            System.out.printf("%-40s vector %8.2f ms   scalar %8.2f ms   speedup %6.1fx%n", c.name(), vt, st, st / vt);
        }
    }

    /** Median milliseconds of {@code runs} runs after as many warm-up runs. */
    static double time(Backend be, Body body, int runs) {
        for (int i = 0; i < runs; i++) body.run(be);
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            body.run(be);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[runs / 2];
    }
}
