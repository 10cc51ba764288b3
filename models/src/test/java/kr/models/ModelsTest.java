package kr.models;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import kr.engine.Tensor;
import kr.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every zoo model against the PyTorch definitions (param_counts.json, written by
 * src/test/python/param_counts.py): parameter count, MACs, state-dict names and shapes, for 10 and
 * 100 classes.
 */
class ModelsTest {
    @SuppressWarnings("unchecked")
    static Map<String, Object> reference() throws IOException {
        try (InputStream in = ModelsTest.class.getResourceAsStream("/param_counts.json")) {
            assertNotNull(in, "param_counts.json is missing from the test resources");
            return (Map<String, Object>) Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).get("models");
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> reference(String name, int classes) throws IOException {
        Map<String, Object> m = (Map<String, Object>) reference().get(name);
        assertNotNull(m, "param_counts.json has no entry for " + name);
        return (Map<String, Object>) m.get(Integer.toString(classes));
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    static List<String> names() {
        return Models.names();
    }

    @Test
    void zooHasRepDistillersNamesAndTheReferenceCoversThemAll() throws IOException {
        assertEquals(List.of("resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet8x4", "resnet32x4",
                "wrn_16_1", "wrn_16_2", "wrn_40_1", "wrn_40_2", "vgg8", "vgg11", "vgg13", "vgg16", "vgg19", "ResNet18", "ResNet34",
                "MobileNetV2", "mobile_full"), Models.names());
        assertEquals(reference().keySet(), new java.util.HashSet<>(Models.names()));
    }

    @ParameterizedTest
    @MethodSource("names")
    @SuppressWarnings("unchecked")
    void matchesPyTorchParametersMacsAndStateDict(String name) throws IOException {
        for (int classes : new int[] {10, 100}) {
            Map<String, Object> ref = reference(name, classes);
            Classifier net = Models.create(name, classes);
            String where = name + " with " + classes + " classes";
            assertEquals(((Number) ref.get("params")).longValue(), net.parameterCount(), where + ": parameter count");
            assertEquals(((Number) ref.get("macs")).longValue(), net.macs(), where + ": MACs per 32x32 image");
            List<String> want = new ArrayList<>(), got = new ArrayList<>();
            for (Object e : (List<Object>) ref.get("state_dict")) {
                List<Object> kv = (List<Object>) e;
                want.add(kv.get(0) + " " + Arrays.toString(ints(kv.get(1))));
            }
            net.stateDict().forEach((k, v) -> got.add(k + " " + Arrays.toString(v.shape())));
            assertEquals(want, got, where + ": state-dict names and shapes, in order");
            assertEquals(classes, net.numClasses());
        }
    }

    @Test
    void knownAnchors() {
        assertEquals(272_474, Models.summary("resnet20", 10).params());
        assertEquals(7.43, Models.summary("resnet32x4", 100).params() / 1e6, 0.005);
        assertEquals(2.26, Models.summary("wrn_40_2", 100).params() / 1e6, 0.005);
        assertEquals(0.81, Models.summary("mobile_half", 100).params() / 1e6, 0.005);
    }

    @Test
    void unknownNameListsTheZoo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.create("resnet9", 10));
        assertTrue(e.getMessage().contains("[models] unknown model 'resnet9'") && e.getMessage().contains("wrn_40_2"), e.getMessage());
    }

    @Test
    void convWeightsFollowKaimingFanOut() {
        Classifier net = Models.create("resnet8x4", 10);
        Tensor w = net.stateDict().get("layer3.0.conv2.weight"); // [256, 256, 3, 3]: std sqrt(2 / (256*9))
        double std = Math.sqrt(w.square().mean().item());
        assertEquals(Math.sqrt(2.0 / (256 * 9)), std, 0.02 * std);
        assertEquals(1.0, net.stateDict().get("layer3.0.bn2.weight").mean().item(), 0);
        assertEquals(0.0, net.stateDict().get("layer3.0.bn2.bias").abs().sum().item(), 0);
    }
}
