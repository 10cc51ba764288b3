package kr.distill;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import kr.engine.Shapes;
import kr.engine.Tensor;

/**
 * Matches student conv/linear layers to teacher layers by their state-dict names, stage by stage
 * (KR's knowledge aggregation). Names are read as {@code <stage>.<block>.<role>.weight}, e.g.
 * {@code layer2.1.conv1.weight} (RepDistiller ResNets) or {@code block1.layer.0.conv2.weight} (WRN);
 * layers outside stages (stem conv, classifier) match by exact name. When a teacher stage has more
 * blocks than the student's, student block b takes the disjoint group of teacher blocks
 * {@code [floor(b*Bt/Bs), floor((b+1)*Bt/Bs))} and aggregates all of them: the remedy for residual
 * accumulation. Unmatched student layers are reported with the reason.
 */
public final class LayerMatch {
    private static final Pattern STAGE = Pattern.compile("[A-Za-z_]+\\d+");
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    /** One student layer and the teacher layers whose pooled weights form its prior. */
    public record Pair(String student, int[] studentShape, List<String> teachers) {}

    /** The matched pairs and, for each unmatched student layer, why. */
    public record Result(List<Pair> pairs, Map<String, String> unmatched) {
        public String report() {
            StringBuilder sb = new StringBuilder();
            for (Pair p : pairs) sb.append("  ").append(p.student()).append(' ').append(Shapes.str(p.studentShape())).append(" <- ")
                    .append(p.teachers()).append('\n');
            unmatched.forEach((k, v) -> sb.append("  UNMATCHED ").append(k).append(": ").append(v).append('\n'));
            return sb.toString();
        }
    }

    record Parsed(String stage, int block, String role) {}

    /** Stage, block and role of a weight name; stage is null for layers outside stages. */
    static Parsed parse(String name) {
        String[] c = name.split("\\.");
        int stageAt = -1;
        for (int i = 0; i < c.length - 1; i++) {
            if (STAGE.matcher(c[i]).matches()) {
                stageAt = i;
                break;
            }
        }
        if (stageAt < 0) return new Parsed(null, 0, name);
        int blockAt = -1;
        for (int j = stageAt + 1; j < c.length - 1; j++) {
            if (DIGITS.matcher(c[j]).matches()) {
                blockAt = j;
                break;
            }
        }
        if (blockAt < 0) return new Parsed(null, 0, name);
        String stage = String.join(".", java.util.Arrays.copyOfRange(c, 0, blockAt));
        String role = String.join(".", java.util.Arrays.copyOfRange(c, blockAt + 1, c.length));
        return new Parsed(stage, Integer.parseInt(c[blockAt]), role);
    }

    /** Weights of conv (4-d) and linear (2-d) layers, by name. */
    static Map<String, Tensor> layers(Map<String, Tensor> params) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            if (k.endsWith("weight") && (v.dim() == 4 || v.dim() == 2)) r.put(k, v);
        });
        return r;
    }

    public static Result match(Map<String, Tensor> studentParams, Map<String, Tensor> teacherParams) {
        return match(studentParams, teacherParams, false);
    }

    /** With {@code firstBlockOnly}, each student block takes only the first teacher block of its group (an ablation). */
    public static Result match(Map<String, Tensor> studentParams, Map<String, Tensor> teacherParams, boolean firstBlockOnly) {
        Map<String, Tensor> s = layers(studentParams), t = layers(teacherParams);
        Map<String, TreeSet<Integer>> sBlocks = blocks(s.keySet()), tBlocks = blocks(t.keySet());
        Map<String, Parsed> tParsed = new LinkedHashMap<>();
        t.keySet().forEach(k -> tParsed.put(k, parse(k)));
        List<Pair> pairs = new ArrayList<>();
        Map<String, String> unmatched = new LinkedHashMap<>();
        for (var e : s.entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue().shape();
            Parsed p = parse(name);
            List<String> group = new ArrayList<>();
            if (p.stage() == null) {
                if (t.containsKey(name)) group.add(name);
                else {
                    unmatched.put(name, "no teacher layer named " + name);
                    continue;
                }
            } else {
                TreeSet<Integer> tb = tBlocks.get(p.stage());
                if (tb == null) {
                    unmatched.put(name, "the teacher has no stage " + p.stage());
                    continue;
                }
                List<Integer> sList = new ArrayList<>(sBlocks.get(p.stage())), tList = new ArrayList<>(tb);
                int bs = sList.size(), bt = tList.size(), b = sList.indexOf(p.block());
                // more teacher blocks: a disjoint group each; fewer: the teacher block at the same relative depth
                int from = bt >= bs ? Aggregation.lo(b, bt, bs) : (int) ((long) b * bt / bs);
                int to = bt >= bs && !firstBlockOnly ? Aggregation.hi(b, bt, bs) : from + 1;
                for (int j = from; j < to; j++) {
                    int tBlock = tList.get(j);
                    for (var te : tParsed.entrySet()) {
                        Parsed q = te.getValue();
                        if (p.stage().equals(q.stage()) && q.block() == tBlock && p.role().equals(q.role())) group.add(te.getKey());
                    }
                }
                if (group.isEmpty()) {
                    unmatched.put(name, "no teacher layer with role '" + p.role() + "' in the matching blocks of " + p.stage());
                    continue;
                }
            }
            String bad = null;
            for (String g : group) {
                int[] ts = t.get(g).shape();
                if (ts.length != shape.length || ts[0] < shape[0] || ts[1] < shape[1])
                    bad = "teacher layer " + g + " " + Shapes.str(ts) + " cannot be pooled down to " + Shapes.str(shape);
            }
            if (bad != null) unmatched.put(name, bad);
            else pairs.add(new Pair(name, shape, group));
        }
        return new Result(pairs, unmatched);
    }

    private static Map<String, TreeSet<Integer>> blocks(Iterable<String> names) {
        Map<String, TreeSet<Integer>> m = new LinkedHashMap<>();
        for (String n : names) {
            Parsed p = parse(n);
            if (p.stage() != null) m.computeIfAbsent(p.stage(), k -> new TreeSet<>()).add(p.block());
        }
        return m;
    }
}
