package kr.distill;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kr.engine.Shapes;
import kr.engine.Tensor;

/**
 * Channel alignment of residual blocks before KR averages them (weight matching of Ainsworth et al.,
 * "Git Re-Basin", ICLR 2023). A block's hidden channels (conv1's output = its BN's channels = conv2's
 * input; for a bottleneck also conv2's output = conv3's input) have no common order across blocks,
 * while the residual stream a stage's blocks read and add to does. So each block of a group is
 * permuted, on its hidden channels only, to best match the group's first block: for each hidden layer,
 * a linear assignment ({@link Assignment}) maximizes the summed inner products of the tensors that
 * carry that layer (conv rows and columns, BN weight and bias; running statistics are permuted but not
 * compared; a tensor whose shape differs between the two blocks is not compared). Several hidden
 * layers are matched by coordinate ascent, one layer at a time, from the identity, keeping a new
 * permutation only when the total inner product does not fall. A permuted block computes exactly the
 * same function.
 *
 * <p>Blocks are read from state-dict names {@code <stage>.<block>.convK.weight} (RepDistiller's
 * ResNets and WRNs); hidden layer K lies between convK and convK+1, and its BN is every 1-d tensor of
 * its width between those two weights in the state dict's order (bn1 in a ResNet block, bn2 in a
 * pre-activation WRN block).
 *
 * <pre>{@code
 * Alignment.Aligned a = Alignment.alignGroups(teacher.stateDict(), Map.of("layer1", List.of(List.of(0, 1, 2))));
 * Map<String, Tensor> aligned = a.state(); // blocks 1 and 2 of layer1 permuted to match block 0
 * }</pre>
 */
public final class Alignment {
    private static final Pattern CONV = Pattern.compile("conv(\\d+)\\.weight");

    private Alignment() {}

    /** One tensor axis that carries a hidden layer's channels; {@code compared}: part of the similarity. */
    record Axis(String role, int dim, boolean compared) {}

    /** A hidden layer of a block: its width and the axes (roles relative to the block) that carry it. */
    record Hidden(int size, List<Axis> axes) {}

    /** One block aligned to its group's reference: the summed inner products before and after, and their cosines. */
    public record BlockAlignment(String stage, int reference, int block, double before, double after, double cosBefore, double cosAfter,
            int[][] perms, int sweeps) {}

    /** The aligned state dict, what was aligned, and the blocks left as they were (with the reason). */
    public record Aligned(Map<String, Tensor> state, List<BlockAlignment> blocks, Map<String, String> skipped) {}

    static String prefix(String stage, int block) {
        return stage + "." + block + ".";
    }

    /** The hidden layers of the block at {@code prefix}; throws {@code [align]} with the reason when the block has a grouped conv. */
    static List<Hidden> hiddenLayers(Map<String, Tensor> state, String prefix) {
        List<String> keys = new ArrayList<>(state.keySet());
        Map<Integer, String> convs = new java.util.TreeMap<>();
        for (String k : keys) {
            if (!k.startsWith(prefix)) continue;
            Matcher m = CONV.matcher(k.substring(prefix.length()));
            if (m.matches() && state.get(k).dim() == 4) convs.put(Integer.parseInt(m.group(1)), k);
        }
        List<String> chain = new ArrayList<>(convs.values());
        List<Hidden> r = new ArrayList<>();
        for (int c = 0; c + 1 < chain.size(); c++) {
            String a = chain.get(c), b = chain.get(c + 1);
            int h = state.get(a).shape(0);
            if (state.get(b).shape(1) != h)
                throw new IllegalArgumentException("[align] " + b + " " + Shapes.str(state.get(b).shape()) + " does not read all " + h + " channels of "
                        + a + " (a grouped or depthwise convolution); its hidden channels cannot be permuted alone");
            List<Axis> axes = new ArrayList<>();
            axes.add(new Axis(a.substring(prefix.length()), 0, true));
            for (int i = keys.indexOf(a) + 1; i < keys.indexOf(b); i++) {
                String k = keys.get(i);
                Tensor t = state.get(k);
                if (k.startsWith(prefix) && t.dim() == 1 && t.shape(0) == h && !k.endsWith("num_batches_tracked"))
                    axes.add(new Axis(k.substring(prefix.length()), 0, !k.endsWith("running_mean") && !k.endsWith("running_var")));
            }
            axes.add(new Axis(b.substring(prefix.length()), 1, true));
            r.add(new Hidden(h, axes));
        }
        return r;
    }

