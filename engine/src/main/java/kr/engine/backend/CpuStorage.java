package kr.engine.backend;

import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Tensor;

/** Host memory shared by the CPU backends: exactly one of a float[] or a double[]. */
public final class CpuStorage implements Storage {
    private final float[] f;
    private final double[] d;
    /** The arena {@code f} was drawn from (null if none) and the step it was drawn in. */
    private final StepArena arena;
    private final int generation;

    private CpuStorage(float[] f, double[] d) {
        this(f, d, null, 0);
    }

    private CpuStorage(float[] f, double[] d, StepArena arena, int generation) {
        this.f = f;
        this.d = d;
        this.arena = arena;
        this.generation = generation;
    }

    public static CpuStorage of(float[] data) {
        StepArena a = StepArena.current();
        if (a != null && a.handedOut(data)) return new CpuStorage(data, null, a, a.generation());
        return new CpuStorage(data, null);
    }

    public static CpuStorage of(double[] data) {
        return new CpuStorage(null, data);
    }

    /**
     * A zeroed array for a kernel's output: drawn from the {@link StepArena} of the step open on
     * this thread, if any (and it has room), else newly allocated. {@link #of(float[])} tags the
     * storage that wraps it, so the tensor is known dead once the step closes.
     */
    public static float[] outputArray(int n) {
        return outputArray(n, true);
    }

    /**
     * {@link #outputArray(int)}, unzeroed when {@code zeroed} is false: for a kernel that writes every
     * element, which then skips a memset of the whole output (a drawn buffer holds an earlier step's
     * values; {@link StepArena#poisoned()} fills it with NaN to prove the kernel writes them all).
     */
    public static float[] outputArray(int n, boolean zeroed) {
        StepArena a = StepArena.current();
        float[] buf = a == null ? null : a.take(n, zeroed);
        return buf == null ? new float[n] : buf;
    }

    public static CpuStorage allocate(DType dtype, int n) {
        return dtype == DType.F32 ? of(new float[n]) : of(new double[n]);
    }

    /** The CPU storage of {@code t}; fails naming {@code op} when the tensor lives elsewhere. */
    public static CpuStorage of(Tensor t, String op) {
        if (t.storage() instanceof CpuStorage c) return c;
        throw new IllegalArgumentException("[" + op + "] expected a CPU tensor but got one on " + t.device());
    }

    public float[] floats() {
        if (f == null) throw new IllegalStateException("[storage] float64 storage read as float32");
        if (arena != null && arena.generation() != generation)
            throw new IllegalStateException("[storage] a tensor computed inside a training step (StepArena) was used after its step closed; its buffer now belongs to a later step."
                    + " Copy it (Tensor.copy, toFloatArray, item) inside the step");
        return f;
    }

    public double[] doubles() {
        if (d == null) throw new IllegalStateException("[storage] float32 storage read as float64");
        return d;
    }

    public double get(int i) {
        if (arena != null) floats();
        return f != null ? f[i] : d[i];
    }

    public void set(int i, double v) {
        if (arena != null) floats();
        if (f != null) f[i] = (float) v;
        else d[i] = v;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public DType dtype() {
        return f != null ? DType.F32 : DType.F64;
    }

    @Override
    public int size() {
        return f != null ? f.length : d.length;
    }
}
