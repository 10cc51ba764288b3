#!/usr/bin/env bash
# bench/gpu/speed.sh: issue 6's whole measurement (kr's CUDA training step against PyTorch's on the same
# GPU) in one command on the GPU machine, about 5 minutes; prepare with bench/gpu/prepare.sh, then
#     bash bench/gpu/speed.sh [quick]     (device tool: run(command="bash bench/gpu/speed.sh", carry=["bench/gpu/carry"], timeout_s=420))
# Steps (each with its own time limit; a failing step does not stop the others):
#   1. bench/gpu/compare.py: resnet20, resnet56, resnet8x4, resnet32x4 and CIFAR ResNet-18 training steps at
#      batch 128, fp32 and TF32, PyTorch eager / CUDA graph against kr eager / CUDA graph (every kr figure
#      checked first), SGEMM 4096^3 against torch.mm, memory-bound kernels against torch copy_;
#   2. kr train on 12,850 CIFAR-10 images (100 full batches and one of 50), eager and with --cuda-graphs:
#      the same metrics, and the images per second of each;
# and prints a summary table last. Outputs in $OUT (or /tmp/kr-gpu-check): speed.txt (the table),
# speed.json (every figure), speed.log, gpuspeed-java.log, train-eager.txt, train-graphs.txt.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" # root, carry, out, work, JAVA, CP, JFLAGS, start_data, wait_data
T0=$(date +%s)
log="$out/speed.log"
: >"$log"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi not found"
    "$JAVA" -version 2>&1
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())" 2>&1
} >>"$log"
start_data

# ---- 1. kr vs PyTorch
QUICK=()
[ "${1:-}" = quick ] && QUICK=(--quick)
timeout "${KR_SPEED_COMPARE_S:-270}" python3 bench/gpu/compare.py --java "$JAVA" --cp "$CP" "${QUICK[@]}" --json "$out/speed.json" \
    >"$out/speed.txt" 2>>"$log"
crc=$?
[ "$crc" = 124 ] && echo "compare.py ran past its ${KR_SPEED_COMPARE_S:-270} s (see speed.log for how far it got)" >>"$out/speed.txt"
[ -s "$out/speed.txt" ] || { echo "compare.py exited $crc without a table; the end of speed.log:"; tail -5 "$out/speed.log"; } >>"$out/speed.txt"

# ---- 2. the trainer with and without --cuda-graphs, same seed and data
wait_data
drc=$?
cat "$work/data.log" >>"$log"
TRAIN=(train --model resnet20 --data "$work/cifar10" --device cuda --epochs 1 --limit-train 12850 --limit-test 2000 --batch-size 128
    --lr 0.05 --schedule constant --workers 8 --progress off)
trainline="data conversion failed (see speed.log)"
if [ "$drc" = 0 ]; then
    rm -rf "$work/train-eager" "$work/train-graphs"
    timeout 90 "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.cli.Main "${TRAIN[@]}" --out "$work/train-eager" >"$out/train-eager.txt" 2>&1
    timeout 90 "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.cli.Main "${TRAIN[@]}" --cuda-graphs --out "$work/train-graphs" >"$out/train-graphs.txt" 2>&1
    trainline=$(python3 - "$work/train-eager/metrics.jsonl" "$work/train-graphs/metrics.jsonl" <<'PY' 2>&1 | tail -1
import json, sys
try:
    a, b = (json.loads(open(f).read().splitlines()[-1]) for f in sys.argv[1:3])
except Exception as e:
    print("FAIL no metrics (see train-eager.txt / train-graphs.txt): %s" % e)
    sys.exit()
same = abs(a["train_loss"] - b["train_loss"]) <= 1e-9 * abs(a["train_loss"]) and a["train_acc"] == b["train_acc"] and a["test_acc"] == b["test_acc"]
print("%s train loss %.6f / %.6f, test acc %.2f%% / %.2f%%, %.0f / %.0f img/s (eager / --cuda-graphs, %.2fx)" % (
    "PASS" if same else "DIFF", a["train_loss"], b["train_loss"], 100 * a["test_acc"], 100 * b["test_acc"],
    a["images_per_second"], b["images_per_second"], b["images_per_second"] / a["images_per_second"]))
PY
)
    grep -h "cuda graph\|\[train\]" "$out/train-graphs.txt" >>"$log"
fi

{
    echo
    cat "$out/speed.txt"
    echo
    echo "kr train resnet20, 1 epoch of 12,850 images: ${trainline}"
    echo "speed.sh: $(($(date +%s) - T0)) s"
} | tee "$out/summary-speed.txt"
[ "$crc" = 0 ] && [ "${trainline%% *}" = PASS ]
