package kr.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import kr.engine.DType;
import kr.engine.Tensor;
import org.junit.jupiter.api.Test;

/** The work table on a few calls, against counts done by hand. */
class KernelCostTest {
    private static final Conv2dParams S1P1 = Conv2dParams.of(1, 1);

    @Test
    void aResNet20ConvolutionIsAboutSixTenthsOfAGflopInEachOfItsThreePasses() {
        Tensor x = Tensor.zeros(128, 16, 32, 32), w = Tensor.zeros(16, 16, 3, 3), y = Tensor.zeros(128, 16, 32, 32);
        double flops = 2.0 * 128 * 16 * 32 * 32 * 16 * 3 * 3; // 2 * N * Co * Ho * Wo * C * kh * kw
        assertEquals(603_979_776, flops);
        double act = 128 * 16 * 32 * 32 * 4.0, wb = 16 * 16 * 9 * 4.0;
        assertEquals(new KernelCost(flops, 2 * act + wb), KernelCost.of("conv2d", new Object[] {x, w, S1P1}, y));
        assertEquals(new KernelCost(flops, 2 * act + wb), KernelCost.of("conv2dBackwardInput", new Object[] {y, w, x.shape(), S1P1}, x));
        assertEquals(new KernelCost(flops, 2 * act + wb), KernelCost.of("conv2dBackwardWeight", new Object[] {y, x, w.shape(), S1P1}, w));
        assertEquals("[128,16,32,32] [16,16,3,3] s1 p1 -> [128,16,32,32]", KernelCost.shapes(new Object[] {x, w, S1P1}, y));
    }

    @Test
    void groupedStridedConvolutionCountsItsOutputSizeAndChannelsPerGroup() {
        Tensor x = Tensor.zeros(2, 8, 9, 9), w = Tensor.zeros(4, 2, 3, 3), y = Tensor.zeros(2, 4, 5, 5);
        Conv2dParams p = new Conv2dParams(2, 2, 1, 1, 1, 1, 4);
        assertEquals(2.0 * 2 * 4 * 5 * 5 * 2 * 3 * 3, KernelCost.of("conv2d", new Object[] {x, w, p}, y).flops());
        assertEquals(2.0 * 2 * 4 * 5 * 5 * 2 * 3 * 3, KernelCost.of("conv2dBackwardWeight", new Object[] {y, x, w.shape(), p}, w).flops());
        assertEquals("[2,8,9,9] [4,2,3,3] s2 p1 g4 -> [2,4,5,5]", KernelCost.shapes(new Object[] {x, w, p}, y));
    }

    @Test
    void batchedMatmulIsTwoMnkPerBatch() {
        Tensor a = Tensor.zeros(3, 4, 5), b = Tensor.zeros(3, 5, 6), c = Tensor.zeros(3, 4, 6);
        KernelCost k = KernelCost.of("matmul", new Object[] {a, b, new int[] {3, 4, 6}}, c);
        assertEquals(2.0 * 3 * 4 * 6 * 5, k.flops());
        assertEquals(4.0 * (60 + 90 + 72), k.bytes());
        assertEquals(720.0 / 888, k.intensity(), 1e-12);
    }

    @Test
    void elementwiseReadsABroadcastOperandOnceAndFloat64CountsEightBytes() {
        Tensor a = Tensor.zeros(2, 4, 3, 3), bias = Tensor.zeros(1, 4, 1, 1).expand(2, 4, 3, 3), out = Tensor.zeros(2, 4, 3, 3);
        KernelCost k = KernelCost.of("binary", new Object[] {BinaryOp.ADD, a, bias, out.shape()}, out);
        assertEquals(72, k.flops());
        assertEquals(4.0 * (72 + 4 + 72), k.bytes());
        Tensor d = Tensor.zeros(DType.F64, 10);
        assertEquals(new KernelCost(10, 160), KernelCost.of("unary", new Object[] {UnaryOp.EXP, d}, Tensor.zeros(DType.F64, 10)));
    }

    @Test
    void optimizerStepsCountTheirStateTraffic() {
        Tensor p = Tensor.zeros(100), g = Tensor.zeros(100), buf = Tensor.zeros(100);
        // weight decay (2) + momentum (3) + update (2) per element; p, g, buf read, p and buf written
        assertEquals(new KernelCost(700, 5 * 400),
                KernelCost.of("sgdStep", new Object[] {p, g, buf, 0.1, 0.9, 0.0, 5e-4, false, false}, null));
        assertEquals(new KernelCost(200, 3 * 400), KernelCost.of("sgdStep", new Object[] {p, g, null, 0.1, 0.0, 0.0, 0.0, false, false}, null));
        assertEquals(new KernelCost(200, 3 * 400), KernelCost.of("addInto", new Object[] {p, g, 1.0}, null));
    }

    @Test
    void unknownMethodsMoveTheirTensorsAndComputeNothing() {
        Tensor x = Tensor.zeros(5);
        assertEquals(new KernelCost(0, 40), KernelCost.of("somethingNew", new Object[] {x}, Tensor.zeros(5)));
    }
}
