package kr.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.config.ConfigException;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.Init;
import org.junit.jupiter.api.Test;

/**
 * KR's control priors (untrained, shuffled, zero) and channel-aligned aggregation, on a resnet20
 * teacher with random weights standing for a trained one and a resnet8 student.
 */
class KRControlsTest {
    static Classifier teacher() {
        Classifier t = Models.create("resnet20", 10);
        AlignmentTest.randomize(t, new Rng(42));
        return t;
    }

    static Classifier student() {
        return Init.withSeed(3, () -> Models.create("resnet8", 10));
    }

    static KR kr(Classifier student, Classifier teacher, KR.PriorSource p, boolean align, long seed) {
        return KR.build(student, teacher, KR.Options.defaults().withPrior(p, align, seed), sd -> Init.withSeed(sd, () -> Models.create("resnet20", 10)));
    }

    static double[] values(KR kr, int i) {
        return kr.priors().get(i).prior().toDoubleArray();
    }

    @Test
    void untrainedPriorDiffersFromTheTeachersAndIsDeterminedByTheRunSeed() {
        Classifier t = teacher(), s = student();
        KR teacherPrior = kr(s, t, KR.PriorSource.TEACHER, false, 5);
        Init.manualSeed(9);
        KR a = kr(s, t, KR.PriorSource.UNTRAINED, false, 5);
        Tensor drawnAfter = Models.create("resnet8", 10).namedParameters().get("conv1.weight");
        Init.manualSeed(9);
        assertArrayEquals(Models.create("resnet8", 10).namedParameters().get("conv1.weight").toDoubleArray(), drawnAfter.toDoubleArray(), 0,
                "building the untrained teacher shifted the global initialisation draws");
        KR b = kr(s, t, KR.PriorSource.UNTRAINED, false, 5), c = kr(s, t, KR.PriorSource.UNTRAINED, false, 6);
        // the same pooling of a fresh teacher built from the derived seed
        Classifier fresh = Init.withSeed(KR.derivedSeed(5, KR.UNTRAINED_SALT), () -> Models.create("resnet20", 10));
        KR direct = kr(s, fresh, KR.PriorSource.TEACHER, false, 0);
        assertEquals(teacherPrior.priors().size(), a.priors().size());
        for (int i = 0; i < a.priors().size(); i++) {
            String n = a.priors().get(i).name();
            assertArrayEquals(values(a, i), values(b, i), 0, n + ": same run seed, different untrained prior");
            assertArrayEquals(values(direct, i), values(a, i), 0, n + ": not the pooled weights of a fresh resnet20");
            assertFalse(Arrays.equals(values(a, i), values(c, i)), n + ": another run seed gave the same untrained prior");
            assertFalse(Arrays.equals(values(a, i), values(teacherPrior, i)), n + ": the untrained prior is the teacher's");
        }
    }

    @Test
    void shuffledPriorHasTheSameValuesInAnotherOrder() {
        Classifier t = teacher(), s = student();
        KR ref = kr(s, t, KR.PriorSource.TEACHER, false, 1), a = kr(s, t, KR.PriorSource.SHUFFLED, false, 1), b = kr(s, t, KR.PriorSource.SHUFFLED, false, 1),
                c = kr(s, t, KR.PriorSource.SHUFFLED, false, 2);
        for (int i = 0; i < ref.priors().size(); i++) {
            String n = ref.priors().get(i).name();
            double[] r = values(ref, i), x = values(a, i);
            assertArrayEquals(ref.priors().get(i).prior().shape(), a.priors().get(i).prior().shape(), n);
            assertFalse(Arrays.equals(r, x), n + ": not shuffled");
            assertArrayEquals(values(b, i), x, 0, n + ": same seed, different order");
            assertFalse(Arrays.equals(values(c, i), x), n + ": another seed, same order");
            double[] rs = r.clone(), xs = x.clone();
            Arrays.sort(rs);
            Arrays.sort(xs);
            assertArrayEquals(rs, xs, 0, n + ": the multiset of values changed");
            assertEquals(ref.priors().get(i).threshold(), a.priors().get(i).threshold(), 0, n + ": the mask keeps another count");
        }
    }

    @Test
    void zeroPriorsGradientIsTheTeacherMaskedWeightDecay() {
        Classifier t = teacher(), s = student();
        double beta = 0.01;
        KR.Options o = new KR.Options(beta, KR.BetaSchedule.CONSTANT, 0.5, Double.NaN, Aggregation.FilterPool.MEAN, Aggregation.SpatialPool.SUM, false, 1, false,
                KR.PriorSource.ZERO, false, 0);
        KR zero = KR.build(s, t, o), ref = kr(s, t, KR.PriorSource.TEACHER, false, 0);
        Tensor loss = null;
        for (Tensor p : s.parameters()) {
            Tensor z = p.mul(0).sum();
            loss = loss == null ? z : loss.add(z);
        }
        loss.backward(); // every gradient zero
        double penalty = zero.penalize(0), expectedPenalty = 0;
        int kept = 0, total = 0;
        for (int i = 0; i < ref.priors().size(); i++) {
            KR.Prior r = ref.priors().get(i), z = zero.priors().get(i);
            assertEquals(r.name(), z.name());
            double[] a = r.prior().toDoubleArray(), w = r.param().toDoubleArray(), g = z.param().grad().toDoubleArray(), expected = new double[w.length];
            for (int j = 0; j < w.length; j++) {
                boolean m = Math.abs(a[j]) >= r.threshold();
                expected[j] = m ? beta * w[j] : 0;
                expectedPenalty += m ? beta / 2 * w[j] * w[j] : 0;
                kept += m ? 1 : 0;
                total++;
            }
            assertArrayEquals(expected, g, 1e-7, z.name() + ": gradient is not beta * M * W with the teacher prior's mask");
            assertTrue(Arrays.stream(z.prior().toDoubleArray()).allMatch(v -> v == 0), z.name());
        }
        assertTrue(kept > 0 && kept < total, "the mask keeps " + kept + " of " + total);
        assertEquals(expectedPenalty, penalty, 1e-6 * expectedPenalty);
    }