    /** {@code t} with index i of axis {@code dim} taken from index {@code perm[i]}. */
    static double[] permuteAxis(double[] v, int[] shape, int dim, int[] perm) {
        int outer = 1, inner = 1, n = shape[dim];
        for (int d = 0; d < dim; d++) outer *= shape[d];
        for (int d = dim + 1; d < shape.length; d++) inner *= shape[d];
        double[] r = new double[v.length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < n; i++) System.arraycopy(v, (o * n + perm[i]) * inner, r, (o * n + i) * inner, inner);
        return r;
    }

    /** The block's tensors with hidden layer l's channels permuted by {@code perms[l]} (a new map; other tensors shared). */
    public static Map<String, Tensor> permute(Map<String, Tensor> state, String prefix, int[][] perms) {
        List<Hidden> hs = hiddenLayers(state, prefix);
        if (perms.length != hs.size())
            throw new IllegalArgumentException("[align] block " + prefix + " has " + hs.size() + " hidden layer(s), got " + perms.length + " permutation(s)");
        Map<String, double[]> values = new LinkedHashMap<>();
        for (int l = 0; l < hs.size(); l++) {
            if (perms[l].length != hs.get(l).size())
                throw new IllegalArgumentException("[align] hidden layer " + l + " of " + prefix + " has " + hs.get(l).size() + " channels, the permutation " + perms[l].length);
            for (Axis a : hs.get(l).axes()) {
                String k = prefix + a.role();
                double[] v = values.computeIfAbsent(k, x -> state.get(x).toDoubleArray());
                values.put(k, permuteAxis(v, state.get(k).shape(), a.dim(), perms[l]));
            }
        }
        Map<String, Tensor> r = new LinkedHashMap<>(state);
        values.forEach((k, v) -> r.put(k, Tensor.of(v, state.get(k).shape()).to(state.get(k).dtype())));
        return r;
    }

    /** The block's tensor {@code role}, as doubles, with every hidden axis but layer {@code skip} permuted by {@code perms}. */
    private static double[] permutedExcept(Map<String, Tensor> state, String prefix, List<Hidden> hs, int[][] perms, String role, int skip) {
        double[] v = state.get(prefix + role).toDoubleArray();
        for (int l = 0; l < hs.size(); l++) {
            if (l == skip) continue;
            for (Axis a : hs.get(l).axes()) if (a.role().equals(role)) v = permuteAxis(v, state.get(prefix + role).shape(), a.dim(), perms[l]);
        }
        return v;
    }

    /** The compared roles of the two blocks (same shape in both), each once. */
    private static List<String> compared(Map<String, Tensor> state, String pa, String pb, List<Hidden> hs) {
        List<String> r = new ArrayList<>();
        for (Hidden h : hs)
            for (Axis a : h.axes())
                if (a.compared() && !r.contains(a.role()) && Shapes.same(state.get(pa + a.role()).shape(), state.get(pb + a.role()).shape())) r.add(a.role());
        return r;
    }

    /** {sum over compared tensors of <A, perm(B)>, |A|, |B|}. */
    static double[] innerProduct(Map<String, Tensor> state, String pa, String pb, List<Hidden> hs, int[][] perms) {
        double dot = 0, na = 0, nb = 0;
        for (String role : compared(state, pa, pb, hs)) {
            double[] a = state.get(pa + role).toDoubleArray(), b = permutedExcept(state, pb, hs, perms, role, -1);
            for (int i = 0; i < a.length; i++) {
                dot += a[i] * b[i];
                na += a[i] * a[i];
                nb += b[i] * b[i];
            }
        }
        return new double[] {dot, Math.sqrt(na), Math.sqrt(nb)};
    }

