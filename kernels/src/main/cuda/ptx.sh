#!/usr/bin/env bash
# ptx.sh: compiles the kernel sources (*.cu here) to PTX with nvcc.
#   ptx.sh build   writes ../resources/kr/cuda/ptx/<family>.<arch>.ptx (commit the result)
#   ptx.sh check   compiles into a temporary folder and fails when the committed PTX differs
#                  (the Maven build runs this in `verify`).
# Every family gets portable PTX for compute_75; families with tensor-core (TF32 mma.sync) kernels
# also get compute_80 and compute_90 variants (the launcher picks the newest one the device runs).
# Without nvcc the check is skipped with a message: the committed PTX is used as is. When this nvcc
# is not the release that built the committed PTX (its header names it), the check is skipped too:
# another nvcc writes other PTX, and the files say which one built them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
res="$here/../resources/kr/cuda/ptx"
mode="${1:-check}"
FAMILIES="elementwise reduce softmax batchnorm pooling optimizer kr step gemm conv"
TENSOR_CORE_FAMILIES="gemm conv"
NVCC="${NVCC:-nvcc}"

if ! command -v "$NVCC" >/dev/null 2>&1; then
    if [ "$mode" = build ]; then echo "[ptx] nvcc not found: cannot build PTX" >&2; exit 1; fi
    echo "[ptx] nvcc not found: drift check skipped (the committed PTX under kernels/src/main/resources/kr/cuda/ptx is used as is)"
    exit 0
fi

archs_of() {
    case " $TENSOR_CORE_FAMILIES " in *" $1 "*) echo "compute_75 compute_80 compute_90" ;; *) echo "compute_75" ;; esac
}

# -Werror all-warnings: a warning is a bug here. No -lineinfo/-G: the PTX must not carry paths.
compile() { # family arch out
    "$NVCC" -ptx -arch="$2" -std=c++17 -Werror all-warnings -o "$3" "$here/$1.cu"
}

case "$mode" in
build)
    mkdir -p "$res"
    rm -f "$res"/*.ptx
    for f in $FAMILIES; do
        for a in $(archs_of "$f"); do
            compile "$f" "$a" "$res/$f.$a.ptx"
            echo "[ptx] $f.$a.ptx: $(grep -c '^\.visible \.entry' "$res/$f.$a.ptx") kernels"
        done
    done
    ;;
check)
    committed="$(grep -h -m1 'Cuda compilation tools' "$res"/elementwise.compute_75.ptx 2>/dev/null | sed 's#^// *##' || true)"
    local_v="$("$NVCC" --version | grep 'Cuda compilation tools' || true)"
    if [ -n "$committed" ] && [ "$committed" != "$local_v" ]; then
        echo "[ptx] this nvcc ($local_v) is not the one that built the committed PTX ($committed): drift check skipped; run kernels/src/main/cuda/ptx.sh build to rebuild it with this nvcc"
        exit 0
    fi
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    bad=0
    for f in $FAMILIES; do
        for a in $(archs_of "$f"); do
            compile "$f" "$a" "$tmp/$f.$a.ptx"
            if ! cmp -s "$tmp/$f.$a.ptx" "$res/$f.$a.ptx"; then
                echo "[ptx] DRIFT: kernels/src/main/resources/kr/cuda/ptx/$f.$a.ptx differs from what $f.cu compiles to" >&2
                bad=1
            fi
        done
    done
    extra="$(cd "$res" && ls *.ptx | while read -r p; do fam="${p%%.*}"; case " $FAMILIES " in *" $fam "*) ;; *) echo "$p" ;; esac; done)"
    if [ -n "$extra" ]; then echo "[ptx] DRIFT: committed PTX without a source family: $extra" >&2; bad=1; fi
    if [ "$bad" != 0 ]; then
        echo "[ptx] the committed PTX is stale: run kernels/src/main/cuda/ptx.sh build and commit kernels/src/main/resources/kr/cuda/ptx" >&2
        exit 1
    fi
    echo "[ptx] committed PTX matches the sources ($(ls "$res"/*.ptx | wc -l) files, $local_v)"
    ;;
*)
    echo "usage: ptx.sh build|check" >&2
    exit 2
    ;;
esac
