package kr.engine.backend;

/** Comparisons; the result holds 1 where true and 0 where false, in the inputs' dtype. */
public enum CompareOp {
    EQ, NE, LT, LE, GT, GE;

    public boolean test(double a, double b) {
        switch (this) {
            case EQ: return a == b;
            case NE: return a != b;
            case LT: return a < b;
            case LE: return a <= b;
            case GT: return a > b;
            case GE: return a >= b;
            default: throw new AssertionError(this);
        }
    }

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
