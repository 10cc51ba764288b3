package kr.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import kr.engine.DType;
import kr.engine.Device;
import kr.engine.GraphProbe;
import kr.engine.Rng;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.engine.primitives.ArgMax;
import kr.engine.primitives.AvgPool2d;
import kr.engine.primitives.BatchNorm;
import kr.engine.primitives.Binary;
import kr.engine.primitives.Cast;
import kr.engine.primitives.Compare;
import kr.engine.primitives.Concat;
import kr.engine.primitives.Conv2d;
import kr.engine.primitives.Copy;
import kr.engine.primitives.Covers;
import kr.engine.primitives.Expand;
import kr.engine.primitives.LogSoftmax;
import kr.engine.primitives.MatMul;
import kr.engine.primitives.MaxPool2d;
import kr.engine.primitives.Pad;
import kr.engine.primitives.Permute;
import kr.engine.primitives.Pow;
import kr.engine.primitives.Primitive;
import kr.engine.primitives.Reduce;
import kr.engine.primitives.Reshape;
import kr.engine.primitives.Slice;
import kr.engine.primitives.Transfer;
import kr.engine.primitives.Unary;
import kr.engine.primitives.Where;
import kr.nn.F;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel of every non-reference backend against the float64 scalar reference. Inputs are
 * seeded random float32 values (awkward sizes, size-1 dims, broadcasting, transposed, stepped,
 * offset and expanded views); the reference runs on float64 copies of exactly those values and
 * results are compared with the one table in {@link Tolerances}. A new backend (e.g. "cuda") is
 * just another entry of {@link #targets()}: whatever {@link Backends#available} lists for each
 * device kind. Run with {@code -Dkr.conformance.report=true} to print the worst error per family.
 * Each case names the primitives whose kernels it checks in {@link Covers}; PrimitiveCoverageTest
 * requires a case for every primitive.
 */
class BackendConformanceTest {
    static final Backend REF = Backends.cpu("scalar");
    /** Sizes around vector widths of 8 and 16 floats and a 32-lane warp, plus 1 and primes. */
    static final int[] SIZES = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65};
    /** Worst |a - e| / (atol + rtol*|e|) seen per family, for -Dkr.conformance.report=true. */
    static final Map<String, Worst> WORST = java.util.Collections.synchronizedMap(new TreeMap<>());

    record Worst(double ratio, String where) {}

    /** A backend under test and the device its tensors live on; {@code skip} says why it cannot run here (null when it can). */
    record Target(String name, Device device, String skip) {
        Backend backend() {
            return device.kind() == Device.Kind.CPU ? Backends.cpu(name) : Backends.of(device);
        }

        /** Makes this backend compute the Tensor-level ops in scope (CPU backends are chosen by scope, devices by placement). */
        Backends.Scope scope() {
            return device.kind() == Device.Kind.CPU ? Backends.use(name) : () -> {};
        }

        @Override
        public String toString() {
            return name + "@" + device;
        }
    }

    static final Target NONE = new Target("none", Device.CPU, "no backend other than the scalar reference is available here");

    static Stream<Target> targets() {
        List<Target> t = new ArrayList<>();
        for (String n : Backends.available(Device.Kind.CPU)) if (!n.equals("scalar")) t.add(new Target(n, Device.CPU, null));
        for (Device.Kind k : Device.Kind.values()) if (k != Device.Kind.CPU) t.addAll(deviceTargets(k));
        if (t.isEmpty()) t.add(NONE); // reported as skipped below rather than silently running nothing
        return t.stream();
    }

    /** Device 0 of every provider of {@code kind} on the class path: runnable ones, and the others as visible skips with their reason. */
    static List<Target> deviceTargets(Device.Kind kind) {
        List<Target> t = new ArrayList<>();
        for (String n : Backends.available(kind)) t.add(new Target(n, new Device(kind, 0), null));
        Backends.unavailable(kind).forEach((n, why) -> t.add(new Target(n, new Device(kind, 0), why)));
        return t;
    }

    @AfterAll
    static void report() {
        if (Boolean.getBoolean("kr.conformance.report")) WORST.forEach((k, v) -> System.out.printf("[conformance] %-15s worst error/bound %.3g at %s%n", k, v.ratio(), v.where()));
    }

    // ------------------------------------------------------------------ inputs

    /** How an input is laid out in memory; the logical values are the same either way. */
    enum View {
        CONTIGUOUS, OFFSET, TRANSPOSED, STEPPED, EXPANDED
    }

    /** One input: the candidate's float32 tensor on the target device and the reference's float64 twin. */
    record In(Tensor c, Tensor r) {
        int[] shape() {
            return c.shape();
        }
    }

    /** Per-test state: the target, its backend and a seeded generator. */
    static final class Env {
        final Target target;
        final Backend be;
        final Rng rng;

        Env(Target target, long seed) {
            Assumptions.assumeTrue(target.skip() == null, () -> target + " cannot run here: " + target.skip());
            this.target = target;
            this.be = target.backend();
            this.rng = new Rng(seed);
        }

        double uniform(double lo, double hi) {
            return lo + (hi - lo) * rng.nextDouble();
        }

        /** A view of {@code shape} laid out as {@code view}, filled with values from {@code gen}. */
        In in(int[] shape, View view, java.util.function.DoubleSupplier gen) {
            int r = shape.length;
            int[] phys = shape.clone(), strides, perm = null;
            int offset = 0;
            View v = view == View.TRANSPOSED && r < 2 ? View.STEPPED : view;
            switch (v) {
                case OFFSET:
                    offset = 3;
                    strides = Shapes.contiguousStrides(shape);
                    break;
                case TRANSPOSED: { // stored with the last two dims swapped
                    perm = new int[r];
                    for (int i = 0; i < r; i++) perm[i] = i;
                    perm[r - 1] = r - 2;
                    perm[r - 2] = r - 1;
                    phys = new int[r];
                    for (int i = 0; i < r; i++) phys[i] = shape[perm[i]];
                    int[] ps = Shapes.contiguousStrides(phys);
                    strides = new int[r];
                    for (int i = 0; i < r; i++) strides[perm[i]] = ps[i];
                    break;
                }
                case STEPPED: { // every second element of a wider last dim, starting at 1
                    if (r == 0) {
                        strides = new int[0];
                        offset = 1;
                        break;
                    }
                    phys[r - 1] = shape[r - 1] * 2 + 1;
                    strides = Shapes.contiguousStrides(phys);
                    strides[r - 1] = 2;
                    offset = 1;
                    break;
                }
                case EXPANDED: { // the first dim of size > 1 is a stride-0 broadcast of one slice
                    strides = Shapes.contiguousStrides(shape);
                    for (int d = 0; d < r; d++)
                        if (shape[d] > 1) {
                            phys[d] = 1;
                            strides = Shapes.contiguousStrides(phys);
                            strides[d] = 0;
                            break;
                        }
                    break;
                }
                default:
                    strides = Shapes.contiguousStrides(shape);
            }
            int size = offset + Shapes.numel(phys);
            float[] data = new float[size];
            for (int i = 0; i < size; i++) data[i] = (float) gen.getAsDouble();
            return wrap(data, shape, strides, offset);
        }

        In in(int[] shape, View view, double lo, double hi) {
            return in(shape, view, () -> uniform(lo, hi));
        }

        In in(int[] shape, double lo, double hi) {
            return in(shape, View.CONTIGUOUS, lo, hi);
        }

        /** Values in [lo, hi) with NaN, infinities and signed zeros mixed in. */
        In special(int[] shape, View view, double lo, double hi) {
            return special(shape, view, lo, hi, 4);
        }

        /** As above with one value in {@code oneIn} special. */
        In special(int[] shape, View view, double lo, double hi, int oneIn) {
            double[] sp = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0};
            return in(shape, view, () -> rng.nextInt(oneIn) == 0 ? sp[rng.nextInt(sp.length)] : uniform(lo, hi));
        }

        /** Small integers, so comparisons and argmax see ties. */
        In ints(int[] shape, View view, int lo, int hi) {
            return in(shape, view, () -> lo + rng.nextInt(hi - lo + 1));
        }

        In wrap(float[] data, int[] shape, int[] strides, int offset) {
            double[] d = new double[data.length];
            for (int i = 0; i < d.length; i++) d[i] = data[i];
            Tensor c = be.fromArray(data, new int[] {data.length});
            Tensor r = REF.fromArray(d, new int[] {d.length});
            return new In(Tensor.wrap(c.storage(), shape, strides, offset), Tensor.wrap(r.storage(), shape, strides, offset));
        }

        /** The whole storage behind a view, as a flat tensor (to see what in-place kernels touched). */
        static Tensor flat(Tensor t) {
            return Tensor.wrap(t.storage(), new int[] {t.storage().size()});
        }

        void check(Tolerances tol, String what, Tensor got, Tensor exp) {
            String where = target + " " + what;
            assertArrayEquals(exp.shape(), got.shape(), () -> "[" + where + "] shape");
            assertEquals(target.device(), got.device(), () -> "[" + where + "] device");
            check(tol, what, be.toDoubleArray(got), REF.toDoubleArray(exp), exp.shape());
        }

        void check(Tolerances tol, String what, double[] g, double[] e, int[] shape) {
            String where = target + " " + what;
            assertEquals(e.length, g.length, () -> "[" + where + "] element count");
            double worst = 0;
            int wi = -1;
            for (int i = 0; i < e.length; i++) {
                if (!tol.close(g[i], e[i]))
                    fail("[" + where + "] element " + Arrays.toString(Shapes.unravel(i, shape)) + " of " + Arrays.toString(shape) + ": got " + g[i]
                            + ", reference " + e[i] + ", error " + Math.abs(g[i] - e[i]) + " exceeds " + tol);
                double ratio = Math.abs(g[i] - e[i]) / Math.max(tol.atol + tol.rtol * Math.abs(e[i]), 1e-300);
                if (Double.isFinite(e[i]) && ratio > worst) {
                    worst = ratio;
                    wi = i;
                }
            }
            if (wi >= 0 && worst > WORST.getOrDefault(tol.name(), new Worst(0, "")).ratio())
                WORST.put(tol.name(), new Worst(worst, where + " " + Arrays.toString(Shapes.unravel(wi, shape)) + " got " + g[wi] + " ref " + e[wi]));
        }
    }

    static int[] s(int... shape) {
        return shape;
    }

    // ------------------------------------------------------------------ elementwise

    static double[] domain(UnaryOp op) {
        switch (op) {
            case LOG: return new double[] {0.01, 10};
            case SQRT: return new double[] {0, 10};
            case EXP: return new double[] {-20, 20};
            default: return new double[] {-6, 6};
        }
    }

    static Tolerances family(UnaryOp op) {
        switch (op) {
            case NEG: case ABS: case RELU: case SIGN: return Tolerances.EXACT;
            case SQRT: return Tolerances.ROUNDED;
            default: return Tolerances.TRANSCENDENTAL;
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Unary.class})
    void unary(Target t) {
        Env env = new Env(t, 1);
        List<int[]> shapes = new ArrayList<>(List.of(s(), s(2, 1, 3), s(3, 17), s(2, 3, 33), s(70001)));
        for (int n : SIZES) shapes.add(s(n));
        for (UnaryOp op : UnaryOp.values())
            for (int[] shape : shapes)
                for (View v : View.values()) {
                    if (Shapes.numel(shape) > 1000 && v != View.CONTIGUOUS) continue;
                    double[] dom = domain(op);
                    In x = env.in(shape, v, dom[0], dom[1]);
                    env.check(family(op), op + " " + Arrays.toString(shape) + " " + v, env.be.unary(op, x.c()), REF.unary(op, x.r()));
                }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Unary.class})
    void reluBackward(Target t) {
        Env env = new Env(t, 21);
        List<int[]> shapes = new ArrayList<>(List.of(s(), s(2, 1, 3), s(3, 17), s(2, 3, 33), s(70001)));
        for (int n : SIZES) shapes.add(s(n));
        for (int[] shape : shapes)
            for (View v : View.values()) {
                if (Shapes.numel(shape) > 1000 && v != View.CONTIGUOUS) continue;
                In x = env.in(shape, v, -1, 1), g = env.in(shape, View.CONTIGUOUS, -1, 1);
                env.check(Tolerances.EXACT, "reluBackward " + Arrays.toString(shape) + " " + v, env.be.reluBackward(x.c(), g.c()), REF.reluBackward(x.r(), g.r()));
            }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Pow.class})
    void pow(Target t) {
        Env env = new Env(t, 2);
        double[] exps = {2, 1, -1, 0.5, 3, -2, 1.5, 0, -0.5};
        for (double p : exps)
            for (int[] shape : List.of(s(17), s(3, 33), s(65), s()))
                for (View v : View.values()) {
                    boolean integral = p == Math.rint(p);
                    In x = env.in(shape, v, integral ? -3 : 0.1, 3);
                    Tolerances tol = p == 2 || p == 1 || p == 0 ? Tolerances.ROUNDED : Tolerances.TRANSCENDENTAL;
                    env.check(tol, "pow " + p + " " + Arrays.toString(shape) + " " + v, env.be.pow(x.c(), p), REF.pow(x.r(), p));
                }
    }

    /** Operand shape pairs: same shape, trailing/leading broadcasts, the per-channel pattern, scalars. */
    static final int[][][] PAIRS = {
        {{2, 3, 17}, {2, 3, 17}}, {{4, 5, 33}, {5, 1}}, {{1, 5, 1}, {4, 1, 33}}, {{3, 16, 5, 7}, {1, 16, 1, 1}}, {{2, 9, 16}, {9, 1}},
        {{}, {3, 17}}, {{17}, {}}, {{65}, {65}}, {{8, 1}, {1, 9}}, {{2, 3}, {1, 1}}, {{3, 40000}, {3, 1}}
    };

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Binary.class})
    void binary(Target t) {
        Env env = new Env(t, 3);
        for (BinaryOp op : BinaryOp.values())
            for (int[][] pair : PAIRS)
                for (View v : View.values())
                    for (int side = 0; side < 2; side++) {
                        if (Shapes.numel(pair[0]) > 10000 && v != View.CONTIGUOUS) continue;
                        In a = env.in(pair[0], side == 0 ? v : View.CONTIGUOUS, -4, 4);
                        In b = op == BinaryOp.DIV ? env.in(pair[1], side == 1 ? v : View.CONTIGUOUS, () -> (env.rng.nextBoolean() ? 1 : -1) * env.uniform(0.25, 4))
                                : env.in(pair[1], side == 1 ? v : View.CONTIGUOUS, -4, 4);
                        int[] out = Shapes.broadcast("test", a.shape(), b.shape());
                        Tolerances tol = op == BinaryOp.MAX || op == BinaryOp.MIN ? Tolerances.EXACT : Tolerances.ROUNDED;
                        env.check(tol, op + " " + Arrays.toString(pair[0]) + " " + Arrays.toString(pair[1]) + " " + v + " on operand " + side,
                                env.be.binary(op, a.c(), b.c(), out), REF.binary(op, a.r(), b.r(), out));
                    }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Compare.class})
    void compare(Target t) {
        Env env = new Env(t, 4);
        for (CompareOp op : CompareOp.values())
            for (int[][] pair : PAIRS)
                for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.EXPANDED)) {
                    In a = env.ints(pair[0], v, -2, 2), b = env.ints(pair[1], View.CONTIGUOUS, -2, 2);
                    int[] out = Shapes.broadcast("test", a.shape(), b.shape());
                    env.check(Tolerances.EXACT, op + " " + Arrays.toString(pair[0]) + " " + Arrays.toString(pair[1]) + " " + v,
                            env.be.compare(op, a.c(), b.c(), out), REF.compare(op, a.r(), b.r(), out));
                }
    }

    /** NaN, infinities and signed zeros give what the reference gives (relu(NaN) = 0, max(NaN, x) = NaN, NaN != NaN ...). */
    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Unary.class, Binary.class, Compare.class, Pow.class, Reduce.class, ArgMax.class, MaxPool2d.class})
    void specialValues(Target t) {
        Env env = new Env(t, 5);
        for (int[] shape : List.of(s(33), s(3, 17), s(70))) {
            for (UnaryOp op : UnaryOp.values()) {
                In x = env.special(shape, View.CONTIGUOUS, -3, 3);
                env.check(family(op), "special " + op + " " + Arrays.toString(shape), env.be.unary(op, x.c()), REF.unary(op, x.r()));
            }
            for (BinaryOp op : BinaryOp.values()) {
                In a = env.special(shape, View.CONTIGUOUS, -3, 3), b = env.special(shape, View.STEPPED, -3, 3);
                Tolerances tol = op == BinaryOp.MAX || op == BinaryOp.MIN ? Tolerances.EXACT : Tolerances.ROUNDED;
                env.check(tol, "special " + op + " " + Arrays.toString(shape), env.be.binary(op, a.c(), b.c(), shape), REF.binary(op, a.r(), b.r(), shape));
                In z = env.special(s(), View.CONTIGUOUS, -3, 3);
                env.check(tol, "special scalar " + op, env.be.binary(op, a.c(), z.c(), shape), REF.binary(op, a.r(), z.r(), shape));
            }
            for (CompareOp op : CompareOp.values()) {
                In a = env.special(shape, View.CONTIGUOUS, -1, 1), b = env.special(shape, View.CONTIGUOUS, -1, 1);
                env.check(Tolerances.EXACT, "special " + op, env.be.compare(op, a.c(), b.c(), shape), REF.compare(op, a.r(), b.r(), shape));
            }
            In x = env.special(shape, View.CONTIGUOUS, -3, 3);
            for (double p : new double[] {2, 0.5, -1, 3}) env.check(Tolerances.TRANSCENDENTAL, "special pow " + p, env.be.pow(x.c(), p), REF.pow(x.r(), p));
            boolean[] last = new boolean[shape.length];
            last[shape.length - 1] = true;
            env.check(Tolerances.EXACT, "special max", env.be.reduce(ReduceOp.MAX, x.c(), last), REF.reduce(ReduceOp.MAX, x.r(), last));
            env.check(Tolerances.EXACT, "special argmax", env.be.argmax(x.c(), shape.length - 1), REF.argmax(x.r(), shape.length - 1));
        }
        for (Pool2dParams p : new Pool2dParams[] {Pool2dParams.of(2, 2, 0), Pool2dParams.of(3, 2, 1), new Pool2dParams(2, 2, 2, 2, 0, 0, true, true)}) {
            In x = env.special(s(4, 3, 7, 8), View.CONTIGUOUS, -3, 3, 2); // dense specials: windows with several NaNs
            Tensor[] got = env.be.maxPool2d(x.c(), p), exp = REF.maxPool2d(x.r(), p);
            env.check(Tolerances.EXACT, "special maxPool2d " + p, got[0], exp[0]);
            env.check(Tolerances.EXACT, "special maxPool2d argmax " + p, got[1], exp[1]);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Where.class})
    void where(Target t) {
        Env env = new Env(t, 6);
        int[][][] triples = {{{3, 1, 17}, {1, 4, 17}, {3, 4, 1}}, {{33}, {33}, {33}}, {{2, 16}, {}, {2, 16}}, {{5, 1}, {5, 9}, {}}, {{1}, {7, 7}, {7, 7}}};
        for (int[][] tr : triples)
            for (View v : View.values()) {
                In c = env.ints(tr[0], v, 0, 1), a = env.in(tr[1], View.CONTIGUOUS, -1, 1), b = env.in(tr[2], v, -1, 1);
                int[] out = Shapes.broadcast("test", Shapes.broadcast("test", tr[0], tr[1]), tr[2]);
                env.check(Tolerances.EXACT, "where " + Arrays.deepToString(tr) + " " + v, env.be.where(c.c(), a.c(), b.c(), out),
                        REF.where(c.r(), a.r(), b.r(), out));
            }
    }

    // Transfer is fromArray on the target backend and toFloatArray/toDoubleArray on the source: both are checked here
    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Copy.class, Cast.class, Transfer.class})
    void copyAndCast(Target t) {
        Env env = new Env(t, 7);
        for (int[] shape : List.of(s(), s(1), s(17), s(3, 33), s(2, 1, 16, 9), s(4, 65)))
            for (View v : View.values()) {
                In x = env.in(shape, v, -5, 5);
                String w = Arrays.toString(shape) + " " + v;
                env.check(Tolerances.EXACT, "copy " + w, env.be.copy(x.c()), REF.copy(x.r()));
                env.check(Tolerances.EXACT, "cast to f64 " + w, env.be.cast(x.c(), DType.F64), REF.cast(x.r(), DType.F64));
                Tensor c64 = env.be.cast(x.c(), DType.F64);
                assertEquals(DType.F64, c64.dtype(), "cast dtype");
                env.check(Tolerances.EXACT, "cast back to f32 " + w, env.be.cast(c64, DType.F32), REF.cast(x.r(), DType.F32));
                env.check(Tolerances.EXACT, "toFloatArray " + w, toDoubles(env.be.toFloatArray(x.c())), REF.toDoubleArray(x.r()), shape);
            }
    }

    /** Copies of permuted views (NCHW <-> NHWC and other transpositions of a 4-d tensor), into fresh and into strided destinations. */
    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Copy.class})
    void copyPermuted(Target t) {
        Env env = new Env(t, 22);
        int[] base = {2, 3, 40, 33};
        int[][] perms = {{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 3, 2}, {2, 0, 3, 1}, {0, 1, 3, 2}};
        for (int[] perm : perms) {
            In x = env.in(base, -1, 1);
            int[] ps = new int[4], pst = new int[4], st = x.c().strides();
            for (int i = 0; i < 4; i++) {
                ps[i] = base[perm[i]];
                pst[i] = st[perm[i]];
            }
            Tensor c = Tensor.wrap(x.c().storage(), ps, pst, 0), r = Tensor.wrap(x.r().storage(), ps, pst, 0);
            env.check(Tolerances.EXACT, "copy permuted " + Arrays.toString(perm), env.be.copy(c), REF.copy(r));
            In dst = env.in(ps, View.STEPPED, -1, 1);
            env.be.copyInto(dst.c(), c);
            REF.copyInto(dst.r(), r);
            env.check(Tolerances.EXACT, "copyInto stepped from permuted " + Arrays.toString(perm), Env.flat(dst.c()), Env.flat(dst.r()));
        }
    }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    // ------------------------------------------------------------------ reductions

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Reduce.class})
    void reduce(Target t) {
        Env env = new Env(t, 8);
        for (ReduceOp op : ReduceOp.values()) {
            Tolerances tol = op == ReduceOp.SUM ? Tolerances.SUM : Tolerances.EXACT;
            int[] shape = {2, 3, 4, 5};
            for (int mask = 0; mask < 16; mask++) // every dim subset, several layouts
                for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.EXPANDED, View.STEPPED)) {
                    boolean[] dims = new boolean[4];
                    for (int d = 0; d < 4; d++) dims[d] = (mask >> d & 1) != 0;
                    In x = env.in(shape, v, -1, 1);
                    env.check(tol, op + " " + Arrays.toString(dims) + " " + v, env.be.reduce(op, x.c(), dims), REF.reduce(op, x.r(), dims));
                }
            Object[][] cases = {
                {s(3, 16, 5, 7), new boolean[] {true, false, true, true}}, {s(33), new boolean[] {true}}, {s(17, 3), new boolean[] {true, false}},
                {s(17, 3), new boolean[] {false, true}}, {s(3, 40000), new boolean[] {false, true}}, {s(40000, 3), new boolean[] {true, false}},
                {s(8, 17, 33), new boolean[] {false, true, false}}, {s(5, 1, 9), new boolean[] {false, true, false}}, {s(100000), new boolean[] {true}},
                {s(4, 16, 70, 70), new boolean[] {true, false, true, true}}, {s(), new boolean[0]}, {s(2, 3, 2, 3, 2), new boolean[] {true, false, true, false, true}},
                {s(2, 3, 2, 3), new boolean[] {true, false, true, false}}
            };
            for (Object[] c : cases) {
                In x = env.in((int[]) c[0], -1, 1);
                boolean[] dims = (boolean[]) c[1];
                env.check(tol, op + " " + Arrays.toString((int[]) c[0]) + " " + Arrays.toString(dims), env.be.reduce(op, x.c(), dims),
                        REF.reduce(op, x.r(), dims));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({ArgMax.class})
    void argmax(Target t) {
        Env env = new Env(t, 9);
        for (int[] shape : List.of(s(17), s(3, 17), s(4, 5, 6), s(1, 33), s(65, 2)))
            for (int d = 0; d < shape.length; d++)
                for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.STEPPED)) {
                    In ties = env.ints(shape, v, -2, 2), x = env.in(shape, v, -1, 1);
                    String w = Arrays.toString(shape) + " dim " + d + " " + v;
                    env.check(Tolerances.EXACT, "argmax ties " + w, env.be.argmax(ties.c(), d), REF.argmax(ties.r(), d));
                    env.check(Tolerances.EXACT, "argmax " + w, env.be.argmax(x.c(), d), REF.argmax(x.r(), d));
                }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void sumOfSquaresAndFirstNonFinite(Target t) {
        Env env = new Env(t, 10);
        for (int[] shape : List.of(s(), s(1), s(17), s(3, 33), s(100003)))
            for (View v : View.values()) {
                In x = env.in(shape, v, -2, 2);
                String w = Arrays.toString(shape) + " " + v;
                env.check(Tolerances.SUM, "sumOfSquares " + w, new double[] {env.be.sumOfSquares(x.c())}, new double[] {REF.sumOfSquares(x.r())}, s(1));
                assertEquals(-1, env.be.firstNonFinite(x.c()), () -> t + " firstNonFinite of finite " + w);
                for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                    // poison one logical element (and one further on) of a contiguous copy
                    int n = Shapes.numel(shape), k = env.rng.nextInt(n);
                    float[] data = env.be.toFloatArray(x.c());
                    data[k] = (float) bad;
                    if (k + 5 < n) data[k + 5] = Float.NaN;
                    In y = env.wrap(data, shape, Shapes.contiguousStrides(shape), 0);
                    assertEquals(REF.firstNonFinite(y.r()), env.be.firstNonFinite(y.c()), () -> t + " firstNonFinite " + bad + " " + w);
                    In z = v == View.CONTIGUOUS ? y : env.in(shape, v, () -> env.rng.nextInt(7) == 0 ? bad : 1.0);
                    assertEquals(REF.firstNonFinite(z.r()), env.be.firstNonFinite(z.c()), () -> t + " firstNonFinite view " + bad + " " + w);
                }
            }
    }

    // ------------------------------------------------------------------ linear algebra and convolution

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({MatMul.class})
    void matmul(Target t) {
        Env env = new Env(t, 11);
        int[][] mkn = {{1, 1, 1}, {3, 17, 5}, {17, 33, 16}, {15, 8, 17}, {33, 65, 31}, {1, 64, 9}, {64, 1, 3}, {7, 600, 5}};
        for (int[] d : mkn)
            for (View va : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.STEPPED))
                for (View vb : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.OFFSET)) {
                    In a = env.in(s(d[0], d[1]), va, -1, 1), b = env.in(s(d[1], d[2]), vb, -1, 1);
                    env.check(Tolerances.DOT, "matmul " + Arrays.toString(d) + " " + va + " x " + vb, env.be.matmul(a.c(), b.c(), s(d[0], d[2])),
                            REF.matmul(a.r(), b.r(), s(d[0], d[2])));
                }
        // batch dims broadcast, including a stride-0 expanded batch
        int[][][] batched = {{{2, 1, 5, 7}, {3, 7, 4}}, {{4, 9, 17}, {17, 3}}, {{3, 2, 8}, {1, 8, 16}}, {{2, 3, 16, 9}, {2, 3, 9, 33}}};
        for (int[][] bb : batched)
            for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.EXPANDED)) {
                In a = env.in(bb[0], v, -1, 1), b = env.in(bb[1], View.CONTIGUOUS, -1, 1);
                int[] as = bb[0], bs = bb[1];
                int[] batch = Shapes.broadcast("test", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
                int[] out = Shapes.concat(batch, as[as.length - 2], bs[bs.length - 1]);
                env.check(Tolerances.DOT, "batched matmul " + Arrays.deepToString(bb) + " " + v, env.be.matmul(a.c(), b.c(), out), REF.matmul(a.r(), b.r(), out));
            }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Conv2d.class})
    void conv2d(Target t) {
        Env env = new Env(t, 12);
        // {N, C, H, W, Co, kh, kw, stride, pad, dilation, groups}
        int[][] cfg = {
            {2, 3, 9, 9, 4, 3, 3, 1, 1, 1, 1}, {1, 4, 8, 7, 6, 3, 3, 2, 1, 1, 1}, {2, 4, 9, 9, 4, 3, 3, 1, 2, 2, 2}, {1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 6},
            {3, 8, 5, 5, 16, 1, 1, 1, 0, 1, 1}, {2, 2, 6, 11, 3, 2, 5, 1, 0, 1, 1}, {1, 17, 4, 4, 9, 3, 3, 2, 0, 1, 1}, {2, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1},
            {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1}, {2, 3, 5, 5, 2, 5, 5, 3, 2, 1, 1},
            // several blocks of every cuda tile in M and N, and a split-K weight gradient (800 terms)
            {2, 40, 12, 12, 70, 3, 3, 1, 1, 1, 1}, {2, 8, 20, 20, 20, 3, 3, 1, 1, 1, 1}
        };
        for (int[] c : cfg)
            for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.STEPPED)) {
                Conv2dParams p = new Conv2dParams(c[7], c[7], c[8], c[8], c[9], c[9], c[10]);
                int[] xs = {c[0], c[1], c[2], c[3]}, ws = {c[4], c[1] / c[10], c[5], c[6]};
                In x = env.in(xs, v, -1, 1), w = env.in(ws, View.CONTIGUOUS, -1, 1);
                String what = Arrays.toString(c) + " " + v;
                Tensor y = env.be.conv2d(x.c(), w.c(), p);
                env.check(Tolerances.DOT, "conv2d " + what, y, REF.conv2d(x.r(), w.r(), p));
                In gy = env.in(y.shape(), v, -1, 1);
                env.check(Tolerances.DOT, "conv2dBackwardInput " + what, env.be.conv2dBackwardInput(gy.c(), w.c(), xs, p),
                        REF.conv2dBackwardInput(gy.r(), w.r(), xs, p));
                env.check(Tolerances.DOT, "conv2dBackwardWeight " + what, env.be.conv2dBackwardWeight(gy.c(), x.c(), ws, p),
                        REF.conv2dBackwardWeight(gy.r(), x.r(), ws, p));
            }
    }

    // ------------------------------------------------------------------ pooling, normalization, softmax

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({MaxPool2d.class, AvgPool2d.class})
    void pooling(Target t) {
        Env env = new Env(t, 13);
        Pool2dParams[] ps = {
            Pool2dParams.of(2, 2, 0), Pool2dParams.of(3, 2, 1), Pool2dParams.of(3, 1, 1), Pool2dParams.of(1, 1, 0),
            new Pool2dParams(3, 2, 2, 1, 1, 0, true, true), new Pool2dParams(3, 3, 2, 2, 1, 1, true, false), new Pool2dParams(2, 2, 2, 2, 1, 1, false, false)
        };
        for (int[] xs : List.of(s(2, 3, 9, 9), s(1, 2, 8, 8), s(2, 1, 7, 5), s(2, 16, 4, 4)))
            for (Pool2dParams p : ps)
                for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.OFFSET)) {
                    if (p.outH(xs[2]) <= 0 || p.outW(xs[3]) <= 0) continue;
                    In x = env.in(xs, v, -1, 1);
                    String what = Arrays.toString(xs) + " " + p + " " + v;
                    Tensor[] got = env.be.maxPool2d(x.c(), p), exp = REF.maxPool2d(x.r(), p);
                    env.check(Tolerances.EXACT, "maxPool2d " + what, got[0], exp[0]);
                    env.check(Tolerances.EXACT, "maxPool2d argmax " + what, got[1], exp[1]);
                    In gy = env.in(got[0].shape(), v, -1, 1);
                    env.check(Tolerances.POOL, "maxPool2dBackward " + what, env.be.maxPool2dBackward(gy.c(), got[1], xs), REF.maxPool2dBackward(gy.r(), exp[1], xs));
                    env.check(Tolerances.POOL, "avgPool2d " + what, env.be.avgPool2d(x.c(), p), REF.avgPool2d(x.r(), p));
                    env.check(Tolerances.POOL, "avgPool2dBackward " + what, env.be.avgPool2dBackward(gy.c(), xs, p), REF.avgPool2dBackward(gy.r(), xs, p));
                }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({BatchNorm.class})
    void batchNorm(Target t) {
        Env env = new Env(t, 14);
        for (int[] xs : List.of(s(2, 3), s(4, 3, 5), s(5, 16, 5, 7), s(3, 17, 1, 33), s(1, 2, 3, 3), s(2, 2, 70, 70), s(16, 4, 8, 8)))
            for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.STEPPED))
                for (double shift : new double[] {0, 30}) {
                    int c = xs[1];
                    In x = env.in(xs, v, () -> shift + 2 * env.rng.nextGaussian()), gamma = env.in(s(c), 0.5, 1.5), beta = env.in(s(c), -1, 1);
                    String what = Arrays.toString(xs) + " " + v + " mean~" + shift;
                    Tensor[] got = env.be.batchNorm(x.c(), gamma.c(), beta.c(), 1e-5), exp = REF.batchNorm(x.r(), gamma.r(), beta.r(), 1e-5);
                    env.check(Tolerances.NORM, "batchNorm y " + what, got[0], exp[0]);
                    env.check(Tolerances.NORM, "batchNorm mean " + what, got[1], exp[1]);
                    env.check(Tolerances.NORM, "batchNorm invstd " + what, got[2], exp[2]);
                    In gy = env.in(xs, v, -1, 1);
                    Tensor[] gb = env.be.batchNormBackward(gy.c(), x.c(), gamma.c(), got[1], got[2]);
                    Tensor[] eb = REF.batchNormBackward(gy.r(), x.r(), gamma.r(), exp[1], exp[2]);
                    env.check(Tolerances.NORM, "batchNormBackward dx " + what, gb[0], eb[0]);
                    env.check(Tolerances.NORM, "batchNormBackward dgamma " + what, gb[1], eb[1]);
                    env.check(Tolerances.NORM, "batchNormBackward dbeta " + what, gb[2], eb[2]);
                    // fused with ReLU: the reference composes batchNorm, unary RELU and reluBackward
                    Tensor[] gotR = env.be.batchNormRelu(x.c(), gamma.c(), beta.c(), 1e-5), expR = REF.batchNormRelu(x.r(), gamma.r(), beta.r(), 1e-5);
                    env.check(Tolerances.NORM, "batchNormRelu y " + what, gotR[0], expR[0]);
                    env.check(Tolerances.NORM, "batchNormRelu mean " + what, gotR[1], expR[1]);
                    Tensor[] gr = env.be.batchNormReluBackward(gy.c(), gotR[0], x.c(), gamma.c(), gotR[1], gotR[2]);
                    Tensor[] er = REF.batchNormReluBackward(gy.r(), expR[0], x.r(), gamma.r(), expR[1], expR[2]);
                    env.check(Tolerances.NORM, "batchNormReluBackward dx " + what, gr[0], er[0]);
                    env.check(Tolerances.NORM, "batchNormReluBackward dgamma " + what, gr[1], er[1]);
                    env.check(Tolerances.NORM, "batchNormReluBackward dbeta " + what, gr[2], er[2]);
                    In skip = env.in(xs, v, -2, 2);
                    Tensor[] gotA = env.be.batchNormAddRelu(x.c(), gamma.c(), beta.c(), skip.c(), 1e-5);
                    Tensor[] expA = REF.batchNormAddRelu(x.r(), gamma.r(), beta.r(), skip.r(), 1e-5);
                    env.check(Tolerances.NORM, "batchNormAddRelu y " + what, gotA[0], expA[0]);
                    env.check(Tolerances.NORM, "batchNormAddRelu invstd " + what, gotA[2], expA[2]);
                }
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({LogSoftmax.class})
    void logSoftmax(Target t) {
        Env env = new Env(t, 15);
        for (int[] xs : List.of(s(10), s(4, 10), s(3, 33, 5), s(2, 17), s(65, 3), s(2, 1100, 3), s(1)))
            for (int d = 0; d < xs.length; d++)
                for (View v : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.EXPANDED))
                    for (double scale : new double[] {1, 30}) {
                        In x = env.in(xs, v, -scale, scale);
                        env.check(Tolerances.SOFTMAX, "logSoftmax " + Arrays.toString(xs) + " dim " + d + " " + v + " scale " + scale, env.be.logSoftmax(x.c(), d),
                                REF.logSoftmax(x.r(), d));
                    }
    }

    // ------------------------------------------------------------------ structure

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Concat.class, Pad.class})
    void concatAndPad(Target t) {
        Env env = new Env(t, 16);
        int[] base = {3, 5, 17};
        for (int d = 0; d < 3; d++)
            for (View v : View.values()) {
                int[] sizes = {1, 4, 33};
                Tensor[] cs = new Tensor[3], rs = new Tensor[3];
                int[] out = base.clone();
                out[d] = 0;
                for (int i = 0; i < 3; i++) {
                    int[] sh = base.clone();
                    sh[d] = sizes[i];
                    In x = env.in(sh, i == 1 ? v : View.CONTIGUOUS, -1, 1);
                    cs[i] = x.c();
                    rs[i] = x.r();
                    out[d] += sizes[i];
                }
                env.check(Tolerances.EXACT, "concat dim " + d + " " + v, env.be.concat(cs, d, out), REF.concat(rs, d, out));
            }
        int[][][] pads = {{{0, 1, 2}, {3, 0, 1}}, {{0, 0, 0}, {0, 0, 0}}, {{2, 2, 2}, {2, 2, 2}}, {{0, 0, 17}, {0, 0, 0}}};
        for (int[][] pd : pads)
            for (View v : View.values())
                for (double value : new double[] {0, -1.5}) {
                    In x = env.in(base, v, -1, 1);
                    env.check(Tolerances.EXACT, "pad " + Arrays.deepToString(pd) + " " + v + " value " + value, env.be.pad(x.c(), pd[0], pd[1], value),
                            REF.pad(x.r(), pd[0], pd[1], value));
                }
    }

    // ------------------------------------------------------------------ in place

    @ParameterizedTest
    @MethodSource("targets")
    void inPlace(Target t) {
        Env env = new Env(t, 17);
        for (int[] shape : List.of(s(17), s(3, 33), s(4, 16, 9), s(), s(2, 40000)))
            for (View dv : List.of(View.CONTIGUOUS, View.TRANSPOSED, View.STEPPED, View.OFFSET))
                for (View sv : View.values()) {
                    if (Shapes.numel(shape) > 1000 && (dv != View.CONTIGUOUS || sv == View.TRANSPOSED)) continue;
                    String what = Arrays.toString(shape) + " dst " + dv + " src " + sv;
                    In dst = env.in(shape, dv, -1, 1), src = env.in(shape, sv, -1, 1);
                    env.be.copyInto(dst.c(), src.c());
                    REF.copyInto(dst.r(), src.r());
                    env.check(Tolerances.EXACT, "copyInto " + what, Env.flat(dst.c()), Env.flat(dst.r()));
                    if (shape.length > 0) { // a broadcast source: one row for every row of dst
                        int[] row = shape.clone();
                        row[0] = 1;
                        In b = env.in(row, sv, -1, 1);
                        env.be.copyInto(dst.c(), b.c());
                        REF.copyInto(dst.r(), b.r());
                        env.check(Tolerances.EXACT, "copyInto broadcast " + what, Env.flat(dst.c()), Env.flat(dst.r()));
                    }
                    In acc = env.in(shape, dv == View.OFFSET ? View.OFFSET : View.CONTIGUOUS, -1, 1);
                    for (double alpha : new double[] {1, -0.37}) {
                        env.be.addInto(acc.c(), src.c(), alpha);
                        REF.addInto(acc.r(), src.r(), alpha);
                        env.check(Tolerances.UPDATE, "addInto alpha " + alpha + " " + what, Env.flat(acc.c()), Env.flat(acc.r()));
                    }
                    env.be.scaleInPlace(acc.c(), 0.3);
                    REF.scaleInPlace(acc.r(), 0.3);
                    env.check(Tolerances.UPDATE, "scaleInPlace " + what, Env.flat(acc.c()), Env.flat(acc.r()));
                }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void sgdStep(Target t) {
        Env env = new Env(t, 18);
        // {momentum, dampening, weight decay, nesterov}
        double[][] cfg = {{0, 0, 0, 0}, {0, 0, 1e-2, 0}, {0.9, 0, 0, 0}, {0.9, 0.1, 5e-4, 0}, {0.9, 0, 5e-4, 1}, {0.5, 0, 0, 1}};
        for (double[] c : cfg)
            for (int[] shape : List.of(s(17), s(3, 65), s(40000))) {
                In p = env.in(shape, -1, 1), buf = c[0] == 0 ? null : env.in(shape, -1, 1); // the first step must ignore buf's contents
                for (int step = 0; step < 3; step++) {
                    In g = env.in(shape, step == 1 ? View.STEPPED : View.CONTIGUOUS, -1, 1);
                    String what = Arrays.toString(c) + " " + Arrays.toString(shape) + " step " + step;
                    env.be.sgdStep(p.c(), g.c(), buf == null ? null : buf.c(), 0.1, c[0], c[1], c[2], c[3] != 0, step == 0);
                    REF.sgdStep(p.r(), g.r(), buf == null ? null : buf.r(), 0.1, c[0], c[1], c[2], c[3] != 0, step == 0);
                    env.check(Tolerances.UPDATE, "sgd p " + what, p.c(), p.r());
                    if (buf != null) env.check(Tolerances.UPDATE, "sgd buf " + what, buf.c(), buf.r());
                }
            }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void adamStep(Target t) {
        Env env = new Env(t, 19);
        for (boolean decoupled : new boolean[] {false, true})
            for (double wd : new double[] {0, 0.05})
                for (int[] shape : List.of(s(17), s(3, 65), s(40000))) {
                    In p = env.in(shape, -1, 1), m = env.in(shape, 0, 0), v = env.in(shape, 0, 0);
                    for (int step = 1; step <= 3; step++) {
                        In g = env.in(shape, step == 2 ? View.TRANSPOSED : View.CONTIGUOUS, -1, 1);
                        String what = (decoupled ? "adamw" : "adam") + " wd " + wd + " " + Arrays.toString(shape) + " step " + step;
                        env.be.adamStep(p.c(), g.c(), m.c(), v.c(), 1e-2, 0.9, 0.999, 1e-8, wd, decoupled, step);
                        REF.adamStep(p.r(), g.r(), m.r(), v.r(), 1e-2, 0.9, 0.999, 1e-8, wd, decoupled, step);
                        env.check(Tolerances.UPDATE, "p " + what, p.c(), p.r());
                        env.check(Tolerances.UPDATE, "m " + what, m.c(), m.r());
                        env.check(Tolerances.UPDATE, "v " + what, v.c(), v.r());
                    }
                }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void sparseRecoding(Target t) {
        Env env = new Env(t, 20);
        for (int[] shape : List.of(s(17), s(16, 8, 3, 3), s(40000)))
            for (double rho : new double[] {0.1, 0.5, 1.0}) {
                In g = env.in(shape, -1, 1), w = env.in(shape, View.TRANSPOSED, -1, 1), a = env.in(shape, -1, 1);
                double[] mags = a.r().abs().toDoubleArray();
                Arrays.sort(mags);
                double thr = mags[mags.length - (int) Math.ceil(rho * mags.length)];
                String what = Arrays.toString(shape) + " rho " + rho;
                double sc = kr(env.be).sparseRecoding(g.c(), w.c(), a.c(), thr, 0.05);
                double sr = kr(REF).sparseRecoding(g.r(), w.r(), a.r(), thr, 0.05);
                env.check(Tolerances.UPDATE, "sparseRecoding grad " + what, g.c(), g.r());
                env.check(Tolerances.SUM, "sparseRecoding sum " + what, new double[] {sc}, new double[] {sr}, s(1)); // a host value whatever the device
            }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void sparseRecodingSgd(Target t) {
        Env env = new Env(t, 21);
        for (int[] shape : List.of(s(17), s(16, 8, 3, 3), s(40000)))
            for (double momentum : new double[] {0, 0.9})
                for (boolean first : new boolean[] {true, false}) {
                    In g = env.in(shape, -1, 1), w = env.in(shape, -1, 1), a = env.in(shape, -1, 1), buf = env.in(shape, -1, 1);
                    double thr = 0.4;
                    String what = Arrays.toString(shape) + " momentum " + momentum + (first ? " first" : "");
                    Tensor bc = momentum == 0 ? null : buf.c(), br = momentum == 0 ? null : buf.r();
                    double sc = kr(env.be).sparseRecodingSgd(g.c(), w.c(), a.c(), bc, thr, 0.05, 0.1, momentum, 0, 5e-4, false, first);
                    double sr = kr(REF).sparseRecodingSgd(g.r(), w.r(), a.r(), br, thr, 0.05, 0.1, momentum, 0, 5e-4, false, first);
                    env.check(Tolerances.UPDATE, "sparseRecodingSgd w " + what, w.c(), w.r());
                    if (bc != null) env.check(Tolerances.UPDATE, "sparseRecodingSgd buf " + what, bc, br);
                    env.check(Tolerances.SUM, "sparseRecodingSgd sum " + what, new double[] {sc}, new double[] {sr}, s(1));
                }
    }

    private static KrKernels kr(Backend b) {
        return b.extension(KrKernels.class).orElseThrow(() -> new AssertionError(b.name() + " has no KR kernels"));
    }

    // ------------------------------------------------------------------ end to end through Tensor ops

    /**
     * Runs {@code f} forward and backward on the target (float32) and on the reference (float64) and
     * compares output and gradients; fails unless the graph holds every primitive the test's {@link Covers} names.
     */
    static void endToEnd(Env env, TestInfo info, String what, Function<List<Tensor>, Tensor> f, List<float[]> data, List<int[]> shapes) {
        List<Tensor> cIn = new ArrayList<>(), rIn = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            cIn.add(Tensor.of(data.get(i), shapes.get(i)).to(env.target.device()).requiresGrad(true));
            rIn.add(Tensor.of(data.get(i), shapes.get(i)).to(DType.F64).requiresGrad(true));
        }
        Tensor cy, ry;
        try (var s = env.target.scope()) {
            cy = f.apply(cIn);
            Covers covers = info.getTestMethod().orElseThrow().getAnnotation(Covers.class);
            java.util.Set<Class<? extends Primitive>> ran = GraphProbe.primitives(cy);
            for (Class<? extends Primitive> p : covers == null ? List.<Class<? extends Primitive>>of() : List.of(covers.value()))
                if (!ran.contains(p))
                    fail("[" + what + "] @Covers names " + p.getSimpleName() + " but the graph holds only " + ran.stream().map(Class::getSimpleName).toList());
            cy.backward();
        }
        try (var s = Backends.use("scalar")) {
            ry = f.apply(rIn);
            ry.backward();
        }
        assertEquals(DType.F32, cy.dtype(), what + ": float32 in, float32 out");
        env.check(Tolerances.END_TO_END, what + " output", cy, ry);
        for (int i = 0; i < cIn.size(); i++) env.check(Tolerances.END_TO_END, what + " gradient of input " + i, cIn.get(i).grad(), rIn.get(i).grad());
    }

    float[] rand(Env env, int n, double lo, double hi) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) env.uniform(lo, hi);
        return f;
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Conv2d.class, BatchNorm.class, Unary.class, MaxPool2d.class, AvgPool2d.class, Reduce.class, MatMul.class, LogSoftmax.class, Reshape.class,
        Permute.class, Binary.class, Pow.class})
    void smallNetworkForwardAndBackward(Target t, TestInfo info) {
        Env env = new Env(t, 20);
        int n = 4, c = 3, h = 9, co = 8, classes = 5;
        int[] labels = {0, 3, 4, 1};
        List<int[]> shapes = List.of(s(n, c, h, h), s(co, c, 3, 3), s(co), s(co), s(co), s(classes, co), s(classes));
        List<float[]> data = new ArrayList<>();
        for (int[] sh : shapes) data.add(rand(env, Shapes.numel(sh), -1, 1));
        for (int i = 0; i < co; i++) data.get(3)[i] += 1.5f; // gamma away from 0
        endToEnd(env, info, "conv-bn-relu-pool-linear-ce", xs -> {
            Tensor y = F.conv2d(xs.get(0), xs.get(1), xs.get(2), 1, 1);
            y = F.batchNorm(y, null, null, xs.get(3), xs.get(4), true, 0.1, 1e-5).relu();
            y = F.maxPool2d(y, 2, 2, 0);
            y = F.avgPool2d(y, 3, 1, 1).mean(new int[] {2, 3}, false);
            Tensor logits = F.linear(y, xs.get(5), xs.get(6));
            return F.crossEntropy(logits, labels, 0.1).add(logits.pow(2).mean().mul(0.01));
        }, data, shapes);
    }

    @ParameterizedTest
    @MethodSource("targets")
    @Covers({Binary.class, Unary.class, Pow.class, Where.class, Concat.class, Pad.class, Copy.class, Permute.class, Expand.class, Slice.class, Reduce.class,
        LogSoftmax.class})
    void elementwiseAndStructureOpsForwardAndBackward(Target t, TestInfo info) {
        Env env = new Env(t, 21);
        List<int[]> shapes = List.of(s(3, 17), s(17), s(17, 3), s(1, 17));
        List<float[]> data = new ArrayList<>();
        for (int[] sh : shapes) data.add(rand(env, Shapes.numel(sh), 0.2, 2));
        endToEnd(env, info, "elementwise-structure", xs -> {
            Tensor a = xs.get(0), b = xs.get(1), ct = xs.get(2).t(), d = xs.get(3);
            Tensor u = a.mul(b).sub(ct.div(d)).exp().log().sqrt().tanh().sigmoid().abs();
            Tensor v = a.maximum(ct).minimum(d.expand(3, 17)).neg().pow(3);
            Tensor w = Tensor.where(a.gt(ct), u, v);
            Tensor cat = Tensor.cat(1, w, a.slice(1, 0, 17, 2), ct.pad(0.5, 1, 2));
            Tensor sm = F.logSoftmax(cat, 0).add(F.logSoftmax(cat, 1));
            Tensor red = sm.sum(0, true).add(sm.amax(1, false).sum()).add(sm.transpose(0, 1).contiguous().sum(new int[] {0}, false).mean());
            return red.sum().add(a.relu().mul(b).sum(1, false).sum());
        }, data, shapes);
    }
}
