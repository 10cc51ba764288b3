package kr.models;

import java.util.List;
import kr.engine.Tensor;
import kr.nn.Module;

/**
 * An image classifier that also exposes its intermediate features, as RepDistiller's models do with
 * {@code forward(x, is_feat=True, preact=...)}: the stem output, each stage's output and the pooled
 * embedding, then the logits. Distillation methods (FitNets, AT, SP, RKD, CRD, ...) read them.
 */
public abstract class Classifier extends Module {
    /** Features (post-activation, or pre-activation where {@code preact}) and logits of one pass. */
    public record Output(List<Tensor> features, Tensor logits) {}

    public abstract Output forwardFeatures(Tensor x, boolean preact);

    @Override
    public Tensor forward(Tensor x) {
        return forwardFeatures(x, false).logits();
    }

    public abstract int numClasses();

    /**
     * Multiply-accumulates of the convolutions and linear layers for one image at the input size
     * the network was designed for (32x32 for the CIFAR zoo), or -1 when a model does not know.
     */
    public long macs() {
        return -1;
    }
}
