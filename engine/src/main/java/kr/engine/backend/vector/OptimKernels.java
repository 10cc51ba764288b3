package kr.engine.backend.vector;

import static kr.engine.backend.vector.Vec.GRAIN;
import static kr.engine.backend.vector.Vec.L;
import static kr.engine.backend.vector.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import kr.engine.Tensor;

/**
 * In-place optimizer updates in float32 (PyTorch semantics, see {@link kr.engine.backend.Backend#sgdStep}
 * and {@link kr.engine.backend.Backend#adamStep}). Parameters and state are contiguous; the
 * gradient may be any view. Options that change the formula are applied with constant masks rather
 * than branches inside the vector loop.
 */
final class OptimKernels {
    private OptimKernels() {}

    static void sgdStep(Tensor p, Tensor g, Tensor buf, double lr, double momentum, double dampening, double wd, boolean nesterov,
            boolean first) {
        Tensor gd = Vec.dense(g);
        float[] pa = Vec.floats(p), ga = Vec.floats(gd), ba = buf == null ? null : Vec.floats(buf);
        int po = p.offset(), go = gd.offset(), bo = buf == null ? 0 : buf.offset();
        float lrf = (float) lr, mom = (float) momentum, keep = (float) (1 - dampening), wdf = (float) wd;
        VectorMask<Float> firstM = S.maskAll(first), nestM = S.maskAll(nesterov);
        Parallel.forRange(p.numel(), GRAIN, (c, lo, hi) -> {
            int i = lo, ub = lo + S.loopBound(hi - lo);
            if (momentum == 0) {
                for (; i < ub; i += L) {
                    FloatVector pv = FloatVector.fromArray(S, pa, po + i);
                    FloatVector d = FloatVector.fromArray(S, ga, go + i).add(pv.mul(wdf));
                    pv.sub(d.mul(lrf)).intoArray(pa, po + i);
                }
                for (; i < hi; i++) pa[po + i] -= lrf * (ga[go + i] + wdf * pa[po + i]);
                return;
            }
            for (; i < ub; i += L) {
                FloatVector pv = FloatVector.fromArray(S, pa, po + i);
                FloatVector d = FloatVector.fromArray(S, ga, go + i).add(pv.mul(wdf));
                // buf = first ? d : momentum * buf + (1 - dampening) * d (the old buffer is ignored on the first step)
                FloatVector b = FloatVector.fromArray(S, ba, bo + i).mul(mom).add(d.mul(keep)).blend(d, firstM);
                b.intoArray(ba, bo + i);
                FloatVector step = b.blend(d.add(b.mul(mom)), nestM);
                pv.sub(step.mul(lrf)).intoArray(pa, po + i);
            }
            for (; i < hi; i++) {
                float pv = pa[po + i], d = ga[go + i] + wdf * pv;
                float b = first ? d : mom * ba[bo + i] + keep * d;
                ba[bo + i] = b;
                pa[po + i] = pv - lrf * (nesterov ? d + mom * b : b);
            }
        });
    }

    static void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double b1, double b2, double eps, double wd, boolean decoupled,
            long step) {
        Tensor gd = Vec.dense(g);
        float[] pa = Vec.floats(p), ga = Vec.floats(gd), ma = Vec.floats(m), va = Vec.floats(v);
        int po = p.offset(), go = gd.offset(), mo = m.offset(), vo = v.offset();
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        // AdamW scales p by (1 - lr*wd); Adam adds wd*p to the gradient instead
        float pScale = (float) (decoupled ? 1 - lr * wd : 1), gWd = (float) (decoupled ? 0 : wd);
        float fb1 = (float) b1, fb2 = (float) b2, c1 = (float) (1 - b1), c2 = (float) (1 - b2);
        float rs = (float) (1 / Math.sqrt(bc2)), epsf = (float) eps, stepSize = (float) (lr / bc1);
        Parallel.forRange(p.numel(), GRAIN, (c, lo, hi) -> {
            int i = lo, ub = lo + S.loopBound(hi - lo);
            for (; i < ub; i += L) {
                FloatVector pv = FloatVector.fromArray(S, pa, po + i);
                FloatVector gi = FloatVector.fromArray(S, ga, go + i).add(pv.mul(gWd));
                FloatVector mi = FloatVector.fromArray(S, ma, mo + i).mul(fb1).add(gi.mul(c1));
                FloatVector vi = FloatVector.fromArray(S, va, vo + i).mul(fb2).add(gi.mul(gi).mul(c2));
                mi.intoArray(ma, mo + i);
                vi.intoArray(va, vo + i);
                FloatVector denom = vi.sqrt().mul(rs).add(epsf);
                pv.mul(pScale).sub(mi.mul(stepSize).div(denom)).intoArray(pa, po + i);
            }
            for (; i < hi; i++) {
                float pv = pa[po + i], gi = ga[go + i] + gWd * pv;
                float mi = fb1 * ma[mo + i] + c1 * gi, vi = fb2 * va[vo + i] + c2 * gi * gi;
                ma[mo + i] = mi;
                va[vo + i] = vi;
                pa[po + i] = pv * pScale - stepSize * mi / ((float) Math.sqrt(vi) * rs + epsf);
            }
        });
    }
}
