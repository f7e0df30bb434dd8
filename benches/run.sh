#!/usr/bin/env bash
# National benchmark: bcs against a polars script, DuckDB and pandas on the same
# synthetic data, and the floor (reading and writing only).
# Installs the peers from PyPI in a virtual environment, builds bcs in release,
# generates the synthetic national dataset once, then runs benches/compare.py.
#   BCS_TARGET_DIR  cargo target directory (default ~/.cache/bcs-target)
#   BCS_BENCH_DIR   venv and data (default ~/.cache/bcs-bench)
#   BCS_BENCH_RUNS  timed runs per tool (default 5, after one untimed run)
# bcs runs with BCS_NO_HUGE_PAGES=1, as measured on the benchmark machine (a
# VM whose host reclaims free memory; see README, National scale).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR="${BCS_BENCH_DIR:-$HOME/.cache/bcs-bench}"
export CARGO_TARGET_DIR="${BCS_TARGET_DIR:-$HOME/.cache/bcs-target}"
mkdir -p "$BENCH_DIR"
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 est introuvable : installez Python 3.11 ou plus récent." >&2
    exit 1
fi
if [ ! -x "$BENCH_DIR/venv/bin/python" ]; then
    if ! python3 -m venv "$BENCH_DIR/venv"; then
        # Debian/Ubuntu ship venv separately.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get install -y python3-venv && python3 -m venv "$BENCH_DIR/venv"
        else
            echo "python3 -m venv a échoué : installez le paquet python3-venv." >&2
            exit 1
        fi
    fi
fi
"$BENCH_DIR/venv/bin/pip" install --quiet -r benches/peers/requirements.txt
cargo build --release --locked
BCS="$CARGO_TARGET_DIR/release/bcs"
DATA="$BENCH_DIR/national"
if [ ! -f "$DATA/dataset.toml" ]; then
    "$BCS" synth --out "$DATA"
fi
export BCS_NO_HUGE_PAGES=1
exec "$BENCH_DIR/venv/bin/python" benches/compare.py --bcs "$BCS" --data "$DATA" --runs "${BCS_BENCH_RUNS:-5}"
