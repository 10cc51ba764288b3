#!/usr/bin/env bash
# bench/gpu/prepare.sh: run on the CPU machine (JDK 17, Maven, no GPU) before a GPU session.
# Builds the jars, a jlink Java runtime and the data, all into bench/gpu/carry/ (git-ignored),
# which the device call then carries:   run(command="bash bench/gpu/check.sh", carry=["bench/gpu/carry"])
# The working tree plus the carry must stay under 64 MiB; this script prints the total.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
carry="$root/bench/gpu/carry"
shared="${KR_SHARED:-/work/shared}"
cd "$root"

echo "[prepare] building cli, kernels and bench (mvn -DskipTests package) ..."
# no -sources/-javadoc jars: the GPU run needs the classes only
nice -n 19 mvn -q -B -ntp -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -pl cli,kernels,bench -am package

rm -rf "$carry"
mkdir -p "$carry/lib"
cp cli/target/kr-cli-*.jar cli/target/lib/*.jar "$carry/lib/"
cp kernels/target/gpu-lib/*.jar "$carry/lib/"
# the GPU tests (kernels, and the training and distillation ones in models and kr) and the GPU harnesses (bench)
cp kernels/target/kr-kernels-*-tests.jar models/target/kr-models-*-tests.jar kr/target/kr-distill-*-tests.jar "$carry/lib/"
cp bench/target/kr-bench-*-tests.jar bench/target/kr-bench-[0-9]*[0-9T].jar "$carry/lib/"
rm -f "$carry"/lib/*-sources.jar "$carry"/lib/*-javadoc.jar
# JCuda's natives jar also holds the NVRTC, PTX-compiler and runtime bindings (24 MB unpacked):
# kr needs only the driver binding, so the carried copy keeps lib/libJCudaDriver-* alone.
nat="$(ls "$carry"/lib/jcuda-natives-*-linux-x86_64.jar)"
tmp="$(mktemp -d)"
(cd "$tmp" && unzip -q "$nat" && find lib -name '*.so' ! -name 'libJCudaDriver-*' -delete && rm -f "$nat" && zip -q -r "$nat" .)
rm -rf "$tmp"

echo "[prepare] jlink runtime ..."
bash "$shared/gpu/make-runtime.sh" "$carry/jre.tgz" >/dev/null
cp "$shared/data/cifar10-jpg.tar.gz" "$carry/"
cp "$shared/gpu/cifar-jpg-to-bin.py" "$carry/"

tree_bytes=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
untracked_bytes=$(git ls-files -z --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
carry_bytes=$(du -sb "$carry" | cut -f1)
total=$((tree_bytes + ${untracked_bytes:-0} + carry_bytes))
echo "[prepare] carry: bench/gpu/carry ($(du -sh "$carry" | cut -f1): $(ls "$carry/lib" | wc -l) jars, jre.tgz, cifar10-jpg.tar.gz)"
echo "[prepare] tracked tree $((tree_bytes / 1048576)) MiB + untracked $((${untracked_bytes:-0} / 1048576)) MiB + carry $((carry_bytes / 1048576)) MiB = $((total / 1048576)) MiB of the 64 MiB a device call takes"
[ "$total" -lt $((64 * 1048576)) ] || { echo "[prepare] TOO LARGE for one device call" >&2; exit 1; }
echo "[prepare] then, with the device tool:  run(command=\"bash bench/gpu/check.sh\", carry=[\"bench/gpu/carry\"], timeout_s=540)"
echo "[prepare]   issue 6 (kr vs PyTorch):     run(command=\"bash bench/gpu/speed.sh\", carry=[\"bench/gpu/carry\"], timeout_s=420)"
echo "[prepare]   the GPU grid:                run(command=\"bash bench/gpu/grid.sh 480\", carry=[\"bench/gpu/carry\"], timeout_s=540)"
