#!/usr/bin/env python3
"""kr's CUDA training step against PyTorch's on the same GPU, side by side in one run (issue 6).

For resnet20, resnet56, resnet8x4, resnet32x4 and CIFAR ResNet-18 at batch 128 (forward, cross-entropy,
backward, SGD momentum 0.9 + weight decay 5e-4), fp32 and TF32 (kr --tf32 against PyTorch with
torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32 set alike; cudnn.benchmark on):
  PyTorch eager, PyTorch replaying a captured CUDA graph (forward + backward + optimizer step on static
  inputs), kr eager (GraphedTrainStep without a graph: fused SGD, no host reads) and kr replaying its
  graph (kr.train.GraphedTrainStep); kr's Trainer eager step (uploads, per-parameter SGD, loss read every
  step) for resnet20 as well.
Also SGEMM 4096^3 fp32 and TF32 against torch.mm (the fraction of the measured torch figure), and the
memory-bound kernels (copy, KR's fused sparse recoding, recoding + SGD, SGD) on 64 Mi floats against a
device-to-device copy_ in PyTorch (GB/s counting bytes read + written once).

Every kr figure is checked first (the step against the CPU backend, graph replays against the eager step,
GEMM and the recoding kernels against the CPU): a failed check prints FAILED instead of a time.

Usage (on the GPU machine, from the repository root; bench/gpu/speed.sh does all of it):
    python3 bench/gpu/compare.py --java /tmp/jre/bin/java --cp 'bench/gpu/carry/lib/*' [--quick] [--json out.json]
Models are RepDistiller's, defined in models/src/test/python/param_counts.py (imported, not copied).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "src", "test", "python"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import param_counts  # noqa: E402  (RepDistiller's networks in PyTorch)

MODELS = [("resnet20", "resnet20"), ("resnet56", "resnet56"), ("resnet8x4", "resnet8x4"), ("resnet32x4", "resnet32x4"),
          ("ResNet18", "CIFAR ResNet-18")]
BATCH = 128
DEV = "cuda"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Logits(torch.nn.Module):
    """param_counts' networks return (features, preact features, logits): the step needs the logits."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[2]


def set_precision(prec):
    tf32 = prec == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def wall_ms(fn, steps, rounds):
    """Median over rounds of the wall-clock ms per call, the device synchronised around each round."""
    out = []
    for _ in range(rounds):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        torch.cuda.synchronize()
        out.append((time.perf_counter() - t0) * 1e3 / steps)
    return statistics.median(out)


def event_ms(fn, reps, rounds=5):
    """Median GPU time per call between CUDA events."""
    for _ in range(3):
        fn()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    out = []
    for _ in range(rounds):
        s.record()
        for _ in range(reps):
            fn()
        e.record()
        e.synchronize()
        out.append(s.elapsed_time(e) / reps)
    return statistics.median(out)


def torch_steps(name, prec, steps, rounds):
    """PyTorch eager and CUDA-graph ms per training step of `name` at batch 128."""
    set_precision(prec)
    torch.manual_seed(0)
    net = Logits(param_counts.build(name, 10)).to(DEV)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(BATCH, 3, 32, 32, device=DEV)
    y = (torch.arange(BATCH, device=DEV) * 7) % 10

    def eager():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(5):  # cudnn.benchmark picks its algorithms here
        eager()
    res = {"eager": wall_ms(eager, steps, rounds)}
    # whole-step capture as in PyTorch's CUDA graphs notes: warm up on a side stream, grads set to None, capture
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            eager()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(g):
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    res["graph"] = wall_ms(g.replay, steps, rounds)
    del g, opt, net
    torch.cuda.empty_cache()
    return res


