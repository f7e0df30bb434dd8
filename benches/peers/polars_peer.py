"""The national barometer pipeline in Python polars (peer of `bcs run
--results-only`): see common.py for what it computes.

Written as an analyst who knows polars would write it: each source read once
with only its mapped columns, one unpivot per source, territories, variables
and indicators as integer codes until the end, an eager pivot, evolutions as
a shift masked where the previous row is another series, the labels joined
once on the sorted rows.
"""
import sys

import polars as pl

from common import arguments, csv_wanted, Config, operands, OK, MISSING, NOT_AGGREGABLE, SECRET, RANKED, RELATIVE_UNITS

JUNK = "[ \u202f\u00a0€%+]"
VINTAGE = r"((?:19|20)\d\d)"


def expression(expr, column):
    """A polars expression of a formula: its operands replaced by columns.
    Formulas are arithmetic over identifiers (+ - * / and parentheses)."""
    names = {o: column(o) for o in operands(expr)}
    out = eval(expr, {"__builtins__": {}}, names)
    return out if isinstance(out, pl.Expr) else pl.lit(float(out))


def evaluated(expr, value, status):
    """(value, status) expressions of a formula with status propagation."""
    ops = operands(expr)
    raw = expression(expr, value).cast(pl.Float64)
    st = pl.max_horizontal([status(o) for o in ops]) if ops else pl.lit(OK, pl.Int8)
    st = pl.when((st == OK) & ~raw.is_finite().fill_null(False)).then(pl.lit(MISSING, pl.Int8)).otherwise(st)
    return raw, st


def read(s, codes):
    """One source: (territory, variable, vintage, value, status) rows."""
    cols = s.columns()
    raw = pl.read_csv(
        s.path, separator=s.delimiter, columns=cols, infer_schema=False, encoding="utf8-lossy", quote_char='"'
    )
    numeric = [c for c in cols if c != s.key and c != s.vintage_column]
    parsed = [pl.col(s.key).str.strip_chars().cast(codes).alias("t")]
    if s.vintage_column:
        parsed.append(pl.col(s.vintage_column).str.extract(VINTAGE).cast(pl.Int16).alias("row_vintage"))
    for c in numeric:
        t = pl.col(c).str.strip_chars()
        status = (
            pl.when(t.is_in(s.secret)).then(SECRET)
            .when(t.is_null() | (t == "") | t.is_in(s.missing)).then(MISSING)
            .otherwise(OK).cast(pl.Int8)
        )
        number = t.str.replace_all(JUNK, "")
        if s.decimal != ".":
            number = number.str.replace_all(s.decimal, ".", literal=True)
        parsed += [status.alias("s#" + c), number.cast(pl.Float64, strict=False).alias("v#" + c)]
    frame = raw.select(parsed)
    # Every mapping as two columns, then one unpivot of values and one of
    # statuses over the same order.
    values, statuses = [], []
    for k, (_, _, expr) in enumerate(s.mappings):
        v, st = evaluated(expr, lambda o: pl.col("v#" + o), lambda o: pl.col("s#" + o))
        values.append(pl.when(st == OK).then(v).alias(f"v{k}"))
        statuses.append(st.alias(f"s{k}"))
    index = ["t"] + (["row_vintage"] if s.vintage_column else [])
    wide = frame.select(index + values + statuses)
    n = len(s.mappings)
    v = wide.unpivot(on=[f"v{k}" for k in range(n)], index=index, variable_name="m", value_name="value")
    st = wide.unpivot(on=[f"s{k}" for k in range(n)], index=[], value_name="status")
    long = v.with_columns(st["status"], pl.col("m").str.slice(1).cast(pl.UInt16))
    maps = pl.DataFrame(
        {
            "m": list(range(n)),
            "variable": [variable for variable, _, _ in s.mappings],
            "declared": [vintage for _, vintage, _ in s.mappings],
        },
        schema={"m": pl.UInt16, "variable": pl.String, "declared": pl.Int16},
    )
    long = long.join(maps, on="m", how="left")
    if s.vintage_column:
        # A mapping without a vintage takes the row's; one with a vintage
        # keeps that year's rows; the source may declare its only year.
        row = pl.col("row_vintage")
        from_row = pl.lit(True) if s.declared is None else row == s.declared
        keep = pl.when(pl.col("declared").is_null()).then(from_row).otherwise(row == pl.col("declared"))
        long = long.filter(keep).with_columns(pl.coalesce("declared", "row_vintage").alias("vintage"))
    else:
        long = long.with_columns(pl.col("declared").alias("vintage"))
    return long.select("t", "variable", "vintage", "value", "status")


