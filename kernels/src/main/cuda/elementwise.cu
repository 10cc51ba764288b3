// elementwise.cu: copies, casts, fills and pointwise math over any strided/broadcast view.
// Every kernel is a grid-stride loop over the logical elements of a contiguous output (or of a
// strided destination for the in-place ones); inputs are read in place through their Layout, so a
// transposed, stepped or stride-0 broadcast operand costs index arithmetic, not a copy. These are
// memory-bound: the goal is to move each byte once. Op codes match the switch in CudaBackend.
#include "kr_common.cuh"

// ---- copies and casts: dst (any view) = src (any view, broadcast to dst's shape) ----

template <typename TD, typename TS>
__device__ __forceinline__ void copy_impl(TD* dst, const Layout& ld, const TS* src, const Layout& ls, int n) {
    KR_FOR(i, n) dst[kr_at(ld, i)] = (TD) src[kr_at(ls, i)];
}

extern "C" __global__ void copy_f32_f32(float* dst, Layout ld, const float* src, Layout ls, int n) { copy_impl(dst, ld, src, ls, n); }
extern "C" __global__ void copy_f64_f64(double* dst, Layout ld, const double* src, Layout ls, int n) { copy_impl(dst, ld, src, ls, n); }
extern "C" __global__ void copy_f64_f32(double* dst, Layout ld, const float* src, Layout ls, int n) { copy_impl(dst, ld, src, ls, n); }
extern "C" __global__ void copy_f32_f64(float* dst, Layout ld, const double* src, Layout ls, int n) { copy_impl(dst, ld, src, ls, n); }

extern "C" __global__ void fill_f32(float* dst, int n, float v) { KR_FOR(i, n) dst[i] = v; }
extern "C" __global__ void fill_f64(double* dst, int n, double v) { KR_FOR(i, n) dst[i] = v; }

// ---- unary: y (dense) = op(x) ----

enum { U_NEG, U_EXP, U_LOG, U_SQRT, U_ABS, U_RELU, U_SIGMOID, U_TANH, U_SIGN };

__device__ __forceinline__ float unary_op(int op, float x) {
    switch (op) {
        case U_NEG: return -x;
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x); // IEEE-rounded (nvcc's default -prec-sqrt=true)
        case U_ABS: return fabsf(x);
        case U_RELU: return x > 0.f ? x : 0.f; // relu(NaN) = 0 as in the reference
        case U_SIGMOID: return x >= 0.f ? 1.f / (1.f + expf(-x)) : expf(x) / (1.f + expf(x));
        case U_TANH: return tanhf(x);
        default: return x > 0.f ? 1.f : (x < 0.f ? -1.f : x); // sign keeps NaN and signed zeros
    }
}

extern "C" __global__ void unary_f32(float* y, const float* x, Layout lx, int n, int op) {
    KR_FOR(i, n) y[i] = unary_op(op, x[kr_at(lx, i)]);
}

// ReLU's gradient in one pass: x > 0 ? g : 0.
extern "C" __global__ void relu_backward_f32(float* y, const float* x, Layout lx, const float* g, Layout lg, int n) {
    KR_FOR(i, n) y[i] = x[kr_at(lx, i)] > 0.f ? g[kr_at(lg, i)] : 0.f;
}

// x^p rounded once from double (p == 2 is an exact float square, as in the reference).
extern "C" __global__ void pow_f32(float* y, const float* x, Layout lx, int n, double p) {
    KR_FOR(i, n) {
        float v = x[kr_at(lx, i)];
        y[i] = p == 2.0 ? v * v : (float) pow((double) v, p);
    }
}

// ---- binary, compare, where: operands broadcast to the output shape through their Layouts ----

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN };

__device__ __forceinline__ float binary_op(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b; // IEEE-rounded (nvcc's default -prec-div=true)
        case B_MAX: return isnan(a) || isnan(b) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
        default: return isnan(a) || isnan(b) ? __int_as_float(0x7fc00000) : fminf(a, b);
    }
}

extern "C" __global__ void binary_f32(float* y, const float* a, Layout la, const float* b, Layout lb, int n, int op) {
    KR_FOR(i, n) y[i] = binary_op(op, a[kr_at(la, i)], b[kr_at(lb, i)]);
}

enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

__device__ __forceinline__ bool compare_op(int op, float a, float b) {
    switch (op) {
        case C_EQ: return a == b;
        case C_NE: return a != b;
        case C_LT: return a < b;
        case C_LE: return a <= b;
        case C_GT: return a > b;
        default: return a >= b;
    }
}

extern "C" __global__ void compare_f32(float* y, const float* a, Layout la, const float* b, Layout lb, int n, int op) {
    KR_FOR(i, n) y[i] = compare_op(op, a[kr_at(la, i)], b[kr_at(lb, i)]) ? 1.f : 0.f;
}

extern "C" __global__ void where_f32(float* y, const float* c, Layout lc, const float* a, Layout la, const float* b, Layout lb, int n) {
    KR_FOR(i, n) y[i] = c[kr_at(lc, i)] != 0.f ? a[kr_at(la, i)] : b[kr_at(lb, i)];
}

// ---- in place (gradient accumulation, running statistics; f64 for BatchNorm's num_batches_tracked) ----

template <typename T>
__device__ __forceinline__ void add_into_impl(T* dst, const Layout& ld, const T* src, const Layout& ls, int n, T alpha) {
    KR_FOR(i, n) {
        int k = kr_at(ld, i);
        dst[k] = dst[k] + alpha * src[kr_at(ls, i)];
    }
}

template <typename T>
__device__ __forceinline__ void scale_impl(T* dst, const Layout& ld, int n, T alpha) {
    KR_FOR(i, n) {
        int k = kr_at(ld, i);
        dst[k] = dst[k] * alpha;
    }
}

extern "C" __global__ void add_into_f32(float* dst, Layout ld, const float* src, Layout ls, int n, float alpha) { add_into_impl(dst, ld, src, ls, n, alpha); }
extern "C" __global__ void add_into_f64(double* dst, Layout ld, const double* src, Layout ls, int n, double alpha) { add_into_impl(dst, ld, src, ls, n, alpha); }
extern "C" __global__ void scale_f32(float* dst, Layout ld, int n, float alpha) { scale_impl(dst, ld, n, alpha); }
extern "C" __global__ void scale_f64(double* dst, Layout ld, int n, double alpha) { scale_impl(dst, ld, n, alpha); }
