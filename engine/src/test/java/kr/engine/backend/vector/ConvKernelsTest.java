package kr.engine.backend.vector;

import static org.junit.jupiter.api.Assertions.*;

import kr.engine.DType;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.Conv2dParams;
import kr.engine.backend.StepArena;
import org.junit.jupiter.api.Test;

/**
 * The vector backend's conv2d, conv2dBackwardInput and conv2dBackwardWeight against the scalar
 * reference on awkward geometries. Tolerance {@code |a - e| <= 1e-4 + 1e-4 |e|}: float32 sums in a
 * different order than the float64 reference, inputs in [-1, 1] and at most a few thousand terms
 * per output, so rounding stays near 1e-5 while an indexing mistake is off by O(1).
 */
class ConvKernelsTest {
    private static final Backend VECTOR = Backends.cpu("vector");
    private static final Backend SCALAR = Backends.cpu("scalar");

    /** n, c, h, w, co, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups. */
    private static final int[][] CASES = {
        {2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // 3x3 same padding (flipped-weight backward input)
        {4, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // ResNet block shape, images split over threads
        {3, 8, 9, 7, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1}, // stride 2, odd sizes, 3 images (GEMM split instead)
        {2, 8, 8, 8, 16, 1, 1, 2, 2, 0, 0, 1, 1, 1}, // 1x1 stride-2 shortcut
        {2, 17, 5, 6, 33, 1, 1, 1, 1, 0, 0, 1, 1, 1}, // pointwise: no im2col
        {1, 5, 11, 13, 7, 2, 3, 2, 1, 0, 2, 1, 1, 1}, // non-square kernel, mixed stride and padding, one image
        {2, 4, 12, 12, 6, 3, 3, 1, 1, 2, 2, 2, 2, 1}, // dilation 2
        {2, 4, 7, 7, 5, 3, 3, 1, 1, 3, 3, 1, 1, 1}, // padding wider than the kernel: general backward input
        {2, 8, 9, 9, 12, 3, 3, 1, 1, 1, 1, 1, 1, 4}, // groups 4
        {5, 6, 7, 9, 4, 1, 5, 1, 2, 0, 2, 1, 1, 2}, // groups 2, 1x5, five images
        {2, 8, 10, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8}, // depthwise
        {2, 6, 9, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, 6}, // depthwise, stride 2, channel multiplier 2
        {1, 4, 8, 8, 4, 5, 5, 1, 1, 4, 4, 2, 2, 4}, // depthwise dilated
        {2, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32}, // depthwise, whole vectors of channels (register transposes)
        {2, 48, 8, 8, 48, 3, 3, 2, 2, 1, 1, 1, 1, 48}, // depthwise stride 2, 4x4 outputs
        {2, 3, 1, 1, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1}, // 1x1 images
        {2, 3, 10, 9, 5, 3, 2, 3, 2, 1, 0, 2, 1, 1}, // stride 3x2 with dilation: stride phases without every tap
        {2, 4, 9, 9, 6, 1, 1, 3, 3, 1, 1, 1, 1, 2}, // 1x1 stride 3 with padding and groups: empty phases
        {2, 6, 6, 6, 4, 3, 3, 4, 4, 2, 2, 1, 1, 1}, // stride larger than the kernel
        {20, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // backward-weight over stacked images (AVX2), a partial last stack
        {9, 8, 16, 16, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // the same at AVX-512 (16-float rows), 5 channels: a dot tile of one row
        {2, 16, 6, 8, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // rows of one AVX2 vector (two at a time with kr.conv.rowPairs, C16)
        {2, 16, 7, 8, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // the same with an odd number of rows (never in pairs)
        {2, 32, 6, 16, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // rows of one AVX-512 vector, two at a time there
        {3, 24, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // rows of half an AVX-512 vector: shifted copies there (C20)
        {2, 20, 4, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // the same, one two-vector tile per plane
        {2, 16, 4, 4, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // rows of half an AVX2 vector (shifted copies with kr.conv.shifted)
        {2, 8, 32, 32, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1}, // stride 2, 32-wide rows: backward-input's column phases zipped (C24)
        {2, 8, 31, 30, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1}, // the same on odd and unaligned widths (phases stored one by one)
        {2, 16, 32, 32, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1}, // the same zip from position blocks, transposed first (C26; AVX2 AUTO, both POSITIONS)
        {2, 32, 16, 16, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1}, // half-rows of half an AVX-512 vector: two rows per transpose (C28)
        {2, 32, 14, 16, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1}, // the same with an odd number of rows per phase (not paired)
    };

    private static Conv2dParams params(int[] c) {
        return new Conv2dParams(c[7], c[8], c[9], c[10], c[11], c[12], c[13]);
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = SCALAR.toDoubleArray(expected), a = SCALAR.toDoubleArray(actual);
        for (int i = 0; i < e.length; i++)
            assertTrue(Math.abs(a[i] - e[i]) <= 1e-4 + 1e-4 * Math.abs(e[i]), what + ": element " + i + " is " + a[i] + ", expected " + e[i]);
    }

    private static void assertSameBits(Tensor a, Tensor b, String what) {
        assertArrayEquals(VECTOR.toFloatArray(a), VECTOR.toFloatArray(b), what + ": two runs differ");
    }

    /**
     * {@code op}'s result from the second of two steps of a poisoned StepArena: its output (and any
     * dense copy of an input) is then a buffer of the first step refilled with NaN, so a kernel that
     * leaves an element of an unzeroed output unwritten fails the comparison with a plain run.
     */
    private static Tensor inPoisonedStep(java.util.function.Supplier<Tensor> op) {
        StepArena arena = StepArena.poisoned();
        try (var s = arena.step()) {
            op.get();
        }
        try (var s = arena.step()) {
            Tensor r = op.get();
            return Tensor.of(r.toFloatArray(), r.shape());
        }
    }

    /** Checks all three kernels for one geometry, on the given (possibly strided) input views. */
    private static void checkAll(Tensor x, Tensor w, Conv2dParams p, String what) {
        Tensor y = SCALAR.conv2d(x, w, p), yv = VECTOR.conv2d(x, w, p);
        assertClose(y, yv, what + " forward");
        assertSameBits(yv, inPoisonedStep(() -> VECTOR.conv2d(x, w, p)), what + " forward");
        Tensor gy = Tensor.uniform(new Rng(99), -1, 1, y.shape());
        Tensor gx = SCALAR.conv2dBackwardInput(gy, w, x.shape(), p), gxv = VECTOR.conv2dBackwardInput(gy, w, x.shape(), p);
        assertClose(gx, gxv, what + " backward input");
        assertSameBits(gxv, inPoisonedStep(() -> VECTOR.conv2dBackwardInput(gy, w, x.shape(), p)), what + " backward input");
        Tensor gw = SCALAR.conv2dBackwardWeight(gy, x, w.shape(), p), gwv = VECTOR.conv2dBackwardWeight(gy, x, w.shape(), p);
        assertClose(gw, gwv, what + " backward weight");
        assertSameBits(gwv, inPoisonedStep(() -> VECTOR.conv2dBackwardWeight(gy, x, w.shape(), p)), what + " backward weight");
    }

    /** Runs {@code body} with the convolution algorithm forced to {@code p}. */
    private static void withPath(ConvKernels.Path p, Runnable body) {
        try (var s = kr.engine.backend.Backends.configure(kr.engine.backend.Backends.config().withConvPath(p.name()))) {
            body.run();
        }
    }

    @Test
    void geometriesMatchReferenceOnEveryPath() {
        for (ConvKernels.Path path : ConvKernels.Path.values())
            withPath(path, () -> {
                Rng rng = new Rng(11);
                for (int[] c : CASES) {
                    Conv2dParams p = params(c);
                    Tensor x = Tensor.uniform(rng, -1, 1, c[0], c[1], c[2], c[3]);
                    Tensor w = Tensor.uniform(rng, -1, 1, c[4], c[1] / c[13], c[5], c[6]);
                    checkAll(x, w, p, path + " " + java.util.Arrays.toString(c));
                }
            });
    }

    /** Row pairs (C16) run by default at AVX-512 only; forced on, the geometries still match at either width. */
    @Test
    void rowPairsMatchReference() {
        withProperty("kr.conv.rowPairs", "true", this::geometriesMatchReferenceOnEveryPath);
    }

    /** The stacked dot kernels (C13) are off by default on Intel's AVX-512 cores (C29); forced either way, the geometries match. */
    @Test
    void stackedDotEitherWayMatchesReference() {
        withProperty("kr.conv.stackedDot", "true", this::geometriesMatchReferenceOnEveryPath);
        withProperty("kr.conv.stackedDot", "false", this::geometriesMatchReferenceOnEveryPath);
    }

    /** Shifted copies (C20) run by default at AVX-512 only; forced on, the geometries still match at either width. */
    @Test
    void shiftedCopiesMatchReference() {
        withProperty("kr.conv.shifted", "true", this::geometriesMatchReferenceOnEveryPath);
    }

    private static void withProperty(String key, String value, Runnable body) {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            body.run();
        } finally {
            if (before == null) System.clearProperty(key);
            else System.setProperty(key, before);
        }
    }

    @Test
    void stridedInputsAndWeights() {
        Rng rng = new Rng(12);
        Conv2dParams p = new Conv2dParams(1, 2, 1, 0, 1, 1, 1);
        // x as an NHWC tensor permuted to NCHW, w as a narrowed slice of a bigger weight
        Tensor x = Tensor.uniform(rng, -1, 1, 3, 10, 9, 5).permute(0, 3, 1, 2);
        Tensor w = Tensor.uniform(rng, -1, 1, 9, 5, 3, 3).narrow(0, 2, 6);
        assertFalse(x.isContiguous());
        checkAll(x, w, p, "permuted x, narrowed w");
        Tensor xs = Tensor.uniform(rng, -1, 1, 2, 4, 16, 8).slice(2, 0, 16, 2); // every other row
        Tensor wt = Tensor.uniform(rng, -1, 1, 4, 6, 3, 3).transpose(0, 1); // [6, 4, 3, 3] view
        checkAll(xs, wt, Conv2dParams.of(1, 1), "stepped x, transposed w");
    }

    @Test
    void resnetShapesMatchReferenceOnEveryPath() {
        for (ConvKernels.Path path : ConvKernels.Path.values()) withPath(path, ConvKernelsTest::resnetShapes);
    }

    private static void resnetShapes() {
        // the three stage shapes of ResNet-20 at a small batch, including the stride-2 transitions
        Rng rng = new Rng(13);
        int[][] shapes = {{16, 16, 32, 1}, {16, 32, 32, 2}, {32, 32, 16, 1}, {32, 64, 16, 2}, {64, 64, 8, 1}};
        for (int[] s : shapes) {
            Tensor x = Tensor.uniform(rng, -1, 1, 4, s[0], s[2], s[2]);
            Tensor w = Tensor.uniform(rng, -1, 1, s[1], s[0], 3, 3);
            checkAll(x, w, Conv2dParams.of(s[3], 1), "resnet " + java.util.Arrays.toString(s));
        }
        Tensor stem = Tensor.uniform(rng, -1, 1, 4, 3, 32, 32);
        checkAll(stem, Tensor.uniform(rng, -1, 1, 16, 3, 3, 3), Conv2dParams.of(1, 1), "stem");
    }

    /**
     * Backward-weight over stacked images keeps the gradient's zero rows in a per-thread buffer: a
     * layer whose stack has as many rows as the previous one's but another image height must not read
     * the previous layer's gradient there (AVX2: 8x8 then 14x8, 135 rows; AVX-512: 9x16 then 12x16,
     * 130 rows, whose zero rows do not coincide). One thread, so both layers run on the same scratch.
     */
    @Test
    void stackedBackwardWeightAfterALayerOfAnotherHeight() {
        try (var s = Backends.configure(Backends.config().withThreads(1))) {
            Rng rng = new Rng(15);
            int[][] pairs = {{15, 8, 9, 14}, {13, 9, 10, 12}}; // images and height of layer A, then of layer B (width = 8 or 16)
            for (int[] q : pairs) {
                int w = q[1] == 8 ? 8 : 16;
                Conv2dParams p = Conv2dParams.of(1, 1);
                Tensor xa = Tensor.uniform(rng, -1, 1, q[0], 4, q[1], w), wa = Tensor.uniform(rng, -1, 1, 8, 4, 3, 3);
                Tensor gya = Tensor.uniform(rng, -1, 1, q[0], 8, q[1], w);
                VECTOR.conv2dBackwardWeight(gya, xa, wa.shape(), p);
                Tensor xb = Tensor.uniform(rng, -1, 1, q[2], 4, q[3], w), gyb = Tensor.uniform(rng, -1, 1, q[2], 8, q[3], w);
                int[] ws = {8, 4, 3, 3};
                assertClose(SCALAR.conv2dBackwardWeight(gyb, xb, ws, p), VECTOR.conv2dBackwardWeight(gyb, xb, ws, p), "layer B after A " + java.util.Arrays.toString(q));
            }
        }
    }

    @Test
    void float64FallsBackToReference() {
        Rng rng = new Rng(14);
        Tensor x = Tensor.uniform(rng, -1, 1, 1, 2, 5, 5).to(DType.F64), w = Tensor.uniform(rng, -1, 1, 3, 2, 3, 3).to(DType.F64);
        Tensor y = VECTOR.conv2d(x, w, Conv2dParams.of(1, 1));
        assertEquals(DType.F64, y.dtype());
        assertArrayEquals(SCALAR.toDoubleArray(SCALAR.conv2d(x, w, Conv2dParams.of(1, 1))), SCALAR.toDoubleArray(y), 0.0);
    }
}
