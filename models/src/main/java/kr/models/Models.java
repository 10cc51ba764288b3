package kr.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The model zoo by RepDistiller name ("resnet20", "resnet32x4", "wrn_40_2", "vgg13", "ResNet18",
 * "MobileNetV2", ...). Architectures, state-dict names and parameter counts are those of
 * RepDistiller's PyTorch definitions, so its checkpoints map name for name.
 *
 * <pre>{@code
 * Classifier net = Models.create("resnet20", 10);
 * Models.Summary s = Models.summary("resnet32x4", 100); // 7,433,860 parameters, 1.08 GMACs
 * }</pre>
 */
public final class Models {
    private static final Map<String, IntFunction<Classifier>> REGISTRY = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        int[] cifar = {16, 16, 32, 64}, x4 = {32, 64, 128, 256};
        for (int depth : new int[] {8, 14, 20, 32, 44, 56, 110}) add("resnet" + depth, c -> CifarResNet.cifar(depth, cifar, c));
        add("resnet8x4", c -> CifarResNet.cifar(8, x4, c));
        add("resnet32x4", c -> CifarResNet.cifar(32, x4, c));
        for (int[] dw : new int[][] {{16, 1}, {16, 2}, {40, 1}, {40, 2}}) add("wrn_" + dw[0] + "_" + dw[1], c -> new WideResNet(dw[0], dw[1], c));
        for (String v : new String[] {"vgg8", "vgg11", "vgg13", "vgg16", "vgg19"}) add(v, c -> Vgg.create(v, c));
        add("ResNet18", c -> CifarResNet.v2(new int[] {2, 2, 2, 2}, c));
        add("ResNet34", c -> CifarResNet.v2(new int[] {3, 4, 6, 3}, c));
        // RepDistiller's model_dict maps "MobileNetV2" to mobile_half (expansion 6, width 0.5)
        add("MobileNetV2", c -> new MobileNetV2(6, 0.5, c));
        ALIASES.put("mobile_half", "MobileNetV2");
        add("mobile_full", c -> new MobileNetV2(6, 1.0, c));
    }

    private Models() {}

    static void add(String name, IntFunction<Classifier> factory) {
        REGISTRY.put(name, factory);
    }

    /** Registered names in zoo order (aliases such as "mobile_half" are accepted by create but not listed). */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    public static Classifier create(String name, int numClasses) {
        IntFunction<Classifier> f = REGISTRY.get(ALIASES.getOrDefault(name, name));
        if (f == null) throw new IllegalArgumentException("[models] unknown model '" + name + "'; known: " + String.join(", ", REGISTRY.keySet()));
        return f.apply(numClasses);
    }

    /** Size and cost of one model: trainable parameters and multiply-accumulates per 32x32 image. */
    public record Summary(String name, int numClasses, long params, long macs) {
        @Override
        public String toString() {
            return String.format("%-12s %6.2fM params %9.2fM MACs (%d classes)", name, params / 1e6, macs / 1e6, numClasses);
        }
    }

    /** Builds {@code name} to count its parameters; MACs are counted as the layers are built. */
    public static Summary summary(String name, int numClasses) {
        Classifier net = create(name, numClasses);
        return new Summary(name, numClasses, net.parameterCount(), net.macs());
    }
}
