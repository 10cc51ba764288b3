#!/usr/bin/python3
"""kr vs NumPy vs PyTorch (CPU) on the same workloads, in one run, on the same machine load.

Usage (from the repository root):
    mvn -q -ntp -pl bench -am package -DskipTests     # builds bench/target/benchmarks.jar
    /usr/bin/python3 bench/compare.py                  # all workloads, 5 rounds
    /usr/bin/python3 bench/compare.py --rounds 9 --only gemm --json out.json
    /usr/bin/python3 bench/compare.py --java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java

kr runs in a long-lived `kr.bench.Probe` JVM. Each round times every workload in NumPy, PyTorch and
kr back to back (a few repetitions each), so machine noise hits all three alike; the table shows
medians over all repetitions of all rounds. ratio = kr time / reference time (lower is better;
reference = NumPy where it has the workload, else PyTorch). Every kr workload is checked against a
float64 reference by the probe before it is timed.

Adding a workload (e.g. a ResNet-20 training step): append a Workload to `extra_workloads()` below
with a PyTorch callable, and register a matching `kr.bench.ProbeWorkload` on the Java side (see
ProbeWorkload's Javadoc); its `kr` field is the probe command.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

THREADS = int(os.environ.get("KR_THREADS", "2"))
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(THREADS))

import numpy as np  # noqa: E402  (thread count must be set first)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(THREADS)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "bench", "target", "benchmarks.jar")


class Workload:
    """One comparable problem: a probe command for kr and optional NumPy / PyTorch callables."""

    def __init__(self, name, kr, flop, numpy=None, torch=None, reps=3):
        self.name, self.kr, self.flop, self.numpy, self.torch, self.reps = name, kr, flop, numpy, torch, reps


def gemm_workload(n):
    rng = np.random.default_rng(n)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    reps = max(3, min(20, int(2e9 / (2 * n ** 3))))
    return Workload(f"sgemm {n}", f"gemm {n}", 2.0 * n ** 3, numpy=lambda: a @ b, torch=lambda: torch.mm(ta, tb), reps=reps)


def conv_tensors(n, cin, cout, hw, k, stride, pad):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, cin, hw, hw, generator=g) * 2 - 1
    w = torch.rand(cout, cin, k, k, generator=g) * 2 - 1
    y = F.conv2d(x, w, stride=stride, padding=pad)
    gy = torch.rand(y.shape, generator=g) * 2 - 1
    return x, w, gy


def torch_conv_pass(x, w, gy, stride, pad, mask):
    """Forward (mask None) or the autograd backward kernel with the given (input, weight) mask."""
    if mask is None:
        return F.conv2d(x, w, stride=stride, padding=pad)
    return torch.ops.aten.convolution_backward(gy, x, w, None, [stride] * 2, [pad] * 2, [1, 1], False, [0, 0], 1,
                                               [mask[0], mask[1], False])


def conv_workloads(n=128, cin=64, cout=64, hw=32, k=3, stride=1, pad=1):
    x, w, gy = conv_tensors(n, cin, cout, hw, k, stride, pad)
    ho = (hw + 2 * pad - k) // stride + 1
    flop = 2.0 * n * cout * ho * ho * cin * k * k
    geo = f"{n} {cin} {cout} {hw} {k} {stride} {pad}"
    label = f"N={n} {cin}->{cout} {hw}x{hw} k{k} s{stride}"
    out = []
    for tag, kr_pass, mask in (("fwd", "fwd", None), ("bwd input", "bwdi", (True, False)), ("bwd weight", "bwdw", (False, True))):
        out.append(Workload(f"conv {tag} {label}", f"conv {kr_pass} {geo}", flop,
                            torch=lambda m=mask: torch_conv_pass(x, w, gy, stride, pad, m)))
    return out


def resnet20_convs(batch=128):
    """Forward + backward (input and weight) of every ResNet-20 convolution, as kr's `resnet20convs`."""
    shapes = [(3, 16, 32, 3, 1, 1)] + [(16, 16, 32, 3, 1, 1)] * 6 + [(16, 32, 32, 3, 2, 1), (16, 32, 32, 1, 2, 0)] \
        + [(32, 32, 16, 3, 1, 1)] * 5 + [(32, 64, 16, 3, 2, 1), (32, 64, 16, 1, 2, 0)] + [(64, 64, 8, 3, 1, 1)] * 5
    layers, flop = [], 0.0
    for cin, cout, hw, k, s, p in shapes:
        x, w, gy = conv_tensors(batch, cin, cout, hw, k, s, p)
        layers.append((x, w, gy, s, p))
        ho = (hw + 2 * p - k) // s + 1
        flop += 3 * 2.0 * batch * cout * ho * ho * cin * k * k

    def run():
        for x, w, gy, s, p in layers:
            torch_conv_pass(x, w, gy, s, p, None)
            torch_conv_pass(x, w, gy, s, p, (True, True))

    return Workload(f"ResNet-20 convs fwd+bwd N={batch}", f"resnet20convs {batch}", flop, torch=run, reps=2)


