#!/usr/bin/env bash
# kr reproduce on a real Slurm (issue 14): starts a one-node Slurm on this machine (local-slurm.sh, root),
# submits a tiny grid (teacher resnet14; students resnet8 and democnn x kd and kr+kd x 2 seeds; 480 demo
# images, 1 thread per run) with `kr reproduce --slurm`, and meanwhile runs the same grid locally. Three array
# tasks are interrupted after their first checkpoint:
#   cell 2: scancel (SIGTERM: kr saves a checkpoint at the next step), then scontrol requeue;
#   cell 3: SIGUSR1, which the script asks Slurm to send two minutes before the time limit: kr saves a
#           checkpoint and requeues its own task;
#   cell 4: kill -9 of its JVM (a crashed node: stale lock, no last checkpoint), then a second
#           `kr reproduce --slurm`, which submits only the unfinished cells.
# PASS only if all three resumed from a checkpoint (their logs say "resuming ... at epoch E step S"), --status
# showed the hard-killed cell as failed, the last task wrote the table, and the Slurm grid equals the
# local one: every run's metrics.jsonl without its timing fields and best.safetensors bit for bit, and
# table.md without its train-time column. Stops every daemon it started (trap).
#   bench/slurm/check.sh [WORKDIR]      (default: a new directory under /tmp; kept for inspection)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/kr-slurm-check.XXXXXX)}
mkdir -p "$work"; work=$(cd "$work" && pwd)
cluster=$work/cluster
kr=$root/bin/kr
t0=$(date +%s)
say() { echo "[slurm-check $(( $(date +%s) - t0 ))s] $*"; }
fail() { say "FAIL: $*"; exit 1; }

local_pid=""
cleanup() {
  [ -n "$local_pid" ] && kill "$local_pid" 2>/dev/null || true
  "$root/bench/slurm/local-slurm.sh" stop "$cluster" || true
}
trap cleanup EXIT
trap 'say "FAIL: a command failed at line $LINENO (work directory $work)"' ERR

say "work directory $work"
# python3 reads the JSON files below (CI has it already, for the PyTorch conformance tests)
command -v python3 >/dev/null || { apt-get update -qq >/dev/null 2>&1 || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null; }
node=$("$root/bench/slurm/local-slurm.sh" start "$cluster") || fail "the local Slurm did not start (see $cluster/log)"
export SLURM_CONF=$cluster/slurm.conf
say "Slurm up on node $node ($(sinfo -h -o '%c CPUs, partition %P'))"

# Built once here: the array tasks run with KR_NO_BUILD=1. A small heap: several JVMs share the machine.
export KR_HEAP=1g
"$kr" --version >/dev/null

cat > "$work/grid.json" <<'JSON'
{"name": "slurm-check", "data": "demo", "seeds": 2,
 "train": {"epochs": 3, "batch_size": 16, "eval_batch_size": 100, "lr": 0.05, "schedule": "cosine",
           "checkpoint_every": 5, "limit_train": 480, "limit_test": 200, "workers": 0, "seed": 0},
 "teacher": {"model": "resnet14"},
 "students": ["resnet8", "democnn"],
 "methods": ["kd", "kr+kd"],
 "distill": {"kd_t": 4, "kr_beta": 0.005}}
JSON
cd "$work"

say "local reference: kr reproduce grid.json --threads 1 (in the background)"
"$kr" reproduce grid.json --out "$work/local" --threads 1 --progress off >"$work/local.log" 2>&1 &
local_pid=$!

"$kr" reproduce grid.json --out "$work/slurm" --slurm --cpus 1 --dry-run >"$work/dry-run.txt"
grep -q -- '--task' "$work/dry-run.txt" || fail "--dry-run printed no task command: $(cat "$work/dry-run.txt")"
"$kr" reproduce grid.json --out "$work/slurm" --slurm --cpus 1 | tee "$work/submit.log"
runs_job=$(sed -n 's/.*as Slurm array job \([0-9]*\).*/\1/p' "$work/submit.log")
[ -n "$runs_job" ] || fail "no array job id in the submission output"

