package kr.distill;

import java.util.Arrays;

/**
 * The linear assignment problem, solved exactly: the permutation {@code p} maximizing
 * {@code sum_i s[i][p[i]]} of a square matrix, by the Hungarian method in its shortest augmenting
 * path form with row and column potentials (Kuhn 1955, Munkres 1957; the O(n^3) form of Jonker and
 * Volgenant 1987). Used by {@link Alignment} to match hidden channels between blocks (Git Re-Basin's
 * weight matching).
 *
 * <pre>{@code int[] p = Assignment.maximize(new double[][] {{1, 5}, {4, 2}}); // {1, 0}: 5 + 4 }</pre>
 */
public final class Assignment {
    private Assignment() {}

    /** The column assigned to each row, maximizing the total of {@code s}; {@code s} must be square and finite. */
    public static int[] maximize(double[][] s) {
        int n = s.length;
        double[][] cost = new double[n][];
        for (int i = 0; i < n; i++) {
            if (s[i].length != n) throw new IllegalArgumentException("[assignment] the matrix must be square, row " + i + " has " + s[i].length + " of " + n);
            cost[i] = new double[n];
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(s[i][j])) throw new IllegalArgumentException("[assignment] entry [" + i + ", " + j + "] is " + s[i][j]);
                cost[i][j] = -s[i][j];
            }
        }
        return minimize(cost);
    }

    /** The column assigned to each row, minimizing the total cost (1-based internally; column 0 is the virtual start). */
    static int[] minimize(double[][] a) {
        int n = a.length;
        double[] u = new double[n + 1], v = new double[n + 1], minv = new double[n + 1];
        int[] p = new int[n + 1], way = new int[n + 1]; // p[j]: row matched to column j
        boolean[] used = new boolean[n + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            Arrays.fill(used, false);
            // grow a shortest-path tree of reduced costs from row i until it reaches a free column
            do {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = Double.POSITIVE_INFINITY;
                for (int j = 1; j <= n; j++) {
                    if (used[j]) continue;
                    double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else minv[j] -= delta;
                }
                j0 = j1;
            } while (p[j0] != 0);
            // flip the matching along the augmenting path
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] r = new int[n];
        for (int j = 1; j <= n; j++) r[p[j] - 1] = j - 1;
        return r;
    }

    /** {@code sum_i s[i][p[i]]}. */
    public static double total(double[][] s, int[] p) {
        double t = 0;
        for (int i = 0; i < p.length; i++) t += s[i][p[i]];
        return t;
    }
}
