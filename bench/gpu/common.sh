# bench/gpu/common.sh: what check.sh, speed.sh and grid.sh share on the GPU machine (sourced, not run):
# the carried runtime and class path, the output folder, and CIFAR-10 converted in the background.
# Sets root, carry, out, work, JAVA, CP, JFLAGS; defines start_data and wait_data.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
carry="$root/bench/gpu/carry"
out="${OUT:-/tmp/kr-gpu-check}"
work=/tmp/kr-gpu
mkdir -p "$out" "$work"
if [ ! -d "$carry/lib" ] || [ ! -f "$carry/jre.tgz" ]; then
    echo "$(basename "$0"): $carry is missing: run bench/gpu/prepare.sh on the CPU machine and carry bench/gpu/carry" >&2
    exit 2
fi
[ -x /tmp/jre/bin/java ] || tar xzf "$carry/jre.tgz" -C /tmp
JAVA=/tmp/jre/bin/java
CP="$(ls "$carry"/lib/*.jar | grep -v console-standalone | tr '\n' ':')"
JFLAGS=(--add-modules jdk.incubator.vector -Xss4m -XX:+UseParallelGC -Xms8g -Xmx8g)

# CIFAR-10 JPEGs -> binary batches in $work/cifar10, in the background (CPU only); wait_data returns its status.
start_data() {
    (
        set -e
        [ "${KR_GPU_DRY:-0}" = 1 ] && { echo "KR_GPU_DRY=1: no data conversion"; exit 0; }
        if [ -f "$work/cifar10/.done" ]; then echo "CIFAR-10 already converted in $work/cifar10"; exit 0; fi
        rm -rf "$work/jpg" "$work/cifar10"
        mkdir -p "$work/jpg"
        tar xzf "$carry/cifar10-jpg.tar.gz" -C "$work/jpg"
        python3 "$carry/cifar-jpg-to-bin.py" "$work/jpg" "$work/cifar10"
        touch "$work/cifar10/.done"
    ) >"$work/data.log" 2>&1 &
    DATA_PID=$!
}

wait_data() {
    wait "$DATA_PID"
}