# cell I's run directory, from its line in --status
cell_dir() { "$kr" reproduce grid.json --out "$work/slurm" --status | awk -v c="$1" '$1 == c {print $3}'; }
# waits until cell $1 has a mid-run checkpoint (global step >= 5, first epoch) and holds its lock
wait_checkpoint() {
  local dir=$work/slurm/$(cell_dir "$1") i
  for i in $(seq 1500); do
    if [ -f "$dir/lock.json" ] && [ -f "$dir/checkpoints/last.json" ] &&
       python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["global_step"] >= 5 and s["epoch"] == 0 else 1)' "$dir/checkpoints/last.json"; then
      echo "$dir"; return 0
    fi
    sleep 0.2
  done
  return 1
}
wait_queue_empty() {
  local i
  for i in $(seq 600); do [ -z "$(squeue -h)" ] && return 0; sleep 1; done
  return 1
}

dir2=$(wait_checkpoint 2) || fail "cell 2 never reached a mid-run checkpoint"
say "cell 2 has a checkpoint at global step $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["global_step"])' "$dir2/checkpoints/last.json"): scancel ${runs_job}_2"
scancel "${runs_job}_2"
for _ in $(seq 60); do squeue -h -j "${runs_job}_2" -o %T 2>/dev/null | grep -q -E -x 'RUNNING|COMPLETING' || break; sleep 0.5; done
scontrol requeue "${runs_job}_2" || fail "scontrol requeue ${runs_job}_2 failed"
scontrol update jobid="${runs_job}_2" StartTime=now # a requeued job waits ~2 minutes otherwise
say "requeued ${runs_job}_2"

dir3=$(wait_checkpoint 3) || fail "cell 3 never reached a mid-run checkpoint"
say "cell 3 has a checkpoint at global step $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["global_step"])' "$dir3/checkpoints/last.json"): SIGUSR1 (the time-limit warning)"
# what --signal=B:USR1@120 delivers to the batch shell, which is the task's JVM (the script execs it); sent
# directly because `scancel --batch --signal=USR1` races with the task's own requeue on Slurm 22.05 (it
# reports "Job can not be altered now" and retries for minutes)
pid3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$dir3/lock.json")
kill -USR1 "$pid3"

dir4=$(wait_checkpoint 4) || fail "cell 4 never reached a mid-run checkpoint"
pid4=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$dir4/lock.json")
say "cell 4 has a checkpoint at global step $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["global_step"])' "$dir4/checkpoints/last.json"): kill -9 of its JVM (pid $pid4)"
kill -9 "$pid4"

# kr requeued cell 3 itself; Slurm holds a requeued job back ~2 minutes: start it now
for i in $(seq 120); do
  [ "$(squeue -h -j "${runs_job}_3" -o %T 2>/dev/null)" = PENDING ] && break
  [ "$i" = 120 ] && fail "cell 3 did not requeue itself after SIGUSR1"
  sleep 0.5
done
scontrol update jobid="${runs_job}_3" StartTime=now
say "cell 3 requeued itself; started it now"

wait_queue_empty || fail "the first submission did not finish"
"$kr" reproduce grid.json --out "$work/slurm" --status | tee "$work/status-after-kill.txt"
grep -E '^ +4 +failed ' "$work/status-after-kill.txt" >/dev/null || fail "--status did not show the killed cell 4 as failed"
[ ! -f "$work/slurm/table.md" ] || fail "table.md was written although cell 4 had not finished"

