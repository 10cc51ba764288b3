package kr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import kr.data.Batch;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.GpuTests;
import kr.engine.backend.StepCapture;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import kr.engine.backend.GpuTest;
import org.junit.jupiter.api.Test;

/**
 * The capture-safe training step (GPU; skipped without one) against the trainer's eager cuda step:
 * ResNet-8, label smoothing, four full batches (eager warm-up, capture, two replays) and a short last
 * batch (eager, other buffers). The kernels are the same, so weights, buffers, loss and top-1 count
 * agree to rounding.
 */
@GpuTest
class GraphedTrainStepTest {
    static final int BATCH = 16;
    static final double EPS = 0.1, LR = 0.05;

    static Batch batch(int k, int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (i * 3 + k) % 10;
        return new Batch(Tensor.randn(new Rng(50 + k), n, 3, 32, 32), y, null);
    }

    static Classifier net(Device d) {
        Init.manualSeed(4);
        Classifier c = Models.create("resnet8", 10);
        c.to(d);
        return c;
    }

    @Test
    void theReplayedStepIsTheEagerStep() {
        Device cuda = GpuTests.cuda();
        int[] sizes = {BATCH, BATCH, BATCH, BATCH, 10};
        Classifier a = net(cuda); // eager: the Trainer's step
        SGD oa = new SGD(a.parameters(), LR, 0.9, 5e-4, true);
        double loss = 0;
        long correct = 0;
        for (int k = 0; k < sizes.length; k++) {
            Batch b = batch(k, sizes[k]);
            oa.zeroGrad();
            Tensor z = a.forward(b.images().to(cuda));
            Tensor l = F.crossEntropy(z, b.labels(), EPS);
            loss += l.item() * sizes[k];
            l.backward();
            oa.step();
            correct += Evaluator.correct(z.toFloatArray(), 10, b.labels(), 1);
        }
        Classifier g = net(cuda);
        SGD og = new SGD(g.parameters(), LR, 0.9, 5e-4, true);
        StepRunner.Drained d;
        String how;
        try (GraphedTrainStep s = new GraphedTrainStep(Backends.of(cuda).extension(StepCapture.class).orElseThrow(), g, og, EPS)) {
            for (int k = 0; k < sizes.length; k++)
                s.step(batch(k, sizes[k]), LR, new StepContext(0, k, sizes.length, k, LR, new Rng(0), g, og));
            how = s.describe();
            assertTrue(s.graph().replaying(), how);
            d = s.drain();
            StepRunner.Drained empty = s.drain();
            assertEquals(0, empty.seen(), "draining resets the sums");
        }
        System.out.println("[graphed step] " + how);
        assertEquals(sizes.length, d.steps());
        assertEquals(0, d.firstNonFinite());
        assertEquals(4 * BATCH + 10, d.seen());
        assertEquals(correct, d.correct());
        assertEquals(loss, d.lossSum(), 1e-6 * Math.abs(loss));
        Map<String, Tensor> sa = a.stateDict(), sg = g.stateDict();
        double worst = 0;
        for (String k : sa.keySet()) {
            float[] x = sa.get(k).to(DType.F32).toFloatArray(), y = sg.get(k).to(DType.F32).toFloatArray();
            for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1e-6 + Math.abs(x[i])));
        }
        System.out.printf("[graphed step] worst relative difference of the state after %d steps: %.3g%n", sizes.length, worst);
        assertTrue(worst <= 1e-5, "graphed and eager steps diverge: " + worst);
    }
}
