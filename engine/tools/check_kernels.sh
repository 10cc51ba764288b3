#!/usr/bin/env bash
# check_kernels.sh: fails when the committed Kernels.java is not what gen_kernels.py writes
# (the Maven build runs this in `verify`, like kernels' ptx.sh check).
# Without python3 the check is skipped with a message: the committed Kernels.java is used as is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
committed="$(cd "$here/.." && pwd)/src/main/java/kr/engine/backend/vector/Kernels.java"
rel="engine/src/main/java/kr/engine/backend/vector/Kernels.java"
PYTHON="${PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "[kernels] $PYTHON not found: drift check of $rel skipped (the committed file is used as is)"
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" "$here/gen_kernels.py" "$tmp/Kernels.java"
if ! cmp -s "$tmp/Kernels.java" "$committed"; then
    echo "[kernels] DRIFT: $rel differs from what engine/tools/gen_kernels.py writes (diff: generated -> committed):" >&2
    diff -u "$tmp/Kernels.java" "$committed" | head -40 >&2 || true
    echo "[kernels] edit engine/tools/gen_kernels.py, not Kernels.java, then run: python3 engine/tools/gen_kernels.py" >&2
    exit 1
fi
echo "[kernels] $rel matches engine/tools/gen_kernels.py"
