package kr.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.engine.Device;
import kr.engine.Grad;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.Trace;
import kr.engine.backend.Backends;

/**
 * A layer or network: named parameters, buffers and sub-modules, a train/eval mode and a state dict
 * whose names follow PyTorch ({@code layer1.0.conv1.weight}, {@code bn1.running_mean}).
 *
 * <pre>{@code
 * class Mlp extends Module {
 *     final Linear fc1 = register("fc1", new Linear(784, 128));
 *     final Linear fc2 = register("fc2", new Linear(128, 10));
 *     public Tensor forward(Tensor x) { return fc2.forward(fc1.forward(x).relu()); }
 * }
 * }</pre>
 */
public abstract class Module {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final java.util.Set<String> optional = new java.util.HashSet<>();
    private final java.util.Set<Tensor> hostResident = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private boolean training = true;
    private Module parent; // the module this one was first registered in, for its path in traces
    private String localName;

    public abstract Tensor forward(Tensor x);

    /** Registers a trainable tensor (it is marked requiresGrad). */
    protected Tensor param(String name, Tensor t) {
        checkName(name);
        params.put(name, t.requiresGrad(true));
        return t;
    }

    /** Registers state that is saved but not trained (running statistics). */
    protected Tensor buffer(String name, Tensor t) {
        checkName(name);
        buffers.put(name, t);
        return t;
    }

    /**
     * A buffer that stays in host memory whatever {@link #to(Device)} moves: state the module updates
     * on the host in place (CRD's memory banks wrap its arrays), so checkpoints save and restore the
     * live values on every device.
     */
    protected Tensor hostBuffer(String name, Tensor t) {
        hostResident.add(t);
        return buffer(name, t);
    }

    private void collectHostResident(java.util.Set<Tensor> out) {
        out.addAll(hostResident);
        children.values().forEach(m -> m.collectHostResident(out));
    }

    /** A buffer a strict load may find missing (e.g. num_batches_tracked in old PyTorch checkpoints). */
    protected Tensor optionalBuffer(String name, Tensor t) {
        optional.add(name);
        return buffer(name, t);
    }

    private void collectOptional(String prefix, java.util.Set<String> out) {
        for (String k : optional) out.add(prefix + k);
        children.forEach((k, m) -> m.collectOptional(prefix + k + ".", out));
    }

    /** Registers a sub-module under {@code name}; returns it. */
    public <M extends Module> M register(String name, M m) {
        checkName(name);
        children.put(name, m);
        Module child = m; // private fields are not reachable through the type variable
        if (child.parent == null && child != this) {
            child.parent = this;
            child.localName = name;
        }
        return m;
    }

    /**
     * This module's dotted path from the outermost module it was registered under
     * ({@code layer1.0.conv1}, as {@link #namedModules} names it there), or null for that outermost
     * module. A module registered in several parents keeps the first one.
     */
    public String path() {
        if (parent == null) return null;
        String up = parent.path();
        return up == null ? localName : up + "." + localName;
    }

    /** Every sub-module by its dotted path, depth first in registration order (this module itself not included). */
    public Map<String, Module> namedModules() {
        Map<String, Module> r = new LinkedHashMap<>();
        collectModules("", r);
        return r;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        children.forEach((k, m) -> {
            out.put(prefix + k, m);
            m.collectModules(prefix + k + ".", out);
        });
    }

    /**
     * Opens this module's scope for a profiler's trace (kernels run inside are attributed to its
     * {@link #path}); a no-op when nothing records. Layers wrap their forward in it:
     *
     * <pre>{@code public Tensor forward(Tensor x) { try (var s = traced()) { return fc2.forward(fc1.forward(x).relu()); } } }</pre>
     */
    protected final Trace.Scope traced() {
        return Trace.recording() ? Trace.layer(path()) : Trace.layer(null);
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("[module] invalid name '" + name + "'");
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name))
            throw new IllegalArgumentException("[module] name '" + name + "' is already registered in " + getClass().getSimpleName());
    }

    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Parameters in registration order, depth first (the order optimizers and state dicts use). */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> r = new LinkedHashMap<>();
        collect("", r, true, false);
        return r;
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> r = new LinkedHashMap<>();
        collect("", r, false, true);
        return r;
    }

    /** Parameters and buffers by their dotted names. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> r = new LinkedHashMap<>();
        collect("", r, true, true);
        return r;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean p, boolean b) {
        if (p) params.forEach((k, v) -> out.put(prefix + k, v));
        if (b) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, p, b));
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    /**
     * Copies values from {@code state} into this module's tensors. With {@code strict}, missing and
     * unexpected names fail; shape mismatches always fail. The error lists every problem.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> mine = stateDict();
        java.util.Set<String> opt = new java.util.HashSet<>();
        collectOptional("", opt);
        List<String> problems = new ArrayList<>();
        for (var e : mine.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                if (strict && !opt.contains(e.getKey())) problems.add("missing " + e.getKey() + " " + Shapes.str(e.getValue().shape()));
            } else if (!Shapes.same(src.shape(), e.getValue().shape())) {
                problems.add("shape mismatch " + e.getKey() + ": checkpoint " + Shapes.str(src.shape()) + " vs model "
                        + Shapes.str(e.getValue().shape()));
            }
        }
        if (strict)
            for (String k : state.keySet()) if (!mine.containsKey(k)) problems.add("unexpected " + k + " " + Shapes.str(state.get(k).shape()));
        if (!problems.isEmpty())
            throw new IllegalArgumentException("[load_state_dict] " + getClass().getSimpleName() + ": " + String.join("; ", problems));
        try (var ng = Grad.noGrad()) {
            for (var e : mine.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src == null) continue;
                Tensor dst = e.getValue();
                Backends.of(dst.device()).copyInto(dst, src.to(dst.device()).to(dst.dtype()));
            }
        }
    }

    /** Moves every parameter and buffer but the host-resident ones to {@code device} (the tensor objects stay the same). */
    public Module to(Device device) {
        java.util.Set<Tensor> host = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        collectHostResident(host);
        for (Tensor t : stateDict().values()) {
            if (!host.contains(t) && !t.device().equals(device)) t.setData(t.detach().to(device));
        }
        return this;
    }

    public Module train() {
        return train(true);
    }

    public Module train(boolean on) {
        training = on;
        for (Module m : children.values()) m.train(on);
        return this;
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    public void zeroGrad() {
        for (Tensor t : parameters()) t.zeroGrad();
    }
}
