package kr.cuda;

import static kr.cuda.Launcher.check;

import java.util.Locale;
import java.util.logging.Logger;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUgraphNode;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import kr.engine.backend.StepCapture;

/**
 * Runs a piece of device work (a training step) as a replayed CUDA graph. The first {@code warmup}
 * runs are eager (they load the kernel modules and create lazy state such as momentum buffers);
 * the next run captures the body from the backend's stream into a graph (kernels are recorded, not
 * run), instantiates it and launches it; every later run is one {@code cuGraphLaunch}, which costs
 * microseconds instead of the body's hundreds of Java-side launches.
 *
 * <p>The body must be <b>capture-safe</b>: it reads its inputs from static device buffers that the
 * caller rewrites before each run (asynchronously, on the backend's stream), keeps its results on
 * the device, and never reads the device from the host: {@code item()}, {@code toFloatArray()},
 * uploads from host arrays ({@code Tensor.of(...).to(cuda)}) and stream synchronisations throw
 * during a capture, naming the op. Everything the body allocates while it is captured comes from a
 * private pool of the {@link CachingAllocator} that stays reserved for this graph until
 * {@link #close()} (the replays write to those addresses), so the tensors a captured body leaves
 * in fields (its loss, its logits) hold the results of the latest replay.
 *
 * <p>{@code -Dkr.cuda.graphs=false} makes every run eager (debugging, or to compare). When the
 * capture fails and {@code fallBack} is set, the reason is logged and kept ({@link #failure()}),
 * and the step runs eagerly from then on; otherwise the failure is thrown.
 *
 * <pre>{@code
 * GraphedStep g = new GraphedStep(backend, "train step", () -> step(staticX, staticY), 1, false);
 * for (...) { writeInputs(); g.run(); }   // run 1 eager, run 2 captured and launched, then replays
 * g.close();
 * }</pre>
 */
public final class GraphedStep implements StepCapture.Replay {
    private static final Logger LOG = Logger.getLogger("kr.cuda");

    /** Where a step is: warming up (eager), replaying its graph, or eager for good (graphs off, or the capture failed). */
    public enum State { WARMING_UP, REPLAYING, EAGER }

    private final CudaBackend be;
    private final String name;
    private final Runnable body;
    private final int warmup;
    private final boolean fallBack;
    private boolean enabled;
    private String eagerReason;
    private CachingAllocator.Pool<CUdeviceptr> pool;
    private CUgraph graph;
    private CUgraphExec exec;
    private long nodes;
    private int runs;
    private String failure;

    /** @param warmup eager runs before the capture (at least 1); @param fallBack run eagerly (and log) when the capture fails instead of throwing */
    public GraphedStep(CudaBackend be, String name, Runnable body, int warmup, boolean fallBack) {
        if (warmup < 1) throw new IllegalArgumentException("[cuda graph] at least one eager warm-up run is needed before a capture, got " + warmup);
        this.be = be;
        this.name = name;
        this.body = body;
        this.warmup = warmup;
        this.fallBack = fallBack;
        this.enabled = enabled();
        this.eagerReason = enabled ? null : "graphs are off (EngineConfig.cudaGraphs, -Dkr.cuda.graphs=false)";
    }

    /** Never capture this step ({@code why} is reported by {@link #describe()}). */
    @Override
    public void disable(String why) {
        if (exec != null) throw new IllegalStateException("[cuda graph] '" + name + "' is already captured");
        enabled = false;
        eagerReason = why;
    }

    /** Whether graphs are on ({@link kr.engine.EngineConfig#cudaGraphs()}, default true). */
    public static boolean enabled() {
        return kr.engine.backend.Backends.config().cudaGraphs();
    }

    /** Runs the step once: eagerly while warming up, else by launching (after capturing, the first time) its graph. */
    @Override
    public void run() {
        if (exec != null) {
            launch();
        } else if (!enabled || failure != null || runs < warmup) {
            body.run();
        } else if (capture()) {
            launch();
        } else {
            body.run(); // the capture recorded nothing that ran: this run's work is still to do
        }
        runs++;
    }

    @Override
    public boolean replaying() {
        return state() == State.REPLAYING;
    }

    public State state() {
        if (exec != null) return State.REPLAYING;
        return !enabled || failure != null ? State.EAGER : State.WARMING_UP;
    }

