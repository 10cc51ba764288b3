#!/usr/bin/env python3
"""How far a float32 (or TF32) training step is from the float64 one, in PyTorch: the yardstick for kr's
cuda-vs-CPU step checks (ResNetStepTest, GpuSpeed).

A network at initialisation with batch norm amplifies rounding: PyTorch's own float32 gradients of a
ResNet-20 step differ from its float64 gradients by ~5e-4 (relative L2), so two correct float32
implementations cannot agree element by element to 1e-3. This script measures that spread, per model,
with the figures kr's checks use: the gradients' relative L2 and the worst max|a - e| / max|e| of any
parameter's gradient.

TF32: on a GPU, cudnn/cublas TF32 (torch.backends.*.allow_tf32); on the CPU, emulated: every convolution
and linear layer rounds its operands to TF32 (round to nearest, ties away: cvt.rna, as kr's kernels do) in
the forward pass and in both backward products, accumulating in float32.

    python3 bench/gpu/sensitivity.py [--device cpu|cuda] [--models resnet20:32,resnet56:128] [--json out.json]
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "src", "test", "python"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import param_counts  # noqa: E402


def tf32(t):
    """Round float32 to TF32 (10 mantissa bits), nearest with ties away from zero, like cvt.rna.tf32.f32."""
    b = t.contiguous().view(torch.int32)
    return ((b + 0x1000) & ~0x1FFF).view(torch.float32)


class Tf32Conv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups)
        return F.conv2d(tf32(x), tf32(w), None, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        s, p, d, g = ctx.conf
        gx = torch.nn.grad.conv2d_input(x.shape, tf32(w), tf32(gy), s, p, d, g)
        gw = torch.nn.grad.conv2d_weight(tf32(x), w.shape, tf32(gy), s, p, d, g)
        return gx, gw, None, None, None, None


class Tf32Linear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return tf32(x) @ tf32(w).t() + b

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        return tf32(gy) @ tf32(w), tf32(gy).t() @ tf32(x), gy.sum(0)


def emulate_tf32(net):
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.forward = (lambda mm: lambda x: Tf32Conv.apply(x, mm.weight, mm.stride, mm.padding, mm.dilation, mm.groups)
                         + (0 if mm.bias is None else mm.bias.view(1, -1, 1, 1)))(m)
        elif isinstance(m, torch.nn.Linear):
            m.forward = (lambda mm: lambda x: Tf32Linear.apply(x, mm.weight, mm.bias))(m)


def step_grads(state, name, batch, dtype, prec, dev):
    net = param_counts.build(name, 10)
    net.load_state_dict(state)
    net = net.to(dev, dtype).train()
    if prec == "tf32" and dev == "cpu":
        emulate_tf32(net)
    on = prec == "tf32" and dev == "cuda"
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on
    g = torch.Generator().manual_seed(2)
    x = torch.randn(batch, 3, 32, 32, generator=g).to(dev, dtype)
    y = (torch.arange(batch) * 7 % 10).to(dev)
    loss = F.cross_entropy(net(x)[2], y)
    loss.backward()
    return loss.item(), {k: p.grad.detach().double().cpu() for k, p in net.named_parameters()}


def spread(a, e):
    """Gradients' relative L2, and the worst max|a - e| / max|e| over the parameters (and where)."""
    num = sum(((a[k] - e[k]) ** 2).sum().item() for k in e)
    den = sum((e[k] ** 2).sum().item() for k in e)
    worst, where = max((((a[k] - e[k]).abs().max() / e[k].abs().max().clamp_min(1e-12)).item(), k) for k in e)
    return (num / den) ** 0.5, worst, where


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--models", default="resnet20:32,resnet20:128,resnet56:128,resnet8x4:128,resnet32x4:128,ResNet18:128")
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    print("PyTorch %s on %s: a training step's gradients against float64 (same weights and batch)" % (torch.__version__, args.device))
    print("%-12s %5s %-5s %12s %12s  %s" % ("model", "batch", "prec", "rel L2", "worst/scale", "worst at"))
    for spec in args.models.split(","):
        name, batch = spec.split(":")
        torch.manual_seed(0)
        state = param_counts.build(name, 10).state_dict()
        l64, g64 = step_grads(state, name, int(batch), torch.float64, "fp64", args.device)
        for prec in ("fp32", "tf32"):
            l, g = step_grads(state, name, int(batch), torch.float32, prec, args.device)
            l2, worst, where = spread(g, g64)
            rows.append({"model": name, "batch": int(batch), "prec": prec, "grad_l2_rel": l2, "worst_rel": worst, "worst_at": where,
                         "loss_rel": abs(l - l64) / abs(l64), "device": args.device})
            print("%-12s %5s %-5s %12.3g %12.3g  %s" % (name, batch, prec, l2, worst, where), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
