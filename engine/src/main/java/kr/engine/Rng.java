package kr.engine;

/**
 * A seeded random generator (xoshiro256**) whose whole state can be saved and restored, so a
 * resumed training run draws exactly the numbers an uninterrupted one would.
 *
 * <pre>{@code Rng r = new Rng(42); long[] s = r.state(); double a = r.nextDouble(); r.setState(s); }</pre>
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private double spare;
    private boolean hasSpare;

    public Rng(long seed) {
        long z = seed;
        s0 = splitmix(z += 0x9E3779B97F4A7C15L);
        s1 = splitmix(z += 0x9E3779B97F4A7C15L);
        s2 = splitmix(z += 0x9E3779B97F4A7C15L);
        s3 = splitmix(z + 0x9E3779B97F4A7C15L);
    }

    private static long splitmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("[rng] bound must be positive, got " + bound);
        // Lemire's multiply-shift with rejection: unbiased
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x100000000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    /** Standard normal (Marsaglia polar method). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u, v, s;
        do {
            u = nextDouble() * 2 - 1;
            v = nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spare = v * m;
        hasSpare = true;
        return u * m;
    }

    /** Fisher-Yates shuffle of {@code a} in place. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** An independent generator derived from this one's next output. */
    public Rng fork() {
        return new Rng(nextLong());
    }

    /** The full state: four words, the cached normal's bits and whether it is present. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3, Double.doubleToRawLongBits(spare), hasSpare ? 1 : 0};
    }

    public void setState(long[] st) {
        if (st.length != 6) throw new IllegalArgumentException("[rng] state must have 6 words, got " + st.length);
        s0 = st[0];
        s1 = st[1];
        s2 = st[2];
        s3 = st[3];
        spare = Double.longBitsToDouble(st[4]);
        hasSpare = st[5] != 0;
    }
}
