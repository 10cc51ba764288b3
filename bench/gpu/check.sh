#!/usr/bin/env bash
# bench/gpu/check.sh: every GPU check of kr's CUDA backend in one go, on the GPU machine (no JDK,
# no Maven, no network: it builds nothing). Prepare on the CPU machine with bench/gpu/prepare.sh,
# then run from the repository root with bench/gpu/carry carried along:
#     bash bench/gpu/check.sh          (device tool: run(command="bash bench/gpu/check.sh", carry=["bench/gpu/carry"], timeout_s=540))
# Steps (each logged, each with its own time limit inside an 8-minute budget; a failing step does
# not stop the others):
#   1. the GPU test suite (JUnit console): the engine's conformance suite for cuda, both conv paths,
#      allocator/launcher/OOM/transfer tests, TF32 kernels, ResNet-20 step cuda vs cpu;
#   2. training ResNet-20 on CIFAR-10 on cuda: 2 epochs of 200 steps (loss must fall, test accuracy
#      must beat chance), the data converted from JPEG meanwhile in the background;
#   3. kr profile --device cuda (table and Chrome trace), fp32 and --tf32;
#   4. kr.bench.gpu.GpuBench: SGEMM / TF32 GFLOP/s, convolutions, memory-bound kernels;
# and prints a summary table last. Outputs go to $OUT (the device tool's folder) or /tmp/kr-gpu-check:
# summary.txt, check.log, tests.txt, train.txt, bench.txt, profile/profile.txt, profile/trace.json.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" # root, carry, out, work, JAVA, CP, JFLAGS, start_data, wait_data
log="$out/check.log"
: >"$log"
T0=$(date +%s)
BUDGET=${KR_GPU_BUDGET:-470} # seconds for the whole script
SUMMARY=()

note() { # step status detail
    SUMMARY+=("$(printf '%-26s %-5s %s' "$1" "$2" "$3")")
    echo "== $1: $2 $3 (t=$(($(date +%s) - T0))s)" | tee -a "$log"
}
limit() { # the step's own limit, cut to what the budget has left (0: no time)
    local left=$((BUDGET - ($(date +%s) - T0) - 10))
    [ "$left" -lt 15 ] && { echo 0; return; }
    [ "$1" -lt "$left" ] && echo "$1" || echo "$left"
}

{
    echo "== machine"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi not found"
    "$JAVA" -version 2>&1
    echo "carried jars: $(ls "$carry/lib" | tr '\n' ' ')"
} >>"$log" 2>&1
GPU="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"

# ---- data: CIFAR-10 JPEGs -> binary batches, in the background while the tests run (CPU only)
start_data

# ---- 1. the GPU test suite
L=$(limit 200)
if [ "$L" -gt 0 ]; then
    # scanned as a folder: scanning a jar needs the zip file system (jdk.zipfs), which the jlink runtime leaves out
    rm -rf "$work/test-classes"
    mkdir -p "$work/test-classes"
    # the kernels module's tests, and the GPU-tagged ones of models (training) and kr (distillation)
    for t in kernels models; do mkdir -p "$work/test-classes/$t"; done
    python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$(ls "$carry"/lib/kr-kernels-*-tests.jar)" "$work/test-classes/kernels"
    for j in "$carry"/lib/kr-models-*-tests.jar "$carry"/lib/kr-distill-*-tests.jar; do
        python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$j" "$work/test-classes/models"
    done
    console="$(ls "$carry"/lib/junit-platform-console-standalone-*.jar)"
    timeout "$L" "$JAVA" "${JFLAGS[@]}" -Dkr.cuda.sync=true -jar "$console" execute \
        --class-path "$work/test-classes/kernels:$CP" --scan-classpath "$work/test-classes/kernels" --details tree --disable-banner --disable-ansi-colors \
        --fail-if-no-tests >"$out/tests.txt" 2>&1
    rc1=$?
    timeout "$(limit 120)" "$JAVA" "${JFLAGS[@]}" -Dkr.cuda.sync=true -jar "$console" execute --include-tag gpu \
        --class-path "$work/test-classes/models:$CP" --scan-classpath "$work/test-classes/models" --details tree --disable-banner --disable-ansi-colors \
        --fail-if-no-tests >>"$out/tests.txt" 2>&1
    rc2=$?
    # (no --reports-dir: the XML reports need java.xml, which the jlink runtime leaves out)
    rc=$rc1; [ "$rc" = 0 ] && rc=$rc2
    total() { grep -oE "[0-9]+ tests $1" "$out/tests.txt" | grep -oE '^[0-9]+' | awk '{s += $1} END {print s + 0}'; } # both runs' counts
    ok=$(total successful); bad=$(total failed); skip=$(total skipped); abort=$(total aborted)
    status=FAIL
    [ "$rc" = 0 ] && status=PASS
    expected=$(grep -c 'Assumption failed: a CUDA driver is present here' "$out/tests.txt") # the two no-driver checks
    [ "$rc" = 0 ] && [ "$skip" != 0 -o "$abort" != "$expected" ] && status=WARN # a GPU machine should skip nothing else
    [ "$rc" = 124 ] && status=TIME
    note "tests (JUnit)" "$status" "$ok passed, $bad failed, $skip skipped, $abort aborted ($expected of the aborted are the no-driver checks; any other skip on a GPU is a problem: see tests.txt)"
    grep -E '^\[resnet20 step|^\[tf32\]|^\[cuda\]|^\[cuda allocator\]|^\[graphed step\]' "$out/tests.txt" >>"$log"
    step=$(grep -m1 -E '^\[resnet20 step\]' "$out/tests.txt" | sed 's/^\[resnet20 step\] //')
    note "resnet20 step cuda~cpu" "$([ -n "$step" ] && echo INFO || echo "-")" "${step:-no output (see tests.txt)}"
    grep -E 'MethodSource|✘|\[X\]|Exception|expected' "$out/tests.txt" | head -40 >>"$log"
