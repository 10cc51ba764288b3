package kr.engine;

import java.util.Arrays;

/** Shape arithmetic shared by every primitive: sizes, strides, broadcasting, dimension checks. */
public final class Shapes {
    private Shapes() {}

    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("[shape] " + str(shape) + " has more than 2^31-1 elements");
        return (int) n;
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    public static boolean isContiguous(int[] shape, int[] strides) {
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) continue; // the stride of a size-1 dim never matters
            if (strides[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    /** NumPy/PyTorch broadcasting: align trailing dims; each pair must be equal or contain a 1. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException("[" + op + "] shapes " + str(a) + " and " + str(b) + " cannot be broadcast");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides that read {@code shape/strides} as if expanded to {@code target} (0 on broadcast dims). */
    public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        int off = target.length - shape.length;
        for (int i = 0; i < shape.length; i++) out[i + off] = shape[i] == 1 ? 0 : strides[i];
        return out;
    }

    /** {@code dim} in [0, rank); negative counts from the end. A 0-d tensor has one dim, 0 or -1 (as in PyTorch). */
    public static int normDim(String op, int dim, int rank) {
        int r = Math.max(rank, 1);
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
            throw new IllegalArgumentException("[" + op + "] dimension " + dim + " out of range for a tensor of rank " + rank);
        return d;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    public static boolean same(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }

    /** Multi-index of flat position {@code i} in a row-major {@code shape}. */
    public static int[] unravel(int i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            int s = shape[d];
            idx[d] = s == 0 ? 0 : i % s;
            i = s == 0 ? 0 : i / s;
        }
        return idx;
    }

    public static int[] concat(int[] a, int... b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
