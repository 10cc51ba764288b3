package kr.models;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Tensor;
import kr.engine.backend.Pool2dParams;
import kr.nn.Activations;
import kr.nn.BatchNorm2d;
import kr.nn.F;
import kr.nn.Module;
import kr.nn.Sequential;

/**
 * RepDistiller's CIFAR MobileNetV2 (models/mobilenetv2.py, after "Knowledge Distillation via
 * Route Constrained Optimization"): a stride-2 3x3 stem {@code conv1}, seven groups {@code blocks}
 * of inverted residuals (expansion t; widths 16, 24, 32, 64, 96, 160, 320 times the width
 * multiplier; strides 1, 1, 2, 2, 1, 2, 1), a 1x1 {@code conv2} to 1280 channels, 2x2 average
 * pooling (ceil mode) and {@code classifier.0}. RepDistiller's {@code MobileNetV2} / {@code mobile_half}
 * is t=6 with width 0.5.
 *
 * <pre>{@code Classifier net = new MobileNetV2(6, 0.5, 100); // mobile_half, 0.81M parameters }</pre>
 *
 * <p>Features: [stem, blocks[1], blocks[2], blocks[4], blocks[6], pooled] whatever {@code preact}
 * (RepDistiller returns the same list for both).
 */
public final class MobileNetV2 extends CifarNet {
    private static final int[][] SETTING = { // expansion (0: use t), width, repeats, stride
        {1, 16, 1, 1}, {0, 24, 2, 1}, {0, 32, 3, 2}, {0, 64, 4, 2}, {0, 96, 3, 1}, {0, 160, 3, 2}, {0, 320, 1, 1}};
    private static final int INPUT = 32;

    /** pw 1x1 expand, dw 3x3, pw 1x1 linear projection (each with BN), plus identity when shapes allow. */
    static final class InvertedResidual extends Module {
        final Sequential conv;
        final boolean residual;

        InvertedResidual(Arch a, int in, int out, int stride, int t, int size) {
            int hid = in * t;
            residual = stride == 1 && in == out;
            conv = register("conv", new Sequential(
                    a.conv(in, hid, 1, 1, 0, size), new BatchNorm2d(hid), Activations.relu(),
                    a.conv(hid, hid, 3, stride, 1, hid, false, size), new BatchNorm2d(hid), Activations.relu(),
                    a.conv(hid, out, 1, 1, 0, Arch.outSize(size, 3, stride, 1)), new BatchNorm2d(out)));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (var s = traced()) {
                Tensor y = conv.forward(x);
                return residual ? x.add(y) : y;
            }
        }
    }

    private final Sequential conv1, blocks, conv2, classifier;

    /** Expansion {@code t} and width multiplier {@code width} (RepDistiller: mobile_half = (6, 0.5)). */
    public MobileNetV2(int t, double width, int numClasses) {
        super(numClasses);
        if (t < 1 || !(width > 0)) throw new IllegalArgumentException("[mobilenetv2] expansion must be >= 1 and width > 0, got t=" + t + " width=" + width);
        Arch a = new Arch();
        int in = (int) (32 * width), size = INPUT;
        conv1 = register("conv1", new Sequential(a.conv(3, in, 3, 2, 1, size), new BatchNorm2d(in), Activations.relu()));
        size = Arch.outSize(size, 3, 2, 1);
        blocks = register("blocks", new Sequential());
        for (int[] s : SETTING) {
            int out = (int) (s[1] * width);
            Sequential group = new Sequential();
            for (int i = 0; i < s[2]; i++) {
                int stride = i == 0 ? s[3] : 1;
                group.add(new InvertedResidual(a, in, out, stride, s[0] == 0 ? t : s[0], size));
                size = Arch.outSize(size, 3, stride, 1);
                in = out;
            }
            blocks.add(group);
        }
        int last = width > 1.0 ? (int) (1280 * width) : 1280;
        conv2 = register("conv2", new Sequential(a.conv(in, last, 1, 1, 0, size), new BatchNorm2d(last), Activations.relu()));
        classifier = register("classifier", new Sequential(a.linear(last, numClasses, Arch.LinearInit.NORMAL_001)));
        built(a);
    }

    @Override
    public Output forwardFeatures(Tensor x, boolean preact) {
        Tensor out = conv1.forward(x); // [N, 32w, 16, 16]
        List<Tensor> feats = new ArrayList<>(List.of(out));
        for (int i = 0; i < blocks.size(); i++) {
            out = blocks.get(i).forward(out);
            if (i == 1 || i == 2 || i == 4 || i == 6) feats.add(out);
        }
        out = conv2.forward(out); // [N, 1280, 2, 2] for 32x32 inputs
        int k = INPUT / 16; // RepDistiller's AvgPool2d(input_size // 16, ceil_mode=True)
        Tensor pooled = F.avgPool2d(out, new Pool2dParams(k, k, k, k, 0, 0, true, true)).flatten(1);
        feats.add(pooled);
        return new Output(feats, classifier.forward(pooled));
    }
}
