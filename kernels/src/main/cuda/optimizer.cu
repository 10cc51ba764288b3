// optimizer.cu: SGD (momentum, dampening, Nesterov, L2 weight decay) and Adam/AdamW updates in
// place, one pass over p, g and the optimizer state, with PyTorch's semantics (see Backend.sgdStep
// and Backend.adamStep). The arithmetic is done in double and rounded once per stored value, as the
// float64 reference does: these kernels are memory-bound (4-5 floats moved per element), so the
// double math is free on Hopper. g may be any strided view; p and the state are dense.
#include "kr_common.cuh"

extern "C" __global__ void sgd_step_f32(float* p, float* buf, const float* g, Layout lg, int n, double lr, double momentum,
        double dampening, double wd, int nesterov, int first) {
    KR_FOR(i, n) kr_sgd_update(p, buf, i, (double) g[kr_at(lg, i)], lr, momentum, dampening, wd, nesterov, first);
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

// Multi-tensor SGD: every parameter of a model in one launch (instead of one per parameter).
// ptrs holds 2 addresses per parameter (p, and its momentum buffer or 0 without momentum); meta
// holds 3 ints per parameter (element count, first-step flag, offset of its gradient in the flat
// gradient buffer g); chunks holds (parameter, start element) pairs, one per block, each block
// updating elements [start, start + chunk) of its parameter. The learning rate is read from device
// memory (lr[0]), so a CUDA graph that captured this launch follows the schedule when the host
// rewrites lr between replays. Dense p, buf and g.
extern "C" __global__ void sgd_multi_f32(float* const* ptrs, const int* meta, const int* chunks, const float* g, int chunk, const double* lr,
        double momentum, double dampening, double wd, int nesterov) {
    int t = chunks[2 * blockIdx.x], start = chunks[2 * blockIdx.x + 1];
    float* p = ptrs[2 * t];
    float* buf = ptrs[2 * t + 1];
    int end = min(meta[3 * t], start + chunk), first = meta[3 * t + 1];
    const float* gt = g + meta[3 * t + 2];
    double rate = lr[0];
    for (int i = start + (int) threadIdx.x; i < end; i += blockDim.x)
        kr_sgd_update(p, buf, i, (double) gt[i], rate, momentum, dampening, wd, nesterov, first);
}