def main():
    a = arguments()
    cfg = Config(a.dataset, a.project)
    # Enums whose categories are in lexical order: sorting on their physical
    # codes sorts by code.
    codes = pl.Enum(sorted(cfg.territories))
    variables = pl.Enum(cfg.variables)

    # 1. Sources.
    obs = pl.concat([read(s, codes) for s in cfg.sources]).with_columns(pl.col("variable").cast(variables))

    # 2. Sums over members into parents; published values take precedence.
    comp = pl.DataFrame(cfg.composition, schema={"parent": codes, "member": codes}, orient="row")
    sizes = comp.group_by("parent").len("n_members")
    counts = sorted(cfg.counts & set(cfg.variables))
    sums = (
        obs.join(comp, left_on="t", right_on="member")
        .group_by("parent", "variable", "vintage")
        .agg(pl.col("value").sum().alias("s"), pl.col("status").max().alias("worst"), pl.len().alias("n"))
        .join(sizes, on="parent")
    )
    status = (
        pl.when(~pl.col("variable").is_in(counts)).then(NOT_AGGREGABLE)
        .when(pl.col("worst") == SECRET).then(SECRET)
        .when((pl.col("worst") != OK) | (pl.col("n") < pl.col("n_members"))).then(MISSING)
        .otherwise(OK).cast(pl.Int8)
    )
    agg = sums.select(
        pl.col("parent").alias("t"), "variable", "vintage", pl.when(status == OK).then(pl.col("s")).alias("value"), status.alias("status")
    ).join(obs, on=["t", "variable", "vintage"], how="anti")
    all_obs = pl.concat([obs, agg])

    # 3. One row per territory and vintage, a value and a status per variable.
    wide = all_obs.pivot(on="variable", index=["t", "vintage"], values=["value", "status"], aggregate_function=None)
    present = {c[len("value_"):] for c in wide.columns if c.startswith("value_")}

    def value(o):
        return pl.col("value_" + o) if o in present else pl.lit(None, pl.Float64)

    def status_of(o):
        return pl.col("status_" + o).fill_null(MISSING) if o in present else pl.lit(MISSING, pl.Int8)

    # 4. Every indicator: the first alternative with status ok; one column
    # pair per indicator, then one unpivot.
    indicators = sorted(cfg.indicators, key=lambda i: i["id"])  # numbered in code order
    cols, formulas = [], []
    for k, ind in enumerate(indicators):
        alts = [evaluated(f, value, status_of) for f in ind["formulas"]]
        v = pl.when(alts[0][1] == OK).then(alts[0][0])
        f = pl.when(alts[0][1] == OK).then(pl.lit(0, pl.UInt8))
        for i, (val, st) in enumerate(alts[1:], start=1):
            v = v.when(st == OK).then(val)
            f = f.when(st == OK).then(pl.lit(i, pl.UInt8))
        any_ok = pl.any_horizontal([st == OK for _, st in alts])
        worst = pl.max_horizontal([st for _, st in alts])
        cols += [v.alias(f"v{k}"), pl.when(any_ok).then(pl.lit(OK, pl.Int8)).otherwise(worst).alias(f"s{k}"), f.alias(f"f{k}")]
        formulas += [(k, i, formula) for i, formula in enumerate(ind["formulas"])]
    ind_wide = wide.select(["t", "vintage"] + cols)
    n = len(indicators)
    vals = ind_wide.unpivot(on=[f"v{k}" for k in range(n)], index=["t", "vintage"], variable_name="i", value_name="value")
    vals = vals.with_columns(
        ind_wide.unpivot(on=[f"s{k}" for k in range(n)], index=[])["value"].alias("status"),
        ind_wide.unpivot(on=[f"f{k}" for k in range(n)], index=[])["value"].alias("alt"),
        pl.col("i").str.slice(1).cast(pl.UInt16),
    ).filter(pl.col("status") != MISSING)

    # 5. Evolutions, ranks, gap to the reference, then labels.
    terr = pl.DataFrame(
        {
            "t": list(cfg.territories),
            "territory_name": [n for n, _ in cfg.territories.values()],
            "level": [l for _, l in cfg.territories.values()],
        },
        schema={"t": codes, "territory_name": pl.String, "level": pl.String},
    )
    inds = pl.DataFrame(
        {
            "i": list(range(n)),
            "indicator": [i["id"] for i in indicators],
            "indicator_label": [i["label"] for i in indicators],
            "theme": [i["theme"] for i in indicators],
            "unit": [i["unit"] for i in indicators],
            "relative": [i["unit"] in RELATIVE_UNITS for i in indicators],
        },
        schema_overrides={"i": pl.UInt16},
    )
    forms = pl.DataFrame(formulas, schema={"i": pl.UInt16, "alt": pl.UInt8, "formula": pl.String}, orient="row")
    d = vals.join(inds.select("i", "indicator", "unit", "relative"), on="i", how="left").sort("t", "i", "vintage")
    same = (pl.col("t") == pl.col("t").shift(1)) & (pl.col("i") == pl.col("i").shift(1))
    prev_value = pl.when(same).then(pl.col("value").shift(1))
    prev_status = pl.when(same).then(pl.col("status").shift(1))
    evol_ok = pl.max_horizontal("status", prev_status) == OK
    rankable = (pl.col("status") == OK) & pl.col("level").is_in(sorted(RANKED))
    level = terr.select("t", "level")
    d = d.join(level, on="t", how="left", maintain_order="left").with_columns(
        pl.when(same).then(pl.col("vintage").shift(1)).alias("prev_vintage"),
        pl.when(evol_ok).then(pl.col("value") - prev_value).alias("evol_abs"),
        pl.when(evol_ok & pl.col("relative") & (prev_value != 0))
        .then(100 * (pl.col("value") - prev_value) / prev_value.abs())
        .alias("evol_pct"),
        pl.when(rankable).then(pl.col("value")).alias("rv"),
    )
    d = d.with_columns(
        pl.col("rv").rank("min", descending=True).over("level", "i", "vintage").cast(pl.UInt32).alias("rank"),
        pl.when(pl.col("rv").is_not_null()).then(pl.col("rv").count().over("level", "i", "vintage")).cast(pl.UInt32).alias("rank_total"),
    )
    ref = d.filter((pl.col("t") == cfg.reference) & (pl.col("status") == OK)).select("i", "vintage", pl.col("value").alias("reference_value"))
    d = d.join(ref, on=["i", "vintage"], how="left", maintain_order="left").join(forms, on=["i", "alt"], how="left", maintain_order="left")
    results = d.join(terr.select("t", "territory_name"), on="t", how="left", maintain_order="left").select(
        pl.col("t").cast(pl.String).alias("territory_code"),
        "territory_name",
        "level",
        "indicator",
        "vintage",
        "value",
        "unit",
        "status",
        "formula",
        "prev_vintage",
        "evol_abs",
        "evol_pct",
        "rank",
        "rank_total",
        pl.lit(cfg.reference).alias("reference_code"),
        pl.when(pl.col("status") == OK).then(pl.col("value") - pl.col("reference_value")).alias("gap_reference"),
    )
    results.write_parquet(a.out + ".parquet", compression="snappy")
    if csv_wanted(results.height):
        results.write_csv(a.out + ".csv")
    # The indicator dictionary beside it, as bcs writes it.
    order = pl.DataFrame({"indicator": [i["id"] for i in cfg.indicators]})
    order.join(inds, on="indicator", how="left", maintain_order="left").select("indicator", "indicator_label", "theme", "unit").write_csv(a.out + "-indicators.csv")
    print(f"polars: {results.height} lignes", file=sys.stderr)


if __name__ == "__main__":
    main()
