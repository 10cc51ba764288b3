package kr.models;

import java.util.List;
import kr.engine.Tensor;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Linear;
import kr.nn.Module;
import kr.nn.Sequential;

/**
 * RepDistiller's Wide ResNet WRN-d-k (models/wrn.py): a 3x3 stem conv, three groups
 * {@code block1..3} of (d-4)/6 pre-activation blocks at widths 16k, 32k, 64k (strides 1, 2, 2),
 * a final BN + ReLU, 8x8 average pooling and {@code fc}. No dropout (RepDistiller's default 0).
 *
 * <pre>{@code Classifier net = new WideResNet(40, 2, 100); // wrn_40_2, 2.26M parameters }</pre>
 *
 * <p>Features: [stem, group1, group2, group3, pooled]. With {@code preact} groups 1..3 are passed
 * through the BN that follows them (block2's and block3's first bn1, then the final bn1), exactly as
 * RepDistiller does, so in training mode that call also updates those BNs' running statistics.
 */
public final class WideResNet extends CifarNet {
    /** BN-ReLU-conv-BN-ReLU-conv with an identity or 1x1-conv shortcut (taken from the activated input). */
    static final class Block extends Module {
        final BatchNorm2d bn1, bn2;
        final Conv2d conv1, conv2, convShortcut;

        Block(Arch a, int in, int out, int stride, int size) {
            bn1 = register("bn1", new BatchNorm2d(in));
            conv1 = register("conv1", a.conv(in, out, 3, stride, 1, size));
            bn2 = register("bn2", new BatchNorm2d(out));
            conv2 = register("conv2", a.conv(out, out, 3, 1, 1, Arch.outSize(size, 3, stride, 1)));
            convShortcut = in == out ? null : register("convShortcut", a.conv(in, out, 1, stride, 0, size));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (var s = traced()) {
                Tensor act = bn1.forwardRelu(x);
                Tensor out = conv2.forward(bn2.forwardRelu(conv1.forward(act)));
                return (convShortcut == null ? x : convShortcut.forward(act)).add(out);
            }
        }
    }

    /** RepDistiller's NetworkBlock: its blocks live under {@code layer}. */
    static final class Group extends Module {
        final Sequential layer;

        Group(Arch a, int n, int in, int out, int stride, int size) {
            layer = register("layer", new Sequential());
            for (int i = 0; i < n; i++) {
                layer.add(new Block(a, i == 0 ? in : out, out, i == 0 ? stride : 1, size));
                if (i == 0) size = Arch.outSize(size, 3, stride, 1);
            }
        }

        Block first() {
            return (Block) layer.get(0);
        }

        @Override
        public Tensor forward(Tensor x) {
            try (var s = traced()) {
                return layer.forward(x);
            }
        }
    }

    private final Conv2d conv1;
    private final Group block1, block2, block3;
    private final BatchNorm2d bn1;
    private final Linear fc;

    public WideResNet(int depth, int widen, int numClasses) {
        super(numClasses);
        if (depth < 10 || (depth - 4) % 6 != 0) throw new IllegalArgumentException("[wrn] depth must be 6n+4 (10, 16, 22, 28, 40, ...), got " + depth);
        if (widen < 1) throw new IllegalArgumentException("[wrn] widen factor must be >= 1, got " + widen);
        int n = (depth - 4) / 6;
        int[] ch = {16, 16 * widen, 32 * widen, 64 * widen};
        Arch a = new Arch();
        conv1 = register("conv1", a.conv(3, ch[0], 3, 1, 1, 32));
        block1 = register("block1", new Group(a, n, ch[0], ch[1], 1, 32));
        block2 = register("block2", new Group(a, n, ch[1], ch[2], 2, 32));
        block3 = register("block3", new Group(a, n, ch[2], ch[3], 2, 16));
        bn1 = register("bn1", new BatchNorm2d(ch[3]));
        fc = register("fc", a.linear(ch[3], numClasses, Arch.LinearInit.ZERO_BIAS));
        built(a);
    }

    @Override
    public Output forwardFeatures(Tensor x, boolean preact) {
        Tensor f0 = conv1.forward(x); // [N, 16, 32, 32]
        Tensor f1 = block1.forward(f0);
        Tensor f2 = block2.forward(f1); // [N, 32k, 16, 16]
        Tensor f3 = block3.forward(f2); // [N, 64k, 8, 8]
        Tensor pooled = F.avgPool2d(bn1.forwardRelu(f3), 8, 8, 0).flatten(1);
        Tensor logits = fc.forward(pooled);
        if (preact) return new Output(List.of(f0, block2.first().bn1.forward(f1), block3.first().bn1.forward(f2), bn1.forward(f3), pooled), logits);
        return new Output(List.of(f0, f1, f2, f3, pooled), logits);
    }
}
