package kr.engine;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import kr.engine.primitives.Primitive;

/** Test helper: which primitives a recorded graph holds (read before backward, which frees it). */
public final class GraphProbe {
    private GraphProbe() {}

    /** The classes of every primitive recorded on the way to {@code root} (none when nothing required grad). */
    public static Set<Class<? extends Primitive>> primitives(Tensor root) {
        Set<Class<? extends Primitive>> found = new LinkedHashSet<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> todo = new ArrayDeque<>();
        if (root.node() != null) todo.push(root.node());
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n) || n.freed) continue;
            found.add(n.op.getClass());
            for (Tensor t : n.inputs) if (t != null && t.node() != null) todo.push(t.node());
        }
        return found;
    }
}
