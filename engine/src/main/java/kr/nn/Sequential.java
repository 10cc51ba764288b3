package kr.nn;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Tensor;

/**
 * Applies its modules in order; they are named "0", "1", ... as in PyTorch. A {@link BatchNorm2d}
 * followed by {@link Activations#relu()} runs as one fused op ({@link BatchNorm2d#forwardRelu}: same
 * values and gradients, one pass less each way).
 */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    public Sequential add(Module m) {
        register(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var s = traced()) {
            for (int i = 0; i < layers.size(); i++) {
                Module m = layers.get(i);
                if (m.getClass() == BatchNorm2d.class && i + 1 < layers.size() && layers.get(i + 1) instanceof Activations.Relu) {
                    x = ((BatchNorm2d) m).forwardRelu(x);
                    i++;
                } else {
                    x = m.forward(x);
                }
            }
            return x;
        }
    }
}
