#!/usr/bin/env bash
# What each rule of the retired hand-written answer layer was worth on held-out data: that layer (the commit before
# a7662c3) with retired_rules.patch, which adds QA_ABLATE=<variant> switches (variants.tsv), run in full and with one
# rule off at a time on SQuAD 2.0 dev-small and XQuAD's 32 unseen articles, with the Makefile's eval flags.
# Resumable: a run whose json exists is skipped. Results: WORK/retired_rules.{json,md} (eval/results/ keeps a copy).
#   bash eval/retired_rules/run.sh [WORK] [variant ...]     (about 30 minutes on 2 cores)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(realpath -m "${1:-/tmp/qa-retired-rules}"); shift || true
PY=${PY:-$REPO/.venv/bin/python}
DATA=${DATASETS:-$REPO/../shared/datasets}
OLD=$WORK/old
if [ ! -d "$OLD" ]; then
  git -C "$REPO" worktree add --detach "$OLD" a7662c3^ && git -C "$OLD" apply "$HERE/retired_rules.patch" || exit 1
fi
export PYTHONPATH=$OLD HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1
mkdir -p "$WORK/runs" "$WORK/logs"
cd "$OLD"
"$PY" -c "import qa, sys; sys.exit(0 if qa.__file__.startswith('$OLD/') else 1)" \
  || { echo "run.sh: the old qa is not the one imported" >&2; exit 1; }
if [ $# -gt 0 ]; then VARIANTS=("$@"); else VARIANTS=(full $(cut -f1 "$HERE/variants.tsv")); fi
for v in "${VARIANTS[@]}"; do
  for set in squad2small xquad; do
    out=$WORK/runs/$v-$set
    [ -s "$out.json" ] && { echo "skip $v-$set"; continue; }
    case $set in
      squad2small) args=("$DATA/squad2-dev-small/squad2-dev-small.json") ;;
      xquad) args=("$DATA/xquad-en/xquad.en.json" --skip-titles-of "$DATA/squad2-dev-half/squad2-dev-half.json") ;;
    esac
    if [ "$v" = full ]; then unset QA_ABLATE; else export QA_ABLATE=$v; fi
    "$PY" -m qa.cli eval --mode hybrid --no-baseline "${args[@]}" --quiet \
      --json "$out.json" --report "$out.md" > "$WORK/logs/$v-$set.log" 2>&1 || rm -f "$out.json"
    echo "$v-$set done"
  done
done
unset QA_ABLATE
"$PY" "$HERE/summarize.py" "$WORK"
