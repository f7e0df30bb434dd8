#!/usr/bin/env bash
# Reads a bcs output folder with GDAL, as QGIS does: results.geojson (every
# attribute of every feature, compared with the file's own values; every
# indicator column a number) and results.csv (every row; value a number).
# Debian's GDAL (3.6) has no Parquet driver, so QGIS there opens these two.
# Needs ogrinfo and ogr2ogr (Debian package gdal-bin).
#
#   tools/gis_readers.sh reports/caph
set -euo pipefail
out="${1:?usage: tools/gis_readers.sh DOSSIER_DE_SORTIE}"
command -v ogrinfo >/dev/null && command -v ogr2ogr >/dev/null \
  || { echo "ogrinfo/ogr2ogr introuvables (paquet Debian gdal-bin)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ogrinfo --formats | grep -q '^ *Parquet'; then
  echo "GDAL $(gdal-config --version 2>/dev/null || true) a un pilote Parquet : lecture de results.parquet"
  ogrinfo -ro -so -al "$out/results.parquet" | grep -q "Feature Count: [1-9]"
fi
if [ -f "$out/results.geojson" ]; then
  ogrinfo -ro -so -al "$out/results.geojson" >"$tmp/geojson.txt"
  ogr2ogr -f CSV "$tmp/geojson.csv" "$out/results.geojson"
fi
ogrinfo -ro -so -al -oo AUTODETECT_TYPE=YES -oo KEEP_SOURCE_COLUMNS=NO "$out/results.csv" >"$tmp/csv.txt"
python3 - "$out" "$tmp" <<'PY'
import csv, json, math, os, re, sys

out, tmp = sys.argv[1], sys.argv[2]

def fields(info):
    return dict(re.findall(r"^(\w+): (\w+) \(", info, re.M))

def count(info):
    return int(re.search(r"Feature Count: (\d+)", info).group(1))

with open(f"{tmp}/csv.txt") as f:
    info = f.read()
with open(f"{out}/results.csv", newline="", encoding="utf-8") as f:
    rows = sum(1 for _ in csv.reader(f)) - 1
assert count(info) == rows, (count(info), rows)
types = fields(info)
assert types.get("value") == "Real", types
assert types.get("vintage") == "Integer", types
print(f"GDAL lit {out}/results.csv : {rows} lignes, value en nombre réel")

if os.path.exists(f"{tmp}/geojson.txt"):
    with open(f"{tmp}/geojson.txt") as f:
        info = f.read()
    with open(f"{out}/results.geojson", encoding="utf-8") as f:
        features = json.load(f)["features"]
    assert count(info) == len(features), (count(info), len(features))
    types = fields(info)
    text = {k for k, t in types.items() if t == "String"}
    assert text == {"code", "nom", "niveau"}, f"colonnes lues comme texte : {sorted(text)}"
    with open(f"{tmp}/geojson.csv", newline="", encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    for i, (feature, row) in enumerate(zip(features, read)):
        for k, want in feature["properties"].items():
            got = row[k]
            if want is None:
                assert got == "", (i, k, got)
            elif isinstance(want, float):
                assert math.isclose(float(got), want, rel_tol=1e-12), (i, k, got, want)
            else:
                assert got == str(want), (i, k, got, want)
    print(f"GDAL lit {out}/results.geojson : {len(features)} contours, "
          f"{len(types) - 3} colonnes d'indicateurs en nombres, valeurs identiques")
else:
    print(f"{out} n'a pas de results.geojson (aucun contour donné)")
PY
