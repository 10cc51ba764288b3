package kr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import kr.data.Batch;
import kr.data.Dataset;
import kr.data.Loader;
import kr.engine.Device;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.io.Json;
import kr.io.SafeTensors;
import kr.models.Classifier;
import kr.train.Checkpoints;
import kr.config.ConfigException;
import kr.train.Evaluator;
import kr.train.RunData;
import kr.train.Subset;
import kr.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kr eval}: loss, top-1 and top-5 of a checkpoint on a data split. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a checkpoint: mean cross-entropy, top-1 and top-5 accuracy on a data split.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  # the best weights of a run, on the run's own test data:",
            "  kr eval --checkpoint runs/r20",
            "  kr eval --checkpoint runs/r20/checkpoints/last.json --data data/cifar100 --split train \\",
            "      --limit 5000",
            "  # an imported checkpoint:",
            "  kr eval --checkpoint resnet56.safetensors --model resnet56 --data data/cifar100",
            "  # inputs and logits, for comparing with PyTorch:",
            "  kr eval --checkpoint runs/demo --dump-logits io.safetensors"})
final class EvalCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--checkpoint", required = true, paramLabel = "PATH",
            description = "A weights .safetensors file, a run's checkpoints/last.json, or a run directory (its best weights).")
    Path checkpoint;

    @Option(names = "--data", paramLabel = "DIR", description = "Data set (default: the one the run trained on, from its config.json).")
    String data;

    @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--model", paramLabel = "NAME", description = "Network (default: the one named in the checkpoint's metadata).")
    String model;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = {"--limit", "--limit-test", "--limit-train"}, paramLabel = "N", defaultValue = "0",
            description = {"Evaluate a fixed random subset of N images (default: 0, all): the same images as a run's", "--limit-test N (--limit-train N with --split train)."})
    int limit;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--dump-logits", paramLabel = "FILE", description = "Also write the first --dump-count inputs and their logits (safetensors: input, logits).")
    Path dumpLogits;

    @Option(names = "--dump-count", paramLabel = "N", defaultValue = "16", description = "Images in --dump-logits (default: ${DEFAULT-VALUE}).")
    int dumpCount;

    @Mixin
    EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) throw new ConfigException("[eval] --batch-size must be >= 1, got " + batchSize);
        if (limit < 0) throw new ConfigException("[eval] --limit must be >= 0 (0: every image), got " + limit);
        if (dumpCount < 1) throw new ConfigException("[eval] --dump-count must be >= 1, got " + dumpCount);
        if (!split.equals("train") && !split.equals("test")) throw new ConfigException("[eval] --split must be train or test, got '" + split + "'");
        engine.apply();
        Path weights = Checkpoints.resolveWeights(checkpoint);
        SafeTensors.Contents c = Checkpoints.read(weights);
        TrainConfig runCfg = runConfig(checkpoint, weights);
        String name = model != null ? model : c.metadata().getOrDefault("kr.model", runCfg == null ? null : runCfg.model);
        if (name == null) throw new ConfigException("[eval] " + weights + " does not say which model it holds: pass --model NAME");
        String dataName = data != null ? data : runCfg == null ? null : runCfg.data;
        if (dataName == null) throw new ConfigException("[eval] no data set: pass --data DIR");
        long seed = runCfg == null ? 0 : runCfg.seed; // the run's subsets: RunData draws train with the seed, test with seed + 1
        Dataset ds = Subset.random(Zoo.open(dataName, split), limit, split.equals("train") ? seed : seed + 1);
        Classifier net = Zoo.create(name, ds.numClasses());
        Checkpoints.loadInto(net, c.tensors(), weights.toString());
        warnNonFinite(main, weights, c.tensors());
        Device device = Device.parse(engine.device);
        net.to(device);
        float[][] norm = RunData.normalization(runCfg == null ? "auto" : runCfg.normalize, ds.channels(), ds.numClasses());
        Loader loader = new Loader(ds, new Loader.Options(batchSize, false, false, kr.data.Augment.NONE, norm[0], norm[1], 0), 0);
        long t0 = System.nanoTime();
        Evaluator.Result r = Evaluator.evaluate(net, loader, device);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", weights.toString());
            m.put("model", name);
            m.put("data", dataName);
            m.put("split", split);
            m.put("images", (long) r.count());
            m.put("loss", r.loss());
            m.put("top1", r.top1());
            m.put("top5", r.top5());
            m.put("seconds", secs);
            main.out.println(Json.write(m));
        } else {
            main.out.printf(Locale.ROOT, "%s (%s) on %s/%s, %,d images: loss %.4f  top-1 %.2f%%  top-5 %.2f%%  (%.1fs)%n", weights, name, dataName, split,
                    r.count(), r.loss(), 100 * r.top1(), 100 * r.top5(), secs);
        }
        if (dumpLogits != null) dump(net, loader, device);
        return Main.OK;
    }

    private void dump(Classifier net, Loader loader, Device device) throws java.io.IOException {
        int n = Math.min(dumpCount, loader.dataset().size());
        List<Tensor> xs = new java.util.ArrayList<>(), ys = new java.util.ArrayList<>();
        List<Integer> labels = new java.util.ArrayList<>();
        net.eval();
        try (var ng = Grad.noGrad()) {
            for (var it = loader.epoch(0, 0); it.hasNext() && labels.size() < n; ) {
                Batch b = it.next();
                int k = Math.min(b.labels().length, n - labels.size());
                Tensor x = b.images().narrow(0, 0, k).contiguous();
                xs.add(x);
                ys.add(net.forward(x.to(device)).to(Device.CPU));
                for (int i = 0; i < k; i++) labels.add(b.labels()[i]);
            }
        }
        Map<String, Tensor> io = new LinkedHashMap<>();
        io.put("input", Tensor.cat(xs, 0));
        io.put("logits", Tensor.cat(ys, 0));
        SafeTensors.write(dumpLogits, io, Map.of("labels", Json.write(labels)));
        main.out.println("wrote " + n + " inputs and logits to " + dumpLogits);
    }

    /** One line on stderr when weights hold NaN or infinities: every figure computed from them is meaningless. */
    static void warnNonFinite(Main main, Path file, Map<String, Tensor> tensors) {
        String first = Checkpoints.firstNonFinite(tensors);
        if (first != null)
            main.err.println("kr: warning: " + file + " holds non-finite values in " + Checkpoints.countNonFinite(tensors) + " tensor(s) (first: " + first
                    + "); results computed from it are meaningless");
    }

    /** The configuration saved with the run a checkpoint belongs to, if any. */
    static TrainConfig runConfig(Path given, Path weights) {
        for (Path p : List.of(given.resolve("config.json"), weights.toAbsolutePath().getParent().resolveSibling("config.json"))) {
            if (!Files.isRegularFile(p)) continue;
            try {
                return new TrainConfig().apply(TrainConfig.readFile(p));
            } catch (java.io.IOException | RuntimeException e) {
                return null; // a foreign or damaged config.json: fall back to the flags
            }
        }
        return null;
    }
}
