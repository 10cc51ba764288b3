package kr.train;

import kr.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kr.data.Batch;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.models.Classifier;
import kr.nn.F;
import kr.optim.SGD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's step-runner path (what {@code --cuda-graphs} plugs a CUDA graph into), driven by a
 * host-side runner that does the eager step's arithmetic but reports its sums only when drained:
 * same weights bit for bit, same metrics, drains at checkpoints and epoch ends, and the refusals.
 */
class TrainerStepRunnerTest {
    @TempDir
    Path tmp;

    /** The eager cross-entropy step, with the loss, top-1 count and images kept back until drained (as on a device). */
    static final class HostRunner implements StepRunner {
        final Classifier model;
        final SGD opt;
        final double smoothing;
        double loss;
        long correct, seen;
        int steps, drains, badAt;
        boolean closed;

        HostRunner(Classifier model, SGD opt, TrainConfig cfg) {
            this.model = model;
            this.opt = opt;
            this.smoothing = cfg.labelSmoothing;
        }

        @Override
        public void step(Batch b, double lr, StepContext ctx) {
            opt.zeroGrad();
            Tensor z = model.forward(b.images());
            Tensor l = F.crossEntropy(z, b.labels(), smoothing);
            l.backward();
            List<Tensor> ps = opt.params();
            for (int i = 0; i < ps.size(); i++) { // a fused update would do this in one launch: the SGD accessors give it the state
                Tensor p = ps.get(i);
                if (p.grad() == null) continue;
                boolean first = opt.ensureMomentumBuffer(i);
                Backend be = Backends.of(p.device());
                be.sgdStep(p, p.grad(), opt.momentumBuffer(i), lr, opt.momentum(), opt.dampening(), opt.weightDecay(), opt.nesterov(), first);
            }
            double v = l.item();
            steps++;
            if (!Double.isFinite(v) && badAt == 0) badAt = steps;
            loss += v * b.labels().length;
            correct += Evaluator.correct(z.toFloatArray(), z.shape(1), b.labels(), 1);
            seen += b.labels().length;
        }

        @Override
        public Drained drain() {
            Drained d = new Drained(loss, correct, seen, steps, badAt, Map.of());
            loss = 0;
            correct = seen = 0;
            steps = badAt = 0;
            drains++;
            return d;
        }

        @Override
        public String describe() {
            return "host runner";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aRunnerGivesTheEagerRunsWeightsAndMetrics() throws IOException {
        TrainConfig c = TinyRuns.config(); // 6 steps an epoch, a checkpoint every 2
        DemoCnn eagerNet = TinyRuns.model(3);
        RunData d = RunData.of(c, TinyRuns.data(44, 1), TinyRuns.data(24, 2)); // 44 images: a last batch of 4
        Trainer.Result eager = new Trainer(c, eagerNet, d.train(), d.test(), tmp.resolve("eager")).log(null).run();
        DemoCnn runNet = TinyRuns.model(3);
        HostRunner[] made = new HostRunner[1];
        Trainer.Result run = new Trainer(c, runNet, d.train(), d.test(), tmp.resolve("runner")).log(null)
                .stepRunner((m, o, cfg) -> made[0] = new HostRunner(m, o, cfg)).run();
        TinyRuns.assertSameBits(eagerNet.stateDict(), runNet.stateDict());
        assertEquals(eager.history().size(), run.history().size());
        for (int e = 0; e < eager.history().size(); e++) {
            EpochMetrics a = eager.history().get(e), b = run.history().get(e);
            assertEquals(a.trainLoss(), b.trainLoss(), 1e-12 * Math.abs(a.trainLoss()), "epoch " + (e + 1) + " train loss (summed in another order)");
            assertEquals(a.trainAcc(), b.trainAcc(), 0.0);
            assertEquals(a.testLoss(), b.testLoss(), 0.0);
            assertEquals(a.testAcc(), b.testAcc(), 0.0);
        }
        assertEquals(3 * 3, made[0].drains, "drains at the two checkpoints and the end of each of 3 epochs");
        assertTrue(made[0].closed, "the trainer closes its runner");
    }

    @Test
    void onlyThePlainCrossEntropyStepRunsThroughARunner() {
        TrainConfig c = TinyRuns.config();
        Trainer t = TinyRuns.trainer(c, TinyRuns.model(3), tmp.resolve("custom")).stepRunner((m, o, cfg) -> new HostRunner(m, o, cfg));
        ConfigException e = assertThrows(ConfigException.class, t::run);
        assertTrue(e.getMessage().contains("its own objective") && e.getMessage().contains("--cuda-graphs"), e.getMessage());
    }

    @Test
    void aNonFiniteLossIsReportedWithItsStepAtTheNextDrain() {
        TrainConfig c = TinyRuns.config();
        c.lr = 1e30; // diverges within the first steps
        c.checkpointEvery = 0;
        RunData d = RunData.of(c, TinyRuns.data(48, 1), TinyRuns.data(24, 2));
        Trainer t = new Trainer(c, TinyRuns.model(3), d.train(), d.test(), tmp.resolve("nan")).log(null)
                .stepRunner((m, o, cfg) -> new HostRunner(m, o, cfg));
        IllegalStateException e = assertThrows(IllegalStateException.class, t::run);
        assertTrue(e.getMessage().matches("(?s)\\[train\\] loss is not finite at epoch 1 step [2-6] .*found when the step runner's sums were read.*"), e.getMessage());
    }
}
