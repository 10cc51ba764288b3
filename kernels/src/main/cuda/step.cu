// step.cu: what keeps a whole training step on the device, so that it can be captured into a CUDA
// graph and replayed (kr.cuda.CudaStepCapture for kr.train.GraphedTrainStep): nothing here returns
// a value to the host. one_hot_f32 turns the step's static label buffer into cross-entropy targets;
// step_stats_f32 adds the loss and the top-1 count of the step to device accumulators that the host
// reads every few dozen steps. Both run as one small launch each and are deterministic (no atomics).
#include "kr_common.cuh"

// target[r, j] = on if labels[r] == j else off (label smoothing: on = 1 - eps + eps/c, off = eps/c).
extern "C" __global__ void one_hot_f32(float* target, const int* labels, int n, int c, float on, float off) {
    KR_FOR(i, n * c) {
        int r = i / c;
        target[i] = labels[r] == i - r * c ? on : off;
    }
}

// Accumulator slots (doubles), shared with CudaStepCapture.
enum { ACC_LOSS = 0, ACC_CORRECT = 1, ACC_SEEN = 2, ACC_STEPS = 3, ACC_FIRST_BAD = 4 };

// One block. acc[LOSS] += loss * n; acc[CORRECT] += rows whose label is the top-1 class by
// Evaluator.correct's rule (a larger logit, an equal one at a lower index, or a NaN beats the
// label; a NaN label logit never counts); acc[SEEN] += n; acc[STEPS] += 1; acc[FIRST_BAD] is the
// step count (since the last reset) of the first non-finite loss, 0 while there is none.
extern "C" __global__ void step_stats_f32(double* acc, const float* loss, const float* logits, const int* labels, int n, int c) {
    double ok = 0.0;
    for (int r = threadIdx.x; r < n; r += blockDim.x) {
        const float* row = logits + (long long) r * c;
        int y = labels[r];
        float t = row[y];
        if (isnan(t)) continue;
        bool beaten = false;
        for (int j = 0; j < c && !beaten; j++) {
            float v = row[j];
            beaten = v > t || (v == t && j < y) || isnan(v);
        }
        if (!beaten) ok += 1.0;
    }
    ok = kr_block_sum(ok);
    if (threadIdx.x == 0) {
        double l = (double) loss[0];
        acc[ACC_LOSS] += l * n;
        acc[ACC_CORRECT] += ok;
        acc[ACC_SEEN] += n;
        acc[ACC_STEPS] += 1.0;
        if (!isfinite(l) && acc[ACC_FIRST_BAD] == 0.0) acc[ACC_FIRST_BAD] = acc[ACC_STEPS];
    }
}
