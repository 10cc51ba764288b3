package kr.engine.backend;

import kr.engine.DType;
import kr.engine.Device;
import kr.engine.Tensor;

/** Host memory shared by the CPU backends: exactly one of a float[] or a double[]. */
public final class CpuStorage implements Storage {
    private final float[] f;
    private final double[] d;

    private CpuStorage(float[] f, double[] d) {
        this.f = f;
        this.d = d;
    }

    public static CpuStorage of(float[] data) {
        return new CpuStorage(data, null);
    }

    public static CpuStorage of(double[] data) {
        return new CpuStorage(null, data);
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
        return f;
    }

    public double[] doubles() {
        if (d == null) throw new IllegalStateException("[storage] float32 storage read as float64");
        return d;
    }

    public double get(int i) {
        return f != null ? f[i] : d[i];
    }

    public void set(int i, double v) {
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
