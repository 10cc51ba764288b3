package kr.engine.backend;

/** Reductions over a set of dimensions; mean and variance are composed from SUM. */
public enum ReduceOp {
    SUM, MAX;

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