class _Block(torch.nn.Module):
    """RepDistiller's CIFAR BasicBlock (1x1 conv + BN projection when the shape changes)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class _CifarResNet(torch.nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1, self.bn1 = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(_Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = torch.nn.Sequential(*layers)
        self.fc = torch.nn.Linear(64, classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def train_step_workload(depth, batch):
    """A ResNet-(depth) training step: forward, cross-entropy, backward, SGD momentum 0.9 + weight decay."""
    torch.manual_seed(0)
    net = _CifarResNet(depth)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.arange(batch) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    macs = {20: 40.8e6, 56: 125.8e6}[depth]  # conv + linear multiply-accumulates per image (kr models)
    return Workload(f"resnet{depth} train step N={batch}", f"trainstep resnet{depth} {batch}", 3 * 2 * macs * batch, torch=step, reps=3)


def extra_workloads():
    return [train_step_workload(20, 128)]


def all_workloads():
    w = [gemm_workload(n) for n in (256, 512, 1024, 2048)]
    w += conv_workloads()
    w.append(resnet20_convs())
    return w + extra_workloads()


class Probe:
    def __init__(self, java, threads):
        cmd = [java, "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms8g", "-Xmx8g", "-XX:+UseTransparentHugePages",
               f"-Dkr.threads={threads}", "-cp", JAR, "kr.bench.Probe"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        reply = json.loads(self.p.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"kr probe failed on '{line}': {reply['error']}")
        return reply

    def close(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.close()
        self.p.wait()


def time_python(fn, reps):
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", help="run workloads whose name contains this text")
    ap.add_argument("--java", default="java")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: run `mvn -q -ntp -pl bench -am package -DskipTests` first")

    workloads = [w for w in all_workloads() if not args.only or args.only in w.name]
    probe = Probe(args.java, THREADS)
    info = probe.ask("info")
    print(f"kr: Java {info['java']}, {info['threads']} threads, {info['vector_bits']}-bit vectors, GEMM tile {info['gemm_kernel']}; "
          f"NumPy {np.__version__}, PyTorch {torch.__version__} ({torch.get_num_threads()} threads); {args.rounds} rounds", flush=True)
    times = {w.name: {"kr": [], "numpy": [], "torch": []} for w in workloads}
    for w in workloads:  # warm up all three (the probe also verifies here)
        for fn in (w.numpy, w.torch):
            if fn:
                fn()
        probe.ask(f"run 1 {w.kr}")
    for r in range(args.rounds):
        for w in workloads:
            if w.numpy:
                times[w.name]["numpy"] += time_python(w.numpy, w.reps)
            if w.torch:
                times[w.name]["torch"] += time_python(w.torch, w.reps)
            times[w.name]["kr"] += probe.ask(f"run {w.reps} {w.kr}")["ms"]
        print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    probe.close()

    rows = []
    head = f"{'workload':<44} {'kr ms':>9} {'numpy ms':>9} {'torch ms':>9} {'kr GF/s':>8} {'np GF/s':>8} {'pt GF/s':>8} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for w in workloads:
        med = {k: (statistics.median(v) if v else None) for k, v in times[w.name].items()}
        gf = {k: (w.flop / v / 1e6 if v else None) for k, v in med.items()}
        ref = med["numpy"] or med["torch"]
        ratio = med["kr"] / ref
        fmt = lambda v, f: (f % v) if v is not None else "-"
        print(f"{w.name:<44} {fmt(med['kr'], '%9.2f')} {fmt(med['numpy'], '%9.2f'):>9} {fmt(med['torch'], '%9.2f'):>9} "
              f"{fmt(gf['kr'], '%8.1f')} {fmt(gf['numpy'], '%8.1f'):>8} {fmt(gf['torch'], '%8.1f'):>8} {ratio:6.2f}")
        rows.append({"workload": w.name, "median_ms": med, "gflops": gf, "ratio_kr_over_ref": ratio, "samples_ms": times[w.name]})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "rounds": args.rounds, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
