#!/usr/bin/env bash
# The prepared GPU run of the emotion recipe (docs/emotion.md, "Reaching 73 %").
#
#   scripts/gpu_emotion.sh              on the GPU machine: teachers, ensemble, distilled student
#   scripts/gpu_emotion.sh --smoke      anywhere: tiny subset, 1 epoch, CPU (a dry run, ~2 min)
#   scripts/gpu_emotion.sh --prepare    here: cut the WebP faces (SRC) into two parts in .gl/, so
#                                       that each travels in its own device call (project + all
#                                       faces exceed one 64 MiB transfer; docs/emotion.md shows
#                                       the one-call way: a trimmed throw-away branch)
#
# Environment: OUT (results, default out/gpu_emotion; the device tool sets it), BUDGET (wall-clock
# seconds for the whole recipe, default 480: the script always ends by BUDGET + 80 s and keeps
# what it has), PYTHON (default .venv/bin/python if present, else python3), DATA (the faces:
# .gl/fer2013_train_public.webp.npz, or its parts .gl/*.part*of*.npz). Extra arguments go to
# `python -m moviemotion.emotion.recipe` (see its --help: --teachers, --student, --alpha ...).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=${SRC:-/work/shared/data/fer2013_train_public.webp.npz}
if [ "${1:-}" = "--prepare" ]; then
    mkdir -p .gl
    PY=${PYTHON:-.venv/bin/python}
    "$PY" -m moviemotion.emotion.recipe --split-data "$SRC" --work .gl --parts 2
    exit $?
fi
SMOKE=()
if [ "${1:-}" = "--smoke" ]; then SMOKE=(--smoke); shift; BUDGET=${BUDGET:-240}; fi
OUT=${OUT:-out/gpu_emotion}
BUDGET=${BUDGET:-480}
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if [ -n "${DATA:-}" ]; then read -r -a FILES <<<"$DATA"
elif [ -f .gl/fer2013_train_public.webp.npz ]; then FILES=(.gl/fer2013_train_public.webp.npz)
else mapfile -t FILES < <(ls .gl/*.part*of*.npz 2>/dev/null | sort); fi
if [ ${#FILES[@]} -eq 0 ]; then
    echo "no faces: run scripts/gpu_emotion.sh --prepare here and carry .gl/ (see docs/emotion.md)" >&2
    exit 2
fi
if [[ "${FILES[0]}" =~ part[0-9]+of([0-9]+)\.npz$ ]] && [ ${#FILES[@]} -ne "${BASH_REMATCH[1]}" ]; then
    echo "only ${#FILES[@]} of ${BASH_REMATCH[1]} parts of the faces here (${FILES[*]}): carry the" \
         "missing part (a machine given back in between loses the first one)" >&2
    exit 2
fi
WORK=.gl/recipe-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT" "$WORK"
{ echo "# $(date -u +%FT%TZ) budget ${BUDGET}s data ${FILES[*]}"; nvidia-smi -L 2>/dev/null || true
  "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$OUT/recipe.log"
# timeout signals the recipe's whole process group (teacher processes too)
PYTHONUNBUFFERED=1 timeout --kill-after=20 $((BUDGET + 60)) "$PYTHON" -m moviemotion.emotion.recipe \
    --data "${FILES[@]}" --out "$OUT" --work "$WORK" --budget "$BUDGET" "${SMOKE[@]}" "$@" \
    2>&1 | tee -a "$OUT/recipe.log"
rc=${PIPESTATUS[0]}
if [ ! -f "$OUT/summary.json" ]; then        # stopped or failed: keep what there is
    echo "recipe ended with status $rc before its summary; packing $WORK" | tee -a "$OUT/recipe.log"
    tar czf "$OUT/runs.tar.gz" --exclude='*.pt' --exclude='*.npz' -C "$WORK" . 2>/dev/null
fi
exit "$rc"
