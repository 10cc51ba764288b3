package kr.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import kr.engine.Rng;
import kr.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Sequential's conv-bn-relu fusion: the same outputs, gradients and running statistics as the modules one by one. */
class SequentialTest {
    @Test
    void batchNormThenReluRunsFusedWithTheSameBits() {
        for (boolean training : new boolean[] {true, false}) {
            Rng rng = new Rng(7);
            Tensor x = Tensor.randn(rng, 4, 3, 6, 6);
            Sequential fused = new Sequential(new Conv2d(3, 5, 3, 1, 1, true), new BatchNorm2d(5), Activations.relu());
            Sequential plain = new Sequential(new Conv2d(3, 5, 3, 1, 1, true), new BatchNorm2d(5), new Activations.Lambda("relu", Tensor::relu));
            plain.loadStateDict(fused.stateDict(), true);
            fused.train(training);
            plain.train(training);
            Tensor xf = x.detach().requiresGrad(true), xp = x.detach().requiresGrad(true);
            Tensor yf = fused.forward(xf), yp = plain.forward(xp);
            assertArrayEquals(yp.toFloatArray(), yf.toFloatArray(), "output, training " + training);
            if (training) assertEquals("batch_norm_relu", yf.gradFn(), "the fused primitive made the output"); // eval composes the affine map and ReLU
            Tensor g = Tensor.randn(rng, yf.shape());
            yf.backward(g);
            yp.backward(g);
            assertArrayEquals(xp.grad().toFloatArray(), xf.grad().toFloatArray(), "input gradient, training " + training);
            var pf = fused.stateDict();
            plain.stateDict().forEach((k, v) -> assertArrayEquals(v.toFloatArray(), pf.get(k).toFloatArray(), k));
        }
        assertEquals("relu", Activations.relu().toString());
    }
}
