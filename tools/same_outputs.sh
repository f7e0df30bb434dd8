#!/usr/bin/env bash
# Checks that a refactoring changed no output: builds a base revision in a
# temporary worktree, runs `bcs run` of both on the embedded dataset (and on
# a national synthetic dataset with --national), and compares every file
# byte for byte.
#   tools/same_outputs.sh [BASE_REV] [--national]    (BASE_REV: HEAD~1)
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-HEAD~1}"
national="${2:-}"
export CARGO_TARGET_DIR="${BCS_TARGET_DIR:-$HOME/.cache/bcs-target}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach --quiet "$work/base" "$base"
cargo build --quiet --locked
cp "$CARGO_TARGET_DIR/debug/bcs" "$work/bcs-head"
(cd "$work/base" && cargo build --quiet --locked)
cp "$CARGO_TARGET_DIR/debug/bcs" "$work/bcs-base"
# Both binaries read the project files of their own tree.
"$work/bcs-base" --dataset "$work/base/datasets/caph" --catalogue "$work/base/indicators" run --out "$work/out-base" >/dev/null 2>&1
"$work/bcs-head" run --out "$work/out-head" >/dev/null 2>&1
status=0
diff -r -q -x .bcs-sortie "$work/out-base" "$work/out-head" || status=1
if [ "$national" = "--national" ]; then
    "$work/bcs-head" synth --out "$work/synth" >/dev/null
    "$work/bcs-base" --dataset "$work/synth" --catalogue "$work/base/indicators" run --results-only --out "$work/nat-base" >/dev/null 2>&1
    "$work/bcs-head" --dataset "$work/synth" run --results-only --out "$work/nat-head" >/dev/null 2>&1
    diff -r -q -x .bcs-sortie "$work/nat-base" "$work/nat-head" || status=1
fi
if [ "$status" = 0 ]; then
    echo "Sorties identiques octet pour octet ($base → $(git rev-parse --short HEAD))."
fi
exit "$status"
