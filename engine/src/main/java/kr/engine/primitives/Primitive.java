package kr.engine.primitives;

import kr.engine.Tensor;

/**
 * The closed set of operations autograd knows. Each primitive is one class holding its shape checks
 * and forward ({@code apply}, which validates, calls the backend kernel and records the node) and,
 * right below, its vector-Jacobian product. Everything else in kr (layers, losses, distillation
 * methods) is composed of these and has no backward of its own.
 *
 * <p>A vjp runs with recording off and may use any tensor operation. It returns one gradient per
 * input (null where {@code needs[i]} is false or the input is not differentiable), each with its
 * input's shape.
 */
public sealed interface Primitive
        permits Unary, Pow, Binary, Compare, Where, Reduce, ArgMax, MatMul, Conv2d, MaxPool2d, AvgPool2d, BatchNorm, LogSoftmax, Concat,
        Pad, Reshape, Permute, Expand, Slice, Copy, Cast, Transfer {

    /** The op's name as used in error messages, anomaly reports and profiles. */
    String name();

    Tensor[] vjp(Tensor gy, Tensor[] inputs, Tensor output, boolean[] needs);

    /** False for ops whose output carries no gradient (comparisons, argmax). */
    default boolean differentiable() {
        return true;
    }
}