else
    note "tests (JUnit)" SKIP "out of time"
fi

# ---- 2. training on CIFAR-10
wait_data
drc=$?
cat "$work/data.log" >>"$log"
L=$(limit 150)
if [ "$drc" != 0 ]; then
    note "train cifar10" FAIL "data conversion failed (see check.log)"
elif [ "$L" -gt 0 ]; then
    rm -rf "$work/train"
    timeout "$L" "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.cli.Main train --model resnet20 --data "$work/cifar10" --device cuda --epochs 2 \
        --limit-train 25600 --batch-size 128 --lr 0.05 --schedule constant --workers 8 --progress plain --out "$work/train" >"$out/train.txt" 2>&1
    rc=$?
    if [ -f "$work/train/metrics.jsonl" ]; then
        res=$(python3 - "$work/train/metrics.jsonl" <<'PY' 2>&1 | tail -1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
a, b = rows[0], rows[-1]
ok = len(rows) >= 2 and b["train_loss"] < a["train_loss"] and b["test_acc"] > 0.2
print(("PASS" if ok else "FAIL") + " train loss %.3f -> %.3f over %d epochs of 200 steps, test acc %.1f%% (chance 10%%), %.0f img/s" % (
    a["train_loss"], b["train_loss"], len(rows), 100 * b["test_acc"], b.get("images_per_second", float("nan"))))
PY
)
    else
        res="FAIL no metrics.jsonl: $(grep -v WARNING "$out/train.txt" | tail -1)"
    fi
    [ "$rc" = 124 ] && res="TIME ran past ${L}s; ${res#* }"
    [ "$rc" != 0 ] && [ "$rc" != 124 ] && res="FAIL exit $rc; ${res#* }"
    note "train cifar10 (cuda)" "${res%% *}" "${res#* }"
else
    note "train cifar10 (cuda)" SKIP "out of time"
fi

# ---- 3. kr profile --device cuda (fp32 with table and trace, then TF32 for the step time)
L=$(limit 90)
if [ "$L" -gt 0 ]; then
    timeout "$L" "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.cli.Main profile --model resnet20 --device cuda --batch-size 128 --steps 10 --warmup 3 \
        --out "$out/profile" >>"$log" 2>&1
    rc=$?
    ms=$(grep -m1 -oE '[0-9.]+ ms per step' "$out/profile/profile.txt" 2>/dev/null)
    note "profile resnet20 fp32" "$([ "$rc" = 0 ] && echo PASS || echo FAIL)" "${ms:-no timing} (batch 128; table and trace in profile/)"
else
    note "profile resnet20 fp32" SKIP "out of time"
fi
L=$(limit 60)
if [ "$L" -gt 0 ]; then
    timeout "$L" "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.cli.Main profile --model resnet20 --device cuda --tf32 --batch-size 128 --steps 5 --warmup 3 \
        >"$work/profile-tf32.txt" 2>&1
    rc=$?
    cat "$work/profile-tf32.txt" >>"$log"
    ms=$(grep -m1 -oE '[0-9.]+ ms per step' "$work/profile-tf32.txt")
    note "profile resnet20 tf32" "$([ "$rc" = 0 ] && echo PASS || echo FAIL)" "${ms:-no timing} (batch 128)"
else
    note "profile resnet20 tf32" SKIP "out of time"
fi

# ---- 4. GPU benchmarks
L=$(limit 100)
if [ "$L" -gt 0 ]; then
    timeout "$L" "$JAVA" "${JFLAGS[@]}" -cp "$CP" kr.bench.gpu.GpuBench >"$out/bench.txt" 2>&1
    rc=$?
    l=$(grep -F "sgemm (" "$out/bench.txt" | grep -F "4096x" | head -1)
    [ -n "$l" ] && note "sgemm fp32 4096^3" INFO "$(echo "$l" | awk '{print $(NF-1), $NF}')"
    l=$(grep -F "sgemm TF32" "$out/bench.txt" | grep -F "4096x" | head -1)
    [ -n "$l" ] && note "sgemm tf32 4096^3" INFO "$(echo "$l" | awk '{print $(NF-1), $NF}')"
    note "bench (GpuBench)" "$([ "$rc" = 0 ] && echo PASS || echo FAIL)" "full table in bench.txt"
else
    note "bench (GpuBench)" SKIP "out of time"
fi

{
    echo
    echo "kr GPU check on ${GPU:-an unknown GPU}, $(date -u +%Y-%m-%dT%H:%MZ), $(($(date +%s) - T0)) s"
    printf '%-26s %-5s %s\n' "check" "state" "detail"
    for s in "${SUMMARY[@]}"; do echo "$s"; done
} | tee "$out/summary.txt"
grep -qE '^\S.* (FAIL|TIME) ' "$out/summary.txt" && exit 1
exit 0
