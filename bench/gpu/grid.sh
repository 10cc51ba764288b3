#!/usr/bin/env bash
# bench/gpu/grid.sh [SECONDS]: the GPU grid, experiments/cifar10-kr-grid-gpu.json (resnet56 teacher, resnet8 and
# resnet20 students, scratch/kd/at/kr/kr+kd/kr-init, 15 epochs of 10,000 images, 1 seed), run by
# `kr reproduce --device cuda --tf32` on the GPU machine. Predicted about 8 minutes on an H100 with kr's eager
# CUDA step (see kernels/NOTES.md); a grid cut off by SECONDS (default 480) resumes where it stopped when rerun
# with its folder: the runs, checkpoints and table go to $OUT/grid, so carry that folder back in to continue
# (KR_GRID_RESUME=DIR copies DIR to the grid's out first). Prints the table (or how far the grid got) last.
# KR_GRID_FILE picks another experiment (e.g. experiments/cifar10-kr-grid.json, the CPU grid, for the same schedule
# on cuda) and KR_GRID_ARGS replaces the extra arguments (default: --tf32; e.g. "--seeds 1" for float32, one seed).
# Issue 15's full-data grid (30 epochs of 50,000 images, resnet20 teacher given, resnet8 with the KR controls, 3 seeds),
# several runs sharing the GPU: KR_GRID_FILE=experiments/cifar10-kr-controls-gpu.json KR_GRID_ARGS="--tf32 --parallel 8"
#     device tool: run(command="bash bench/gpu/grid.sh 480", carry=["bench/gpu/carry"], timeout_s=540)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" # root, carry, out, work, JAVA, CP, JFLAGS, start_data, wait_data
limit="${1:-480}"
T0=$(date +%s)
start_data
wait_data || { cat "$work/data.log"; echo "grid.sh: data conversion failed"; exit 1; }
grid="$out/grid"
mkdir -p "$grid"
[ -n "${KR_GRID_RESUME:-}" ] && cp -r "$KR_GRID_RESUME"/. "$grid"/
left=$((limit - ($(date +%s) - T0)))
# shellcheck disable=SC2086 # KR_GRID_ARGS is a list of words
timeout "$left" "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.cli.Main reproduce "${KR_GRID_FILE:-experiments/cifar10-kr-grid-gpu.json}" --device cuda ${KR_GRID_ARGS---tf32} \
    --data "$work/cifar10" --out "$grid" --progress off >"$out/grid.txt" 2>&1
rc=$?
echo
if [ -f "$grid/table.md" ] && [ "$rc" = 0 ]; then
    cat "$grid/table.md"
else
    echo "grid.sh: stopped after $(($(date +%s) - T0)) s (exit $rc); runs so far:"
    grep -E '^\[[0-9]+/[0-9]+\]|done|epoch [0-9]+/' "$out/grid.txt" | tail -20
fi
