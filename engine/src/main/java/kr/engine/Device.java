package kr.engine;

/**
 * Where a tensor's storage lives. The CPU is one device whatever CPU backend (scalar or vector)
 * computes on it; {@code cuda(i)} names a GPU.
 *
 * <pre>{@code Tensor x = Tensor.zeros(2, 3).to(Device.cuda(0)); }</pre>
 */
public record Device(Kind kind, int index) {
    public enum Kind { CPU, CUDA }

    public static final Device CPU = new Device(Kind.CPU, 0);

    public static Device cpu() {
        return CPU;
    }

    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    /** Parses "cpu", "cuda" or "cuda:1". */
    public static Device parse(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("cpu")) return CPU;
        if (t.equals("cuda")) return cuda(0);
        if (t.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("[device] unknown device '" + s + "' (expected cpu, cuda or cuda:N)");
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}
