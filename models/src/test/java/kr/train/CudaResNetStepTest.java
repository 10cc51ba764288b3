package kr.train;

import java.util.Map;
import kr.engine.Device;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.Backends;
import kr.engine.backend.GpuTests;
import kr.engine.backend.StepBounds;
import kr.models.Classifier;
import kr.models.Models;
import kr.nn.F;
import kr.nn.Init;
import kr.optim.SGD;
import kr.engine.backend.GpuTest;
import org.junit.jupiter.api.Test;

/**
 * One same-seed ResNet-20 training step (forward, cross-entropy, backward, SGD with momentum and
 * weight decay) on cuda and on the CPU backend, both float32: the loss, every parameter's gradient
 * and every updated parameter agree within {@link StepBounds#FP32} (in norms: see there why not per element).
 */
@GpuTest
class CudaResNetStepTest {
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

    static Map<String, float[]> floats(Map<String, Tensor> m) {
        Map<String, float[]> r = new java.util.LinkedHashMap<>();
        m.forEach((k, t) -> r.put(k, t.toFloatArray()));
        return r;
    }

    @Test
    void cudaAndCpuTakeTheSameStep() {
        Step gpu = step(GpuTests.cuda()), cpu = step(Device.CPU);
        StepBounds.Result grads = StepBounds.compare(floats(gpu.grads()), floats(cpu.grads()), gpu.loss(), cpu.loss());
        // the update moves each parameter by lr * gradient: the parameters after it agree more closely still
        StepBounds.Result params = StepBounds.compare(floats(gpu.params()), floats(cpu.params()), gpu.loss(), cpu.loss());
        System.out.printf("[resnet20 step] loss cuda %.7f cpu %.7f; gradients: %s; updated parameters: relative L2 %.3g, worst %.3g%n",
                gpu.loss(), cpu.loss(), grads, params.gradL2(), params.worst());
        StepBounds.FP32.check("resnet20 step", grads);
        StepBounds.FP32.check("resnet20 step, updated parameters", params);
    }

    /** From the backend's description ("cuda backend on cuda:0 NAME (sm_90, ...)"): this module does not compile against the CUDA classes. */
    static int computeCapability(Device d) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(sm_(\\d+)").matcher(Backends.of(d).toString());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    @Test
    void tf32StepStaysClose() {
        Device cuda = GpuTests.cuda();
        org.junit.jupiter.api.Assumptions.assumeTrue(computeCapability(cuda) >= 80, "TF32 needs sm_80+");
        Step cpu = step(Device.CPU);
        Step tf;
        try (var s = Backends.configure(Backends.config().withTf32(true))) {
            tf = step(cuda);
        }
        StepBounds.Result r = StepBounds.compare(floats(tf.grads()), floats(cpu.grads()), tf.loss(), cpu.loss());
        System.out.printf("[resnet20 step tf32] %s%n", r);
        StepBounds.TF32.check("resnet20 step tf32", r);
    }
}
