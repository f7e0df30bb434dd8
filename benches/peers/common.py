"""What both peers share with bcs: the dataset manifest, the source profiles,
the catalogue and the geography, read from the same files bcs reads. Only
configuration is handled here; each peer does the data work its own way.

The peers implement the national barometer pipeline of the benchmark: read the
sources (decimal comma, secrecy markers), map columns to canonical variables,
sum counts over communes into EPCI, départements, regions and France (a secret
member makes the total secret, a missing one makes it missing; rates are not
summed), evaluate every catalogue formula with status propagation and the
first-available alternative, then evolutions between vintages, ranks within
level x indicator x vintage, and the gap to the reference territory. They skip
what bcs does on top: validation of codes and ranges, composite indices,
`missing` rows for absent indicators.
"""
import csv
import glob
import os
import re
import tomllib

OK, MISSING, NOT_AGGREGABLE, SECRET = 0, 1, 2, 3
DEFAULT_SECRET = ["nd", "n.d.", "s", "secret", "c"]
RANKED = {"commune", "epci", "departement", "region", "qpv"}
RELATIVE_UNITS = {"nb", "€"}
# The results contract: Parquet always, CSV only when one Excel sheet holds
# the table (header included), as bcs does without --csv.
EXCEL_ROWS = 1_048_576
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def csv_wanted(rows):
    return rows < EXCEL_ROWS


def operands(expr):
    return list(dict.fromkeys(IDENT.findall(expr)))


def sniff(header):
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get)


def arguments():
    """Command line of both peers: --dataset, --project, --out (a path
    without extension: .parquet and .csv are written)."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--out", required=True)
    return ap.parse_args()


class Source:
    """One source file and the mappings that apply to its columns."""

    def __init__(self, path, delimiter, key, vintage_column, declared, secret, missing, decimal):
        self.path, self.delimiter, self.key = path, delimiter, key
        self.vintage_column, self.declared = vintage_column, declared
        self.secret, self.missing, self.decimal = secret, missing, decimal
        self.mappings = []  # (variable, vintage or None = from the column, expr)

    def columns(self):
        cols = {self.key}
        if self.vintage_column:
            cols.add(self.vintage_column)
        for _, _, expr in self.mappings:
            cols.update(operands(expr))
        return sorted(cols)


class Config:
    def __init__(self, dataset_dir, project_dir):
        with open(os.path.join(dataset_dir, "dataset.toml"), "rb") as f:
            m = tomllib.load(f)
        self.dataset = m["dataset"]
        self.reference = self.dataset["reference"]
        defaults = m.get("defaults", {})
        geo = m["geography"]
        self.national = os.path.join(dataset_dir, geo["national"])
        self.local = [os.path.join(dataset_dir, p) for p in geo.get("local", [])]
        self.sources = [self._source(dataset_dir, project_dir, s, defaults) for s in m.get("source", [])]
        self._catalogue(os.path.join(project_dir, "indicators"))
        self._geography()

    def _source(self, dataset_dir, project_dir, s, defaults):
        path = os.path.join(dataset_dir, s["file"])
        with open(path, encoding="utf-8-sig") as f:
            header_line = f.readline().rstrip("\r\n")
        delimiter = s.get("delimiter", defaults.get("delimiter")) or sniff(header_line)
        header = next(csv.reader([header_line], delimiter=delimiter))
        profile = None
        if "profile" in s:
            with open(os.path.join(project_dir, "datasets", "profiles", s["profile"] + ".toml"), "rb") as f:
                profile = tomllib.load(f)
        key = s.get("key") or next(k for k in profile["profile"]["key"] if k in header)
        vcol = s.get("vintage_column")
        if vcol is None and profile:
            vcol = next((c for c in profile["profile"].get("vintage_column", []) if c in header), None)
        src = Source(
            path,
            delimiter,
            key,
            vcol,
            s.get("vintage"),
            s.get("secret", defaults.get("secret", DEFAULT_SECRET)),
            s.get("missing", defaults.get("missing", ["-"])),
            s.get("decimal", defaults.get("decimal", ",")),
        )
        present = set(header)
        for v in (profile or {}).get("variable", []):
            spellings = v["expr"] if isinstance(v["expr"], list) else [v["expr"]]
            if any("{yy}" in e for e in spellings):
                for yy in range(100):
                    for e in spellings:
                        expr = e.replace("{yy}", f"{yy:02d}")
                        if all(o in present for o in operands(expr)):
                            if src.declared in (None, 2000 + yy):
                                src.mappings.append((v["variable"], 2000 + yy, expr))
                            break
            else:
                for e in spellings:
                    if all(o in present for o in operands(e)):
                        src.mappings.append((v["variable"], None if vcol else src.declared, e))
                        break
        for v in s.get("variable", []):
            src.mappings.append((v["variable"], v["vintage"], v["expr"]))
        return src

    def _catalogue(self, directory):
        with open(os.path.join(directory, "variables.toml"), "rb") as f:
            variables = tomllib.load(f)["variable"]
        self.variables = [v["id"] for v in variables]
        self.counts = {v["id"] for v in variables if v["kind"] == "count"}
        self.indicators = []
        for path in sorted(glob.glob(os.path.join(directory, "*.toml"))):
            if path.endswith("variables.toml"):
                continue
            with open(path, "rb") as f:
                t = tomllib.load(f)
            for ind in t.get("indicator", []):
                formulas = ind.get("formula")
                if not formulas:
                    continue
                formulas = formulas if isinstance(formulas, list) else [formulas]
                self.indicators.append(
                    {"id": ind["id"], "label": ind["label"], "theme": t["theme"]["id"], "unit": ind["unit"], "formulas": formulas}
                )

    def _geography(self):
        """Territories (code, name, level) and the (parent, member) pairs over
        which counts are summed, as bcs builds them."""
        def rows(name):
            with open(os.path.join(self.national, name), encoding="utf-8") as f:
                return list(csv.DictReader(f))

        self.territories = {}
        for r in rows("regions.csv"):
            self.territories["reg" + r["code"]] = (r["nom"], "region")
        for r in rows("departements.csv"):
            self.territories[r["code"]] = (r["nom"], "departement")
        for r in rows("epci.csv"):
            self.territories[r["code"]] = (r["nom"], "epci")
        communes = rows("communes.csv")
        for r in communes:
            self.territories[r["code"]] = (r["nom"], "commune")
        members = []
        for path in self.local:
            with open(path, encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    self.territories[r["code"]] = (r["name"], r["level"])
                    for m in filter(None, (x.strip() for x in r["members"].split("|"))):
                        members.append((r["code"], m))
        self.composition = members
        metro = "loc_france_metro" in self.territories
        for r in communes:
            for p in (r["epci"], r["departement"], "reg" + r["region"]):
                if p and p in self.territories:
                    self.composition.append((p, r["code"]))
            if metro and r["zone"] == "metro":
                self.composition.append(("loc_france_metro", r["code"]))
