#!/usr/bin/python3
"""kr vs NumPy vs PyTorch (CPU): the same workloads, interleaved in one run under the same machine load.

Usage (from the repository root):
    mvn -q -B -ntp -o -pl bench -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
    /usr/bin/python3 bench/compare.py                        # every workload natively, then the epoch comparison
    /usr/bin/python3 bench/compare.py --avx2                 # the same with every side limited to AVX2
    /usr/bin/python3 bench/compare.py --only sgemm --rounds 9 --json out.json --out out.txt
    /usr/bin/python3 bench/compare.py --only sgemm --java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java
    /usr/bin/python3 bench/compare.py --only epoch --epoch-images 2000      # just the epoch comparison

Workloads (ratio = kr time / reference time; lower is better; reference = NumPy where it has the
workload, else PyTorch):
  sgemm 256/512/1024/2048      kr Gemm.sgemm vs NumPy (a @ b) and torch.mm (both OpenBLAS)
  conv fwd|bwdi|bwdw LAYER     every distinct convolution of a CIFAR ResNet-20 at N=128: the 3->16 stem,
                               16->16 32x32, 16->32 3x3 and 1x1 stride 2 (shortcut), 32->32 16x16,
                               32->64 3x3 and 1x1 stride 2, 64->64 8x8; forward, backward-input,
                               backward-weight (PyTorch: oneDNN through aten.convolution_backward)
  resnet20 convs               all 21 ResNet-20 convolutions, all three passes, N=128
  resnetD train step           D = 8, 20, 56 at batch 128: forward, cross-entropy, backward, SGD
                               (momentum 0.9, weight decay 5e-4); the same network in both
  resnet20 epoch               `bin/kr train --model resnet20 --batch-size 128` on --epoch-images CIFAR-10
                               images vs bench/torch_train_loop.py on the same images (kr.bench.ExportSubset
                               writes them), same recipe and threads; images/s of the last of --epochs epochs

How the times are made trustworthy:
  * kr runs in one long-lived `kr.bench.Probe` JVM (same flags as bin/kr). Before anything is timed the
    probe runs each workload on its real inputs and checks the result against a float64 reference (a
    wrong kernel answers an error, never a time; the row then says CHECK FAILED and the script exits 1).
  * Each kr workload is then warmed until stable: the median of the last 5 reps within --warm-tol of
    the 5 before, and the JIT idle (no compilation finished in that window, none queued), at most
    --warm-max-s seconds (rows where that cap was hit are marked 'w'). NumPy/PyTorch get 3 calls and
    at least 0.3 s each.
  * kr's conv and train-step workloads run each rep in a StepArena step, as `kr train` runs its steps:
    outputs are the previous rep's buffers, not new arrays (PyTorch's caching allocator does the same).
  * Then --rounds rounds; each round times every workload on all three sides back to back (the order
    of the sides rotates per round), so a burst of machine load hits all alike. Each cell shows
    min/median/max over the rounds of the per-round median; ratio = median kr / median reference, with
    its range over rounds. A row whose kr spread ((max - min) / median over rounds) exceeds 20% is
    marked '!' and is not trustworthy; '~' marks the same for the reference; 'j' marks JIT compilation
    during kr's timed reps (over 1% of their time).
  * --forks N splits the rounds over N probe JVMs started one after the other, each preparing and
    warming anew: C2 does not always compile a kernel the same way (with AVX2's 16 registers the 6x16
    GEMM kernel came out at 13.7 KB and ran sgemm 1024 in 23 ms in some JVMs, at 14.1 KB and 50 ms in
    others), which no number of rounds in one JVM reveals. 'f' marks rows whose per-JVM kr medians
    differ by over 20%.
  * The header names the CPU, each side's vector ISA (kr: -XX:UseAVX and the Vector API width;
    NumPy/torch.mm: OpenBLAS's core; torch convolutions: oneDNN's ISA, read from its verbose log;
    ATen's own kernels: torch's CPU capability), the JDK and the threads, and the machine load: the
    1-minute load average before and after, and per round how many CPUs other processes kept busy.
    When that is over a quarter of the CPUs the report says so: a busy machine inflates multi-threaded
    NumPy/PyTorch times far more than kr's (their OpenMP/OpenBLAS threads spin at barriers while a
    descheduled partner holds them up; kr's threads park), so use a quiet machine or --threads 1.

--avx2 re-runs this script in a child process whose environment limits every side to 256-bit AVX2:
OPENBLAS_CORETYPE=Haswell, ONEDNN_MAX_CPU_ISA=AVX2 and DNNL_MAX_CPU_ISA=AVX2 (oneDNN 2.6 reads both),
ATEN_CPU_CAPABILITY=avx2, and the probe JVM (and `kr train`) get -XX:UseAVX=2; the header shows what
each side actually used, and warns when a limit did not take. Without --avx2 those variables are
removed, so the native table is native. Thread counts (--threads) go to kr, OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and torch.set_num_threads alike.

Adding a workload: append a Workload to `workloads()` with NumPy/PyTorch callables and register a
matching `kr.bench.ProbeWorkload` (see its Javadoc: it must check its result before it is timed).
"""
import argparse
import ctypes
import json
import os
import shlex
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
JAR = os.path.join(ROOT, "bench", "target", "benchmarks.jar")
AVX2_ENV = {"OPENBLAS_CORETYPE": "Haswell", "ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
CHILD = "KR_COMPARE_CHILD"
SPREAD_LIMIT = 0.20
DEFAULT_DATA = "/work/data/cifar10"
DATA_TARBALL = "/work/shared/data/cifar10-jpg.tar.gz"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    ap.add_argument("--only", help="comma-separated texts: run the workloads whose name contains any of them ('epoch' for the epoch comparison)")
    ap.add_argument("--java", default="java", help="java executable for the probe and kr train (e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("KR_THREADS", os.cpu_count() or 1)), help="threads on every side (default: all CPUs)")
    ap.add_argument("--avx2", action="store_true", help="limit kr, OpenBLAS, oneDNN and ATen to AVX2 (256-bit)")
    ap.add_argument("--forks", type=int, default=1,
                    help="run kr's rounds in this many fresh probe JVMs one after the other (each prepares and warms anew): "
                         "shows whether the JIT compiles kernels differently from one JVM to the next (default 1)")
    ap.add_argument("--warm-tol", type=float, default=0.03, help="kr warm-up: relative change of the 5-rep median that counts as stable (default 0.03)")
    ap.add_argument("--warm-max-s", type=float, default=30, help="kr warm-up: at most this many seconds per workload (default 30)")
    ap.add_argument("--json", help="also write everything (every sample, load, versions) here")
    ap.add_argument("--out", help="also write the printed report here")
    ap.add_argument("--no-epoch", action="store_true", help="skip the epoch comparison")
    ap.add_argument("--data", help=f"CIFAR-10 image folder for the epoch comparison (default {DEFAULT_DATA}; else {DATA_TARBALL} is unpacked under ~/.cache/kr-bench)")
    ap.add_argument("--epoch-images", type=int, default=5000, help="training images for the epoch comparison (default 5000)")
    ap.add_argument("--epoch-test-images", type=int, default=1000, help="test images evaluated after each epoch (not timed; default 1000)")
    ap.add_argument("--epochs", type=int, default=2, help="epochs per training run; the last one is reported (default 2)")
    ap.add_argument("--epoch-runs", type=int, default=2, help="training runs per side, alternating kr and PyTorch (default 2)")
    ap.add_argument("--jit-log", help="write the probe JVM's JIT compilation log (-Xlog:jit+compilation=debug) here")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    return ap.parse_args(argv)


def child_env(args):
    env = dict(os.environ)
    for k in AVX2_ENV:
        env.pop(k, None)
    if args.avx2:
        env.update(AVX2_ENV)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    env[CHILD] = "1"
    return env


# ---------------------------------------------------------------------------------------------- machine facts

def cpu_info():
    model, flags, n = None, set(), 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model is None:
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            elif line.startswith("processor"):
                n += 1
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "AVX" if "avx" in flags else "SSE"
    return {"model": model, "cpus": n, "isa": isa, "vector_flags": sorted(f for f in flags if f.startswith(("avx", "fma")))}


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4]  # user nice system idle iowait irq softirq steal: all but idle and iowait


def proc_jiffies(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        return int(v[11]) + int(v[12])  # utime + stime (fields 14 and 15)
    except OSError:
        return 0


class LoadMeter:
    """How many CPUs other processes kept busy between start() and stop(): all busy time less ours and the probe's."""

    def __init__(self, pids):
        self.pids = pids

    def start(self):
        self.t, self.busy, self.own = time.time(), cpu_busy_jiffies(), sum(proc_jiffies(p) for p in self.pids)

    def stop(self):
        hz = os.sysconf("SC_CLK_TCK")
        wall = time.time() - self.t
        other = (cpu_busy_jiffies() - self.busy) - (sum(proc_jiffies(p) for p in self.pids) - self.own)
        return max(0.0, other / hz / wall)


def openblas_info():
    with open("/proc/self/maps") as f:
        maps = f.read()
    libs = sorted(set(re.findall(r"(/\S*libopenblas\S*\.so\S*)", maps)))
    if not libs:
        blas = sorted(set(re.findall(r"(/\S*lib(?:blas|cblas|mkl_rt|blis)\S*\.so\S*)", maps)))
        return {"blas": "NOT OpenBLAS: " + (", ".join(blas) or "no BLAS library mapped"), "core": None, "isa": "?"}
    ob = ctypes.CDLL(libs[0])
    ob.openblas_get_config.restype = ctypes.c_char_p
    ob.openblas_get_corename.restype = ctypes.c_char_p
    core = ob.openblas_get_corename().decode()
    isa = "AVX-512" if core.lower() in ("skylakex", "cooperlake", "sapphirerapids") else \
        "AVX2" if core.lower() in ("haswell", "zen", "skylake") else "AVX" if core.lower() == "sandybridge" else core
    return {"blas": ob.openblas_get_config().decode(), "core": core, "isa": isa, "threads": ob.openblas_get_num_threads(), "library": libs[0]}


def onednn_info(env):
    """oneDNN's ISA and convolution implementation as its verbose log reports them, in a child with this environment."""
    code = ("import torch, torch.nn.functional as F; torch.set_num_threads(1); "
            "F.conv2d(torch.rand(16, 16, 8, 8), torch.rand(16, 16, 3, 3), padding=1)")
    e = dict(env, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1")
    try:
        out = subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, timeout=300).stdout
    except (OSError, subprocess.TimeoutExpired) as ex:
        return {"isa": f"? ({ex})", "conv_impl": "?", "version": "?"}
    isa = re.search(r"_verbose,info,cpu,isa:([^\n]*)", out)
    impl = re.search(r"_verbose,exec,cpu,convolution,([^,]*),", out)
    ver = re.search(r"_verbose,info,oneDNN (v[\d.]+)", out)
    return {"isa": isa.group(1).strip() if isa else "? (no verbose output: oneDNN not used)", "conv_impl": impl.group(1) if impl else "?",
            "version": ver.group(1) if ver else "?"}


def isa_of_onednn(s):
    return "AVX-512" if "512" in s else "AVX2" if "AVX2" in s else s


# ---------------------------------------------------------------------------------------------- workloads

class Workload:
    """One comparable problem: a probe command for kr and optional NumPy / PyTorch callables."""

    def __init__(self, name, kr, numpy=None, torch=None, reps=3, params=None):
        self.name, self.kr, self.numpy, self.torch, self.reps, self.params = name, kr, numpy, torch, reps, params
        self.gflop, self.check, self.failed, self.warms = None, None, None, []


# (label, cin, cout, hw, k, stride, pad): every distinct convolution of a CIFAR ResNet-20
RESNET20_LAYERS = [("3->16 32x32 k3 s1 (stem)", 3, 16, 32, 3, 1, 1), ("16->16 32x32 k3 s1", 16, 16, 32, 3, 1, 1),
                   ("16->32 32x32 k3 s2", 16, 32, 32, 3, 2, 1), ("16->32 32x32 k1 s2 (shortcut)", 16, 32, 32, 1, 2, 0),
                   ("32->32 16x16 k3 s1", 32, 32, 16, 3, 1, 1), ("32->64 16x16 k3 s2", 32, 64, 16, 3, 2, 1),
                   ("32->64 16x16 k1 s2 (shortcut)", 32, 64, 16, 1, 2, 0), ("64->64 8x8 k3 s1", 64, 64, 8, 3, 1, 1)]


def workloads(batch=128):
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch_train_loop import CifarResNet

    out = []
    for n in (256, 512, 1024, 2048):
        rng = np.random.default_rng(n)
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        out.append(Workload(f"sgemm {n}", f"gemm {n}", numpy=lambda a=a, b=b: a @ b, torch=lambda ta=ta, tb=tb: torch.mm(ta, tb),
                            reps=max(3, min(20, int(2e9 / (2 * n ** 3))))))

    def conv_tensors(cin, cout, hw, k, s, p):
        g = torch.Generator().manual_seed(0)
        x = torch.rand(batch, cin, hw, hw, generator=g) * 2 - 1
        w = torch.rand(cout, cin, k, k, generator=g) * 2 - 1
        gy = torch.rand(F.conv2d(x, w, stride=s, padding=p).shape, generator=g) * 2 - 1
        return x, w, gy

    def conv_pass(x, w, gy, s, p, mask):
        if mask is None:
            return F.conv2d(x, w, stride=s, padding=p)
        return torch.ops.aten.convolution_backward(gy, x, w, None, [s] * 2, [p] * 2, [1, 1], False, [0, 0], 1, [mask[0], mask[1], False])

    for label, cin, cout, hw, k, s, p in RESNET20_LAYERS:
        x, w, gy = conv_tensors(cin, cout, hw, k, s, p)
        for tag, kr_pass, mask in (("fwd", "fwd", None), ("bwdi", "bwdi", (True, False)), ("bwdw", "bwdw", (False, True))):
            out.append(Workload(f"conv {tag} {label}", f"conv {kr_pass} {batch} {cin} {cout} {hw} {k} {s} {p}",
                                torch=lambda x=x, w=w, gy=gy, s=s, p=p, m=mask: conv_pass(x, w, gy, s, p, m)))

    shapes = [(3, 16, 32, 3, 1, 1)] + [(16, 16, 32, 3, 1, 1)] * 6 + [(16, 32, 32, 3, 2, 1), (16, 32, 32, 1, 2, 0)] \
        + [(32, 32, 16, 3, 1, 1)] * 5 + [(32, 64, 16, 3, 2, 1), (32, 64, 16, 1, 2, 0)] + [(64, 64, 8, 3, 1, 1)] * 5
    layers = [(*conv_tensors(*sh), sh[4], sh[5]) for sh in shapes]

    def all_convs():
        for x, w, gy, s, p in layers:
            conv_pass(x, w, gy, s, p, None)
            conv_pass(x, w, gy, s, p, (True, True))

    out.append(Workload(f"resnet20 convs (21 layers x 3 passes)", f"resnet20convs {batch}", torch=all_convs, reps=2))

    for depth, reps in ((8, 3), (20, 2), (56, 1)):
        torch.manual_seed(0)
        net = CifarResNet(depth)
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        x = torch.randn(batch, 3, 32, 32)
        y = torch.arange(batch) % 10

        def step(net=net, opt=opt, x=x, y=y):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

        out.append(Workload(f"resnet{depth} train step", f"trainstep resnet{depth} {batch}", torch=step, reps=reps,
                            params=sum(p.numel() for p in net.parameters())))
    return out


# ---------------------------------------------------------------------------------------------- the probe

class Probe:
    def __init__(self, java, threads, avx2, jit_log=None):
        cmd = [java, "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms8g", "-Xmx8g", "-XX:+UseTransparentHugePages", "-Xss4m"]
        if avx2:
            cmd.append("-XX:UseAVX=2")
        if jit_log:
            cmd.append(f"-Xlog:jit+compilation=debug:file={jit_log}:uptime")
        cmd += shlex.split(os.environ.get("KR_JAVA_OPTS", ""))  # A/B of kr settings, e.g. -Dkr.gemm.tile=8x2 (kr train gets them too)
        cmd += [f"-Dkr.threads={threads}", "-cp", JAR, "kr.bench.Probe"]
        self.cmd = cmd
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        while True:
            out = self.p.stdout.readline()
            if not out:
                raise RuntimeError(f"kr probe exited while answering '{line}' (command: {' '.join(self.cmd)})")
            if out.startswith("{"):
                reply = json.loads(out)
                break
        if "error" in reply:
            raise ProbeError(reply["error"])
        return reply

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait()


class ProbeError(RuntimeError):
    pass


def time_python(fn, reps):
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def warm_python(fn):
    t0, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - t0 < 0.3:
        fn()
        n += 1


# ---------------------------------------------------------------------------------------------- the epoch comparison

def find_data(arg):
    if arg:
        return arg
    if os.path.isdir(os.path.join(DEFAULT_DATA, "train")):
        return DEFAULT_DATA
    cache = os.path.expanduser("~/.cache/kr-bench/cifar10")
    if os.path.isdir(os.path.join(cache, "train")):
        return cache
    if os.path.exists(DATA_TARBALL):
        os.makedirs(cache, exist_ok=True)
        print(f"unpacking {DATA_TARBALL} into {cache} ...", file=sys.stderr, flush=True)
        subprocess.run(["tar", "xzf", DATA_TARBALL, "-C", cache], check=True)
        return cache
    raise SystemExit(f"no CIFAR-10 image folder: pass --data DIR (DIR/train/<class>/*.jpg), or unpack {DATA_TARBALL} with tar xzf FILE -C DIR")


def epoch_comparison(args, java, log):
    data = find_data(args.data)
    tmp = tempfile.mkdtemp(prefix="kr-epoch-")
    try:
        sub = os.path.join(tmp, "data")
        r = subprocess.run([java, "-cp", JAR, "kr.bench.ExportSubset", data, str(args.epoch_images), str(args.epoch_test_images), "0", sub],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"ExportSubset failed: {r.stderr.strip()[-2000:]}")
        counts = json.loads(r.stdout.strip().splitlines()[-1])
        kr_env = dict(os.environ, KR_JAVA=java)
        kr_env["KR_JAVA_OPTS"] = (kr_env.get("KR_JAVA_OPTS", "") + (" -XX:UseAVX=2" if args.avx2 else "")).strip()
        runs = {"kr": [], "torch": []}
        for i in range(args.epoch_runs):
            for side in (("kr", "torch") if i % 2 == 0 else ("torch", "kr")):
                if side == "kr":
                    out = os.path.join(tmp, f"kr-{i}")
                    cmd = [os.path.join(ROOT, "bin", "kr"), "train", "--model", "resnet20", "--data", data, "--limit-train", str(args.epoch_images),
                           "--limit-test", str(args.epoch_test_images), "--epochs", str(args.epochs), "--batch-size", "128", "--lr", "0.05",
                           "--momentum", "0.9", "--wd", "5e-4", "--schedule", "constant", "--augment", "cifar", "--normalize", "cifar10",
                           "--seed", "0", "--threads", str(args.threads), "--checkpoint-every", "0", "--progress", "off", "--out", out]
                    res = subprocess.run(cmd, env=kr_env, capture_output=True, text=True)
                    if res.returncode:
                        raise RuntimeError(f"kr train failed ({res.returncode}): {(res.stderr or res.stdout).strip()[-3000:]}")
                    with open(os.path.join(out, "metrics.jsonl")) as f:
                        epochs = [json.loads(line) for line in f if line.strip()]
                    with open(os.path.join(out, "config.json")) as f:
                        prov = json.load(f).get("provenance", {})
                    runs["kr"].append({"epochs": epochs, "provenance": prov})
                else:
                    jl = os.path.join(tmp, f"torch-{i}.jsonl")
                    cmd = [sys.executable, os.path.join(HERE, "torch_train_loop.py"), "--data", sub, "--epochs", str(args.epochs),
                           "--batch-size", "128", "--threads", str(args.threads), "--json", jl]
                    res = subprocess.run(cmd, capture_output=True, text=True)
                    if res.returncode:
                        raise RuntimeError(f"torch_train_loop.py failed: {res.stderr.strip()[-3000:]}")
                    with open(jl) as f:
                        runs["torch"].append({"epochs": [json.loads(line) for line in f if line.strip()]})
                e = runs[side][-1]["epochs"][-1]
                log(f"  epoch run {i + 1}/{args.epoch_runs} {side}: epoch {e['epoch']} {e['images_per_second']:.1f} img/s, load {loadavg():.1f}")
        return {"data": data, "images": counts, "epochs": args.epochs, "runs": runs}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- report

def stats(rounds):
    """min / median / max over rounds of the per-round medians, and the spread (max - min) / median."""
    meds = [statistics.median(r) for r in rounds if r]
    if not meds:
        return None
    med = statistics.median(meds)
    return {"min": min(meds), "median": med, "max": max(meds), "spread": (max(meds) - min(meds)) / med, "round_medians": meds}


def fmt_mmm(s, width=24):
    if s is None:
        return f"{'-':>{width}}"
    d = 2 if s["median"] < 100 else 1 if s["median"] < 1000 else 0
    return f"{s['min']:.{d}f}/{s['median']:.{d}f}/{s['max']:.{d}f}".rjust(width)


def main():
    args = parse_args()
    if os.environ.get(CHILD) != "1":  # libraries read their ISA and thread settings at load: set them, then start afresh
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], child_env(args))
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: build it first (see --help)")
    sys.path.insert(0, HERE)
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    java = shutil.which(args.java) or args.java
    lines = []

    def log(s=""):
        print(s, flush=True)
        lines.append(s)

    def note(s):
        print(s, file=sys.stderr, flush=True)

    only = [t.strip() for t in args.only.split(",")] if args.only else None
    wanted = lambda name: only is None or any(t in name for t in only)
    all_w = workloads()
    if args.list:
        for w in all_w:
            print(f"{w.name:<44} kr: {w.kr}")
        print(f"{'resnet20 epoch':<44} kr: bin/kr train --model resnet20 ...; PyTorch: bench/torch_train_loop.py")
        return
    ws = [w for w in all_w if wanted(w.name)]
    do_epoch = not args.no_epoch and wanted("resnet20 epoch")

    load_start, t_start = loadavg(), time.strftime("%Y-%m-%d %H:%M:%S %Z")
    cpu = cpu_info()
    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)
    ob = openblas_info()
    dnnl = onednn_info(dict(os.environ))
    aten = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    aten = aten.group(1) if aten else "?"
    probe = Probe(java, args.threads, args.avx2, args.jit_log)
    info = probe.ask("info")  # the JVM's facts, for the header even when only the epoch comparison runs
    if not ws:
        probe.close()

    mode = "AVX2 (--avx2: " + " ".join(f"{k}={v}" for k, v in AVX2_ENV.items()) + ", kr -XX:UseAVX=2)" if args.avx2 else "native (no ISA limits)"
    log(f"kr vs NumPy vs PyTorch, {mode}; {t_start}")
    log(f"CPU: {cpu['model']}, {cpu['cpus']} logical CPUs, {cpu['isa']} ({' '.join(f for f in cpu['vector_flags'] if f in ('avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_bf16'))})")
    log(f"kr: JDK {info['java']} ({info['java_vendor']}), -XX:UseAVX={info['use_avx']} -> {info['vector_bits']}-bit Vector API species, "
        f"GEMM tile {info['gemm_kernel']}, {info['threads']} threads")
    log(f"NumPy {np.__version__}: {ob['blas']} (core {ob['core']}: {ob['isa']}), {ob.get('threads', '?')} threads")
    log(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads: convolutions oneDNN {dnnl['version']} isa '{dnnl['isa']}' ({dnnl['conv_impl']}); "
        f"torch.mm: system BLAS (same OpenBLAS, core {ob['core']}); ATen CPU kernels {aten}")
    warnings = []
    if ob["core"] is None:
        warnings.append("NumPy is not using OpenBLAS (install libopenblas0-pthread): its times are not a fair reference")
    if args.avx2:
        if info["vector_bits"] != 256:
            warnings.append(f"kr runs {info['vector_bits']}-bit vectors, not 256")
        if ob["isa"] != "AVX2":
            warnings.append(f"OpenBLAS core {ob['core']} is not an AVX2 core")
        if isa_of_onednn(dnnl["isa"]) != "AVX2":
            warnings.append(f"oneDNN reports isa '{dnnl['isa']}'")
        if aten.upper() != "AVX2":
            warnings.append(f"ATen capability {aten}")
    for wmsg in warnings:
        log(f"WARNING: {wmsg}")
    log(f"load: 1-minute load average {load_start:.2f} at the start")
    results = {"args": vars(args), "started": t_start, "cpu": cpu, "kr": info, "openblas": ob, "onednn": dnnl, "aten_capability": aten,
               "numpy": np.__version__, "torch": torch.__version__, "env": {k: os.environ.get(k) for k in list(AVX2_ENV) + ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"]},
               "warnings": warnings, "load_start": load_start}
    failed = False

    if ws:
        forks = max(1, min(args.forks, args.rounds))
        bounds = [round(f * args.rounds / forks) for f in range(forks + 1)]
        samples = {w.name: {"kr": [], "numpy": [], "torch": []} for w in ws}
        jit = {w.name: 0.0 for w in ws}
        gc = {w.name: 0.0 for w in ws}
        fork_samples = {w.name: [[] for _ in range(forks)] for w in ws}
        round_load = []
        for f in range(forks):
            if f > 0:  # a fresh JVM: its JIT compiles the kernels anew
                probe = Probe(java, args.threads, args.avx2)
                probe.ask("info")
            tag = f" (JVM {f + 1}/{forks})" if forks > 1 else ""
            note(f"preparing and checking {len(ws)} kr workloads{tag} ...")
            for w in ws:
                if w.failed:
                    continue
                try:
                    r = probe.ask(f"prepare {w.kr}")
                    w.gflop, w.check = r["gflop"], r["check"]
                    if w.params is not None and "params" in r and int(r["params"]) != w.params:
                        w.failed = f"PyTorch's network has {w.params} parameters, kr's {int(r['params'])}: not the same model"
                except ProbeError as e:
                    w.failed = str(e)
                if w.failed:
                    failed = True
                    note(f"  CHECK FAILED {w.name}: {w.failed}")
            live = [w for w in ws if not w.failed]
            note(f"warming up{tag} (kr: until stable within {args.warm_tol:.0%} and the JIT is idle, at most {args.warm_max_s:.0f} s each) ...")
            for w in live:
                wr = probe.ask(f"warm {args.warm_tol} {args.warm_max_s} {w.kr}")
                w.warms.append(wr)
                if f == 0:
                    for fn in (w.numpy, w.torch):
                        if fn:
                            warm_python(fn)
                note(f"  {w.name}: {wr['reps']} reps, {wr['seconds']:.1f} s, {'stable' if wr['converged'] else 'NOT stable (cap)'} at {wr['median_ms']:.2f} ms")
            meter = LoadMeter([os.getpid(), probe.p.pid])
            for r in range(bounds[f], bounds[f + 1]):
                meter.start()
                la0 = loadavg()
                for w in live:
                    sides = ["numpy", "torch", "kr"]
                    sides = sides[r % 3:] + sides[:r % 3]
                    for side in sides:
                        if side == "kr":
                            rep = probe.ask(f"run {w.reps} {w.kr}")
                            samples[w.name]["kr"].append(rep["ms"])
                            fork_samples[w.name][f] += rep["ms"]
                            jit[w.name] += rep["jit_ms"]
                            gc[w.name] += rep["gc_ms"]
                        elif getattr(w, side):
                            samples[w.name][side].append(time_python(getattr(w, side), w.reps))
                other = meter.stop()
                round_load.append({"other_cpus_busy": other, "loadavg_start": la0, "loadavg_end": loadavg(), "jvm": f + 1})
                note(f"  round {r + 1}/{args.rounds}{tag}: other processes kept {other:.2f} of {cpu['cpus']} CPUs busy; load average {loadavg():.2f}")
            probe.close()
        results["rounds_load"] = round_load

        head = (f"{'workload (N=128)':<40} {'kr ms min/med/max':>24} {'NumPy ms min/med/max':>24} {'PyTorch ms min/med/max':>24} "
                f"{'kr GF/s':>7} {'ratio':>5} {'(range)':>11} flags")
        log("")
        log(f"Times in ms: min/median/max over {args.rounds} rounds of each round's median"
            + (f" (kr: rounds split over {forks} fresh JVMs)" if forks > 1 else "") + "; ratio = kr / reference "
            f"(NumPy where it has the workload, else PyTorch), lower is better")
        log(head)
        log("-" * len(head))
        rows, nflag = [], {"!": 0, "~": 0, "w": 0, "j": 0, "f": 0}
        for w in ws:
            if w.failed:
                log(f"{w.name:<40} CHECK FAILED, not timed: {w.failed[:150]}")
                rows.append({"workload": w.name, "kr_cmd": w.kr, "check_failed": w.failed})
                continue
            s = {side: stats(v) for side, v in samples[w.name].items()}
            refside = "numpy" if s["numpy"] else "torch"
            ratio = s["kr"]["median"] / s[refside]["median"]
            per_round = [k / ref for k, ref in zip(s["kr"]["round_medians"], s[refside]["round_medians"])]
            kr_timed = sum(sum(x) for x in samples[w.name]["kr"])
            flags = ""
            if s["kr"]["spread"] > SPREAD_LIMIT:
                flags += "!"
            if s[refside]["spread"] > SPREAD_LIMIT:
                flags += "~"
            if not all(x["converged"] for x in w.warms):
                flags += "w"
            fork_meds = [statistics.median(x) for x in fork_samples[w.name] if x]
            if len(fork_meds) > 1 and (max(fork_meds) - min(fork_meds)) / statistics.median(fork_meds) > SPREAD_LIMIT:
                flags += "f"
            if jit[w.name] > 0.01 * kr_timed:
                flags += "j"
            for f in flags:
                nflag[f] += 1
            gfs = w.gflop / s["kr"]["median"] * 1e3
            log(f"{w.name:<40} {fmt_mmm(s['kr'])} {fmt_mmm(s['numpy'])} {fmt_mmm(s['torch'])} {gfs:7.1f} {ratio:5.2f} "
                f"{'(%.2f-%.2f)' % (min(per_round), max(per_round)):>11} {flags}")
            rows.append({"workload": w.name, "kr_cmd": w.kr, "gflop": w.gflop, "check": w.check, "reference": refside, "ratio_kr_over_ref": ratio,
                         "ratio_per_round": per_round, "stats_ms": s, "flags": flags, "warmup": w.warms, "kr_median_ms_per_jvm": fork_meds,
                         "kr_jit_ms_during_timing": jit[w.name], "kr_gc_ms_during_timing": gc[w.name], "kr_timed_ms": kr_timed,
                         "samples_ms": samples[w.name]})
        log("")
        log(f"flags: '!' kr spread over rounds > {SPREAD_LIMIT:.0%} ({nflag['!']} rows: their kr times are not trustworthy); "
            f"'~' reference spread > {SPREAD_LIMIT:.0%} ({nflag['~']}); 'w' kr warm-up hit the {args.warm_max_s:.0f} s cap before it was stable "
            f"({nflag['w']}); 'j' JIT compiling during kr's timed reps for over 1% of their time ({nflag['j']})"
            + (f"; 'f' kr medians of the {forks} JVMs differ by over {SPREAD_LIMIT:.0%} ({nflag['f']}: the JIT compiled a kernel differently)"
               if forks > 1 else ""))
        oth = [x["other_cpus_busy"] for x in round_load]
        log(f"machine load during the rounds: other processes kept {min(oth):.2f}-{max(oth):.2f} of {cpu['cpus']} CPUs busy "
            f"(median {statistics.median(oth):.2f}); 1-minute load average {min(x['loadavg_start'] for x in round_load):.1f}-"
            f"{max(x['loadavg_end'] for x in round_load):.1f}")
        if statistics.median(oth) > 0.25 * cpu["cpus"]:
            log(f"WARNING: the machine was busy: other processes used {statistics.median(oth):.2f} of {cpu['cpus']} CPUs. All times are inflated, "
                f"the references' more than kr's when they run several threads (OpenMP and OpenBLAS threads spin at barriers while a "
                f"descheduled partner holds them up; kr's threads park), so multi-threaded ratios here flatter kr. Prefer a quiet machine, "
                f"or compare with --threads 1.")
        log("every kr row was checked before it was timed: " + "; ".join(sorted({f"{w.kr.split()[0]}: {w.check}" for w in ws if w.check})))
        results["results"] = rows

    if do_epoch:
        note(f"epoch comparison: resnet20, {args.epoch_images} images, {args.epochs} epochs, {args.epoch_runs} runs per side ...")
        la0 = loadavg()
        ep = epoch_comparison(args, java, note)
        ep["loadavg_start"], ep["loadavg_end"] = la0, loadavg()
        results["epoch"] = ep
        last = {side: [r["epochs"][-1]["images_per_second"] for r in ep["runs"][side]] for side in ("kr", "torch")}
        first = {side: [r["epochs"][0]["images_per_second"] for r in ep["runs"][side]] for side in ("kr", "torch")}
        mk, mt = statistics.median(last["kr"]), statistics.median(last["torch"])
        sk = (max(last["kr"]) - min(last["kr"])) / mk
        log("")
        log(f"End to end: resnet20, batch 128, {ep['images']['train']} CIFAR-10 training images ({ep['data']}; the same images for both), "
            f"SGD momentum 0.9 wd 5e-4, padded crop + flip, {args.threads} threads; images/s of epoch {args.epochs} of {args.epochs}, "
            f"min/median/max over {args.epoch_runs} runs per side (alternating)")
        fm = lambda v: f"{min(v):.1f}/{statistics.median(v):.1f}/{max(v):.1f}"
        log(f"  kr train              {fm(last['kr']):>20} img/s   (epoch 1: {fm(first['kr'])})")
        log(f"  torch_train_loop.py   {fm(last['torch']):>20} img/s   (epoch 1: {fm(first['torch'])})")
        log(f"  ratio kr time / PyTorch time = {mt / mk:.2f}{'  ! kr spread over runs %.0f%% > 20%%' % (100 * sk) if sk > SPREAD_LIMIT else ''}")
        kl, tl = ep["runs"]["kr"][-1]["epochs"][-1], ep["runs"]["torch"][-1]["epochs"][-1]
        log(f"  sanity (last run, epoch {args.epochs}): train loss kr {kl['train_loss']:.3f} / PyTorch {tl['train_loss']:.3f}, "
            f"test accuracy kr {kl['test_acc']:.3f} / PyTorch {tl['test_acc']:.3f} ({ep['images']['test']} test images)")
        log(f"  load average {la0:.1f} before, {ep['loadavg_end']:.1f} after")

    load_end = loadavg()
    results["load_end"] = load_end
    log(f"load: 1-minute load average {load_end:.2f} at the end ({time.strftime('%Y-%m-%d %H:%M:%S %Z')})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
