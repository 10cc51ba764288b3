package kr.train;

import java.util.List;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Linear;

/**
 * The small CNN of {@code kr demo}: three 3x3 conv-BN-ReLU blocks (the first two followed by 2x2
 * max pooling), global average pooling and a linear classifier. State-dict names are those of the
 * equivalent PyTorch module in {@code models/src/test/python/check_checkpoint.py}: conv1, bn1,
 * conv2, bn2, conv3, bn3, fc.
 *
 * <pre>{@code Classifier net = new DemoCnn(16, 32, 64, 10); }</pre>
 */
public final class DemoCnn extends Classifier {
    public static final String NAME = "democnn";

    private final Conv2d conv1, conv2, conv3;
    private final BatchNorm2d bn1, bn2, bn3;
    private final Linear fc;
    private final int classes;

    public DemoCnn(int c1, int c2, int c3, int classes) {
        this(3, c1, c2, c3, classes);
    }

    public DemoCnn(int inChannels, int c1, int c2, int c3, int classes) {
        this.classes = classes;
        conv1 = register("conv1", new Conv2d(inChannels, c1, 3, 1, 1, false));
        bn1 = register("bn1", new BatchNorm2d(c1));
        conv2 = register("conv2", new Conv2d(c1, c2, 3, 1, 1, false));
        bn2 = register("bn2", new BatchNorm2d(c2));
        conv3 = register("conv3", new Conv2d(c2, c3, 3, 1, 1, false));
        bn3 = register("bn3", new BatchNorm2d(c3));
        fc = register("fc", new Linear(c3, classes));
    }

    @Override
    public Output forwardFeatures(Tensor x, boolean preact) {
        Tensor p1 = bn1.forward(conv1.forward(x)), f1 = F.maxPool2d(p1.relu(), 2, 2, 0); // [N, c1, H/2, W/2]
        Tensor p2 = bn2.forward(conv2.forward(f1)), f2 = F.maxPool2d(p2.relu(), 2, 2, 0); // [N, c2, H/4, W/4]
        Tensor p3 = bn3.forward(conv3.forward(f2)), f3 = p3.relu(); // [N, c3, H/4, W/4]
        Tensor pooled = F.adaptiveAvgPool2d(f3, 1, 1).flatten(1); // [N, c3]
        return new Output(List.of(preact ? p1 : f1, preact ? p2 : f2, preact ? p3 : f3, pooled), fc.forward(pooled));
    }

    @Override
    public int numClasses() {
        return classes;
    }
}
