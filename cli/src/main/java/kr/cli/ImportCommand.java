package kr.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import kr.engine.Shapes;
import kr.engine.Tensor;
import kr.io.SafeTensors;
import kr.models.Classifier;
import kr.nn.Init;
import kr.train.CheckpointException;
import kr.train.Checkpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kr import}: a PyTorch state dict (saved as safetensors, RepDistiller names) onto one of our
 * models. Wrapper prefixes ("module." from DataParallel, "model.") are stripped when every name has
 * them; BatchNorm's {@code num_batches_tracked} counters are kept when present and may be absent.
 */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a PyTorch state dict (safetensors, RepDistiller names) into a kr checkpoint.",
            "Checks every tensor name and shape against the model, reports all mismatches, and writes a kr weights file.", ""},
        footerHeading = "%nExamples:%n",
        footer = {"  # in Python, from a RepDistiller checkpoint:",
            "  #   sd = torch.load('resnet56_vanilla/ckpt_epoch_240.pth')['model']",
            "  #   safetensors.torch.save_file(sd, 'resnet56.safetensors')",
            "  kr import --model resnet56 --in resnet56.safetensors --out teachers/resnet56.safetensors",
            "  kr eval --checkpoint teachers/resnet56.safetensors --data data/cifar100"})
final class ImportCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "The kr model the weights belong to (`kr models`).")
    String model;

    @Option(names = "--classes", paramLabel = "N", description = "Classes of its head (default: the rows of the file's last linear layer, e.g. fc.weight).")
    Integer classes;

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "The PyTorch state dict as .safetensors.")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the kr weights file.")
    Path out;

    @Override
    public Integer call() throws Exception {
        SafeTensors.Contents contents = Checkpoints.read(in);
        Map<String, Tensor> src = contents.tensors();
        Map<String, Tensor> sd = new LinkedHashMap<>(src);
        String stripped = "";
        for (String prefix : List.of("module.", "model.", "state_dict.")) {
            if (!sd.isEmpty() && sd.keySet().stream().allMatch(k -> k.startsWith(prefix))) {
                sd = Checkpoints.withoutPrefix(sd, prefix);
                stripped += prefix;
            }
        }
        if (classes != null && classes < 1) throw new kr.config.ConfigException("[import] --classes must be >= 1, got " + classes);
        int heads = classes != null ? classes : classesOf(model, sd);
        Init.manualSeed(0);
        Classifier net = Zoo.create(model, heads);
        Map<String, Tensor> mine = net.stateDict();
        List<String> problems = new ArrayList<>();
        for (var e : mine.entrySet()) {
            Tensor t = sd.get(e.getKey());
            if (t == null && e.getKey().endsWith("num_batches_tracked")) continue; // optional, as in PyTorch
            if (t == null) problems.add("missing     " + e.getKey() + " " + Shapes.str(e.getValue().shape()));
            else if (!Shapes.same(t.shape(), e.getValue().shape()))
                problems.add("wrong shape " + e.getKey() + ": file " + Shapes.str(t.shape()) + ", model " + Shapes.str(e.getValue().shape()));
            else if (isInteger(contents.dtypes().get(prefixed(stripped, e.getKey()))) && !e.getKey().endsWith("num_batches_tracked"))
                problems.add("wrong dtype " + e.getKey() + ": file " + contents.dtypes().get(prefixed(stripped, e.getKey())) + " (integers), model float32");
        }
        for (var e : sd.entrySet()) if (!mine.containsKey(e.getKey())) problems.add("unexpected  " + e.getKey() + " " + Shapes.str(e.getValue().shape()));
        main.out.printf("%s: %d tensors%s%n", in, src.size(), stripped.isEmpty() ? "" : ", prefix '" + stripped + "' stripped");
        if (!problems.isEmpty())
            throw new CheckpointException("[import] " + in + " does not fit " + model + " (" + heads + " classes): " + problems.size() + " problem(s)\n  "
                    + String.join("\n  ", problems));
        Checkpoints.loadInto(net, sd, in.toString());
        EvalCommand.warnNonFinite(main, in, net.stateDict());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("kr.model", model);
        meta.put("kr.classes", Integer.toString(heads));
        meta.put("kr.source", in.getFileName().toString());
        SafeTensors.write(out, net.stateDict(), meta);
        main.out.printf("all %d tensors of %s (%d classes) matched; wrote %s%n", mine.size(), model, heads, out);
        return Main.OK;
    }

    /** The class count of a state dict for {@code model}: the rows of its head (the model's last 2-d weight, e.g. fc.weight) in the file. */
    static int classesOf(String model, Map<String, Tensor> sd) {
        String head = null;
        for (var e : Zoo.create(model, 10).stateDict().entrySet()) if (e.getValue().dim() == 2) head = e.getKey();
        Tensor t = head == null ? null : sd.get(head);
        if (t == null || t.dim() != 2)
            throw new CheckpointException("[import] the file has no " + (head == null ? "classifier head" : "2-d '" + head + "'") + " to read the class count from: pass --classes N");
        return t.shape(0);
    }

    private static String prefixed(String prefix, String name) {
        return prefix + name;
    }

    private static boolean isInteger(String dtype) {
        return dtype != null && (dtype.startsWith("I") || dtype.startsWith("U") || dtype.equals("BOOL"));
    }
}
