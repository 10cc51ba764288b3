package kr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Tolerances;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import org.junit.jupiter.api.Test;

/**
 * One same-seed ResNet-20 training step (forward, cross-entropy, backward, SGD with momentum and
 * weight decay) on cuda and on the CPU backend, both float32: the loss, every parameter's gradient
 * and every updated parameter agree within {@link Tolerances#STEP_FP32}.
 */
class ResNetStepTest {
    static final int BATCH = 32;

    record Step(double loss, Map<String, Tensor> grads, Map<String, Tensor> params) {}

    static Step step(Device device) {
        Init.manualSeed(0);
        Classifier net = Models.create("resnet20", 10);
        net.to(device);
        SGD opt = new SGD(net.parameters(), 0.1, 0.9, 5e-4, false);
        Tensor x = Tensor.randn(new Rng(11), BATCH, 3, 32, 32).to(device);
        int[] y = new int[BATCH];
        for (int i = 0; i < BATCH; i++) y[i] = (i * 7) % 10;
        opt.zeroGrad();
        Tensor loss = F.crossEntropy(net.forward(x), y);
        loss.backward();
        Map<String, Tensor> grads = new java.util.LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> grads.put(k, p.grad().to(Device.CPU)));
        opt.step();
        Map<String, Tensor> params = new java.util.LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> params.put(k, p.detach().to(Device.CPU)));
        return new Step(loss.item(), grads, params);
    }

    /** Worst |got - exp| / (atol + rtol |exp|) over the tensor; fails above 1. */
    static double compare(String what, Tensor got, Tensor exp) {
        float[] g = got.toFloatArray(), e = exp.toFloatArray();
        assertEquals(e.length, g.length, what);
        Tolerances t = Tolerances.STEP_FP32;
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            if (!t.close(g[i], e[i])) fail("[resnet20 step] " + what + " element " + i + ": cuda " + g[i] + ", cpu " + e[i] + " (" + t + ")");
            worst = Math.max(worst, Math.abs(g[i] - e[i]) / (t.atol + t.rtol * Math.abs(e[i])));
        }
        return worst;
    }

    @Test
    void cudaAndCpuTakeTheSameStep() {
        Gpu.backend();
        Step gpu = step(Device.cuda(0)), cpu = step(Device.CPU);
        assertTrue(Tolerances.STEP_FP32.close(gpu.loss(), cpu.loss()), "loss cuda " + gpu.loss() + " cpu " + cpu.loss());
        double worstGrad = 0, worstParam = 0;
        String where = "";
        for (String k : cpu.grads().keySet()) {
            double w = compare("gradient of " + k, gpu.grads().get(k), cpu.grads().get(k));
            if (w > worstGrad) {
                worstGrad = w;
                where = k;
            }
            worstParam = Math.max(worstParam, compare("updated " + k, gpu.params().get(k), cpu.params().get(k)));
        }
        System.out.printf("[resnet20 step] loss cuda %.7f cpu %.7f; worst gradient error %.3g of the STEP_FP32 bound (%s), worst updated parameter %.3g%n",
                gpu.loss(), cpu.loss(), worstGrad, where, worstParam);
    }

    @Test
    void tf32StepStaysClose() {
        CudaBackend be = Gpu.backend();
        org.junit.jupiter.api.Assumptions.assumeTrue(be.context().computeCapability() >= 80, "TF32 needs sm_80+");
        Step cpu = step(Device.CPU);
        System.setProperty("kr.tf32", "true");
        Step tf;
        try {
            tf = step(Device.cuda(0));
        } finally {
            System.clearProperty("kr.tf32");
        }
        double rel = Math.abs(tf.loss() - cpu.loss()) / Math.abs(cpu.loss());
        double num = 0, den = 0;
        for (String k : cpu.grads().keySet()) {
            float[] g = tf.grads().get(k).toFloatArray(), e = cpu.grads().get(k).toFloatArray();
            for (int i = 0; i < e.length; i++) {
                num += (g[i] - e[i]) * (double) (g[i] - e[i]);
                den += e[i] * (double) e[i];
            }
        }
        double gradRel = Math.sqrt(num / den);
        System.out.printf("[resnet20 step tf32] loss rel. difference %.3g, gradient rel. L2 difference %.3g%n", rel, gradRel);
        assertTrue(rel < 1e-2 && gradRel < 5e-2, "TF32 step too far from fp32: loss " + rel + ", gradients " + gradRel);
    }
}
