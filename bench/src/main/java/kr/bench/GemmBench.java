package kr.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Square SGEMM on all kr threads; the {@code gflops} counter is GFLOP/s. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBench {
    @Param({"256", "512", "1024", "2048"})
    public int n;

    private float[] a, b, c;

    /** Counts floating-point operations; JMH reports them per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;
    }

    @Setup(Level.Trial)
    public void setup() {
        a = Workloads.random(1, n * n);
        b = Workloads.random(2, n * n);
        c = new float[n * n];
        Workloads.gemm(n, a, b, c);
        Workloads.verifyGemm(n, a, b, c);
    }

    @Benchmark
    public float[] sgemm(Flops f) {
        Workloads.gemm(n, a, b, c);
        f.gflops += 2.0 * n * n * n / 1e9;
        return c;
    }
}
