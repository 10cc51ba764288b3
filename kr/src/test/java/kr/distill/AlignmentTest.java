package kr.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.Module;
import kr.nn.Sequential;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Channel alignment ({@link Alignment}): permuting a block's hidden channels keeps its function, the
 * alignment never lowers the matched inner product, and it finds a hidden permutation it was given.
 */
class AlignmentTest {
    /** A residual block of 2 (basic) or 3 (bottleneck) conv-BN layers, ReLU between, a projection shortcut when in != out. */
    static final class Block extends Module {
        final List<Conv2d> convs = new ArrayList<>();
        final List<BatchNorm2d> bns = new ArrayList<>();
        final Sequential down;

        Block(int in, int out, int[] hidden) {
            int[] widths = new int[hidden.length + 2];
            widths[0] = in;
            System.arraycopy(hidden, 0, widths, 1, hidden.length);
            widths[widths.length - 1] = out;
            for (int k = 0; k + 1 < widths.length; k++) {
                int kernel = hidden.length == 2 && k != 1 ? 1 : 3; // bottleneck: 1x1, 3x3, 1x1
                convs.add(register("conv" + (k + 1), new Conv2d(widths[k], widths[k + 1], kernel, 1, kernel / 2, false)));
                bns.add(register("bn" + (k + 1), new BatchNorm2d(widths[k + 1])));
            }
            down = in == out ? null : register("downsample", new Sequential(new Conv2d(in, out, 1, 1, 0, false), new BatchNorm2d(out)));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = x;
            for (int k = 0; k < convs.size(); k++) {
                y = bns.get(k).forward(convs.get(k).forward(y));
                if (k + 1 < convs.size()) y = y.relu();
            }
            return y.add(down == null ? x : down.forward(x)).relu();
        }
    }

    /** One stage "layer1" of blocks; block 0 reads {@code in} channels, the others {@code c}. */
    static final class Net extends Module {
        final Sequential layer1 = register("layer1", new Sequential());

        Net(int blocks, int in, int c, int[] hidden) {
            for (int b = 0; b < blocks; b++) layer1.add(new Block(b == 0 ? in : c, c, hidden));
        }

        /** The output of every block. */
        List<Tensor> outputs(Tensor x) {
            List<Tensor> r = new ArrayList<>();
            try (var ng = Grad.noGrad()) {
                for (int b = 0; b < layer1.size(); b++) r.add(x = layer1.get(b).forward(x));
            }
            return r;
        }

        @Override
        public Tensor forward(Tensor x) {
            return layer1.forward(x);
        }
    }

    /** Every tensor random: conv weights He-scaled, BN scales and variances in [0.5, 1.5], shifts and means around 0. */
    static void randomize(Module m, Rng rng) {
        for (var e : m.stateDict().entrySet()) {
            Tensor t = e.getValue();
            String k = e.getKey();
            if (t.dim() == 0) continue;
            Tensor v;
            if (k.endsWith("running_var") || (t.dim() == 1 && k.endsWith("weight"))) v = Tensor.uniform(rng, 0.5, 1.5, t.shape());
            else if (t.dim() == 1) v = Tensor.randn(rng, t.shape()).mul(0.2);
            else v = Tensor.randn(rng, t.shape()).mul(Math.sqrt(2.0 / (t.numel() / t.shape(0))));
            t.setData(v.to(t.dtype()));
        }
        m.eval();
    }

    static Net net(int blocks, int in, int c, int[] hidden, long seed) {
        Net n = new Net(blocks, in, c, hidden);
        randomize(n, new Rng(seed));
        return n;
    }

    static Net load(int blocks, int in, int c, int[] hidden, Map<String, Tensor> state) {
        Net n = new Net(blocks, in, c, hidden);
        n.loadStateDict(state, true);
        n.eval();
        return n;
    }

    /** max |a - b| over the tensors, relative to max(1, max |b|). */
    static double maxRelDiff(List<Tensor> a, List<Tensor> b) {
        double num = 0, den = 1;
        for (int i = 0; i < a.size(); i++) {
            double[] x = a.get(i).toDoubleArray(), y = b.get(i).toDoubleArray();
            for (int j = 0; j < x.length; j++) {
                num = Math.max(num, Math.abs(x[j] - y[j]));
                den = Math.max(den, Math.abs(y[j]));
            }
        }
        return num / den;
    }

