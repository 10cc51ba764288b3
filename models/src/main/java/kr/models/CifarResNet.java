package kr.models;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Tensor;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Linear;
import kr.nn.Module;
import kr.nn.Sequential;

/**
 * RepDistiller's CIFAR ResNets of BasicBlocks: a 3x3 stride-1 stem with BN and ReLU, stages whose
 * first block may stride 2, a 1x1 conv + BN shortcut wherever the shape changes, global average
 * pooling and a linear classifier. Two families share it:
 * <ul>
 *   <li>{@link #cifar} (models/resnet.py: resnet8..resnet110, resnet8x4, resnet32x4): widths
 *       {@code filters[0..3]}, three stages of (depth-2)/6 blocks, shortcut named
 *       {@code downsample}, classifier {@code fc}, AvgPool2d(8);</li>
 *   <li>{@link #v2} (models/resnetv2.py: ResNet18, ResNet34): 64-wide stem, four stages 64-128-256-512,
 *       shortcut named {@code shortcut}, classifier {@code linear}, adaptive pooling to 1x1.</li>
 * </ul>
 *
 * <pre>{@code Classifier net = CifarResNet.cifar(20, new int[] {16, 16, 32, 64}, 100); // resnet20 }</pre>
 *
 * <p>Features: [stem, each stage's output, pooled]; with {@code preact} the stage outputs are taken
 * before the last block's ReLU (RepDistiller's {@code is_feat=True, preact=True}).
 */
public final class CifarResNet extends CifarNet {
    /** conv-bn-relu-conv-bn plus shortcut, then ReLU; also returns the sum before that ReLU. */
    static final class BasicBlock extends Module {
        final Conv2d conv1, conv2;
        final BatchNorm2d bn1, bn2;
        final Sequential downsample;

        BasicBlock(Arch a, int in, int out, int stride, int size, String shortcutName) {
            conv1 = register("conv1", a.conv(in, out, 3, stride, 1, size));
            bn1 = register("bn1", new BatchNorm2d(out));
            int o = Arch.outSize(size, 3, stride, 1);
            conv2 = register("conv2", a.conv(out, out, 3, 1, 1, o));
            bn2 = register("bn2", new BatchNorm2d(out));
            downsample = stride != 1 || in != out ? register(shortcutName, new Sequential(a.conv(in, out, 1, stride, 0, size), new BatchNorm2d(out)))
                    : null;
        }

        /** {post-ReLU output, pre-ReLU sum}; without {@code pre}, {output, null} through one fused bn-add-relu. */
        Tensor[] forwardBoth(Tensor x, boolean pre) {
            try (var s = traced()) {
                Tensor out = bn1.forwardRelu(conv1.forward(x));
                Tensor skip = downsample == null ? x : downsample.forward(x);
                if (!pre) return new Tensor[] {bn2.forwardAddRelu(conv2.forward(out), skip), null};
                Tensor sum = bn2.forward(conv2.forward(out)).add(skip);
                return new Tensor[] {sum.relu(), sum};
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            return forwardBoth(x, false)[0];
        }
    }

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final List<Sequential> layers = new ArrayList<>();
    private final Linear fc;
    private final boolean fixedPool8;

    /** models/resnet.py's ResNet of depth 6n+2 with widths {stem, stage1, stage2, stage3}. */
    public static CifarResNet cifar(int depth, int[] filters, int numClasses) {
        if (depth < 8 || (depth - 2) % 6 != 0) throw new IllegalArgumentException("[resnet] depth must be 6n+2 (8, 14, 20, ...), got " + depth);
        if (filters.length != 4) throw new IllegalArgumentException("[resnet] expects 4 widths (stem and 3 stages), got " + filters.length);
        int n = (depth - 2) / 6;
        return new CifarResNet(filters, new int[] {n, n, n}, "downsample", "fc", true, numClasses);
    }

    /** models/resnetv2.py's ResNet with {@code blocks[i]} BasicBlocks in stage i (ResNet18: 2, 2, 2, 2). */
    public static CifarResNet v2(int[] blocks, int numClasses) {
        if (blocks.length != 4) throw new IllegalArgumentException("[resnet] ResNet18/34-style nets have 4 stages, got " + blocks.length);
        return new CifarResNet(new int[] {64, 64, 128, 256, 512}, blocks, "shortcut", "linear", false, numClasses);
    }

    private CifarResNet(int[] widths, int[] blocks, String shortcutName, String fcName, boolean fixedPool8, int numClasses) {
        super(numClasses);
        this.fixedPool8 = fixedPool8;
        int size = 32;
        Arch a = new Arch();
        conv1 = register("conv1", a.conv(3, widths[0], 3, 1, 1, size));
        bn1 = register("bn1", new BatchNorm2d(widths[0]));
        int in = widths[0];
        for (int s = 0; s < blocks.length; s++) {
            Sequential layer = new Sequential();
            for (int b = 0; b < blocks[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                layer.add(new BasicBlock(a, in, widths[s + 1], stride, size, shortcutName));
                size = Arch.outSize(size, 3, stride, 1);
                in = widths[s + 1];
            }
            layers.add(register("layer" + (s + 1), layer));
        }
        fc = register(fcName, a.linear(in, numClasses, Arch.LinearInit.TORCH_DEFAULT));
        built(a);
    }

    @Override
    public Output forwardFeatures(Tensor x, boolean preact) {
        Tensor out = bn1.forwardRelu(conv1.forward(x)); // [N, C0, 32, 32]
        List<Tensor> feats = new ArrayList<>(List.of(out));
        for (Sequential layer : layers) {
            Tensor pre = null;
            for (int b = 0; b < layer.size(); b++) {
                Tensor[] r = ((BasicBlock) layer.get(b)).forwardBoth(out, preact && b == layer.size() - 1);
                out = r[0];
                pre = r[1];
            }
            feats.add(preact ? pre : out);
        }
        Tensor pooled = (fixedPool8 ? F.avgPool2d(out, 8, 8, 0) : F.adaptiveAvgPool2d(out, 1, 1)).flatten(1); // [N, C]
        feats.add(pooled);
        return new Output(feats, fc.forward(pooled));
    }
}
