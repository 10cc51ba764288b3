package kr.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import kr.engine.backend.Backends;
import kr.engine.primitives.Primitive;

/**
 * Define-by-run reverse mode. Primitives call {@link #record} after computing their output; {@link
 * Tensor#backward} walks the recorded graph in reverse topological order, calling each primitive's
 * vector-Jacobian product and summing the contributions a tensor receives from all its uses.
 */
public final class Autograd {
    /** Depth of backward passes running on this thread; the ops a vjp runs are not forward ops to check. */
    private static final ThreadLocal<int[]> IN_BACKWARD = ThreadLocal.withInitial(() -> new int[1]);

    private Autograd() {}

    /**
     * Attaches {@code out} to the graph as the result of {@code op} on {@code inputs} when recording
     * is on and any input requires grad; in anomaly mode also checks {@code out} for NaN/Inf.
     */
    public static Tensor record(Primitive op, Tensor out, Tensor... inputs) {
        // inside backward the vjp's own result is checked (and named) by checkBackward instead
        if (Grad.anomalyEnabled() && IN_BACKWARD.get()[0] == 0) checkForward(op.name(), out, inputs);
        if (!Grad.enabled() || !op.differentiable()) return out;
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                out.attach(new Node(op, inputs.clone()));
                return out;
            }
        }
        return out;
    }

    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        if (!Trace.recording()) {
            walk(root, seed, retainGraph, false);
            return;
        }
        try (var phase = Trace.phase("backward")) { // the seed and the walk count as backward too
            walk(root, seed, retainGraph, true);
        }
    }

    private static void walk(Tensor root, Tensor seed, boolean retainGraph, boolean tracing) {
        if (!root.requiresGrad())
            throw new IllegalStateException("[backward] tensor " + Shapes.str(root.shape())
                    + " does not require grad and has no graph; did you call requiresGrad(true) on the parameters?");
        if (seed == null) {
            if (root.numel() != 1)
                throw new IllegalArgumentException("[backward] gradient can be implicit only for a single element, got shape "
                        + Shapes.str(root.shape()) + "; pass the output gradient explicitly");
            seed = Tensor.full(1.0, root.dtype(), root.device(), root.shape());
        } else if (!Shapes.same(seed.shape(), root.shape())) {
            throw new IllegalArgumentException("[backward] gradient shape " + Shapes.str(seed.shape()) + " does not match output shape "
                    + Shapes.str(root.shape()));
        }
        List<Node> order = topoOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        List<Tensor> leaves = new ArrayList<>();
        grads.put(root, seed);
        if (root.node() == null) leaves.add(root);
        int[] depth = IN_BACKWARD.get();
        depth[0]++;
        Trace.Scope layer = null; // consecutive nodes of one layer share a scope, so the trace shows the layer once
        try (var ng = Grad.noGrad()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Node node = order.get(i);
                Tensor out = node.outputRef;
                Tensor g = grads.remove(out);
                if (g == null) continue;
                if (tracing) {
                    if (layer != null && !layer.name().equals(node.layer)) {
                        layer.close();
                        layer = null;
                    }
                    if (layer == null && node.layer != null) layer = Trace.layer(node.layer);
                    Trace.op(node.opName);
                }
                g = out.runHooks(g);
                if (out.retainsGrad()) out.accumulateGrad(g);
                Tensor[] in = node.inputs;
                boolean[] needs = new boolean[in.length];
                for (int k = 0; k < in.length; k++) needs[k] = in[k] != null && in[k].requiresGrad();
                Tensor[] gi = node.op.vjp(g, in, out, needs);
                for (int k = 0; k < in.length; k++) {
                    if (!needs[k] || gi[k] == null) continue;
                    Tensor x = in[k];
                    if (!Shapes.same(gi[k].shape(), x.shape()))
                        throw new IllegalStateException("[backward] vjp of '" + node.opName + "' returned a gradient of shape "
                                + Shapes.str(gi[k].shape()) + " for input " + k + " of shape " + Shapes.str(x.shape()));
                    if (Grad.anomalyEnabled()) checkBackward(node.opName, k, gi[k]);
                    Tensor prev = grads.get(x);
                    if (prev == null) {
                        grads.put(x, gi[k]);
                        if (x.node() == null) leaves.add(x);
                    } else {
                        grads.put(x, prev.add(gi[k]));
                    }
                }
                if (!retainGraph) {
                    node.free();
                    node.outputRef = null;
                }
            }
            if (layer != null) layer.close();
            Trace.op(null);
            for (Tensor leaf : leaves) {
                Tensor g = grads.get(leaf);
                if (g == null) continue;
                leaf.accumulateGrad(leaf.runHooks(g));
            }
        } finally {
            if (tracing) Trace.op(null);
            depth[0]--;
        }
    }

    /** Nodes reachable from root, each after all nodes it depends on (inputs first). */
    private static List<Node> topoOrder(Tensor root) {
        List<Node> order = new ArrayList<>();
        Node start = root.node();
        if (start == null) return order;
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {start, 0});
        seen.put(start, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Node n = (Node) top[0];
            if (n.freed)
                throw new IllegalStateException("[backward] trying to backward through the graph a second time: the graph of '" + n.opName
                        + "' was freed by the previous backward(); call backward(grad, true) (retainGraph) the first time");
            int k = (Integer) top[1];
            if (k < n.inputs.length) {
                top[1] = k + 1;
                Tensor in = n.inputs[k];
                Node c = in == null ? null : in.node();
                if (c != null && !seen.containsKey(c)) {
                    seen.put(c, Boolean.TRUE);
                    stack.push(new Object[] {c, 0});
                }
            } else {
                stack.pop();
                order.add(n);
            }
        }
        return order;
    }

    private static void checkForward(String op, Tensor out, Tensor[] inputs) {
        long bad = Backends.of(out.device()).firstNonFinite(out);
        if (bad < 0) return;
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (in == null) continue;
            long ib = Backends.of(in.device()).firstNonFinite(in);
            if (ib >= 0)
                throw new AnomalyException(op, "[anomaly] input " + k + " of '" + op + "' " + Shapes.str(in.shape()) + " already holds "
                        + describe(in, ib) + "; it was made outside recorded operations (data, a parameter, or before anomaly mode)");
        }
        throw new AnomalyException(op, "[anomaly] '" + op + "' produced " + describe(out, bad) + " in its output of shape "
                + Shapes.str(out.shape()) + " from finite inputs " + shapes(inputs));
    }

    private static void checkBackward(String op, int k, Tensor g) {
        long bad = Backends.of(g.device()).firstNonFinite(g);
        if (bad >= 0)
            throw new AnomalyException("backward of " + op, "[anomaly] backward of '" + op + "' produced " + describe(g, bad)
                    + " in the gradient of input " + k + " (shape " + Shapes.str(g.shape()) + ")");
    }

    private static String describe(Tensor t, long flat) {
        double v = t.toDoubleArray()[(int) flat];
        String what = Double.isNaN(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf");
        return what + " at index " + Shapes.str(Shapes.unravel((int) flat, t.shape()));
    }

    private static String shapes(Tensor[] ts) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : ts) {
            if (t == null) continue;
            if (sb.length() > 0) sb.append(", ");
            sb.append(Shapes.str(t.shape()));
        }
        return sb.toString();
    }
}
