package kr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.ProfileSession;
import kr.engine.backend.Profiling;
import kr.io.AtomicFiles;
import kr.models.Classifier;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kr profile}: time every kernel of a training step (forward, cross-entropy, backward, SGD). */
@Command(name = "profile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Profile training steps of a model on random data: a table per kernel (calls, total ms,",
            "mean us, share of the step) and a Chrome trace (open in Perfetto or chrome://tracing).", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  kr profile --model resnet20", "  kr profile --model resnet8x4 --batch-size 64 --steps 5 --out results/profile-r8x4",
            "  # GPU time per kernel launch (CUDA events):",
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
        EngineOptions.Applied e = engine.apply();
        Device device = Device.parse(engine.device == null ? "cpu" : engine.device);
        Init.manualSeed(0);
        Classifier net = Zoo.create(model, classes);
        net.to(device);
        SGD opt = new SGD(net.parameters(), 0.05, 0.9, 5e-4, false);
        Tensor x = Tensor.randn(new Rng(1), batch, 3, 32, 32).to(device);
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = i % classes;
        for (int i = 0; i < warmup; i++) step(net, opt, x, y);
        String table;
        double ms;
        try (ProfileSession p = Profiling.start(device, out != null)) { // CPU: a proxy backend; cuda: CUDA events per launch
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) step(net, opt, x, y);
            p.synchronize(); // device kernels run asynchronously
            ms = (System.nanoTime() - t0) / 1e6 / steps;
            p.close();
            table = p.table();
            if (out != null) {
                Files.createDirectories(out);
                p.writeChromeTrace(out.resolve("trace.json"));
            }
        }
        String backend = device.kind() == Device.Kind.CPU ? e.backend() + ", " + e.threads() + " thread(s)" : device + " " + Backends.of(device);
        String head = String.format(Locale.ROOT, "%s, batch %d, %d step(s) after %d warm-up, backend %s: %.1f ms per step (profiled)%n",
                model, batch, steps, warmup, backend, ms);
        main.out.print(head + table);
        if (out != null) {
            AtomicFiles.writeString(out.resolve("profile.txt"), head + table);
            main.out.println("wrote " + out.resolve("profile.txt") + " and " + out.resolve("trace.json"));
        }
        return Main.OK;
    }

    private static void step(Classifier net, SGD opt, Tensor x, int[] y) {
        opt.zeroGrad();
        F.crossEntropy(net.forward(x), y).backward();
        opt.step();
    }
}
