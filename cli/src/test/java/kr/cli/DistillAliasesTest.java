package kr.cli;

import static kr.cli.Kr.kr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.data.SyntheticCifar;
import kr.io.Json;
import kr.io.SafeTensors;
import kr.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 9: RepDistiller's flags ({@code --distill kd -r 0.1 -a 0.9 --path_t T --model_s S},
 * no --teacher-model: it is read from the teacher checkpoint's kr.model) run exactly like the long
 * form: the same config.json apart from provenance and out, the same metrics and the same weights.
 */
class DistillAliasesTest {
    @TempDir
    Path tmp;

    @Test
    void repDistillerFlagsRunLikeTheLongForm() throws IOException {
        Path data = SyntheticCifar.write(tmp.resolve("cifar"), 8, 10), teacher = tmp.resolve("teacher");
        Kr.Run t = kr("train", "--model", "democnn", "--data", data.toString(), "--epochs", "1", "--batch-size", "20", "--threads", "1", "--out",
                teacher.toString(), "--progress", "off");
        assertEquals(0, t.code(), t.err());
        List<String> common = List.of("--data", data.toString(), "--epochs", "1", "--batch-size", "20", "--threads", "1", "--progress", "off");
        Path lng = tmp.resolve("long"), shrt = tmp.resolve("short");
        Kr.Run a = kr(concat(List.of("distill", "--teacher", teacher.toString(), "--teacher-model", "democnn", "--student", "resnet8", "--method", "kd",
                "--ce-weight", "0.1", "--kd-weight", "0.9", "--out", lng.toString()), common));
        assertEquals(0, a.code(), a.err());
        Kr.Run b = kr(concat(List.of("distill", "--distill", "kd", "-r", "0.1", "-a", "0.9", "--path_t", teacher.toString(), "--model_s", "resnet8", "--out",
                shrt.toString()), common));
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("0.100 * CE + 0.900 * KD"), b.out());

        Map<String, Object> ca = config(lng), cb = config(shrt);
        assertEquals(ca, cb, "config.json apart from provenance and out");
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) cb.get("distill");
        assertEquals("democnn", d.get("teacher_model"), "read from the teacher checkpoint's kr.model");
        assertEquals("resnet8", cb.get("model"));
        assertEquals(List.of(0.1, 0.9), List.of(d.get("ce_weight"), d.get("kd_weight")));
        assertEquals(metrics(lng), metrics(shrt), "metrics.jsonl apart from timings");
        Map<String, Tensor> wa = SafeTensors.read(lng.resolve("checkpoints/best.safetensors")), wb = SafeTensors.read(shrt.resolve("checkpoints/best.safetensors"));
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet())
            assertEquals(java.util.Arrays.toString(wa.get(k).toFloatArray()), java.util.Arrays.toString(wb.get(k).toFloatArray()), "weights differ in " + k);
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> r = new java.util.ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    static Map<String, Object> config(Path run) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(Json.parseObject(Files.readString(run.resolve("config.json"))));
        m.remove("provenance");
        m.remove("out");
        return m;
    }

    static List<Map<String, Object>> metrics(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> !l.isBlank()).map(l -> {
            Map<String, Object> m = new LinkedHashMap<>(Json.parseObject(l));
            m.remove("epoch_seconds");
            m.remove("images_per_second");
            return m;
        }).toList();
    }
}
