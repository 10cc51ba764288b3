#!/usr/bin/env python3
"""Grid throughput of `kr reproduce --parallel N`: runs per hour at each N, on the same grid, with a check that
every N gives the runs of N = 1 (metrics without their clock fields) before any rate is reported.

    python3 bench/grid_throughput.py --data /work/data/cifar10 --parallel 1,2 --threads-total 2
    python3 bench/grid_throughput.py --data DIR --parallel 1,2,4,8,16 --device cuda      # one GPU, N runs sharing it

The grid: --runs runs of --student (scratch and KD of a given or trained teacher are not needed to measure
throughput, so every run is 'scratch' with its own seed), --images training images, --epochs epochs.
With --threads-total T each of the N processes gets max(1, T // N) threads (on a GPU the threads only feed it).
Results identical across N need the same threads per run: on the CPU that holds only between Ns with equal
T // N, so the check compares the test accuracy to 1e-9 when the thread counts match, and only reports the
largest difference otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def metrics(out, student, runs):
    res = {}
    for s in range(runs):
        p = os.path.join(out, student, "scratch", f"seed{s}", "metrics.jsonl")
        with open(p) as f:
            res[s] = [{k: v for k, v in json.loads(l).items() if k not in ("epoch_seconds", "images_per_second")} for l in f if l.strip()]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="CIFAR-10 directory (image folders or binary)")
    ap.add_argument("--parallel", default="1,2", help="comma-separated N values (default 1,2)")
    ap.add_argument("--threads-total", type=int, default=os.cpu_count() or 1, help="threads shared by the N processes (default: all CPUs)")
    ap.add_argument("--runs", type=int, default=4, help="runs in the grid (default 4)")
    ap.add_argument("--student", default="resnet8")
    ap.add_argument("--images", type=int, default=2000, help="training images per run (default 2000)")
    ap.add_argument("--test-images", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", help="write every measurement here")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="kr-gridtp-")
    grid = {
        "name": "grid throughput", "data": a.data, "seeds": a.runs,
        "train": {"epochs": a.epochs, "batch_size": 128, "lr": 0.1, "schedule": "cosine", "limit_train": a.images,
                  "limit_test": a.test_images, "workers": 1, "checkpoint_every": 0, "device": a.device},
        "teacher": {"model": "resnet20", "weights": None},
        "students": [a.student], "methods": ["scratch"],
    }
    # scratch runs need no teacher, but a grid names one: a tiny one, trained before the timing (cell 0)
    grid["teacher"]["train"] = {"epochs": 1, "limit_train": 128, "limit_test": 128}
    gfile = os.path.join(tmp, "grid.json")
    with open(gfile, "w") as f:
        json.dump(grid, f)
    kr = [os.path.join(ROOT, "bin", "kr")]
    env = dict(os.environ)
    results, ref, ref_threads = [], None, None
    try:
        for n in [int(x) for x in a.parallel.split(",")]:
            out = os.path.join(tmp, f"n{n}")
            threads = max(1, a.threads_total // n)
            # the teacher (not timed): trained once per N with the threads of one run
            subprocess.run(kr + ["reproduce", gfile, "--out", out, "--cell", "0", "--threads", str(threads), "--progress", "off"],
                           check=True, capture_output=True, env=env)
            t0 = time.time()
            r = subprocess.run(kr + ["reproduce", gfile, "--out", out, "--parallel", str(n), "--threads", str(threads), "--device", a.device],
                               capture_output=True, text=True, env=env)
            wall = time.time() - t0
            if r.returncode:
                sys.exit(f"kr reproduce --parallel {n} failed ({r.returncode}):\n{r.stderr[-3000:]}\n{r.stdout[-3000:]}")
            m = metrics(out, a.student, a.runs)
            if ref is None:
                ref, ref_threads = m, threads
                check = "reference"
            else:
                diff = max(abs(x["test_acc"] - y["test_acc"]) for s in m for x, y in zip(m[s], ref[s]))
                if threads == ref_threads:
                    if m != ref:
                        sys.exit(f"--parallel {n}: runs differ from --parallel {a.parallel.split(',')[0]} with the same threads per run (max test_acc diff {diff})")
                    check = "identical to the first N"
                else:
                    check = f"{threads} vs {ref_threads} thread(s) per run: max test-accuracy difference {diff:.4f}"
            rate = a.runs / wall * 3600
            results.append({"parallel": n, "threads_each": threads, "wall_s": wall, "runs_per_hour": rate, "check": check})
            print(f"--parallel {n:2d} x {threads} thread(s): {a.runs} runs in {wall:7.1f} s = {rate:7.1f} runs/h  ({check})", flush=True)
        base = results[0]["runs_per_hour"]
        for r in results:
            print(f"  N = {r['parallel']:2d}: {r['runs_per_hour'] / base:.2f}x the throughput of N = {results[0]['parallel']}")
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"args": vars(a), "results": results}, f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
