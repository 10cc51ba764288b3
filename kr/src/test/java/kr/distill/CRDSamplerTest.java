package kr.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import kr.engine.Rng;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** CRD's negatives: RepDistiller's exact mode (other-class, without replacement) by default, the uniform draw as an option. */
class CRDSamplerTest {
    /** A labelled toy set: n samples of {@code classes} classes in uneven, shuffled proportions. */
    static int[] labels(int n, int classes, long seed) {
        Rng rng = new Rng(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i < classes ? i : rng.nextInt(classes) == 0 ? 0 : rng.nextInt(classes);
        return y;
    }

    static CRD crd(int k, CRD.Sampler s, int[] labels, long seed) {
        CRD c = new CRD(8, k, 0.07, 0.5, seed, s, labels);
        c.init(4, 4, labels.length);
        return c;
    }

    static int[] batch(int n, int b, Rng rng) {
        int[] y = new int[b];
        for (int i = 0; i < b; i++) y[i] = rng.nextInt(n);
        return y;
    }

    @Property(tries = 200)
    void exactNegativesAreOtherClassAndDistinct(@ForAll @IntRange(min = 2, max = 6) int classes, @ForAll @IntRange(min = 20, max = 120) int n,
            @ForAll @IntRange(min = 1, max = 16) int b, @ForAll long seed) {
        int[] y = labels(n, classes, seed);
        int minOther = Integer.MAX_VALUE;
        for (int c = 0; c < classes; c++) {
            int own = 0;
            for (int v : y) own += v == c ? 1 : 0;
            minOther = Math.min(minOther, n - own);
        }
        int k = 1 + new Rng(seed + 1).nextInt(minOther); // K <= every class's count of others: no replacement needed
        CRD crd = crd(k, CRD.Sampler.EXACT, y, seed);
        Rng rng = new Rng(seed + 2);
        for (int step = 0; step < 3; step++) { // several batches: each row's shuffle must leave the scratch state clean
            int[] idx = batch(n, b, rng), rows = crd.sample(idx);
            assertEquals(b * (k + 1), rows.length);
            for (int i = 0; i < b; i++) {
                assertEquals(idx[i], rows[i * (k + 1)], "the positive comes first");
                Set<Integer> seen = new HashSet<>();
                for (int j = 1; j <= k; j++) {
                    int neg = rows[i * (k + 1) + j];
                    assertTrue(neg >= 0 && neg < n, "index " + neg);
                    assertNotEquals(y[idx[i]], y[neg], "row " + i + ": negative " + neg + " has the anchor's class " + y[neg]);
                    assertTrue(seen.add(neg), "row " + i + ": negative " + neg + " drawn twice");
                }
            }
        }
    }

    @Test
    void exactDrawsEveryOtherClassSampleAboutEquallyOften() {
        int n = 60, k = 10, rows = 6000;
        int[] y = labels(n, 3, 4);
        CRD crd = crd(k, CRD.Sampler.EXACT, y, 0);
        int[] count = new int[n];
        int anchor = 0; // label y[0] == 0
        for (int r = 0; r < rows / 50; r++) {
            int[] idx = new int[50];
            java.util.Arrays.fill(idx, anchor);
            idx[49] = r % n; // a different batch each time (the generator is seeded by the batch's indices)
            idx[48] = r / n;
            int[] s = crd.sample(idx);
            for (int i = 0; i < 48; i++)
                for (int j = 1; j <= k; j++) count[s[i * (k + 1) + j]]++;
        }
        int others = 0;
        for (int v : y) others += v != y[anchor] ? 1 : 0;
        double expected = (rows / 50) * 48.0 * k / others;
        for (int i = 0; i < n; i++) {
            if (y[i] == y[anchor]) assertEquals(0, count[i], "same-class sample " + i + " drawn");
            else assertTrue(Math.abs(count[i] - expected) < 6 * Math.sqrt(expected), "sample " + i + " drawn " + count[i] + " times, expected ~" + expected);
        }
    }

    @Test
    void exactFallsBackToReplacementWhenKExceedsTheOtherClassSamples() {
        int[] y = {0, 0, 0, 1, 1, 2};
        CRD crd = crd(20, CRD.Sampler.EXACT, y, 3);
        int[] s = crd.sample(new int[] {0, 5});
        for (int j = 1; j <= 20; j++) assertTrue(y[s[j]] != 0, "row 0");
        for (int j = 1; j <= 20; j++) assertTrue(y[s[21 + j]] != 2, "row 1");
    }

    @Test
    void uniformIsTheFormerDrawAnySampleWithReplacement() {
        int[] y = labels(50, 5, 1);
        int k = 30;
        CRD crd = crd(k, CRD.Sampler.UNIFORM, y, 9);
        int[] idx = {3, 7, 7, 40};
        int[] s = crd.sample(idx);
        Rng rng = new Rng(9 * 31 + java.util.Arrays.hashCode(idx));
        int[] expected = new int[idx.length * (k + 1)];
        for (int i = 0; i < idx.length; i++) {
            expected[i * (k + 1)] = idx[i];
            for (int j = 1; j <= k; j++) expected[i * (k + 1) + j] = rng.nextInt(50);
        }
        assertArrayEquals(expected, s);
        // the uniform constructor without labels keeps working (the PyTorch golden uses it)
        CRD old = new CRD(8, k, 0.07, 0.5, 9);
        old.init(4, 4, 50);
        assertArrayEquals(expected, old.sample(idx));
    }

    @Test
    void exactNeedsLabelsForEverySample() {
        assertThrows(IllegalArgumentException.class, () -> new CRD(8, 4, 0.07, 0.5, 0, CRD.Sampler.EXACT, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CRD(8, 4, 0.07, 0.5, 0, CRD.Sampler.EXACT, new int[3]).init(4, 4, 5));
        assertTrue(e.getMessage().startsWith("[crd]"), e.getMessage());
        assertEquals("exact", new DistillConfig().crdSampler, "RepDistiller's mode is the default");
    }
}
