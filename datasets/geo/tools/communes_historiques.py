#!/usr/bin/env python3
"""Derives datasets/geo/national/communes_historiques.csv from the npm package
@etalab/decoupage-administratif 6.0.0 (data/communes.json), the same package
as communes.csv.

Usage: npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf *.tgz
       python3 communes_historiques.py package/data/communes.json > communes_historiques.csv

Every code a producer's file may hold that is not a current commune, with the
current commune it belongs to:
- commune_deleguee / commune_associee: a piece of a commune nouvelle (or of a
  fusion-association), its `chefLieu` (the code of a piece that is also the
  current commune's code is left out: the current commune wins);
- ancien_code: a code listed in a current commune's `anciensCodes` and not
  already given as a commune déléguée or associée (where the package lists a
  commune associée's code among another commune's old codes, the association
  is kept and the conflict printed);
- arrondissement_municipal: Paris, Lyon and Marseille, with their commune and
  their population municipale.
"""
import csv
import json
import sys

KIND = {
    "commune-deleguee": "commune_deleguee",
    "commune-associee": "commune_associee",
    "arrondissement-municipal": "arrondissement_municipal",
}


def main(path):
    entries = json.load(open(path, encoding="utf-8"))
    current = {e["code"] for e in entries if e["type"] == "commune-actuelle"}
    rows = {}
    for e in entries:
        kind = KIND.get(e["type"])
        if kind is None or e["code"] in current:
            continue
        commune = e["commune"] if kind == "arrondissement_municipal" else e["chefLieu"]
        if commune not in current:
            raise SystemExit(f"{e['code']}: {commune} is not a current commune")
        if e["code"] in rows and rows[e["code"]][3] != commune:
            raise SystemExit(f"{e['code']}: two communes ({rows[e['code']][3]}, {commune})")
        rows[e["code"]] = (e["code"], e["nom"], kind, commune, e.get("population", ""))
    for e in entries:
        if e["type"] != "commune-actuelle":
            continue
        for old in e.get("anciensCodes", []):
            if old in current:
                raise SystemExit(f"{old}: an old code that is a current commune")
            if old in rows:
                if rows[old][3] != e["code"]:
                    # The package's own inconsistency (55273 is associated
                    # with 55386 and listed among 55245's old codes): the
                    # current status (déléguée/associée) wins.
                    print(f"{old}: {rows[old][2]} of {rows[old][3]}, "
                          f"also an old code of {e['code']}: kept as the former",
                          file=sys.stderr)
                continue
            rows[old] = (old, "", "ancien_code", e["code"], "")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "nom", "type", "commune", "population_municipale"])
    for code in sorted(rows):
        out.writerow(rows[code])


if __name__ == "__main__":
    main(sys.argv[1])
