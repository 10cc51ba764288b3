package kr.engine;

/** Thrown in anomaly mode when an operation produces NaN or Inf; the message names the operation. */
public final class AnomalyException extends RuntimeException {
    private final String op;

    public AnomalyException(String op, String message) {
        super(message);
        this.op = op;
    }

    /** Name of the primitive (or "backward of X") that produced the non-finite value. */
    public String op() {
        return op;
    }
}
