// optimizer.cu: SGD (momentum, dampening, Nesterov, L2 weight decay) and Adam/AdamW updates in
// place, one pass over p, g and the optimizer state, with PyTorch's semantics (see Backend.sgdStep
// and Backend.adamStep). The arithmetic is done in double and rounded once per stored value, as the
// float64 reference does: these kernels are memory-bound (4-5 floats moved per element), so the
// double math is free on Hopper. g may be any strided view; p and the state are dense.
#include "kr_common.cuh"

extern "C" __global__ void sgd_step_f32(float* p, float* buf, const float* g, Layout lg, int n, double lr, double momentum,
        double dampening, double wd, int nesterov, int first) {
    KR_FOR(i, n) {
        double pv = (double) p[i];
        double d = (double) g[kr_at(lg, i)] + wd * pv;
        if (momentum != 0.0) {
            double b = first ? d : momentum * (double) buf[i] + (1.0 - dampening) * d;
            buf[i] = (float) b;
            d = nesterov ? d + momentum * b : b;
        }
        p[i] = (float) (pv - lr * d);
    }
}

// bc1 = 1 - beta1^step, bc2 = 1 - beta2^step, computed on the host.
extern "C" __global__ void adam_step_f32(float* p, float* m, float* v, const float* g, Layout lg, int n, double lr, double beta1,
        double beta2, double eps, double wd, int decoupled, double bc1, double bc2) {
    double sbc2 = sqrt(bc2);
    KR_FOR(i, n) {
        double pv = (double) p[i], gi = (double) g[kr_at(lg, i)];
        if (decoupled) pv -= lr * wd * pv;
        else gi += wd * pv;
        double mi = beta1 * (double) m[i] + (1.0 - beta1) * gi;
        double vi = beta2 * (double) v[i] + (1.0 - beta2) * gi * gi;
        m[i] = (float) mi;
        v[i] = (float) vi;
        p[i] = (float) (pv - lr / bc1 * mi / (sqrt(vi) / sbc2 + eps));
    }
}
