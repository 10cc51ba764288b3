package kr.distill;

import kr.data.Batch;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.nn.Activations;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Module;
import kr.nn.Sequential;

/**
 * FitNets hints (Romero et al. 2015), as RepDistiller: a regressor (RepDistiller's ConvReg: conv,
 * batch norm, ReLU) maps the student's hint-layer feature to the teacher's shape; the loss is the
 * mean squared error to the teacher feature. Default hint layer 2 (the second stage output).
 */
public final class FitNets extends Distiller {
    private final int hintLayer;
    private Module regressor;

    public FitNets(int hintLayer) {
        this.hintLayer = hintLayer;
    }

    /** RepDistiller's ConvReg for NCHW features of shapes s -> t. */
    static Module convReg(int[] s, int[] t) {
        int sc = s[1], sh = s[2], tc = t[1], th = t[2];
        Module conv;
        if (sh == 2 * th) conv = new Conv2d(sc, tc, 3, 2, 1, true);
        else if (sh * 2 == th) throw new IllegalArgumentException("[fitnets] student feature " + Shapes.str(s) + " is smaller than the teacher's "
                + Shapes.str(t) + "; transposed convolution regressors are not supported");
        else if (sh >= th) conv = new Conv2d(sc, tc, 1 + sh - th, 1, 0, true);
        else throw new IllegalArgumentException("[fitnets] cannot map student feature " + Shapes.str(s) + " to teacher " + Shapes.str(t));
        return new Sequential(conv, new BatchNorm2d(tc), Activations.relu());
    }

    @Override
    public void init(Classifier.Output s, Classifier.Output t, int numData) {
        regressor = register("regressor", convReg(s.features().get(hintLayer).shape(), t.features().get(hintLayer).shape()));
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output t, Batch batch) {
        if (regressor == null) throw new IllegalStateException("[fitnets] init() was not called before loss()");
        return F.mse(regressor.forward(s.features().get(hintLayer)), t.features().get(hintLayer));
    }
}
