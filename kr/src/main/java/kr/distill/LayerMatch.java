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
 * accumulation. Unmatched student layers are reported with the reason. With channel alignment
 * ({@link Alignment}, {@code --kr-align}) a group keeps only the teacher layers shaped like its first.
 *
 * <pre>{@code LayerMatch.Result m = LayerMatch.match(student.namedParameters(), teacher.namedParameters()); System.out.print(m.report()); }</pre>
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
        return match(studentParams, teacherParams, firstBlockOnly, false);
    }

    /**
     * With {@code sameShapeOnly}, a student layer's group keeps only the teacher layers of the same shape as
     * the group's first (what {@code --kr-align} uses: the first block of a stage reads the previous
     * stage's channels, so its conv1 is not averaged with the other blocks' conv1).
     */
    public static Result match(Map<String, Tensor> studentParams, Map<String, Tensor> teacherParams, boolean firstBlockOnly, boolean sameShapeOnly) {
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
                for (int j : span(sList.size(), tList.size(), sList.indexOf(p.block()), firstBlockOnly)) {
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
                if (sameShapeOnly) {
                    int[] first = t.get(group.get(0)).shape();
                    group.removeIf(g -> !Shapes.same(t.get(g).shape(), first));
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

    /**
     * Positions (in the teacher stage's block list) of student block {@code b}'s group: with more teacher
     * blocks, the disjoint group {@code [floor(b*Bt/Bs), floor((b+1)*Bt/Bs))} (or its first with
     * {@code firstOnly}); with fewer, the teacher block at the same relative depth.
     */
    static List<Integer> span(int bs, int bt, int b, boolean firstOnly) {
        int from = bt >= bs ? Aggregation.lo(b, bt, bs) : (int) ((long) b * bt / bs);
        int to = bt >= bs && !firstOnly ? Aggregation.hi(b, bt, bs) : from + 1;
        List<Integer> r = new ArrayList<>();
        for (int j = from; j < to; j++) r.add(j);
        return r;
    }

    /**
     * For each stage the student and the teacher share, the teacher block numbers each student block
     * aggregates, in student block order (what {@link #match} pools; {@link Alignment} aligns each group).
     */
    public static Map<String, List<List<Integer>>> groups(Iterable<String> studentNames, Iterable<String> teacherNames, boolean firstBlockOnly) {
        Map<String, TreeSet<Integer>> sBlocks = blocks(studentNames), tBlocks = blocks(teacherNames);
        Map<String, List<List<Integer>>> r = new LinkedHashMap<>();
        sBlocks.forEach((stage, sb) -> {
            TreeSet<Integer> tb = tBlocks.get(stage);
            if (tb == null) return;
            List<Integer> tList = new ArrayList<>(tb);
            List<List<Integer>> gs = new ArrayList<>();
            for (int b = 0; b < sb.size(); b++) {
                List<Integer> g = new ArrayList<>();
                for (int j : span(sb.size(), tList.size(), b, firstBlockOnly)) g.add(tList.get(j));
                gs.add(g);
            }
            r.put(stage, gs);
        });
        return r;
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
