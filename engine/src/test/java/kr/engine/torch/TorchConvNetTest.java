package kr.engine.torch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kr.engine.DType;
import kr.engine.Grad;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.torch.Golden.Args;
import kr.engine.torch.Golden.Mode;
import kr.nn.Activations;
import kr.nn.BatchNorm2d;
import kr.nn.Conv2d;
import kr.nn.F;
import kr.nn.Linear;
import kr.nn.Module;
import kr.nn.Sequential;
import kr.optim.SGD;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A small conv net built from kr.nn layers, loaded with PyTorch's weights by state-dict name, trained
 * two SGD steps next to torch: logits, loss, every parameter gradient, the running statistics and
 * the updated parameters after each step, then eval-mode logits, all within the bound of
 * {@link Golden.Mode} (1e-4 relative in float32 on both CPU backends, 1e-9 in float64).
 *
 * <pre>
 * conv(3->8, 3x3, pad 1, no bias) + BN + ReLU -> maxpool 2 -> conv(8->16, 3x3, stride 2, pad 1, no bias) + BN + ReLU
 *   -> adaptive avg pool 1 -> flatten -> linear(16->10) -> cross-entropy; batch 4 of 3x16x16
 * </pre>
 */
class TorchConvNetTest {
    private static final Golden.Table TABLE = new Golden.Table("PyTorch conformance: small conv net",
            List.of(Mode.F32_VECTOR.label(), Mode.F32_SCALAR.label(), Mode.F64_SCALAR.label()));

    @AfterAll
    static void printTable() {
        System.out.println(TABLE.render());
    }

    /** Same layout and state-dict names as the torch.nn.Sequential in make_golden.py. */
    static Sequential net() {
        return new Sequential(new Conv2d(3, 8, 3, 1, 1, false), new BatchNorm2d(8), Activations.relu(), Activations.maxPool2d(2, 2, 0),
                new Conv2d(8, 16, 3, 2, 1, false), new BatchNorm2d(16), Activations.relu(), Activations.adaptiveAvgPool2d(1, 1),
                Activations.flatten(), new Linear(16, 10));
    }

    @TestFactory
    Stream<DynamicTest> convNet() {
        Golden g = Golden.load("convnet");
        List<DynamicTest> tests = new ArrayList<>();
        for (Mode m : Mode.values()) tests.add(DynamicTest.dynamicTest("convnet " + m.label(), () -> run(g, m)));
        return tests.stream();
    }

    private static void run(Golden g, Mode mode) {
        DType dt = mode.dtype;
        Args sgd = g.args("convnet").sub("sgd");
        try (var scope = Backends.use(mode.backend)) {
            Module net = net();
            if (dt != DType.F32) for (Tensor t : net.stateDict().values()) t.setData(t.detach().to(dt));
            net.loadStateDict(g.group("state/", dt), true);
            net.train();
            SGD opt = new SGD(net.parameters(), sgd.d("lr"), sgd.d("momentum"), sgd.d("weight_decay"), sgd.b("nesterov"));
            Tensor x = g.get("x", dt);
            int[] labels = TorchConformanceTest.labels(g.get("labels", DType.F32));
            for (int step = 1; step <= 2; step++) {
                String pre = mode.prefix + "step" + step + "/";
                opt.zeroGrad();
                Tensor logits = net.forward(x);
                Tensor loss = F.crossEntropy(logits, labels);
                loss.backward();
                check(g, mode, "step" + step + " logits", logits, pre + "logits");
                check(g, mode, "step" + step + " loss", loss, pre + "loss");
                Map<String, Tensor> params = net.namedParameters();
                for (var e : g.group(pre + "grad/", dt).entrySet())
                    check(g, mode, "step" + step + " grad " + e.getKey(), params.get(e.getKey()).grad(), pre + "grad/" + e.getKey());
                opt.step();
                Map<String, Tensor> state = net.stateDict();
                for (String k : g.group(pre + "after/", dt).keySet())
                    check(g, mode, "step" + step + " after sgd " + k, state.get(k), pre + "after/" + k);
            }
            net.eval();
            try (var ng = Grad.noGrad()) {
                check(g, mode, "eval logits", net.forward(x), mode.prefix + "eval/logits");
            }
        }
    }

    private static void check(Golden g, Mode mode, String row, Tensor actual, String goldenName) {
        double err = Golden.compare("convnet " + row + " [" + mode.label() + "]", actual, g.get(goldenName, mode.dtype), mode.tol);
        TABLE.put(row, mode.label(), err);
    }
}
