package kr.engine.backend;

/** Elementwise binary kernels with broadcasting; gradients live in {@link kr.engine.primitives.Binary}. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN;

    public double apply(double a, double b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case MAX: return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MIN: return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            default: throw new AssertionError(this);
        }
    }

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
