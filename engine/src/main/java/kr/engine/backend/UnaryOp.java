package kr.engine.backend;

/** Elementwise unary kernels; their gradients live in {@link kr.engine.primitives.Unary}. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, RELU, SIGMOID, TANH, SIGN;

    /** The reference definition in float64. */
    public double apply(double x) {
        switch (this) {
            case NEG: return -x;
            case EXP: return Math.exp(x);
            case LOG: return Math.log(x);
            case SQRT: return Math.sqrt(x);
            case ABS: return Math.abs(x);
            case RELU: return x > 0 ? x : 0.0;
            case SIGMOID: return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
            case TANH: return Math.tanh(x);
            case SIGN: return Math.signum(x);
            default: throw new AssertionError(this);
        }
    }

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