    /** Why the capture failed (null when it did not, or has not run). */
    public String failure() {
        return failure;
    }

    /** Nodes (kernel launches and memsets) in the captured graph; 0 before the capture. */
    public long nodes() {
        return nodes;
    }

    /** Device memory reserved for the graph's buffers (0 before the capture). */
    public long poolBytes() {
        return pool == null ? 0 : pool.ownedBytes();
    }

    /** One line: the state, the graph's size and memory, or why it is eager. */
    @Override
    public String describe() {
        return switch (state()) {
            case REPLAYING -> String.format(Locale.ROOT, "%s: CUDA graph of %d nodes replayed, %s reserved", name, nodes, CachingAllocator.mib(poolBytes()));
            case WARMING_UP -> name + ": warming up (" + runs + " of " + warmup + " eager runs)";
            case EAGER -> name + ": eager (" + (failure != null ? "capture failed: " + failure : eagerReason) + ")";
        };
    }

    /** Captures the body into a graph and instantiates it; false (fallBack) or throws when that fails. */
    private boolean capture() {
        CudaContext ctx = be.context();
        ctx.synchronize("graph capture"); // a fault of the warm-up surfaces here, not as a capture error
        CachingAllocator<CUdeviceptr> alloc = be.allocator();
        CachingAllocator.Pool<CUdeviceptr> p = alloc.newPool(name);
        CUgraph g = new CUgraph();
        Throwable err = null;
        int rc = CUresult.CUDA_SUCCESS;
        boolean began = false;
        alloc.beginPool(p);
        try {
            ctx.beginCapture();
            began = true;
            body.run();
        } catch (Throwable e) {
            err = e;
        } finally {
            if (began) rc = ctx.endCapture(g);
            alloc.endPool();
        }
        boolean haveGraph = began && rc == CUresult.CUDA_SUCCESS;
        if (err == null && !haveGraph)
            err = new CudaException("[cuda graph] capturing '" + name + "' failed: cuStreamEndCapture returned " + CUresult.stringFor(rc)
                    + " (a call that is not allowed in a capture ran during the step: a synchronous copy, a synchronisation, or work on another stream)");
        CUgraphExec x = null;
        if (err == null) {
            x = new CUgraphExec();
            int irc = JCudaDriver.cuGraphInstantiate(x, g, 0);
            if (irc != CUresult.CUDA_SUCCESS) {
                err = new CudaException("[cuda graph] cuGraphInstantiate of '" + name + "' failed: " + CUresult.stringFor(irc));
                x = null;
            }
        }
        if (err != null) {
            if (haveGraph) JCudaDriver.cuGraphDestroy(g);
            alloc.closePool(p); // nothing ran: the blocks may serve eager work
            failure = err.getMessage();
            if (!fallBack) throw err instanceof RuntimeException r ? r : new CudaException("[cuda graph] capturing '" + name + "' failed: " + err, err);
            LOG.warning("[cuda graph] " + name + " runs eagerly: " + failure);
            return false;
        }
        try { // the node count is for the report only
            long[] count = new long[1];
            if (JCudaDriver.cuGraphGetNodes(g, (CUgraphNode[]) null, count) == CUresult.CUDA_SUCCESS) nodes = count[0];
        } catch (RuntimeException e) {
            nodes = -1;
        }
        graph = g;
        exec = x;
        pool = p;
        LOG.info("[cuda graph] " + describe());
        return true;
    }

    private void launch() {
        CudaContext ctx = be.context();
        ctx.makeCurrent();
        check("graph", "cuGraphLaunch (" + name + ")", JCudaDriver.cuGraphLaunch(exec, ctx.stream()));
        if (kr.engine.backend.Backends.config().cudaSync()) ctx.synchronize("graph " + name);
    }

    /** Waits for the last replay, destroys the graph and gives its pool back to the shared cache. */
    @Override
    public void close() {
        if (exec == null) return;
        try {
            be.context().synchronize("graph close");
        } finally {
            JCudaDriver.cuGraphExecDestroy(exec);
            JCudaDriver.cuGraphDestroy(graph);
            be.allocator().closePool(pool);
            exec = null;
            graph = null;
        }
    }
}
