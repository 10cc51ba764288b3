package kr.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The committed PTX (what runs on a GPU) holds every kernel the Java code launches, for every
 * architecture variant the launcher may pick: a typo in a kernel name fails here, not on a GPU.
 */
class PtxResourcesTest {
    /** Family -> kernels launched from CudaBackend (the names built from parts are spelled out). */
    static final Map<String, List<String>> LAUNCHED = new TreeMap<>(Map.of(
            "elementwise", List.of("copy_f32_f32", "copy_f64_f64", "copy_f64_f32", "copy_f32_f64", "fill_f32", "fill_f64", "unary_f32",
                    "relu_backward_f32", "pow_f32", "binary_f32", "compare_f32", "where_f32", "add_into_f32", "add_into_f64", "scale_f32", "scale_f64"),
            "reduce", List.of("reduce_warp_f32", "reduce_partial_f32", "reduce_finish_f32", "argmax_f32", "sumsq_partial_f32", "first_nonfinite_f32"),
            "softmax", List.of("log_softmax_f32"),
            "batchnorm", List.of("bn_partial_f32", "bn_finish_f32", "bn_apply_f32", "bn_bwd_partial_f32", "bn_bwd_finish_f32", "bn_bwd_apply_f32"),
            "pooling", List.of("maxpool2d_fwd_f32", "maxpool2d_bwd_f32", "avgpool2d_fwd_f32", "avgpool2d_bwd_f32"),
            "optimizer", List.of("sgd_step_f32", "adam_step_f32", "sgd_multi_f32"),
            "kr", List.of("sparse_recoding_f32", "sparse_recoding_sgd_f32"),
            "step", List.of("one_hot_f32", "step_stats_f32"),
            "gemm", List.of("gemm_f32", "gemm_tf32"),
            "conv", List.of("conv2d_fwd_implicit", "conv2d_bwd_input_implicit", "conv2d_bwd_weight_implicit", "conv2d_fwd_implicit_m64",
                    "conv2d_bwd_input_implicit_m64", "conv2d_bwd_weight_implicit_m64", "conv2d_fwd_implicit_m32", "conv2d_bwd_input_implicit_m32",
                    "conv2d_bwd_weight_implicit_m32", "conv2d_fwd_implicit_m16", "conv2d_bwd_input_implicit_m16", "conv2d_bwd_weight_implicit_m16",
                    "conv2d_sum_splits", "conv2d_fwd_direct",
                    "conv2d_bwd_input_direct", "conv2d_bwd_weight_direct", "conv2d_fwd_implicit_tf32", "conv2d_bwd_input_implicit_tf32",
                    "conv2d_bwd_weight_implicit_tf32")));

    static String ptx(String family, int arch) throws IOException {
        try (InputStream in = PtxResourcesTest.class.getResourceAsStream("/kr/cuda/ptx/" + family + ".compute_" + arch + ".ptx")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static Set<String> entries(String ptx) {
        Set<String> s = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
        while (m.find()) s.add(m.group(1));
        return s;
    }

    @Test
    void everyLaunchedKernelIsInEveryVariant() throws IOException {
        for (var e : LAUNCHED.entrySet()) {
            boolean tensorCores = e.getKey().equals("gemm") || e.getKey().equals("conv");
            for (int arch : Launcher.ARCHS) {
                String text = ptx(e.getKey(), arch);
                if (arch != 75 && !tensorCores) {
                    assertTrue(text == null, e.getKey() + ".compute_" + arch + ".ptx exists but the family has no tensor-core kernels");
                    continue;
                }
                assertNotNull(text, "missing kr/cuda/ptx/" + e.getKey() + ".compute_" + arch + ".ptx");
                assertTrue(text.contains(".target sm_" + arch), e.getKey() + ".compute_" + arch + " targets another architecture");
                Set<String> have = entries(text);
                for (String k : e.getValue()) {
                    boolean tf32 = k.endsWith("_tf32");
                    if (tf32 && arch < 80) assertTrue(!have.contains(k), k + " (mma.sync tf32) must not be in the compute_75 PTX");
                    else if (!have.contains(k)) fail("kernel " + k + " is launched but missing from " + e.getKey() + ".compute_" + arch + ".ptx (has " + have + ")");
                }
                if (arch >= 80 && e.getKey().equals("gemm")) assertTrue(text.contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"), "no TF32 mma in gemm");
            }
        }
    }

    /** Every literal (family, kernel) pair in the launch calls of kr.cuda's sources is in the table above (source scan; skipped without sources). */
    @Test
    void theTableCoversTheLaunchCallsInTheSource() throws IOException {
        Path dir = Path.of("src/main/java/kr/cuda");
        if (!Files.exists(dir)) dir = Path.of("kernels").resolve(dir);
        Assumptions.assumeTrue(Files.exists(dir), "kr/cuda sources not found from " + Path.of("").toAbsolutePath());
        Pattern call = Pattern.compile("(?:launch|run)\\((?:\\w+|\"[\\w ]+\"), \"(\\w+)\", (?:convKernel\\()?\"(\\w+)\"");
        int n = 0;
        List<Path> sources;
        try (var files = Files.list(dir)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        for (Path src : sources) {
            Matcher m = call.matcher(Files.readString(src));
            while (m.find()) {
                n++;
                List<String> ks = LAUNCHED.get(m.group(1));
                assertNotNull(ks, "unknown family " + m.group(1) + " in " + src.getFileName());
                assertTrue(ks.contains(m.group(2)) || ks.stream().anyMatch(k -> k.startsWith(m.group(2))),
                        "kernel " + m.group(2) + " of " + m.group(1) + " (" + src.getFileName() + ") is not in the table");
            }
        }
        assertTrue(n >= 36, "found only " + n + " launch calls: has the call style changed?");
    }
}
