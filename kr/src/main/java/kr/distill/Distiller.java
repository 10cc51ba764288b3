package kr.distill;

import kr.data.Batch;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.Module;

/**
 * A distillation loss between the student's and the (frozen) teacher's outputs on one batch.
 * Trainable parts (regressors, embeddings) are sub-modules, so they are trained with the student.
 * Every loss here is a composition of primitives: its gradient comes from autograd.
 */
public abstract class Distiller extends Module {
    /** The loss term (already weighted by the method's own constants, not by the user's beta). */
    public abstract Tensor loss(Classifier.Output student, Classifier.Output teacher, Batch batch);

    /** Whether the method reads pre-activation features (RepDistiller's preact=True). */
    public boolean preact() {
        return false;
    }

    /** Builds shape-dependent parts (regressors, embeddings) from one sample pass; default: nothing. */
    public void init(Classifier.Output student, Classifier.Output teacher, int numData) {}

    /** Called once per epoch (DKD's warm-up). */
    public void setEpoch(double epoch) {}

    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("[distill] a Distiller is applied with loss(student, teacher, batch)");
    }
}
