#!/usr/bin/env bash
# Reads a bcs output folder's results.parquet with the oldest readers bcs
# promises to serve: pyarrow 14 (with pandas on numpy 1, as on an analyst's
# older environment). Checks that every column and row of results.csv is
# there, with the same values. Installs them once into a venv outside the
# clone (BCS_OLD_READERS_VENV, default ~/.cache/bcs-old-readers).
#
#   tools/old_readers.sh reports/caph
set -euo pipefail
out="${1:?usage: tools/old_readers.sh DOSSIER_DE_SORTIE}"
venv="${BCS_OLD_READERS_VENV:-$HOME/.cache/bcs-old-readers}"
if ! "$venv/bin/python" -c 'import pyarrow, pandas; assert pyarrow.__version__ == "14.0.2"' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "pyarrow==14.0.2" "numpy==1.26.4" "pandas==2.1.4"
fi
"$venv/bin/python" - "$out" <<'PY'
import csv, math, sys
import pyarrow, pyarrow.parquet as pq

out = sys.argv[1]
table = pq.read_table(f"{out}/results.parquet")
frame = table.to_pandas()
with open(f"{out}/results.csv", newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
assert list(frame.columns) == header, (list(frame.columns), header)
assert len(frame) == len(rows), (len(frame), len(rows))
for field in table.schema:
    assert not str(field.type).endswith("view"), f"{field.name}: {field.type}"

def same(a, b):
    if b == "":
        return a is None or (isinstance(a, float) and math.isnan(a))
    if isinstance(a, float):
        return math.isclose(a, float(b), rel_tol=1e-12, abs_tol=1e-12)
    return str(a) == b

records = frame.itertuples(index=False, name=None)
for i, (got, want) in enumerate(zip(records, rows)):
    for name, a, b in zip(header, got, want):
        if not same(a, b):
            sys.exit(f"ligne {i + 2}, colonne {name} : parquet {a!r}, csv {b!r}")
print(f"pyarrow {pyarrow.__version__} lit {out}/results.parquet : "
      f"{len(frame)} lignes, {len(header)} colonnes, identiques à results.csv")
PY
