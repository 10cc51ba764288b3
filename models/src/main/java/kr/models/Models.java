package kr.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The model zoo by RepDistiller name ("resnet20", "resnet32x4", "wrn_40_2", "vgg13", "ResNet18",
 * "MobileNetV2", ...).
 *
 * <pre>{@code Classifier net = Models.create("resnet20", 10); }</pre>
 */
public final class Models {
    private static final Map<String, IntFunction<Classifier>> REGISTRY = new LinkedHashMap<>();

    private Models() {}

    static void add(String name, IntFunction<Classifier> factory) {
        REGISTRY.put(name, factory);
    }

    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    public static Classifier create(String name, int numClasses) {
        IntFunction<Classifier> f = REGISTRY.get(name);
        if (f == null) throw new IllegalArgumentException("[models] unknown model '" + name + "'; known: " + String.join(", ", REGISTRY.keySet()));
        return f.apply(numClasses);
    }
}
