"""The national barometer pipeline in pandas (peer of `bcs run
--results-only`): see common.py for what it computes."""
import re
import sys

import numpy as np
import pandas as pd

from common import arguments, csv_wanted, Config, operands, OK, MISSING, NOT_AGGREGABLE, SECRET, RANKED, RELATIVE_UNITS

JUNK = re.compile("[ \u202f\u00a0€%+]")


def parse(text, s):
    """(values, statuses) of a text column."""
    t = text.str.strip()
    secret = t.isin(s.secret)
    missing = t.isna() | (t == "") | t.isin(s.missing)
    cleaned = t.str.replace(JUNK, "", regex=True)
    if s.decimal != ".":
        cleaned = cleaned.str.replace(s.decimal, ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce")
    status = np.where(secret, SECRET, np.where(missing, MISSING, OK))
    return values.where(status == OK), pd.Series(status, index=text.index)


def evaluate(expr, values, statuses):
    """Expression over a frame of values, with status propagation."""
    ops = operands(expr)
    with np.errstate(all="ignore"):
        raw = values.eval(expr, engine="python") if ops else pd.Series(float(eval(expr)), index=values.index)
    raw = pd.to_numeric(raw, errors="coerce").astype(float)
    st = statuses[ops].max(axis=1) if ops else pd.Series(OK, index=values.index)
    st = st.where(~((st == OK) & ~np.isfinite(raw)), MISSING)
    return raw.where(st == OK), st


def main():
    a = arguments()
    cfg = Config(a.dataset, a.project)

    # 1. Sources: only the mapped columns, as text; numbers and statuses.
    frames = []
    for s in cfg.sources:
        raw = pd.read_csv(s.path, sep=s.delimiter, dtype=str, keep_default_na=False, usecols=s.columns(), encoding="utf-8-sig")
        code = raw[s.key].str.strip()
        row_vintage = None
        if s.vintage_column:
            row_vintage = raw[s.vintage_column].str.extract(r"((?:19|20)\d\d)", expand=False).astype(int)
        numeric = [c for c in s.columns() if c != s.key and c != s.vintage_column]
        values, statuses = pd.DataFrame(index=raw.index), pd.DataFrame(index=raw.index)
        for c in numeric:
            values[c], statuses[c] = parse(raw[c], s)
        for variable, vintage, expr in s.mappings:
            v, st = evaluate(expr, values, statuses)
            out = pd.DataFrame({"territory_code": code, "variable": variable, "value": v, "status": st})
            if vintage is None:
                out["vintage"] = row_vintage
                if s.declared:
                    out = out[row_vintage == s.declared]
            else:
                out["vintage"] = vintage
                if s.vintage_column:
                    out = out[row_vintage == vintage]
            frames.append(out)
    obs = pd.concat(frames, ignore_index=True)

    # 2. Sums over members into parents; published values take precedence.
    comp = pd.DataFrame(cfg.composition, columns=["parent", "member"])
    sizes = comp.groupby("parent").size().rename("n_members")
    joined = obs.merge(comp, left_on="territory_code", right_on="member")
    sums = joined.groupby(["parent", "variable", "vintage"]).agg(s=("value", "sum"), worst=("status", "max"), n=("status", "size")).reset_index()
    sums = sums.join(sizes, on="parent")
    is_count = sums["variable"].isin(cfg.counts)
    status = np.select(
        [~is_count, sums["worst"] == SECRET, (sums["worst"] != OK) | (sums["n"] < sums["n_members"])],
        [NOT_AGGREGABLE, SECRET, MISSING],
        OK,
    )
    agg = pd.DataFrame(
        {"territory_code": sums["parent"], "variable": sums["variable"], "vintage": sums["vintage"], "value": sums["s"].where(status == OK), "status": status}
    )
    keys = ["territory_code", "variable", "vintage"]
    observed = pd.MultiIndex.from_frame(obs[keys])
    agg = agg[~pd.MultiIndex.from_frame(agg[keys]).isin(observed)]
    all_obs = pd.concat([obs, agg], ignore_index=True)

    # 3. One row per territory and vintage, a value and a status per variable.
    wide_v = all_obs.pivot(index=["territory_code", "vintage"], columns="variable", values="value")
    wide_s = all_obs.pivot(index=["territory_code", "vintage"], columns="variable", values="status")
    wide_v = wide_v.reindex(columns=cfg.variables)
    wide_s = wide_s.reindex(columns=cfg.variables).fillna(MISSING).astype(int)

    # 4. Every indicator: the first alternative with status ok.
    parts = []
    for ind in cfg.indicators:
        value = pd.Series(np.nan, index=wide_v.index)
        formula = pd.Series(None, index=wide_v.index, dtype=object)
        alts = [evaluate(f, wide_v, wide_s) for f in ind["formulas"]]
        for (v, st), f in reversed(list(zip(alts, ind["formulas"]))):
            value = v.where(st == OK, value)
            formula = formula.mask(st == OK, f)
        sts = pd.concat([st for _, st in alts], axis=1)
        status = np.where((sts == OK).any(axis=1), OK, sts.max(axis=1))
        part = pd.DataFrame({"indicator": ind["id"], "value": value, "status": status, "formula": formula}, index=wide_v.index)
        parts.append(part[part["status"] != MISSING])
    vals = pd.concat(parts).reset_index()

    # 5. Names, levels, units; evolutions, ranks, gap to the reference.
    terr = pd.DataFrame([(c, n, l) for c, (n, l) in cfg.territories.items()], columns=["territory_code", "territory_name", "level"])
    inds = pd.DataFrame(
        [(i["id"], i["label"], i["theme"], i["unit"], i["unit"] in RELATIVE_UNITS) for i in cfg.indicators],
        columns=["indicator", "indicator_label", "theme", "unit", "relative"],
    )
    d = vals.merge(terr, on="territory_code", how="left").merge(inds, on="indicator", how="left")
    d = d.sort_values(["territory_code", "indicator", "vintage"], kind="stable").reset_index(drop=True)
    g = d.groupby(["territory_code", "indicator"], sort=False)
    d["prev_vintage"] = g["vintage"].shift(1)
    prev_value, prev_status = g["value"].shift(1), g["status"].shift(1)
    evol_ok = np.maximum(d["status"], prev_status) == OK
    d["evol_abs"] = (d["value"] - prev_value).where(evol_ok)
    d["evol_pct"] = (100 * (d["value"] - prev_value) / prev_value.abs()).where(evol_ok & d["relative"] & (prev_value != 0))
    rank_value = d["value"].where((d["status"] == OK) & d["level"].isin(RANKED))
    part = d.assign(rv=rank_value).groupby(["level", "indicator", "vintage"])["rv"]
    d["rank"] = part.rank(method="min", ascending=False)
    d["rank_total"] = part.transform("count").where(rank_value.notna())
    ref = d[(d["territory_code"] == cfg.reference) & (d["status"] == OK)][["indicator", "vintage", "value"]]
    d = d.merge(ref.rename(columns={"value": "reference_value"}), on=["indicator", "vintage"], how="left")
    d["reference_code"] = cfg.reference
    d["gap_reference"] = (d["value"] - d["reference_value"]).where(d["status"] == OK)
    results = d[
        ["territory_code", "territory_name", "level", "indicator", "vintage", "value", "unit", "status",
         "formula", "prev_vintage", "evol_abs", "evol_pct", "rank", "rank_total", "reference_code", "gap_reference"]
    ]
    results.to_parquet(a.out + ".parquet", index=False)
    if csv_wanted(len(results)):
        results.to_csv(a.out + ".csv", index=False)
    # The indicator dictionary beside it, as bcs writes it.
    inds[["indicator", "indicator_label", "theme", "unit"]].to_csv(a.out + "-indicators.csv", index=False)
    print(f"pandas: {len(results)} lignes", file=sys.stderr)


if __name__ == "__main__":
    main()