    @Test
    void alignedAggregationOfPermutedCopiesGivesTheBlockBack() {
        Classifier t = teacher(), s = student();
        // layer1's blocks 1 and 2 become hidden-channel permutations of block 0: aligned, the three are one block
        Map<String, Tensor> st = new LinkedHashMap<>(t.stateDict());
        for (int b = 1; b <= 2; b++) {
            for (String k : t.stateDict().keySet())
                if (k.startsWith("layer1.0.")) st.put("layer1." + b + "." + k.substring(9), st.get(k));
            st = Alignment.permute(st, "layer1." + b + ".", new int[][] {AlignmentTest.randomPerm(16, new Rng(b))});
        }
        t.loadStateDict(st, true);
        KR plain = kr(s, t, KR.PriorSource.TEACHER, false, 0), aligned = kr(s, t, KR.PriorSource.TEACHER, true, 0);
        Map<String, Tensor> tp = t.stateDict();
        for (String role : List.of("conv1", "conv2")) {
            String n = "layer1.0." + role + ".weight";
            assertArrayEquals(tp.get(n).toDoubleArray(), prior(aligned, n), 1e-6, n + ": aligned mean of permuted copies is not the block");
            assertFalse(Arrays.equals(tp.get(n).toDoubleArray(), prior(plain, n)), n + ": without alignment the mean should mix channels");
        }
        // the first block of a stage keeps its own conv1 (it reads the previous stage's channels); conv2 averages all three
        assertArrayEquals(tp.get("layer2.0.conv1.weight").toDoubleArray(), prior(aligned, "layer2.0.conv1.weight"), 1e-7);
        Map<?, ?> report = aligned.alignment();
        assertTrue(report != null && plain.alignment() == null);
        boolean seen = false;
        for (Object o : (List<?>) report.get("layers")) {
            Map<?, ?> l = (Map<?, ?>) o;
            if (!l.get("student").equals("layer1.0.conv2.weight")) continue;
            seen = true;
            for (Object c : (List<?>) l.get("cos_after")) assertEquals(1.0, (Double) c, 1e-6);
            for (Object c : (List<?>) l.get("cos_before")) assertTrue((Double) c < 0.9, "before alignment: " + c);
            assertEquals(List.of("layer2.0.conv1.weight"), findLayer(report, "layer2.0.conv1.weight").get("teachers_after"));
        }
        assertTrue(seen, report.toString());
        assertTrue(aligned.alignmentSummary().contains("layer1.0.conv2.weight"), aligned.alignmentSummary());
    }

    static Map<?, ?> findLayer(Map<?, ?> report, String student) {
        for (Object o : (List<?>) report.get("layers")) if (((Map<?, ?>) o).get("student").equals(student)) return (Map<?, ?>) o;
        throw new AssertionError("no layer " + student + " in " + report);
    }

    static double[] prior(KR kr, String name) {
        for (KR.Prior p : kr.priors()) if (p.name().equals(name)) return p.prior().toDoubleArray();
        throw new AssertionError("no prior for " + name);
    }

    @Test
    void settingsReachTheOptionsAndBadCombinationsAreRejected() {
        DistillConfig c = DistillConfig.from(Map.of("teacher", "t", "teacher_model", "resnet20", "method", "kr", "kr_prior", "untrained", "kr_align", true));
        KR.Options o = c.validate().krOptions(5, 7);
        assertEquals(KR.PriorSource.UNTRAINED, o.prior());
        assertTrue(o.align());
        assertEquals(7, o.seed());
        assertEquals("teacher", new DistillConfig().krPrior, "the default is KR itself");
        assertThrows(ConfigException.class, () -> DistillConfig.from(Map.of("kr_prior", "random")).validate());
        ConfigException e = assertThrows(ConfigException.class,
                () -> DistillConfig.from(Map.of("teacher", "t", "teacher_model", "m", "kr_prior", "zero", "kr_init", true)).validate());
        assertTrue(e.getMessage().startsWith("[distill]"), e.getMessage());
        assertThrows(ConfigException.class, () -> DistillConfig.from(Map.of("teacher", "t", "teacher_model", "m", "kr_align", true, "kr_blocks", "first")).validate());
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class,
                () -> KR.build(student(), teacher(), KR.Options.defaults().withPrior(KR.PriorSource.UNTRAINED, false, 0)));
        assertTrue(u.getMessage().startsWith("[kr]"), u.getMessage());
    }
}
