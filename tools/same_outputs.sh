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
# Both trees share the target folder: the bcs library (same metadata hash)
# and target/debug/bcs, which cargo replaces only when it relinks. Each build
# is forced (touch) so that each binary embeds its own tree, and checked.
build() { touch "$1/src/lib.rs" "$1/src/main.rs"; (cd "$1" && cargo build --quiet --locked); cp "$CARGO_TARGET_DIR/debug/bcs" "$2"; }
build "$PWD" "$work/bcs-head"
build "$work/base" "$work/bcs-base"
build "$PWD" "$work/bcs-again"
if ! grep -q -F "$work/base" "$work/bcs-base" || grep -q -F "$work/base" "$work/bcs-head" \
    || grep -q -F "$work/base" "$work/bcs-again"; then
    echo "binaires mal construits : la comparaison ne prouverait rien" >&2
    exit 2
fi
# Both binaries read the project files of their own tree.
"$work/bcs-base" --dataset "$work/base/datasets/caph" --catalogue "$work/base/indicators" run --out "$work/out-base" >"$work/base.log" 2>&1 || { cat "$work/base.log" >&2; exit 2; }
"$work/bcs-head" run --out "$work/out-head" >"$work/head.log" 2>&1 || { cat "$work/head.log" >&2; exit 2; }
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
