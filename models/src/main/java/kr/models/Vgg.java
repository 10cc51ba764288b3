package kr.models;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Tensor;
import kr.nn.Activations;
import kr.nn.BatchNorm2d;
import kr.nn.F;
import kr.nn.Linear;
import kr.nn.Sequential;

/**
 * RepDistiller's CIFAR VGG with batch norm (models/vgg.py, the {@code vggN_bn} its model_dict
 * names {@code vggN}): five blocks {@code block0..4} of conv3x3(bias)-BN-ReLU whose last ReLU is
 * left out (it is applied in forward, so the pre-activation is at hand), 2x2 max pooling after
 * blocks 0-2 (after block 3 only for 64x64 inputs), global average pooling and a 512-input
 * {@code classifier}.
 *
 * <pre>{@code Classifier net = Vgg.create("vgg13", 100); }</pre>
 *
 * <p>Features: [block0, block1, block2, block3, block4, pooled], after ReLU or, with
 * {@code preact}, before it (block0 is always after).
 */
public final class Vgg extends CifarNet {
    private static final int[][] VGG8 = {{64}, {128}, {256}, {512}, {512}};
    private static final int[][] VGG11 = {{64}, {128}, {256, 256}, {512, 512}, {512, 512}};
    private static final int[][] VGG13 = {{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}};
    private static final int[][] VGG16 = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
    private static final int[][] VGG19 = {{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512}, {512, 512, 512, 512}};

    private final List<Sequential> blocks = new ArrayList<>();
    private final Linear classifier;

    /** {@code name}: vgg8, vgg11, vgg13, vgg16 or vgg19. */
    public static Vgg create(String name, int numClasses) {
        int[][] cfg = switch (name) {
            case "vgg8" -> VGG8;
            case "vgg11" -> VGG11;
            case "vgg13" -> VGG13;
            case "vgg16" -> VGG16;
            case "vgg19" -> VGG19;
            default -> throw new IllegalArgumentException("[vgg] unknown configuration '" + name + "'; known: vgg8, vgg11, vgg13, vgg16, vgg19");
        };
        return new Vgg(cfg, numClasses);
    }

    /** {@code cfg[i]}: the output widths of block i's convolutions (the last block must end at 512). */
    public Vgg(int[][] cfg, int numClasses) {
        super(numClasses);
        if (cfg.length != 5 || cfg[4][cfg[4].length - 1] != 512)
            throw new IllegalArgumentException("[vgg] expects 5 blocks ending at 512 channels, got " + java.util.Arrays.deepToString(cfg));
        Arch a = new Arch();
        int in = 3, size = 32;
        for (int b = 0; b < 5; b++) {
            Sequential block = new Sequential();
            for (int i = 0; i < cfg[b].length; i++) {
                int out = cfg[b][i];
                if (i > 0) block.add(Activations.relu()); // keeps PyTorch's indices: conv 0, bn 1, relu 2, conv 3, ...
                block.add(a.conv(in, out, 3, 1, 1, 1, true, size));
                block.add(new BatchNorm2d(out));
                in = out;
            }
            blocks.add(register("block" + b, block));
            if (pooledAfter(b, 32)) size /= 2;
        }
        classifier = register("classifier", a.linear(512, numClasses, Arch.LinearInit.NORMAL_001));
        built(a);
    }

    private static boolean pooledAfter(int block, int inputSize) {
        return block < 3 || (block == 3 && inputSize == 64);
    }

    @Override
    public Output forwardFeatures(Tensor x, boolean preact) {
        int h = x.shape(2);
        List<Tensor> feats = new ArrayList<>();
        for (int b = 0; b < 5; b++) {
            Tensor pre = blocks.get(b).forward(x);
            x = pre.relu();
            feats.add(preact && b > 0 ? pre : x);
            if (pooledAfter(b, h)) x = F.maxPool2d(x, 2, 2, 0);
        }
        x = F.adaptiveAvgPool2d(x, 1, 1).flatten(1); // [N, 512]
        feats.add(x);
        return new Output(feats, classifier.forward(x));
    }
}
