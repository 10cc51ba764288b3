package kr.data;

/**
 * Training-time augmentation of CIFAR-style images: random crop after zero padding by
 * {@code padCrop} pixels, horizontal flip with probability 1/2, and cutout of a
 * {@code cutout x cutout} square (0 disables each).
 */
public record Augment(int padCrop, boolean flip, int cutout) {
    public Augment {
        if (padCrop < 0 || cutout < 0) throw new IllegalArgumentException("[augment] padding and cutout must be >= 0, got " + padCrop + " and " + cutout);
    }

    public static final Augment NONE = new Augment(0, false, 0);
    /** The standard CIFAR recipe: 4-pixel padded random crop and horizontal flip. */
    public static final Augment CIFAR = new Augment(4, true, 0);

    public boolean any() {
        return padCrop > 0 || flip || cutout > 0;
    }
}
