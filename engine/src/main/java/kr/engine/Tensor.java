package kr.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kr.engine.backend.Backend;
import kr.engine.backend.Backends;
import kr.engine.backend.BinaryOp;
import kr.engine.backend.CompareOp;
import kr.engine.backend.ReduceOp;
import kr.engine.backend.Storage;
import kr.engine.backend.UnaryOp;
import kr.engine.primitives.ArgMax;
import kr.engine.primitives.Binary;
import kr.engine.primitives.Cast;
import kr.engine.primitives.Compare;
import kr.engine.primitives.Concat;
import kr.engine.primitives.Copy;
import kr.engine.primitives.Expand;
import kr.engine.primitives.MatMul;
import kr.engine.primitives.Pad;
import kr.engine.primitives.Permute;
import kr.engine.primitives.Pow;
import kr.engine.primitives.Reduce;
import kr.engine.primitives.Reshape;
import kr.engine.primitives.Slice;
import kr.engine.primitives.Transfer;
import kr.engine.primitives.Unary;
import kr.engine.primitives.Where;

/**
 * An N-d array of float32 (or float64) values with optional gradient tracking. A tensor is a view:
 * shape, strides and offset over a {@link Storage} that other views may share.
 *
 * <pre>{@code
 * Tensor w = Tensor.randn(new Rng(0), 3, 2).requiresGrad(true);
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * Tensor loss = x.matmul(w).relu().sum();
 * loss.backward();
 * float[] dw = w.grad().toFloatArray();
 * }</pre>
 */
public final class Tensor {
    private Storage storage;
    private int[] shape;
    private int[] strides;
    private int offset;

    private boolean requiresGrad;
    private boolean retainGrad;
    private Tensor grad;
    private Node node;
    private List<GradHook> hooks;

