package kr.nn;

import kr.engine.Tensor;

/** Parameter-free layers as modules, for use in {@link Sequential}. */
public final class Activations {
    private Activations() {}

    public static Module relu() {
        return new Relu();
    }

    /** ReLU as a module; {@link Sequential} runs a {@link BatchNorm2d} followed by one as a single fused op. */
    public static final class Relu extends Module {
        @Override
        public Tensor forward(Tensor x) {
            try (var s = traced()) {
                return x.relu();
            }
        }

        @Override
        public String toString() {
            return "relu";
        }
    }

    public static Module flatten() {
        return new Lambda("flatten", x -> x.flatten(1));
    }

    public static Module identity() {
        return new Lambda("identity", x -> x);
    }

    public static Module maxPool2d(int kernel, int stride, int padding) {
        return new Lambda("max_pool2d", x -> F.maxPool2d(x, kernel, stride, padding));
    }

    public static Module avgPool2d(int kernel, int stride, int padding) {
        return new Lambda("avg_pool2d", x -> F.avgPool2d(x, kernel, stride, padding));
    }

    public static Module adaptiveAvgPool2d(int oh, int ow) {
        return new Lambda("adaptive_avg_pool2d", x -> F.adaptiveAvgPool2d(x, oh, ow));
    }

    /** A module wrapping a function of one tensor. */
    public static final class Lambda extends Module {
        private final String name;
        private final java.util.function.UnaryOperator<Tensor> f;

        public Lambda(String name, java.util.function.UnaryOperator<Tensor> f) {
            this.name = name;
            this.f = f;
        }

        @Override
        public Tensor forward(Tensor x) {
            try (var s = traced()) {
                return f.apply(x);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