    /**
     * Permutations of block {@code block}'s hidden layers that best match block {@code ref} of the same
     * stage (coordinate ascent over the layers, from the identity; at most 50 sweeps).
     */
    public static BlockAlignment align(Map<String, Tensor> state, String stage, int ref, int block) {
        String pa = prefix(stage, ref), pb = prefix(stage, block);
        List<Hidden> ha = hiddenLayers(state, pa), hb = hiddenLayers(state, pb);
        if (ha.size() != hb.size()) throw new IllegalArgumentException("[align] blocks " + pa + " and " + pb + " have different numbers of hidden layers");
        for (int l = 0; l < ha.size(); l++)
            if (ha.get(l).size() != hb.get(l).size())
                throw new IllegalArgumentException("[align] hidden layer " + l + " of " + pa + " has " + ha.get(l).size() + " channels, of " + pb + " " + hb.get(l).size());
        int[][] perms = new int[hb.size()][];
        for (int l = 0; l < perms.length; l++) perms[l] = identity(hb.get(l).size());
        double[] start = innerProduct(state, pa, pb, hb, perms);
        double best = start[0];
        List<String> roles = compared(state, pa, pb, hb);
        int sweeps = 0;
        boolean changed = perms.length > 0;
        while (changed && sweeps < 50) {
            changed = false;
            sweeps++;
            for (int l = 0; l < perms.length; l++) {
                int h = hb.get(l).size();
                double[][] s = new double[h][h];
                for (Axis ax : hb.get(l).axes()) {
                    if (!roles.contains(ax.role())) continue;
                    int[] shape = state.get(pa + ax.role()).shape();
                    double[] a = state.get(pa + ax.role()).toDoubleArray(), b = permutedExcept(state, pb, hb, perms, ax.role(), l);
                    accumulate(s, a, b, shape, ax.dim());
                }
                int[] p = Assignment.maximize(s);
                if (Arrays.equals(p, perms[l])) continue;
                int[] old = perms[l];
                perms[l] = p;
                double now = innerProduct(state, pa, pb, hb, perms)[0];
                if (now >= best) {
                    best = now;
                    changed = true;
                } else perms[l] = old; // rounding: never accept a lower total
            }
        }
        return new BlockAlignment(stage, ref, block, start[0], best, cos(start[0], start[1], start[2]), cos(best, start[1], start[2]), perms, sweeps);
    }

    private static double cos(double dot, double na, double nb) {
        return na == 0 || nb == 0 ? 0 : dot / (na * nb);
    }

    /** s[i][j] += <slice i of a, slice j of b> along axis {@code dim}. */
    private static void accumulate(double[][] s, double[] a, double[] b, int[] shape, int dim) {
        int outer = 1, inner = 1, n = shape[dim];
        for (int d = 0; d < dim; d++) outer *= shape[d];
        for (int d = dim + 1; d < shape.length; d++) inner *= shape[d];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < n; i++) {
                int ai = (o * n + i) * inner;
                for (int j = 0; j < n; j++) {
                    int bj = (o * n + j) * inner;
                    double d = 0;
                    for (int r = 0; r < inner; r++) d += a[ai + r] * b[bj + r];
                    s[i][j] += d;
                }
            }
    }

    static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    /**
     * Aligns every group of blocks: for each stage, each group's blocks after the first are permuted to
     * match the first. {@code groups} maps a stage to its groups of block numbers (what
     * {@link LayerMatch#groups} gives). Blocks that cannot be aligned are left as they are and listed.
     */
    public static Aligned alignGroups(Map<String, Tensor> state, Map<String, List<List<Integer>>> groups) {
        Map<String, Tensor> s = new LinkedHashMap<>(state);
        List<BlockAlignment> done = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        groups.forEach((stage, gs) -> {
            for (List<Integer> g : gs)
                for (int i = 1; i < g.size(); i++) {
                    try {
                        BlockAlignment a = align(s, stage, g.get(0), g.get(i));
                        s.putAll(permute(s, prefix(stage, g.get(i)), a.perms()));
                        done.add(a);
                    } catch (IllegalArgumentException e) {
                        skipped.put(prefix(stage, g.get(i)), e.getMessage());
                    }
                }
        });
        return new Aligned(s, done, skipped);
    }
}
