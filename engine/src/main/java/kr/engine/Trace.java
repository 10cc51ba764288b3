package kr.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Names for the work a thread does, for profilers: a stack of scopes (a training step, a phase such
 * as forward or backward, a layer by its module path such as {@code layer3.1.conv2}) that a
 * {@link Recorder} installed on the thread sees open and close, and reads when a kernel runs.
 * {@link kr.nn.Module} layers open their own scope, autograd opens "backward" and, per node, the
 * layer that recorded it. Without a recorder on the thread every call is a no-op that allocates
 * nothing (one volatile read).
 *
 * <pre>{@code
 * try (var s = Trace.step(3); var f = Trace.phase("forward")) { loss = F.crossEntropy(net.forward(x), y); }
 * }</pre>
 */
public final class Trace {
    /** What a scope stands for. */
    public enum Kind { STEP, PHASE, LAYER }

    /** A profiler that follows the scopes of the thread it is installed on. */
    public interface Recorder {
        /** {@code scope} opened (it is now the innermost one). */
        void enter(Scope scope);

        /** {@code scope} closed. */
        void exit(Scope scope);
    }

    /** What {@link #install} returns: closing it stops the recorder following the thread. */
    public interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    /** An open scope; close it (try-with-resources) where the work it names ends. */
    public static class Scope implements AutoCloseable {
        private final Kind kind;
        private final String name;
        private final long step;
        private final State state;

        private Scope(Kind kind, String name, long step, State state) {
            this.kind = kind;
            this.name = name;
            this.step = step;
            this.state = state;
        }

        public Kind kind() {
            return kind;
        }

        /** "step 3", "forward", "layer3.1.conv2". */
        public String name() {
            return name;
        }

        /** The step number of a {@link Kind#STEP} scope, else -1. */
        public long step() {
            return step;
        }

        @Override
        public void close() {
            if (state == null) return;
            List<Scope> st = state.stack;
            int i = st.lastIndexOf(this);
            if (i < 0) return; // closed twice, or dropped by uninstall
            // scopes closed out of order close their inner ones first, so recorders see proper nesting
            for (int k = st.size() - 1; k >= i; k--) {
                Scope s = st.remove(k);
                if (state.recorder != null) state.recorder.exit(s);
            }
        }
    }

    private static final Scope NONE = new Scope(Kind.LAYER, "", -1, null);

    private static final class State {
        Recorder recorder;
        final List<Scope> stack = new ArrayList<>();
        String op;
    }

    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);
    private static volatile int installed; // recorders installed on any thread; 0 makes every call a no-op

    private Trace() {}

    /**
     * Makes {@code r} follow this thread's scopes until the returned handle closes (a profiler
     * does this; one recorder per thread).
     */
    public static Handle install(Recorder r) {
        State s = STATE.get();
        if (s.recorder != null) throw new IllegalStateException("[trace] a recorder already follows this thread; close the other profiler first");
        s.recorder = r;
        synchronized (Trace.class) {
            installed++;
        }
        return () -> {
            if (s.recorder != r) return;
            s.recorder = null;
            s.stack.clear();
            s.op = null;
            synchronized (Trace.class) {
                installed--;
            }
        };
    }

    /** Whether a recorder follows this thread (cheap when none does anywhere). */
    public static boolean recording() {
        return installed != 0 && STATE.get().recorder != null;
    }

    /** Opens the scope of training step {@code n} ("step n"). */
    public static Scope step(long n) {
        return open(Kind.STEP, null, n);
    }

    /** Opens a phase: "forward", "backward", "optimizer", "loss", ... */
    public static Scope phase(String name) {
        return open(Kind.PHASE, name, -1);
    }

    /** Opens a layer's scope, named by its module path ({@code layer1.0.conv1}); null opens nothing. */
    public static Scope layer(String name) {
        return name == null ? NONE : open(Kind.LAYER, name, -1);
    }

    private static Scope open(Kind kind, String name, long step) {
        if (installed == 0) return NONE;
        State s = STATE.get();
        if (s.recorder == null) return NONE;
        Scope sc = new Scope(kind, kind == Kind.STEP ? "step " + step : name, step, s);
        s.stack.add(sc);
        s.recorder.enter(sc);
        return sc;
    }

    /** The innermost layer's name, or null (also when nothing records). */
    public static String currentLayer() {
        Scope s = innermost(Kind.LAYER);
        return s == null ? null : s.name;
    }

    /** The innermost phase's name, or null. */
    public static String currentPhase() {
        Scope s = innermost(Kind.PHASE);
        return s == null ? null : s.name;
    }

    /** The innermost step's number, or -1. */
    public static long currentStep() {
        Scope s = innermost(Kind.STEP);
        return s == null ? -1 : s.step;
    }

    /** The primitive whose vector-Jacobian product runs now (set by autograd), or null. */
    public static String currentOp() {
        if (installed == 0) return null;
        return STATE.get().op;
    }

    /** Sets the primitive {@link #currentOp} names (autograd, around each vjp); null clears it. */
    public static void op(String primitive) {
        if (installed == 0) return;
        State s = STATE.get();
        if (s.recorder != null) s.op = primitive;
    }

    private static Scope innermost(Kind kind) {
        if (installed == 0) return null;
        List<Scope> st = STATE.get().stack;
        for (int i = st.size() - 1; i >= 0; i--) if (st.get(i).kind == kind) return st.get(i);
        return null;
    }
}
