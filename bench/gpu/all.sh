#!/usr/bin/env bash
# bench/gpu/all.sh [STEPS]: several GPU scripts in one device call (one machine start), their outputs packed
# so that the device tool's limit of 8 files back holds: $OUT/gpu-run.tgz (every file of every step) and
# each step's summary as $OUT/<step>.txt. STEPS (default "check sensitivity speed") are run in order:
#   check        bench/gpu/check.sh         (issue 5: GPU tests, training, profile, GpuBench)
#   sensitivity  bench/gpu/sensitivity.py   (PyTorch fp32/TF32 vs float64 on this GPU: the yardstick of StepBounds)
#   speed        bench/gpu/speed.sh         (issue 6: kr vs PyTorch, same GPU, same run)
#   grid         bench/gpu/grid.sh          (issue 6: a grid on cuda; KR_GRID_FILE, KR_GRID_ARGS, KR_GRID_SECONDS (200))
#     device tool: run(command="bash bench/gpu/all.sh", carry=["bench/gpu/carry"], timeout_s=400)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
final="${OUT:-/tmp/kr-gpu-check}"
mkdir -p "$final"
stage=/tmp/kr-gpu-all
rm -rf "$stage"
mkdir -p "$stage"
rc=0
for step in ${1:-check sensitivity speed}; do
    mkdir -p "$stage/$step"
    t0=$(date +%s)
    case "$step" in
    check) OUT="$stage/$step" bash "$here/check.sh" >"$stage/$step/stdout.txt" 2>&1; r=$?; cp "$stage/$step/summary.txt" "$final/check.txt" 2>/dev/null ;;
    speed) OUT="$stage/$step" bash "$here/speed.sh" >"$stage/$step/stdout.txt" 2>&1; r=$?; cp "$stage/$step/summary-speed.txt" "$final/speed.txt" 2>/dev/null ;;
    grid) OUT="$stage/$step" bash "$here/grid.sh" "${KR_GRID_SECONDS:-200}" >"$stage/$step/stdout.txt" 2>&1; r=$?; tail -40 "$stage/$step/stdout.txt" >"$final/grid.txt" ;;
    sensitivity) timeout 120 python3 "$here/sensitivity.py" --json "$stage/$step/sensitivity.json" >"$final/sensitivity.txt" 2>"$stage/$step/stderr.txt"; r=$?
        cp "$final/sensitivity.txt" "$stage/$step/" ;;
    *) echo "all.sh: unknown step '$step' (check, sensitivity, speed, grid)" >&2; r=2 ;;
    esac
    echo "== $step: exit $r, $(($(date +%s) - t0)) s"
    [ "$r" = 0 ] || rc=1
done
tar czf "$final/gpu-run.tgz" --exclude='*.safetensors' -C "$stage" . # checkpoints stay behind: 16 MiB a file
for f in "$final"/*.txt; do echo; echo "#### $(basename "$f")"; cat "$f"; done
exit $rc
