package kr.engine;

/**
 * Called with the gradient of a tensor during backward; returns the gradient to use instead, or
 * null to keep it. Hooks on a parameter see its whole gradient from one backward pass, before it is
 * added to {@code .grad()} (the KR penalty and gradient clipping are written as hooks).
 *
 * <pre>{@code weight.registerHook(g -> g.add(weight.detach().mul(1e-4))); }</pre>
 */
@FunctionalInterface
public interface GradHook {
    Tensor apply(Tensor grad);
}
