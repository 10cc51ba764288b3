package kr.engine;

/** Element types. float32 is the working type; float64 serves references and gradient checks. */
public enum DType {
    F32(4, "float32"),
    F64(8, "float64");

    private final int bytes;
    private final String label;

    DType(int bytes, String label) {
        this.bytes = bytes;
        this.label = label;
    }

    public int bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return label;
    }
}
