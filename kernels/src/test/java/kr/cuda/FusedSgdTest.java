package kr.cuda;

import kr.engine.backend.GpuTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.optim.SGD;
import org.junit.jupiter.api.Test;

/**
 * The multi-tensor SGD launch against SGD.step() on cuda (GPU; skipped without one): the same kernel
 * arithmetic, so the same bits, over parameters of odd sizes (partial chunks) for two steps (the
 * first with fresh momentum buffers), with Nesterov and weight decay; the learning rate is read from
 * the device; gradients live in one flat buffer.
 */
@GpuTest
class FusedSgdTest {
    static final Device CUDA = Device.cuda(0);
    static final int[][] SHAPES = {{5000}, {17, 241}, {3}, {64, 3, 3, 3}};

    static List<Tensor> params(long seed) {
        Rng r = new Rng(seed);
        List<Tensor> ps = new ArrayList<>();
        for (int[] s : SHAPES) ps.add(Tensor.uniform(r, -1, 1, s).to(CUDA).requiresGrad(true));
        return ps;
    }

    static List<Tensor> grads(int step) {
        Rng r = new Rng(100 + step);
        List<Tensor> gs = new ArrayList<>();
        for (int[] s : SHAPES) gs.add(Tensor.uniform(r, -1, 1, s).to(CUDA));
        return gs;
    }

    @Test
    void oneLaunchGivesTheBitsOfOneLaunchPerParameter() {
        CudaBackend be = Gpu.backend();
        List<Tensor> ref = params(1), fused = params(1);
        SGD oRef = new SGD(ref, 0.1, 0.9, 5e-4, true), oFused = new SGD(fused, 0.1, 0.9, 5e-4, true);
        FusedSgd f = FusedSgd.bind(be, oFused);
        assertEquals(2 + 2 + 1 + 1, f.chunks(), "5000 and 4097 elements take two chunks of 4096 each, the others one");
        assertArrayEquals(new int[] {1, 4096}, f.chunk(3));
        for (int step = 0; step < 3; step++) {
            List<Tensor> g = grads(step);
            double lr = 0.1 / (step + 1);
            for (int i = 0; i < ref.size(); i++) ref.get(i).setGrad(g.get(i));
            oRef.setLr(lr);
            oRef.step();
            f.zeroGrad();
            for (int i = 0; i < fused.size(); i++) be.addInto(fused.get(i).grad(), g.get(i), 1.0); // as backward accumulates
            f.setLr(lr);
            f.step();
            for (int i = 0; i < ref.size(); i++) {
                assertArrayEquals(ref.get(i).toFloatArray(), fused.get(i).toFloatArray(), "parameter " + i + " after step " + (step + 1));
                assertArrayEquals(oRef.momentumBuffer(i).toFloatArray(), oFused.momentumBuffer(i).toFloatArray(), "buffer " + i);
            }
        }
        assertSame(f.flatGrad().storage(), fused.get(2).grad().storage(), "gradients are views of one buffer");
    }
}