class Probe:
    """kr.bench.gpu.GpuSpeed in its own JVM: one command a line, one JSON line back."""

    def __init__(self, java, cp):
        # kr's defaults (the allocator asks for a collection every quarter of the device): eager figures include that cost
        cmd = [java, "--add-modules", "jdk.incubator.vector", "-Xss4m", "-XX:+UseParallelGC", "-Xms8g", "-Xmx8g", "-cp", cp, "kr.bench.gpu.GpuSpeed"]
        self.err = open(os.path.join(os.environ.get("OUT", "/tmp"), "gpuspeed-java.log"), "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True)

    def ask(self, line):
        t0 = time.time()
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline()
        if not out:
            return {"error": f"the probe exited (see gpuspeed-java.log) during '{line}'"}
        reply = json.loads(out)
        log(f"  kr {line}: {'ERROR ' + reply['error'] if 'error' in reply else 'ok'} ({time.time() - t0:.1f} s)")
        return reply

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(timeout=30)
        except Exception:
            self.p.kill()


def fmt(v, f="%.2f"):
    return f % v if isinstance(v, (int, float)) else ("-" if v is None else str(v))


def ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--java", default="java")
    ap.add_argument("--cp", required=True, help="kr's class path (the carried jars)")
    ap.add_argument("--quick", action="store_true", help="resnet20 and resnet8x4 only, fewer steps")
    ap.add_argument("--models", help="comma-separated subset of " + ",".join(m for m, _ in MODELS))
    ap.add_argument("--json", help="write every figure here")
    args = ap.parse_args()
    t_start = time.time()
    if not torch.cuda.is_available():
        print(f"compare.py: PyTorch {torch.__version__} sees no CUDA device: run this on the GPU machine (bench/gpu/speed.sh)")
        return 2
    torch.backends.cudnn.benchmark = True
    models = [m for m in MODELS if not args.quick or m[0] in ("resnet20", "resnet8x4")]
    if args.models:
        models = [m for m in MODELS if m[0] in args.models.split(",")]
    steps, rounds, budget = (5, 2, 4) if args.quick else (10, 3, 8)
    n_mem = (1 << 24) if args.quick else (1 << 26)
    gpu = torch.cuda.get_device_name(0)
    log(f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}) on {gpu}")
    probe = Probe(args.java, args.cp)
    info = probe.ask("info")
    log(f"kr: {info}")
    res = {"gpu": gpu, "torch": torch.__version__, "kr": info, "steps": [], "gemm": [], "membw": {}, "checks": {}}

    # ---- checks first: a kr figure is only measured when its check passed
    ok = {}
    for name, _ in models:
        for prec in ("fp32", "tf32"):
            c = probe.ask(f"check {name} 8 {prec}")
            res["checks"][f"{name} {prec}"] = c
            ok[(name, prec)] = "error" not in c
        c = probe.ask(f"checkgraph {name} 16 4")
        res["checks"][f"{name} graph"] = c
        ok[(name, "graph")] = "error" not in c

    # ---- training steps
    rows = []
    for prec in ("fp32", "tf32"):
        for name, label in models:
            log(f"{label} {prec}")
            t = torch_steps(name, prec, steps, rounds)
            row = {"model": label, "prec": prec, "torch_eager": t["eager"], "torch_graph": t["graph"]}
            modes = ["eager", "graph"] + (["trainer"] if name == "resnet20" else [])
            for mode in modes:
                if not ok[(name, prec)] or (mode == "graph" and not ok[(name, "graph")]):
                    row["kr_" + mode] = "FAILED"
                    continue
                r = probe.ask(f"step {name} {BATCH} {mode} {prec} {steps} {rounds} {budget}")
                row["kr_" + mode] = r.get("ms", "ERROR")
                if "error" in r:
                    res["checks"][f"{name} {prec} {mode} step"] = r
                row["kr_" + mode + "_detail"] = r
            rows.append(row)
    res["steps"] = rows

    # ---- GEMM against torch.mm, and the fraction of torch's measured figure
    n = 4096
    a, b = torch.rand(n, n, device=DEV) * 2 - 1, torch.rand(n, n, device=DEV) * 2 - 1
    gemm_rows = []
    for prec in ("fp32", "tf32"):
        set_precision(prec)
        tms = event_ms(lambda: torch.mm(a, b), 10)
        r = probe.ask(f"gemm {n} {prec}")
        t_tf = 2.0 * n ** 3 / tms / 1e9
        gemm_rows.append({"prec": prec, "torch_tflops": t_tf, "kr_tflops": r.get("tflops", "FAILED"), "kr": r})
        if "error" in r:
            res["checks"][f"gemm {prec}"] = r
    del a, b
    res["gemm"] = gemm_rows

    # ---- memory-bound kernels against torch copy_
    src = torch.ones(n_mem, device=DEV)
    dst = torch.empty_like(src)
    copy_gbs = 8.0 * n_mem / event_ms(lambda: dst.copy_(src), 10) / 1e6
    del src, dst
    torch.cuda.empty_cache()
    mb = probe.ask(f"membw {n_mem}")
    if "error" in mb:
        res["checks"]["memory-bound kernels"] = mb
    res["membw"] = {"torch_copy_gbs": copy_gbs, "kr": mb}
    probe.close()
    set_precision("fp32")

    # ---- the table, last
    out = []
    out.append(f"kr vs PyTorch {torch.__version__} on {gpu}, batch {BATCH}, ms per training step (median of {rounds} rounds;"
               f" kr: {info.get('gemm', '?')}); {time.time() - t_start:.0f} s")
    head = f"{'model':<16} {'prec':<5} {'torch eager':>11} {'torch graph':>11} {'kr eager':>9} {'kr graph':>9} {'kr/torch eager':>14} {'kr/torch graph':>14}"
    out.append(head)
    out.append("-" * len(head))
    for r in rows:
        re, rg = ratio(r["kr_eager"], r["torch_eager"]), ratio(r["kr_graph"], r["torch_graph"])
        out.append(f"{r['model']:<16} {r['prec']:<5} {fmt(r['torch_eager']):>11} {fmt(r['torch_graph']):>11} {fmt(r['kr_eager']):>9} "
                   f"{fmt(r['kr_graph']):>9} {fmt(re, '%.2fx'):>14} {fmt(rg, '%.2fx'):>14}")
        if "kr_trainer" in r:
            out.append(f"{'':<16} {'':<5} kr Trainer's eager step (uploads, per-parameter SGD, loss read each step): {fmt(r['kr_trainer'])} ms")
    out.append("")
    for g in gemm_rows:
        frac = ratio(g["kr_tflops"], g["torch_tflops"])
        out.append(f"GEMM 4096^3 {g['prec']:<5} kr {fmt(g['kr_tflops'], '%.1f')} TFLOP/s, torch.mm {g['torch_tflops']:.1f} TFLOP/s:"
                   f" kr at {fmt(frac * 100 if frac else None, '%.0f')}% of torch")
    out.append("")
    out.append(f"memory-bound on {n_mem // (1 << 20)} Mi floats (GB/s, bytes read + written): torch copy_ {copy_gbs:.0f}")
    if "error" in mb:
        out.append(f"  kr: FAILED {mb['error']}")
    else:
        for k in ("copy", "sparse_recoding", "sparse_recoding_sgd", "sgd_step", "sgd_multi"):
            gbs = mb.get(k + "_gbs")
            out.append(f"  kr {k:<20} {fmt(gbs, '%.0f'):>6} GB/s  ({fmt(ratio(gbs, copy_gbs) * 100 if ratio(gbs, copy_gbs) else None, '%.0f')}% of torch copy_;"
                       f" {fmt(mb.get(k + '_ms'), '%.3f')} ms)")
        out.append(f"  (mask fraction of the recoding input: {mb.get('mask_fraction', 0):.2f})")
    bad = [k for k, v in res["checks"].items() if "error" in v]
    out.append("")
    out.append("checks: " + ("all passed" if not bad else "FAILED: " + "; ".join(f"{k}: {res['checks'][k]['error']}" for k in bad)))
    text = "\n".join(out)
    res["table"] = text
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
    print(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
