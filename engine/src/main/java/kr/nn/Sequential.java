package kr.nn;

import java.util.ArrayList;
import java.util.List;
import kr.engine.Tensor;

/** Applies its modules in order; they are named "0", "1", ... as in PyTorch. */
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
            for (Module m : layers) x = m.forward(x);
            return x;
        }
    }
}
