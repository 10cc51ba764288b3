package kr.models;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import kr.engine.DType;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.io.SafeTensors;
import kr.nn.F;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Forward passes: PyTorch goldens for three models, and a forward + backward of every zoo model. */
class ModelForwardTest {
    static Map<String, Tensor> golden(String name) throws Exception {
        var url = ModelForwardTest.class.getResource("/golden/" + name + ".safetensors");
        assertNotNull(url, "golden file for " + name + " is missing (run src/test/python/param_counts.py)");
        return SafeTensors.read(Path.of(url.toURI()));
    }

    /** Loads the golden weights; in float64 every parameter and buffer is widened first. */
    static Classifier loaded(String name, Map<String, Tensor> g, DType dtype) {
        Classifier net = Models.create(name, 10);
        Map<String, Tensor> sd = g.entrySet().stream().filter(e -> net.stateDict().containsKey(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        net.loadStateDict(sd, true);
        if (dtype == DType.F64) try (var ng = Grad.noGrad()) {
            for (Tensor t : net.stateDict().values()) t.setData(t.detach().f64());
        }
        return net;
    }

    static void assertClose(Tensor want, Tensor got, double rel, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        double[] w = want.toDoubleArray(), g = got.toDoubleArray();
        double scale = 0;
        for (double v : w) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < w.length; i++)
            assertEquals(w[i], g[i], rel * Math.max(scale, 1e-3), what + " element " + i + " (max |ref| " + scale + ")");
    }

    static Tensor channelMeans(Tensor f) {
        return f.dim() == 4 ? f.mean(new int[] {2, 3}, false) : f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet8", "wrn_16_1", "MobileNetV2"})
    void sameWeightsSameLogitsAsPyTorch(String name) throws Exception {
        Map<String, Tensor> g = golden(name);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            double tol = dtype == DType.F64 ? 1e-9 : 2e-4;
            Classifier net = loaded(name, g, dtype);
            Tensor x = g.get("input").to(dtype);
            for (String mode : new String[] {"eval", "train"}) {
                net.train(mode.equals("train"));
                String where = name + " " + dtype + " " + mode;
                for (boolean preact : new boolean[] {false, true}) {
                    Classifier.Output out;
                    try (var ng = Grad.noGrad()) {
                        out = net.forwardFeatures(x, preact);
                    }
                    assertClose(g.get("logits_" + mode), out.logits(), tol, where + " logits");
                    String prefix = (preact ? "preact_" : "feat_") + mode + ".";
                    for (int i = 0; i < out.features().size(); i++)
                        assertClose(g.get(prefix + i), channelMeans(out.features().get(i)), tol, where + " " + prefix + i);
                    assertNull(g.get(prefix + out.features().size()), where + ": PyTorch has more features");
                }
            }
        }
    }

    static List<String> names() {
        return Models.names();
    }

    /** Above this many MACs per image a forward + backward takes 10-30 s on the scalar reference convolution. */
    static final long HEAVY_MACS = 300_000_000L;

    @ParameterizedTest
    @MethodSource("names")
    @SuppressWarnings("unchecked")
    void forwardAndBackwardAtBatch2(String name) throws Exception {
        int classes = 100;
        Classifier net = Models.create(name, classes);
        org.junit.jupiter.api.Assumptions.assumeTrue(net.macs() < HEAVY_MACS || Boolean.getBoolean("kr.test.heavy"),
                name + " has " + net.macs() / 1_000_000 + "M MACs per image: run with -Dkr.test.heavy=true to include it");
        net.train();
        Tensor x = Tensor.randn(new Rng(7), 2, 3, 32, 32);
        Classifier.Output out = net.forwardFeatures(x, false);
        assertArrayEquals(new int[] {2, classes}, out.logits().shape(), name + " logits");
        List<Object> want = (List<Object>) ModelsTest.reference(name, classes).get("features");
        assertEquals(want.size(), out.features().size(), name + " feature count");
        for (int i = 0; i < want.size(); i++)
            assertEquals(Arrays.toString(ModelsTest.ints(want.get(i))), Arrays.toString(out.features().get(i).shape()), name + " feature " + i);
        F.crossEntropy(out.logits(), new int[] {3, 97}).backward();
        assertGradients(name, net);
    }

    static void assertGradients(String name, Classifier net) {
        for (var e : net.namedParameters().entrySet()) {
            Tensor gr = e.getValue().grad();
            assertNotNull(gr, name + ": no gradient reached " + e.getKey());
            assertArrayEquals(e.getValue().shape(), gr.shape(), name + " gradient of " + e.getKey());
        }
        double gsum = net.namedParameters().values().stream().mapToDouble(p -> p.grad().abs().sum().item()).sum();
        assertTrue(gsum > 0 && Double.isFinite(gsum), name + ": gradient magnitude " + gsum);
    }

    /** ResNet18/34 are heavy; their code path (resnetv2.py) runs by default as a one-block-per-stage net on 16x16 inputs. */
    @org.junit.jupiter.api.Test
    void resnetV2PathAtSmallSize() {
        Classifier net = CifarResNet.v2(new int[] {1, 1, 1, 1}, 10);
        Classifier.Output out = net.forwardFeatures(Tensor.randn(new Rng(3), 2, 3, 16, 16), true);
        assertEquals("[[2, 64, 16, 16], [2, 64, 16, 16], [2, 128, 8, 8], [2, 256, 4, 4], [2, 512, 2, 2], [2, 512]]",
                out.features().stream().map(t -> Arrays.toString(t.shape())).toList().toString());
        assertArrayEquals(new int[] {2, 10}, out.logits().shape());
        F.crossEntropy(out.logits(), new int[] {1, 9}).backward();
        assertGradients("ResNet v2 [1, 1, 1, 1]", net);
    }
}
