package kr.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** A full training step (batch 128, all cores) of ResNet-20; the setup checks a step against the float64 reference. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+UseTransparentHugePages"})
public class TrainStepBench {
    @Param({"resnet20"})
    String model;

    @Param({"128"})
    int batch;

    TrainStep step;

    @Setup
    public void setup() {
        step = new TrainStep(model, batch, 10);
    }

    @Benchmark
    public void trainStep() {
        step.run();
    }
}
