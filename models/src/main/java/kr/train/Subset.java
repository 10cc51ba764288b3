package kr.train;

import java.util.List;
import kr.data.Dataset;
import kr.engine.Rng;

/**
 * The images {@code indices} of another data set, in that order; {@link #random} draws a fixed
 * random subset for quick runs ({@code --limit-train}).
 */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int[] indices;

    public Subset(Dataset base, int[] indices) {
        for (int i : indices)
            if (i < 0 || i >= base.size()) throw new IllegalArgumentException("[subset] index " + i + " is outside [0, " + base.size() + ")");
        this.base = base;
        this.indices = indices.clone();
    }

    /** {@code n} images chosen by a seeded shuffle (all of them when {@code n >= size}). */
    public static Dataset random(Dataset base, int n, long seed) {
        if (n <= 0 || n >= base.size()) return base;
        int[] all = new int[base.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        new Rng(seed ^ 0x5EB5E7L).shuffle(all);
        int[] pick = java.util.Arrays.copyOf(all, n);
        java.util.Arrays.sort(pick); // keep the base order: subset membership is the only random choice
        return new Subset(base, pick);
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public int height() {
        return base.height();
    }

    @Override
    public int width() {
        return base.width();
    }

    @Override
    public List<String> classes() {
        return base.classes();
    }

    @Override
    public int label(int index) {
        return base.label(indices[index]);
    }

    @Override
    public void image(int index, byte[] dst, int off) {
        base.image(indices[index], dst, off);
    }
}
