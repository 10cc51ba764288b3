package kr.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Init;
import kr.nn.Linear;
import kr.nn.Module;
import kr.optim.SGD;
import org.junit.jupiter.api.Test;

/** StepArena: buffers come back step after step, a dead tensor fails loudly, and training gives the same bits with it. */
class StepArenaTest {
    static final Backend VEC = Backends.cpu("vector");

    @Test
    void aStepReusesThePreviousStepsBuffers() {
        StepArena arena = new StepArena();
        Tensor x = Tensor.randn(new Rng(0), 64, 64);
        float[] first, second;
        try (var s = arena.step()) {
            first = CpuStorage.of(VEC.unary(UnaryOp.RELU, x), "test").floats();
        }
        try (var s = arena.step()) {
            second = CpuStorage.of(VEC.unary(UnaryOp.RELU, x), "test").floats();
        }
        assertSame(first, second, "the second step's output reuses the first step's buffer");
        assertEquals(4L * 64 * 64, arena.heldBytes());
    }

    @Test
    void aReusedBufferIsZeroedForTheNextKernel() {
        StepArena arena = new StepArena();
        float[] a;
        try (var s = arena.step()) {
            a = CpuStorage.outputArray(100);
            java.util.Arrays.fill(a, 7f);
        }
        try (var s = arena.step()) {
            float[] b = CpuStorage.outputArray(100);
            assertSame(a, b);
            for (float v : b) assertEquals(0f, v);
        }
    }

    @Test
    void aTensorUsedAfterItsStepClosedFailsNamingTheArena() {
        StepArena arena = new StepArena();
        Tensor x = Tensor.randn(new Rng(1), 8, 8), y;
        try (var s = arena.step()) {
            y = VEC.unary(UnaryOp.EXP, x);
            y.toFloatArray(); // live inside its step
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, y::toFloatArray);
        assertTrue(e.getMessage().startsWith("[storage]") && e.getMessage().contains("StepArena"), e.getMessage());
        // outside any step, kernels allocate as before and their tensors live on
        Tensor z = VEC.unary(UnaryOp.EXP, x);
        float[] before = z.toFloatArray();
        try (var s = arena.step()) {
            CpuStorage.of(VEC.unary(UnaryOp.NEG, x), "test").floats(); // reuses y's buffer, not z's
        }
        assertArrayEquals(before, z.toFloatArray());
    }

    @Test
    void stepsDoNotNestAndAFullArenaAllocatesNormally() {
        StepArena small = new StepArena(4L * 10);
        try (var s = small.step()) {
            assertThrows(IllegalStateException.class, small::step);
            assertThrows(IllegalStateException.class, () -> new StepArena().step());
            float[] big = CpuStorage.outputArray(11); // over the cap: an ordinary array, never recycled
            Tensor t = Tensor.wrap(CpuStorage.of(big), new int[] {11});
            s.close();
            assertEquals(11, t.toFloatArray().length);
        }
        assertEquals(0, small.heldBytes());
        assertThrows(IllegalArgumentException.class, () -> new StepArena(-1));
    }

    @Test
    void trainingStepsInAnArenaGiveTheSameBitsAsWithout() {
        float[] without = train(null);
        assertArrayEquals(without, train(new StepArena()));
        // NaN in every reused buffer: a kernel that asked for an unzeroed output must write all of it
        assertArrayEquals(without, train(StepArena.poisoned()));
    }

    /** A residual block as the CIFAR ResNets have it: conv-BN-ReLU, conv-BN + 1x1 stride-2 shortcut, add-ReLU; then pool and a linear layer. */
    static final class Block extends Module {
        final Conv2d c1 = new Conv2d(3, 8, 3, 2, 1, false), c2 = new Conv2d(8, 8, 3, 1, 1, false), sc = new Conv2d(3, 8, 1, 2, 0, false);
        final BatchNorm2d b1 = new BatchNorm2d(8), b2 = new BatchNorm2d(8), bs = new BatchNorm2d(8);
        final Linear fc = new Linear(8, 5);

        Block() {
            register("c1", c1);
            register("c2", c2);
            register("sc", sc);
            register("b1", b1);
            register("b2", b2);
            register("bs", bs);
            register("fc", fc);
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = b2.forwardAddRelu(c2.forward(b1.forwardRelu(c1.forward(x))), bs.forward(sc.forward(x)));
            return fc.forward(F.adaptiveAvgPool2d(h, 1, 1).reshape(x.shape(0), 8).tanh());
        }
    }

    /** Five SGD steps on the vector backend; every parameter, running statistic and momentum buffer, flattened. */
    private static float[] train(StepArena arena) {
        try (var b = Backends.use("vector")) {
            Init.manualSeed(3);
            Block net = new Block();
            SGD opt = new SGD(net.parameters(), 0.1, 0.9, 5e-4, false);
            Tensor x = Tensor.randn(new Rng(4), 6, 3, 8, 8);
            int[] y = {0, 1, 2, 3, 4, 0};
            for (int i = 0; i < 5; i++) {
                try (var s = arena == null ? null : arena.step()) {
                    opt.zeroGrad();
                    Tensor loss = F.crossEntropy(net.forward(x), y);
                    loss.item();
                    loss.backward();
                    opt.step();
                }
            }
            List<Float> all = new ArrayList<>();
            for (Tensor p : net.stateDict().values()) for (float v : p.toFloatArray()) all.add(v);
            for (int i = 0; i < net.parameters().size(); i++) for (float v : opt.momentumBuffer(i).toFloatArray()) all.add(v);
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) out[i] = all.get(i);
            return out;
        }
    }
}