say "resubmitting: kr reproduce --slurm submits the unfinished cells only"
"$kr" reproduce grid.json --out "$work/slurm" --slurm --cpus 1 | tee "$work/resubmit.log"
grep -q 'cells 4)' "$work/resubmit.log" || fail "the resubmission was to hold cell 4 only"
wait_queue_empty || fail "the resubmission did not finish"
"$kr" reproduce grid.json --out "$work/slurm" --status | tee "$work/status-final.txt"
grep -q '9 done, 0 running, 0 failed, 0 pending' "$work/status-final.txt" || fail "not every cell is done"
[ -f "$work/slurm/table.md" ] || fail "the last task did not write table.md"

say "waiting for the local reference"
wait "$local_pid" || fail "the local run failed: $(tail -5 "$work/local.log")"
local_pid=""

ok=1
log2=$work/slurm/slurm/cell-2.log; log3=$work/slurm/slurm/cell-3.log; log4=$work/slurm/slurm/cell-4.log
grep -q 'SIGTERM received' "$log2" && grep -q 'terminated at epoch' "$log2" || { say "cell 2's log does not say it was terminated"; ok=0; }
r2=$(grep -m1 '^resuming .* at epoch [0-9]* step [0-9]*' "$log2" || true)
[ -n "$r2" ] && say "cell 2 (SIGTERM, requeued): $r2" || { say "cell 2's log has no resuming line"; ok=0; }
grep -q 'SIGUSR1 received' "$log3" && grep -q 'requeued Slurm job' "$log3" || { say "cell 3's log does not say it requeued itself after SIGUSR1"; ok=0; }
r3=$(grep -m1 '^resuming .* at epoch [0-9]* step [0-9]*' "$log3" || true)
[ -n "$r3" ] && say "cell 3 (SIGUSR1, requeued itself): $r3" || { say "cell 3's log has no resuming line"; ok=0; }
grep -q 'removed the stale lock' "$log4" || { say "cell 4's log does not say the stale lock was removed"; ok=0; }
r4=$(grep -m1 '^resuming .* at epoch [0-9]* step [0-9]*' "$log4" || true)
[ -n "$r4" ] && say "cell 4 (kill -9, resubmitted): $r4" || { say "cell 4's log has no resuming line"; ok=0; }

python3 - "$work/local" "$work/slurm" <<'PY' || ok=0
import hashlib, json, os, re, sys
local, slurm = sys.argv[1], sys.argv[2]
timing = {"epoch_seconds", "images_per_second"}
bad, runs = [], 0
for d, _, files in os.walk(local):
    if "metrics.jsonl" not in files or "slurm" in d.split(os.sep):
        continue
    rel = os.path.relpath(d, local); runs += 1
    def metrics(root):
        with open(os.path.join(root, rel, "metrics.jsonl")) as f:
            return [{k: v for k, v in json.loads(l).items() if k not in timing} for l in f if l.strip()]
    if metrics(local) != metrics(slurm):
        bad.append(rel + "/metrics.jsonl")
    digest = lambda root: hashlib.sha256(open(os.path.join(root, rel, "checkpoints", "best.safetensors"), "rb").read()).hexdigest()
    if digest(local) != digest(slurm):
        bad.append(rel + "/checkpoints/best.safetensors")
def table(root):  # without the train-time column, the only timing in it
    return [re.sub(r"\| [^|]* \|$", "|", l.rstrip()) if l.startswith("|") else l.rstrip() for l in open(os.path.join(root, "table.md"))]
if table(local) != table(slurm):
    bad.append("table.md")
print(f"[slurm-check] compared {runs} runs (metrics.jsonl without timing, best.safetensors) and table.md: "
      + ("identical" if not bad else "DIFFERENT: " + ", ".join(bad)))
sys.exit(1 if bad or runs != 9 else 0)
PY

cat "$work/slurm/table.md"
if [ "$ok" = 1 ]; then
  say "PASS: the Slurm grid equals the local grid bit for bit, and the killed tasks resumed from their checkpoints ($(( $(date +%s) - t0 )) s)"
else
  fail "see above ($work)"
fi
