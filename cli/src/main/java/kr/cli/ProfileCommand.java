package kr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import kr.config.ConfigException;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.Trace;
import kr.engine.backend.Backends;
import kr.engine.backend.StepArena;
import kr.engine.backend.MachinePeak;
import kr.engine.backend.Profiler;
import kr.io.AtomicFiles;
import kr.models.Classifier;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kr profile}: time every kernel of training steps (forward, cross-entropy, backward, SGD)
 * against the machine's measured peaks, per kernel, per shape and per layer, with a Chrome trace.
 */
@Command(name = "profile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Profile training steps of a model on random data. Per kernel: calls, time, achieved GFLOP/s and",
            "GB/s, FLOP per byte, compute- or memory-bound against the measured peaks (a roofline) and the",
            "fraction of that roof; then the slowest kernels by shape and the time per layer. --out also",
            "writes a Chrome trace (Perfetto, chrome://tracing) with steps, forward/backward and layers.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr profile --model resnet20", "  kr profile --model resnet8x4 --batch-size 64 --steps 5 --out results/profile-r8x4",
            "  # GPU time per call and launch (CUDA events), against the device's peaks:",
            "  kr profile --model resnet20 --device cuda --out results/profile-cuda"})
final class ProfileCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "resnet20", description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--classes", paramLabel = "N", defaultValue = "100", description = "Classes of the model's head (default: ${DEFAULT-VALUE}, as kr models).")
    int classes;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "10", description = "Profiled steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Unprofiled warm-up steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--top", paramLabel = "N", defaultValue = "12", description = "Kernel shapes listed (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--out", paramLabel = "DIR", description = "Write profile.txt and trace.json here.")
    Path out;

    @Mixin
    EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) throw new kr.config.ConfigException("[profile] --batch-size must be >= 1, got " + batch);
        if (classes < 1) throw new kr.config.ConfigException("[profile] --classes must be >= 1, got " + classes);
        if (steps < 1) throw new kr.config.ConfigException("[profile] --steps must be >= 1, got " + steps);
        if (warmup < 0) throw new kr.config.ConfigException("[profile] --warmup must be >= 0, got " + warmup);
        if (top < 0) throw new kr.config.ConfigException("[profile] --top must be >= 0, got " + top);
        EngineOptions.Applied e = engine.apply();
        Device device = Device.parse(engine.device == null ? "cpu" : engine.device);
        Init.manualSeed(0);
        Classifier net = Zoo.create(model, classes);
        net.to(device);
        SGD opt = new SGD(net.parameters(), 0.05, 0.9, 5e-4, false);
        Tensor x = Tensor.randn(new Rng(1), batch, 3, 32, 32).to(device);
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = i % classes;
        double unprofiled = Double.NaN;
        StepArena arena = StepArena.forTraining(); // as kr train does
        for (int i = 0; i < warmup; i++) {
            long t0 = System.nanoTime();
            step(net, opt, x, y, i, arena, true); // reading the loss waits for a device
            double ms = (System.nanoTime() - t0) / 1e6;
            if (!(ms >= unprofiled)) unprofiled = ms;
        }
        Profiler p = Profiler.start(device, out != null); // a proxy around the backend; on cuda its times are CUDA events
        double ms, fastest = Double.POSITIVE_INFINITY;
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                long s = System.nanoTime();
                step(net, opt, x, y, warmup + i, arena, false);
                // a device step is only queued here; its time is the mean below
                if (device.kind() == Device.Kind.CPU) fastest = Math.min(fastest, (System.nanoTime() - s) / 1e6);
            }
            p.synchronize();
            ms = (System.nanoTime() - t0) / 1e6 / steps;
        } finally {
            p.close();
        }
        String backend = device.kind() == Device.Kind.CPU ? e.backend() + ", " + e.threads() + " thread(s)" : device + " " + Backends.of(device);
        String machine = device.kind() == Device.Kind.CPU
                ? String.format(Locale.ROOT, "machine: %s, %d compute thread(s), %s; JDK %s%n", MachinePeak.cpuModel(), e.threads(),
                        MachinePeak.vectorBits().isEmpty() ? "no Vector API" : MachinePeak.vectorBits(), Runtime.version())
                : String.format(Locale.ROOT, "machine: %s; host %s; JDK %s%n", Backends.of(device), MachinePeak.cpuModel(), Runtime.version());
        String report = String.format(Locale.ROOT, "%s, batch %d, %d step(s) after %d warm-up, backend %s: %.1f ms per step profiled (mean)%s%s%n", model, batch,
                steps, warmup, backend, ms, Double.isInfinite(fastest) ? "" : String.format(Locale.ROOT, ", fastest %.1f ms", fastest),
                Double.isNaN(unprofiled) ? "" : String.format(Locale.ROOT, "; fastest unprofiled warm-up step %.1f ms", unprofiled))
                + machine + (!StepArena.enabled() ? "" : String.format(Locale.ROOT, "step arena: %.1f MiB of kernel outputs reused step after step (-Dkr.arena=false turns it off)%n",
                        arena.heldBytes() / 1048576.0))
                + p.peakSummary() + "\n" + p.table() + "\n" + p.shapeTable(top) + "\n" + p.layerTable();
        main.out.print(report);
        if (out != null) {
            Files.createDirectories(out);
            AtomicFiles.writeString(out.resolve("profile.txt"), report);
            p.writeChromeTrace(out.resolve("trace.json"));
            main.out.println("wrote " + out.resolve("profile.txt") + " and " + out.resolve("trace.json"));
        }
        return Main.OK;
    }

    /** One training step, its phases named for the trace (autograd names "backward" itself); its loss when {@code read}, else NaN. */
    private static double step(Classifier net, SGD opt, Tensor x, int[] y, int n, StepArena arena, boolean read) {
        try (var a = arena.step(); var s = Trace.step(n)) {
            Tensor loss;
            try (var f = Trace.phase("forward")) {
                loss = F.crossEntropy(net.forward(x), y);
            }
            loss.backward();
            try (var o = Trace.phase("optimizer")) {
                opt.step();
                opt.zeroGrad();
            }
            return read ? loss.item() : Double.NaN;
        }
    }
}