    private Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /** A view over {@code storage}; used by backends and view primitives. */
    public static Tensor wrap(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length) throw new IllegalArgumentException("[tensor] shape and strides differ in rank");
        return new Tensor(storage, shape.clone(), strides.clone(), offset);
    }

    /** A contiguous view over all of {@code storage}. */
    public static Tensor wrap(Storage storage, int[] shape) {
        return new Tensor(storage, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    // ------------------------------------------------------------------ creation

    public static Tensor zeros(int... shape) {
        return full(0.0, DType.F32, Device.CPU, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return full(0.0, dtype, Device.CPU, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1.0, DType.F32, Device.CPU, shape);
    }

    public static Tensor ones(DType dtype, int... shape) {
        return full(1.0, dtype, Device.CPU, shape);
    }

    public static Tensor full(double value, int... shape) {
        return full(value, DType.F32, Device.CPU, shape);
    }

    public static Tensor full(double value, DType dtype, Device device, int... shape) {
        checkShape("full", shape);
        return Backends.of(device).full(shape.clone(), dtype, value);
    }

    /** A 0-d tensor. */
    public static Tensor scalar(double value) {
        return full(value, DType.F32, Device.CPU);
    }

    public static Tensor scalar(double value, DType dtype, Device device) {
        return full(value, dtype, device);
    }

    public static Tensor zerosLike(Tensor t) {
        return full(0.0, t.dtype(), t.device(), t.shape);
    }

    public static Tensor onesLike(Tensor t) {
        return full(1.0, t.dtype(), t.device(), t.shape);
    }

    public static Tensor fullLike(Tensor t, double value) {
        return full(value, t.dtype(), t.device(), t.shape);
    }

    /** {@code [0, 1, ..., n-1]} as float32. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(start) || Double.isNaN(end) || Double.isNaN(step))
            throw new IllegalArgumentException("[arange] invalid range start=" + start + " end=" + end + " step=" + step);
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) (start + i * step);
        return of(d, n);
    }

    /** A float32 tensor holding a copy of {@code data}; {@code shape} defaults to [data.length]. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = shape.length == 0 ? new int[] {data.length} : shape.clone();
        checkShape("tensor", s);
        if (Shapes.numel(s) != data.length)
            throw new IllegalArgumentException("[tensor] " + data.length + " values do not fill shape " + Shapes.str(s));
        return Backends.of(Device.CPU).fromArray(data, s);
    }

    /** A float64 tensor holding a copy of {@code data}. */
    public static Tensor of(double[] data, int... shape) {
        int[] s = shape.length == 0 ? new int[] {data.length} : shape.clone();
        checkShape("tensor", s);
        if (Shapes.numel(s) != data.length)
            throw new IllegalArgumentException("[tensor] " + data.length + " values do not fill shape " + Shapes.str(s));
        return Backends.of(Device.CPU).fromArray(data, s);
    }

    /** Uniform in [lo, hi), float32, seeded by {@code rng}. */
    public static Tensor uniform(Rng rng, double lo, double hi, int... shape) {
        checkShape("uniform", shape);
        float[] d = new float[Shapes.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return of(d, shape);
    }

    public static Tensor rand(Rng rng, int... shape) {
        return uniform(rng, 0, 1, shape);
    }

    /** Normal(mean, std), float32, seeded by {@code rng}. */
    public static Tensor normal(Rng rng, double mean, double std, int... shape) {
        checkShape("normal", shape);
        float[] d = new float[Shapes.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) (mean + std * rng.nextGaussian());
        return of(d, shape);
    }

    public static Tensor randn(Rng rng, int... shape) {
        return normal(rng, 0, 1, shape);
    }

    private static void checkShape(String op, int[] shape) {
        for (int d : shape)
            if (d < 0) throw new IllegalArgumentException("[" + op + "] negative dimension in shape " + Shapes.str(shape));
    }

    // ------------------------------------------------------------------ metadata

    public int[] shape() {
        return shape.clone();
    }

    public int shape(int dim) {
        return shape[Shapes.normDim("shape", dim, shape.length)];
    }

    public int[] strides() {
        return strides.clone();
    }

    public int offset() {
        return offset;
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Device device() {
        return storage.device();
    }

    public Storage storage() {
        return storage;
    }

    public boolean isContiguous() {
        return Shapes.isContiguous(shape, strides);
    }

    Backend backend() {
        return Backends.of(device());
    }

    // ------------------------------------------------------------------ data out

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1)
            throw new IllegalArgumentException("[item] only a one-element tensor has an item, got shape " + Shapes.str(shape));
        return backend().toDoubleArray(this)[0];
    }

    /** A copy of the elements in row-major order. */
    public float[] toFloatArray() {
        return backend().toFloatArray(this);
    }

    public double[] toDoubleArray() {
        return backend().toDoubleArray(this);
    }

    /** The element at {@code index} (one index per dimension). */
    public double get(int... index) {
        if (index.length != shape.length)
            throw new IllegalArgumentException("[get] " + index.length + " indices for a tensor of rank " + shape.length);
        Tensor t = this;
        for (int d = index.length - 1; d >= 0; d--) {
            int i = index[d];
            if (i < 0 || i >= shape[d])
                throw new IllegalArgumentException("[get] index " + i + " out of range for dimension " + d + " of size " + shape[d]);
        }
        int off = offset;
        for (int d = 0; d < index.length; d++) off += index[d] * strides[d];
        return Tensor.wrap(storage, new int[0], new int[0], off).item();
    }

    // ------------------------------------------------------------------ autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a variable whose gradient backward computes. Returns this. */
    public Tensor requiresGrad(boolean on) {
        if (node != null && !on)
            throw new IllegalStateException("[requiresGrad] cannot turn off gradients of a non-leaf tensor; use detach()");
        requiresGrad = on || node != null;
        return this;
    }

    public boolean isLeaf() {
        return node == null;
    }

    /** The accumulated gradient, or null. */
    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && !Shapes.same(g.shape, shape))
            throw new IllegalArgumentException("[setGrad] gradient shape " + Shapes.str(g.shape) + " differs from " + Shapes.str(shape));
        grad = g;
    }

    /** Forgets the accumulated gradient (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        grad = null;
    }

    /** Keeps the gradient of this non-leaf tensor in {@link #grad()} after backward. */
    public Tensor retainGrad() {
        retainGrad = true;
        return this;
    }

    boolean retainsGrad() {
        return retainGrad;
    }

    /** Name of the primitive that produced this tensor, or null for a leaf. */
    public String gradFn() {
        return node == null ? null : node.opName;
    }

    /** A tensor sharing this one's data, cut from the graph. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    /**
     * Adds a gradient hook, run in registration order; see {@link GradHook}. Returns a handle whose
     * {@code close()} removes it.
     */
    public AutoCloseable registerHook(GradHook hook) {
        if (!requiresGrad) throw new IllegalStateException("[registerHook] tensor does not require grad");
        if (hooks == null) hooks = new ArrayList<>();
        hooks.add(hook);
        return () -> hooks.remove(hook);
    }

    /** Backpropagates from this one-element tensor, freeing the graph afterwards. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    public void backward(Tensor gradOutput) {
        Autograd.backward(this, gradOutput, false);
    }

    /** With {@code retainGraph} the graph survives for another backward. */
    public void backward(Tensor gradOutput, boolean retainGraph) {
        Autograd.backward(this, gradOutput, retainGraph);
    }

    /**
     * Replaces this leaf's data with {@code src}'s (PyTorch's {@code param.data = src}); used to move
     * parameters between devices or load weights without changing the tensor object modules hold.
     */
    public void setData(Tensor src) {
        if (node != null) throw new IllegalStateException("[setData] only leaf tensors can have their data replaced");
        storage = src.storage;
        shape = src.shape.clone();
        strides = src.strides.clone();
        offset = src.offset;
        grad = null;
    }

    Node node() {
        return node;
    }

    void attach(Node n) {
        node = n;
        n.outputRef = this;
        requiresGrad = true;
    }

    Tensor runHooks(Tensor g) {
        if (hooks == null) return g;
        for (GradHook h : List.copyOf(hooks)) {
            Tensor r = h.apply(g);
            if (r != null) {
                if (!Shapes.same(r.shape, shape))
                    throw new IllegalStateException("[hook] a gradient hook returned shape " + Shapes.str(r.shape) + " for a tensor of shape "
                            + Shapes.str(shape));
                g = r;
            }
        }
        return g;
    }

    void accumulateGrad(Tensor g) {
        if (grad == null) {
            grad = backend().copy(g); // a private buffer: g may be shared with other gradients
        } else {
            backend().addInto(grad, g, 1.0);
        }
    }

    // ------------------------------------------------------------------ elementwise

    public Tensor neg() { return Unary.apply(UnaryOp.NEG, this); }
    public Tensor exp() { return Unary.apply(UnaryOp.EXP, this); }
    public Tensor log() { return Unary.apply(UnaryOp.LOG, this); }
    public Tensor sqrt() { return Unary.apply(UnaryOp.SQRT, this); }
    public Tensor abs() { return Unary.apply(UnaryOp.ABS, this); }
    public Tensor relu() { return Unary.apply(UnaryOp.RELU, this); }
    public Tensor sigmoid() { return Unary.apply(UnaryOp.SIGMOID, this); }
    public Tensor tanh() { return Unary.apply(UnaryOp.TANH, this); }
    /** -1, 0 or 1; its gradient is zero. */
    public Tensor sign() { return Unary.apply(UnaryOp.SIGN, this); }
    public Tensor pow(double exponent) { return Pow.apply(this, exponent); }
    public Tensor square() { return mul(this); }

    public Tensor add(Tensor o) { return Binary.apply(BinaryOp.ADD, this, o); }
    public Tensor sub(Tensor o) { return Binary.apply(BinaryOp.SUB, this, o); }
    public Tensor mul(Tensor o) { return Binary.apply(BinaryOp.MUL, this, o); }
    public Tensor div(Tensor o) { return Binary.apply(BinaryOp.DIV, this, o); }
    public Tensor maximum(Tensor o) { return Binary.apply(BinaryOp.MAX, this, o); }
    public Tensor minimum(Tensor o) { return Binary.apply(BinaryOp.MIN, this, o); }

    public Tensor add(double c) { return add(like(c)); }
    public Tensor sub(double c) { return sub(like(c)); }
    public Tensor mul(double c) { return mul(like(c)); }
    public Tensor div(double c) { return div(like(c)); }
    public Tensor maximum(double c) { return maximum(like(c)); }
    public Tensor minimum(double c) { return minimum(like(c)); }
    /** {@code c - this}. */
    public Tensor rsub(double c) { return like(c).sub(this); }

    /** Clamps into [lo, hi]; as in torch.clamp the gradient passes where {@code lo <= x <= hi}, bounds included. */
    public Tensor clamp(double lo, double hi) {
        Tensor y = where(lt(lo), like(lo), this); // not maximum/minimum: they halve the gradient at the bounds
        return where(y.gt(hi), like(hi), y);
    }

    public Tensor eq(Tensor o) { return Compare.apply(CompareOp.EQ, this, o); }
    public Tensor ne(Tensor o) { return Compare.apply(CompareOp.NE, this, o); }
    public Tensor lt(Tensor o) { return Compare.apply(CompareOp.LT, this, o); }
    public Tensor le(Tensor o) { return Compare.apply(CompareOp.LE, this, o); }
    public Tensor gt(Tensor o) { return Compare.apply(CompareOp.GT, this, o); }
    public Tensor ge(Tensor o) { return Compare.apply(CompareOp.GE, this, o); }
    public Tensor eq(double c) { return eq(like(c)); }
    public Tensor lt(double c) { return lt(like(c)); }
    public Tensor gt(double c) { return gt(like(c)); }
    public Tensor ge(double c) { return ge(like(c)); }
    public Tensor le(double c) { return le(like(c)); }

    /** Elementwise {@code cond != 0 ? a : b} with broadcasting. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Where.apply(cond, a, b);
    }

    /** A 0-d constant of this tensor's dtype and device. */
    public Tensor like(double c) {
        return full(c, dtype(), device());
    }

    // ------------------------------------------------------------------ reductions

    public Tensor sum() { return Reduce.apply(ReduceOp.SUM, this, allDims(), false); }
    public Tensor sum(int dim, boolean keepdim) { return Reduce.apply(ReduceOp.SUM, this, new int[] {dim}, keepdim); }
    public Tensor sum(int[] dims, boolean keepdim) { return Reduce.apply(ReduceOp.SUM, this, dims, keepdim); }
    public Tensor amax() { return Reduce.apply(ReduceOp.MAX, this, allDims(), false); }
    public Tensor amax(int dim, boolean keepdim) { return Reduce.apply(ReduceOp.MAX, this, new int[] {dim}, keepdim); }
    public Tensor amax(int[] dims, boolean keepdim) { return Reduce.apply(ReduceOp.MAX, this, dims, keepdim); }
    public Tensor amin(int dim, boolean keepdim) { return neg().amax(dim, keepdim).neg(); }

    public Tensor mean() {
        return sum().div(numel());
    }

    public Tensor mean(int dim, boolean keepdim) {
        return mean(new int[] {dim}, keepdim);
    }

    public Tensor mean(int[] dims, boolean keepdim) {
        return sum(dims, keepdim).div(count(dims));
    }

    /** Variance over {@code dims}; {@code unbiased} divides by n-1 (PyTorch's default). */
    public Tensor variance(int[] dims, boolean unbiased, boolean keepdim) {
        long n = count(dims);
        Tensor d = sub(mean(dims, true));
        return d.mul(d).sum(dims, keepdim).div(unbiased ? Math.max(n - 1, 1) : n);
    }

    public Tensor variance(int dim, boolean unbiased, boolean keepdim) {
        return variance(new int[] {dim}, unbiased, keepdim);
    }

    public Tensor std(int[] dims, boolean unbiased, boolean keepdim) {
        return variance(dims, unbiased, keepdim).sqrt();
    }

    /** Index of the maximum along {@code dim} (first on ties); not differentiable. */
    public Tensor argmax(int dim, boolean keepdim) {
        return ArgMax.apply(this, dim, keepdim);
    }

    public Tensor argmax() {
        return reshape(-1).argmax(0, false);
    }

    private int[] allDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return d;
    }

    private long count(int[] dims) {
        long n = 1;
        boolean[] seen = new boolean[shape.length];
        for (int d : dims) {
            int k = Shapes.normDim("mean", d, shape.length);
            if (!seen[k]) n *= shape[k];
            seen[k] = true;
        }
        return n;
    }

    // ------------------------------------------------------------------ linear algebra

    /** Matrix product with torch.matmul semantics (1-d operands promoted, batch dims broadcast). */
    public Tensor matmul(Tensor o) {
        if (dim() == 0 || o.dim() == 0)
            throw new IllegalArgumentException("[matmul] both arguments need at least one dimension, got " + Shapes.str(shape) + " and "
                    + Shapes.str(o.shape));
        Tensor a = dim() == 1 ? unsqueeze(0) : this;
        Tensor b = o.dim() == 1 ? o.unsqueeze(1) : o;
        Tensor r = MatMul.apply(a, b);
        if (dim() == 1) r = r.squeeze(-2);
        if (o.dim() == 1) r = r.squeeze(-1);
        return r;
    }

    // ------------------------------------------------------------------ views

    /** A tensor of the given shape with the same elements; a view when possible. One dim may be -1. */
    public Tensor reshape(int... newShape) {
        return Reshape.apply(this, newShape);
    }

    /** Like {@link #reshape} but never copies. */
    public Tensor view(int... newShape) {
        if (!isContiguous())
            throw new IllegalArgumentException("[view] tensor of shape " + Shapes.str(shape) + " with strides " + Shapes.str(strides)
                    + " is not contiguous; use reshape() or contiguous() first");
        return Reshape.apply(this, newShape);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    /** Flattens dims {@code start..end} into one. */
    public Tensor flatten(int start) {
        int s = Shapes.normDim("flatten", start, shape.length);
        int[] ns = Arrays.copyOf(shape, s + 1);
        ns[s] = -1;
        if (numel() == 0) {
            int p = 1;
            for (int i = s; i < shape.length; i++) p *= shape[i];
            ns[s] = p;
        }
        return reshape(ns);
    }

    public Tensor permute(int... perm) {
        return Permute.apply(this, perm);
    }

    public Tensor transpose(int d0, int d1) {
        int r = shape.length;
        int a = Shapes.normDim("transpose", d0, r), b = Shapes.normDim("transpose", d1, r);
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Transpose of a 2-d tensor. */
    public Tensor t() {
        if (dim() != 2) throw new IllegalArgumentException("[t] expects a 2-d tensor, got " + Shapes.str(shape));
        return transpose(0, 1);
    }

    /** Elements {@code start .. start+length-1} along {@code dim}; a view. */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.normDim("narrow", dim, shape.length);
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new IllegalArgumentException("[narrow] range start=" + start + " length=" + length + " exceeds dimension " + d + " of size "
                    + shape[d] + " in " + Shapes.str(shape));
        return Slice.apply(this, d, start, start + length, 1);
    }

    /** Python-style slice {@code [start:end:step]} along {@code dim} (negative indices count from the end); a view. */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = Shapes.normDim("slice", dim, shape.length);
        if (step <= 0) throw new IllegalArgumentException("[slice] step must be positive, got " + step);
        int n = shape[d];
        int s = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
        int e = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
        return Slice.apply(this, d, s, Math.max(e, s), step);
    }

    /** The sub-tensor at {@code index} of dim 0, with that dim removed. */
    public Tensor select(int dim, int index) {
        int d = Shapes.normDim("select", dim, shape.length);
        int i = index < 0 ? index + shape[d] : index;
        return narrow(d, i, 1).squeeze(d);
    }

    /** Broadcasts to {@code newShape}; -1 keeps a dim. A view with stride 0 on expanded dims. */
    public Tensor expand(int... newShape) {
        return Expand.apply(this, newShape);
    }

    public Tensor expandAs(Tensor o) {
        return expand(o.shape);
    }

    public Tensor squeeze() {
        int n = 0;
        for (int s : shape) if (s != 1) n++;
        int[] ns = new int[n];
        int k = 0;
        for (int s : shape) if (s != 1) ns[k++] = s;
        return reshape(ns);
    }

    public Tensor squeeze(int dim) {
        int d = Shapes.normDim("squeeze", dim, shape.length);
        if (shape[d] != 1) return this;
        int[] ns = new int[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) if (i != d) ns[k++] = shape[i];
        return reshape(ns);
    }

    public Tensor unsqueeze(int dim) {
        int d = Shapes.normDim("unsqueeze", dim, shape.length + 1);
        int[] ns = new int[shape.length + 1];
        for (int i = 0, k = 0; i < ns.length; i++) ns[i] = i == d ? 1 : shape[k++];
        return reshape(ns);
    }

    /** This tensor if contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : Copy.apply(this);
    }

    /** Always a fresh contiguous copy (differentiable). */
    public Tensor copy() {
        return Copy.apply(this);
    }

    // ------------------------------------------------------------------ structure

    /** Concatenates along {@code dim}. */
    public static Tensor cat(List<Tensor> xs, int dim) {
        return Concat.apply(xs.toArray(new Tensor[0]), dim);
    }

    public static Tensor cat(int dim, Tensor... xs) {
        return Concat.apply(xs, dim);
    }

    /** Stacks equal-shaped tensors along a new dim. */
    public static Tensor stack(List<Tensor> xs, int dim) {
        if (xs.isEmpty()) throw new IllegalArgumentException("[stack] needs at least one tensor");
        int d = Shapes.normDim("stack", dim, xs.get(0).dim() + 1);
        List<Tensor> u = new ArrayList<>();
        for (Tensor t : xs) {
            if (!Shapes.same(t.shape, xs.get(0).shape))
                throw new IllegalArgumentException("[stack] all tensors must have the same shape, got " + Shapes.str(xs.get(0).shape) + " and "
                        + Shapes.str(t.shape));
            u.add(t.unsqueeze(d));
        }
        return cat(u, d);
    }

    /**
     * Constant padding in torch.nn.functional.pad order: pairs (before, after) starting from the
     * last dimension, e.g. {@code pad(1, 1, 2, 2)} pads W by 1 and H by 2.
     */
    public Tensor pad(double value, int... pads) {
        if (pads.length % 2 != 0 || pads.length / 2 > shape.length)
            throw new IllegalArgumentException("[pad] expects pairs for at most " + shape.length + " dims, got " + pads.length + " values");
        int[] before = new int[shape.length], after = new int[shape.length];
        for (int i = 0; i < pads.length / 2; i++) {
            before[shape.length - 1 - i] = pads[2 * i];
            after[shape.length - 1 - i] = pads[2 * i + 1];
        }
        return Pad.apply(this, before, after, value);
    }

    // ------------------------------------------------------------------ dtype and device

    public Tensor to(DType dtype) {
        return dtype == dtype() ? this : Cast.apply(this, dtype);
    }

    public Tensor to(Device device) {
        return device.equals(device()) ? this : Transfer.apply(this, device);
    }

    public Tensor f64() {
        return to(DType.F64);
    }

    public Tensor f32() {
        return to(DType.F32);
    }

    // ------------------------------------------------------------------ printing

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(shape=").append(Shapes.str(shape)).append(", ").append(dtype());
        if (!device().equals(Device.CPU)) sb.append(", ").append(device());
        if (node != null) sb.append(", grad_fn=").append(node.opName);
        else if (requiresGrad) sb.append(", requires_grad");
        if (numel() <= 16 && device().equals(Device.CPU)) sb.append(", ").append(Arrays.toString(toFloatArray()));
        return sb.append(')').toString();
    }
}
