package kr.bench;

import java.util.concurrent.TimeUnit;
import kr.engine.Tensor;
import org.openjdk.jmh.annotations.*;

/** conv2d forward and both backward passes, N=128, 64 -> 64 channels, 32x32, 3x3, padding 1. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class ConvBench {
    static final Workloads.Conv CONV = new Workloads.Conv(128, 64, 64, 32, 3, 1, 1);

    private Workloads.ConvData data;

    @Setup(Level.Trial)
    public void setup() {
        for (Workloads.Pass p : Workloads.Pass.values()) Workloads.verifyConv(CONV, p);
        data = Workloads.ConvData.random(CONV, 3);
    }

    @Benchmark
    public Tensor forward() {
        return data.run(Workloads.VECTOR, Workloads.Pass.FORWARD);
    }

    @Benchmark
    public Tensor backwardInput() {
        return data.run(Workloads.VECTOR, Workloads.Pass.BACKWARD_INPUT);
    }

    @Benchmark
    public Tensor backwardWeight() {
        return data.run(Workloads.VECTOR, Workloads.Pass.BACKWARD_WEIGHT);
    }
}
