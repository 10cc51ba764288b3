#!/usr/bin/env bash
# Kills a training run with SIGKILL mid-epoch, resumes it, and checks that it ends with the same
# weights (file bytes) and metrics as an uninterrupted run. usage: cli/tools/kill-resume-check.sh [WORKDIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work" && cd "$work" && rm -rf A B
args=(--model democnn --data demo --epochs 2 --limit-train 960 --limit-test 200 --checkpoint-every 4 --threads 2 --progress off --lr 0.05)
"$root/kr" train "${args[@]}" --out A > A.log 2>&1
"$root/kr" train "${args[@]}" --out B > B.log 2>&1 &
pid=$!
until grep -qE '"global_step": (1[2-9]|2[0-9])' B/checkpoints/last.json 2>/dev/null; do sleep 0.2; done
sleep 1.3 # into the next steps, past the checkpoint
echo "SIGKILL at $(grep '"global_step"' B/checkpoints/last.json | tr -d ' ,') (the run was past it)"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
"$root/kr" train --resume --out B --progress off 2>/dev/null | grep -E "^resuming B|^done"
last=$(python3 -c "import json;print(json.load(open('A/checkpoints/last.json'))['weights'])")
cmp "A/checkpoints/$last" "B/checkpoints/$last" && echo "final weights: identical bytes ($last)"
cmp A/checkpoints/best.safetensors B/checkpoints/best.safetensors && echo "best weights: identical bytes"
strip() { python3 -c "import json,sys;[print({k:v for k,v in json.loads(l).items() if k not in ('epoch_seconds','images_per_second')}) for l in open(sys.argv[1])]" "$1"; }
diff <(strip A/metrics.jsonl) <(strip B/metrics.jsonl) && echo "metrics (timings aside): identical" && strip B/metrics.jsonl