    static int[] randomPerm(int n, Rng rng) {
        int[] p = Alignment.identity(n);
        rng.shuffle(p);
        return p;
    }

    static int[] hidden(int h1, int h2, boolean bottleneck) {
        return bottleneck ? new int[] {h1, h2} : new int[] {h1};
    }

    @Property(tries = 200)
    void anyPermutationOfHiddenChannelsKeepsEveryBlocksOutput(@ForAll @IntRange(min = 1, max = 3) int blocks, @ForAll @IntRange(min = 1, max = 5) int in,
            @ForAll @IntRange(min = 1, max = 5) int c, @ForAll @IntRange(min = 1, max = 6) int h1, @ForAll @IntRange(min = 1, max = 6) int h2,
            @ForAll boolean bottleneck, @ForAll long seed) {
        int[] hid = hidden(h1, h2, bottleneck);
        Net a = net(blocks, in, c, hid, seed);
        Rng rng = new Rng(seed + 1);
        Map<String, Tensor> state = a.stateDict();
        boolean moved = false;
        for (int b = 0; b < blocks; b++) {
            int[][] perms = new int[hid.length][];
            for (int l = 0; l < hid.length; l++) {
                perms[l] = randomPerm(hid[l], rng);
                moved |= !java.util.Arrays.equals(perms[l], Alignment.identity(hid[l]));
            }
            state = Alignment.permute(state, Alignment.prefix("layer1", b), perms);
        }
        Net p = load(blocks, in, c, hid, state);
        Tensor x = Tensor.randn(new Rng(seed + 2), 2, in, 5, 5);
        double d = maxRelDiff(p.outputs(x), a.outputs(x));
        assertTrue(d <= 1e-5, "outputs differ by " + d + " after permuting hidden channels");
        if (moved) assertFalse(sameTensors(a.stateDict(), state), "a permutation moved channels, yet no tensor changed");
    }

