#!/usr/bin/env bash
# Create (or complete) the virtual environment that runs mmzoom: the pinned torch pair, mmcv 2.1.0
# with compiled ops built from source (cached outside the checkout), mmengine, mmagic and mmzoom.
#
#   bash tools/install_env.sh            # into ./.venv (MMZOOM_VENV overrides)
#   FORCE_CUDA=1 bash tools/install_env.sh   # GPU machine: build mmcv's CUDA ops as well
#
# Idempotent: a finished environment is recognised by a stamp holding the hash of the requirement
# files, so the second call returns in a second. Built mmcv wheels live in
# ${MMZOOM_CACHE:-~/.cache/mmzoom}/wheels/<mmcv>-<torch build>-<ops flavour>-<python>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMZOOM_VENV:-$ROOT/.venv}
CACHE=${MMZOOM_CACHE:-$HOME/.cache/mmzoom}
PYTHON=${PYTHON:-python3}
MMCV_VERSION=2.1.0
REQ=$ROOT/requirements
CONSTRAINTS=$REQ/constraints.txt

log() { printf '[install_env] %s\n' "$*" >&2; }
die() { printf '[install_env] error: %s\n' "$*" >&2; exit 1; }

stamp_value() {
    cat "$REQ"/*.txt "$ROOT/setup.py" "$0" | sha256sum | cut -c1-16
}
STAMP=$VENV/.mmzoom-installed
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_value)" ]; then
    exit 0
fi

command -v "$PYTHON" >/dev/null || die "$PYTHON not found; set PYTHON=/path/to/python3.10-3.12"
"$PYTHON" - <<'EOF' || die "Python 3.9-3.12 is required (mmcv 2.1.0 and mmagic 1.2.0 support no newer)"
import sys
sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 12) else 1)
EOF

if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
PIP=("$PY" -m pip --disable-pip-version-check)
export PIP_CONSTRAINT=$CONSTRAINTS

log "step 1/5: torch pair and build tools"
"${PIP[@]}" install -q -c "$CONSTRAINTS" torch torchvision numpy -r "$REQ/build.txt"
"$PY" - <<'EOF' || die "torch/torchvision mismatch after install (see requirements/constraints.txt)"
import torch, torchvision, torchvision.ops  # noqa: F401  (torchvision.ops fails on a mismatched pair)
assert torch.__version__.split('+')[0] == '2.13.0', torch.__version__
assert not torch.__version__.endswith('+cpu'), 'the local CPU torch wheel was picked'
assert torchvision.__version__.startswith('0.28.0'), torchvision.__version__
print(f'torch {torch.__version__}, torchvision {torchvision.__version__}')
EOF

log "step 2/5: mmcv $MMCV_VERSION with compiled ops"
FLAVOUR=cpuops
if [ "${FORCE_CUDA:-0}" = "1" ]; then FLAVOUR=cudaops; fi
KEY=$("$PY" -c "import sys, torch; print(f'mmcv-$MMCV_VERSION-torch-{torch.__version__}-cuda-{torch.version.cuda}-$FLAVOUR-cp{sys.version_info[0]}{sys.version_info[1]}')")
WHEEL_DIR=$CACHE/wheels/$KEY
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    log "no cached wheel in $WHEEL_DIR: building mmcv from source (30-45 min on 2 cores for CPU ops)"
    mkdir -p "$WHEEL_DIR.partial"
    # --no-build-isolation: the build must see the torch installed above (an isolated build hides it
    # and yields an mmcv without mmcv._ext); setup.py needs pkg_resources, hence setuptools<82.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        "${PIP[@]}" wheel --no-deps --no-build-isolation --no-binary mmcv \
        -w "$WHEEL_DIR.partial" "mmcv==$MMCV_VERSION"
    rm -rf "$WHEEL_DIR"
    mv "$WHEEL_DIR.partial" "$WHEEL_DIR"
else
    log "using cached wheel $(ls "$WHEEL_DIR"/mmcv-*.whl)"
fi

log "step 3/5: mmengine, mmagic and what they import"
"${PIP[@]}" install -q -c "$CONSTRAINTS" -r "$REQ/runtime.txt" -r "$REQ/mmagic.txt" -r "$REQ/tests.txt" \
    -r "$REQ/deploy.txt"
"${PIP[@]}" install -q --no-deps -c "$CONSTRAINTS" -r "$REQ/nodeps.txt"
# --no-deps: mmcv declares opencv-python, replaced here by the headless build.
"${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl

log "step 4/5: mmzoom (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

log "step 5/5: checking the installed stack"
"$PY" - <<'EOF' || die "the environment is incomplete (see the traceback above)"
import mmzoom  # noqa: F401  (first: it patches numpy for mmagic)
import torch
import mmcv.ops
x = torch.randn(1, 4, 6, 6, requires_grad=True)
conv = mmcv.ops.DeformConv2d(4, 4, 3, padding=1)
conv(x, torch.zeros(1, 18, 6, 6)).sum().backward()
import mmagic.models, mmagic.registry, lpips, rawpy, onnx, onnxruntime  # noqa: F401,E401
from mmagic.apis import MMagicInferencer  # noqa: F401
print('stack ok: torch', torch.__version__, '| mmcv', mmcv.__version__, 'with ops')
EOF
stamp_value > "$STAMP"
log "environment ready: $VENV"
