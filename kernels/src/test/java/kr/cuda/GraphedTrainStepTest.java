package kr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kr.data.Batch;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import kr.train.Evaluator;
import kr.train.StepContext;
import kr.train.StepRunner;
import org.junit.jupiter.api.Test;

/**
 * The capture-safe training step (GPU; skipped without one) against the trainer's eager cuda step
 * with the KR hook's arithmetic: ResNet-8, label smoothing, a KR penalty on two layers, four full
 * batches (eager warm-up, capture, two replays) and a short last batch (eager, other buffers). The
 * kernels are the same, so weights, buffers, loss, top-1 count and penalty agree to rounding.
 */
@GpuTest
class GraphedTrainStepTest {
    static final Device CUDA = Device.cuda(0);
    static final int BATCH = 16;
    static final double EPS = 0.1, LR = 0.05, BETA = 0.02;

    static Batch batch(int k, int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (i * 3 + k) % 10;
        return new Batch(Tensor.randn(new Rng(50 + k), n, 3, 32, 32), y, null);
    }

    static Classifier net() {
        Init.manualSeed(4);
        Classifier c = Models.create("resnet8", 10);
        c.to(CUDA);
        return c;
    }

    static List<GraphedTrainStep.Prior> priors(Classifier c) {
        Rng r = new Rng(9);
        List<GraphedTrainStep.Prior> ps = new ArrayList<>();
        for (String name : List.of("conv1.weight", "fc.weight")) {
            Tensor p = c.namedParameters().get(name);
            ps.add(new GraphedTrainStep.Prior(p, Tensor.uniform(r, -0.2, 0.2, p.shape()).to(CUDA), 0.1));
        }
        return ps;
    }

    @Test
    void theReplayedStepIsTheEagerStep() {
        CudaBackend be = Gpu.backend();
        int[] sizes = {BATCH, BATCH, BATCH, BATCH, 10};
        // eager: the Trainer's step with KRHook's penalty (backend.sparseRecoding between backward and the update)
        Classifier a = net();
        SGD oa = new SGD(a.parameters(), LR, 0.9, 5e-4, true);
        List<GraphedTrainStep.Prior> pa = priors(a);
        double loss = 0, penalty = 0;
        long correct = 0;
        for (int k = 0; k < sizes.length; k++) {
            Batch b = batch(k, sizes[k]);
            oa.zeroGrad();
            Tensor z = a.forward(b.images().to(CUDA));
            Tensor l = F.crossEntropy(z, b.labels(), EPS);
            loss += l.item() * sizes[k];
            l.backward();
            double s = 0;
            for (GraphedTrainStep.Prior p : pa) s += be.sparseRecoding(p.param().grad(), p.param(), p.prior(), p.threshold(), BETA);
            penalty += BETA / 2 * s * sizes[k];
            oa.step();
            correct += Evaluator.correct(z.toFloatArray(), 10, b.labels(), 1);
        }
        // graphed
        Classifier g = net();
        SGD og = new SGD(g.parameters(), LR, 0.9, 5e-4, true);
        StepRunner.Drained d;
        String how;
        try (GraphedTrainStep s = new GraphedTrainStep(be, g, og, EPS, priors(g), e -> BETA)) {
            for (int k = 0; k < sizes.length; k++)
                s.step(batch(k, sizes[k]), LR, new StepContext(0, k, sizes.length, k, LR, new Rng(0), g, og));
            how = s.describe();
            assertEquals(GraphedStep.State.REPLAYING, s.graph().state(), how);
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
        assertEquals(penalty, d.logSums().get("kr_penalty"), 1e-9 * Math.abs(penalty), "the penalty partials are summed in another order");
        Map<String, Tensor> sa = a.stateDict(), sg = g.stateDict();
        double worst = 0;
        for (String k : sa.keySet()) {
            float[] x = sa.get(k).to(kr.engine.DType.F32).toFloatArray(), y = sg.get(k).to(kr.engine.DType.F32).toFloatArray();
            for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1e-6 + Math.abs(x[i])));
        }
        System.out.printf("[graphed step] worst relative difference of the state after %d steps: %.3g%n", sizes.length, worst);
        assertTrue(worst <= 1e-5, "graphed and eager steps diverge: " + worst);
    }
}
