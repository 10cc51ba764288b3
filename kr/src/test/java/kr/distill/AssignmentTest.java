package kr.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import kr.engine.Rng;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The linear assignment solver against brute force over every permutation. */
class AssignmentTest {
    /** The best total over all permutations of {@code n} columns. */
    static double bruteForce(double[][] s) {
        int n = s.length;
        int[] p = Alignment.identity(n);
        double best = Double.NEGATIVE_INFINITY;
        do best = Math.max(best, Assignment.total(s, p));
        while (nextPermutation(p));
        return best;
    }

    static boolean nextPermutation(int[] a) {
        int i = a.length - 2;
        while (i >= 0 && a[i] >= a[i + 1]) i--;
        if (i < 0) return false;
        int j = a.length - 1;
        while (a[j] <= a[i]) j--;
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
        for (int l = i + 1, r = a.length - 1; l < r; l++, r--) {
            t = a[l];
            a[l] = a[r];
            a[r] = t;
        }
        return true;
    }

    @Property(tries = 200)
    void findsTheMaximumOfEveryPermutation(@ForAll @IntRange(min = 1, max = 7) int n, @ForAll @IntRange(min = 0, max = 2) int kind, @ForAll long seed) {
        Rng rng = new Rng(seed);
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                // gaussian, small integers (many ties), or one huge outlier among small values
                s[i][j] = kind == 0 ? rng.nextGaussian() : kind == 1 ? rng.nextInt(3) - 1 : rng.nextDouble() + (i == 0 && j == n - 1 ? 1e6 : 0);
        int[] p = Assignment.maximize(s);
        boolean[] seen = new boolean[n];
        for (int c : p) {
            assertTrue(c >= 0 && c < n && !seen[c], "not a permutation: " + java.util.Arrays.toString(p));
            seen[c] = true;
        }
        assertEquals(bruteForce(s), Assignment.total(s, p), 1e-9 * (1 + Math.abs(bruteForce(s))));
    }

    @Test
    void smallExampleAndBadInput() {
        assertArrayEquals(new int[] {1, 0}, Assignment.maximize(new double[][] {{1, 5}, {4, 2}}));
        assertArrayEquals(new int[] {2, 0, 1}, Assignment.maximize(new double[][] {{0, 0, 9}, {9, 0, 0}, {0, 9, 0}}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Assignment.maximize(new double[][] {{1, 2}, {3}}));
        assertTrue(e.getMessage().startsWith("[assignment]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Assignment.maximize(new double[][] {{Double.NaN}}));
    }
}