    static boolean sameTensors(Map<String, Tensor> a, Map<String, Tensor> b) {
        for (String k : a.keySet()) if (!java.util.Arrays.equals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray())) return false;
        return true;
    }

    /** Sum over the parameters both blocks hold with the same shape of their inner products (independent of Alignment's bookkeeping). */
    static double innerProduct(Map<String, Tensor> s, int ref, int block) {
        String pa = Alignment.prefix("layer1", ref), pb = Alignment.prefix("layer1", block);
        double dot = 0;
        for (String k : s.keySet()) {
            if (!k.startsWith(pb) || k.endsWith("running_mean") || k.endsWith("running_var") || k.endsWith("num_batches_tracked")) continue;
            Tensor a = s.get(pa + k.substring(pb.length()));
            if (a == null || !Shapes.same(a.shape(), s.get(k).shape())) continue;
            double[] x = a.toDoubleArray(), y = s.get(k).toDoubleArray();
            for (int i = 0; i < x.length; i++) dot += x[i] * y[i];
        }
        return dot;
    }

    @Property(tries = 200)
    void alignmentKeepsEveryBlocksOutputAndNeverLowersTheMatchedInnerProduct(@ForAll @IntRange(min = 2, max = 4) int blocks,
            @ForAll @IntRange(min = 1, max = 5) int in, @ForAll @IntRange(min = 1, max = 5) int c, @ForAll @IntRange(min = 1, max = 7) int h1,
            @ForAll @IntRange(min = 1, max = 7) int h2, @ForAll boolean bottleneck, @ForAll long seed) {
        int[] hid = hidden(h1, h2, bottleneck);
        Net a = net(blocks, in, c, hid, seed);
        List<Integer> group = new ArrayList<>();
        for (int b = 0; b < blocks; b++) group.add(b);
        Alignment.Aligned al = Alignment.alignGroups(a.stateDict(), Map.of("layer1", List.of(group)));
        assertEquals(blocks - 1, al.blocks().size(), "skipped: " + al.skipped());
        Net p = load(blocks, in, c, hid, al.state());
        Tensor x = Tensor.randn(new Rng(seed + 2), 2, in, 5, 5);
        double d = maxRelDiff(p.outputs(x), a.outputs(x));
        assertTrue(d <= 1e-5, "outputs differ by " + d + " after alignment");
        for (int b = 1; b < blocks; b++) {
            double before = innerProduct(a.stateDict(), 0, b), after = innerProduct(al.state(), 0, b);
            assertTrue(after >= before - 1e-9 * (1 + Math.abs(before)), "block " + b + ": inner product " + before + " -> " + after);
        }
    }

    @Property(tries = 200)
    void alignmentUndoesAHiddenPermutationOfACopy(@ForAll @IntRange(min = 1, max = 5) int c, @ForAll @IntRange(min = 2, max = 12) int h,
            @ForAll long seed) {
        // block 1 is block 0 with its hidden channels shuffled: aligning it must give block 0 back, tensor for tensor
        Net a = net(2, c, c, new int[] {h}, seed);
        Map<String, Tensor> s = new LinkedHashMap<>(a.stateDict());
        for (String k : a.stateDict().keySet())
            if (k.startsWith("layer1.0.")) s.put("layer1.1." + k.substring("layer1.0.".length()), s.get(k));
        s = Alignment.permute(s, "layer1.1.", new int[][] {randomPerm(h, new Rng(seed + 3))});
        Alignment.Aligned al = Alignment.alignGroups(s, Map.of("layer1", List.of(List.of(0, 1))));
        for (String k : a.stateDict().keySet())
            if (k.startsWith("layer1.0.") && a.stateDict().get(k).dim() > 0)
                assertArrayEquals(al.state().get(k).toDoubleArray(), al.state().get("layer1.1." + k.substring(9)).toDoubleArray(), 0, k);
        assertEquals(1.0, al.blocks().get(0).cosAfter(), 1e-9);
    }

    /** Each stage's blocks as one group, read from the state dict's names. */
    static Map<String, List<List<Integer>>> wholeStages(Map<String, Tensor> state) {
        Map<String, java.util.TreeSet<Integer>> blocks = new TreeMap<>();
        for (String k : state.keySet()) {
            LayerMatch.Parsed p = LayerMatch.parse(k);
            if (p.stage() != null) blocks.computeIfAbsent(p.stage(), x -> new java.util.TreeSet<>()).add(p.block());
        }
        Map<String, List<List<Integer>>> r = new LinkedHashMap<>();
        blocks.forEach((stage, bs) -> r.put(stage, List.of(new ArrayList<>(bs))));
        return r;
    }

    @Test
    void zooResNetAndPreActivationWrnKeepTheirFunctionWhenAligned() {
        for (String name : List.of("resnet14", "wrn_16_1")) {
            for (long seed = 0; seed < 2; seed++) {
                Classifier a = Models.create(name, 10);
                randomize(a, new Rng(seed));
                Alignment.Aligned al = Alignment.alignGroups(a.stateDict(), wholeStages(a.stateDict()));
                assertTrue(al.skipped().isEmpty(), al.skipped().toString());
                assertEquals(3, al.blocks().size(), name);
                Classifier p = Models.create(name, 10);
                p.loadStateDict(al.state(), true);
                p.eval();
                Tensor x = Tensor.randn(new Rng(seed + 5), 1, 3, 32, 32);
                try (var ng = Grad.noGrad()) {
                    Classifier.Output oa = a.forwardFeatures(x, false), op = p.forwardFeatures(x, false);
                    List<Tensor> ta = new ArrayList<>(oa.features()), tp = new ArrayList<>(op.features());
                    ta.add(oa.logits());
                    tp.add(op.logits());
                    double d = maxRelDiff(tp, ta);
                    assertTrue(d <= 1e-5, name + ": outputs differ by " + d);
                }
                for (Alignment.BlockAlignment b : al.blocks()) assertTrue(b.after() >= b.before(), name + " " + b);
                assertFalse(sameTensors(a.stateDict(), al.state()), name + ": nothing was permuted");
            }
        }
    }

    @Test
    void aGroupedConvolutionIsReportedNotPermuted() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        for (int b = 0; b < 2; b++) {
            s.put("layer1." + b + ".conv1.weight", Tensor.zeros(4, 4, 1, 1));
            s.put("layer1." + b + ".conv2.weight", Tensor.zeros(4, 1, 3, 3)); // depthwise
        }
        Alignment.Aligned al = Alignment.alignGroups(s, Map.of("layer1", List.of(List.of(0, 1))));
        assertTrue(al.blocks().isEmpty());
        assertTrue(al.skipped().get("layer1.1.").startsWith("[align]") && al.skipped().get("layer1.1.").contains("depthwise"), al.skipped().toString());
        assertThrows(IllegalArgumentException.class, () -> Alignment.permute(s, "layer1.0.", new int[0][]));
    }
}
