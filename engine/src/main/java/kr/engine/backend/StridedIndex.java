package kr.engine.backend;

/**
 * Walks a shape in row-major order, tracking the storage offset of one or more strided operands.
 * The reference backend uses it for every kernel, so any view layout is handled in one place.
 */
public final class StridedIndex {
    private final int[] shape;
    private final int[][] strides;
    private final int[] idx;
    private final int[] pos;

    /** {@code strides[k]} and {@code offsets[k]} describe operand k over {@code shape}. */
    public StridedIndex(int[] shape, int[][] strides, int[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.idx = new int[shape.length];
        this.pos = offsets.clone();
    }

    /** Storage position of operand k at the current index. */
    public int pos(int k) {
        return pos[k];
    }

    /** Advances to the next index in row-major order. */
    public void next() {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                for (int k = 0; k < pos.length; k++) pos[k] += strides[k][d];
                return;
            }
            idx[d] = 0;
            for (int k = 0; k < pos.length; k++) pos[k] -= strides[k][d] * (shape[d] - 1);
        }
    }
}
