"""The national barometer pipeline in DuckDB SQL (peer of `bcs run
--results-only`): see common.py for what it computes."""
import re
import sys

import duckdb
import pandas as pd

from common import arguments, csv_wanted, Config, operands, OK, MISSING, NOT_AGGREGABLE, SECRET, RANKED, RELATIVE_UNITS


def q(name):
    return '"' + name.replace('"', '""') + '"'


def lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def in_list(values):
    return "(" + ", ".join(lit(v) for v in values) + ")" if values else "(NULL)"


def evaluated(expr, value_of, status_of):
    """(value SQL, status SQL) of an expression with status propagation."""
    ops = operands(expr)
    raw = expr
    for o in sorted(ops, key=len, reverse=True):
        raw = re.sub(rf"\b{o}\b", value_of(o), raw)
    raw = f"CAST(({raw}) AS DOUBLE)"
    st = f"greatest({', '.join(status_of(o) for o in ops)})" if len(ops) > 1 else (status_of(ops[0]) if ops else str(OK))
    status = f"(CASE WHEN {st} = {OK} AND NOT coalesce(isfinite({raw}), false) THEN {MISSING} ELSE {st} END)"
    value = f"(CASE WHEN {status} = {OK} THEN {raw} END)"
    return value, status


def main():
    a = arguments()
    cfg = Config(a.dataset, a.project)
    con = duckdb.connect()

    # 1. Sources: only the mapped columns, as text; numbers and statuses.
    parts = []
    for i, s in enumerate(cfg.sources):
        cols = s.columns()
        parsed = [f"trim({q(s.key)}) AS code"]
        if s.vintage_column:
            parsed.append(f"CAST(regexp_extract({q(s.vintage_column)}, '(19|20)[0-9][0-9]', 0) AS INTEGER) AS row_vintage")
        for c in cols:
            t = f"trim({q(c)})"
            parsed.append(
                f"(CASE WHEN {t} IN {in_list(s.secret)} THEN {SECRET} WHEN {t} IS NULL OR {t} = '' OR {t} IN {in_list(s.missing)} THEN {MISSING} ELSE {OK} END) AS {q('s#' + c)}"
            )
            number = f"regexp_replace({t}, '[ \u202f\u00a0€%+]', '', 'g')"
            if s.decimal != ".":
                number = f"replace({number}, {lit(s.decimal)}, '.')"
            parsed.append(f"TRY_CAST({number} AS DOUBLE) AS {q('v#' + c)}")
        con.execute(
            f"CREATE TABLE src{i} AS SELECT {', '.join(parsed)} FROM read_csv({lit(s.path)}, delim={lit(s.delimiter)}, header=true, all_varchar=true)"
        )
        for variable, vintage, expr in s.mappings:
            value, status = evaluated(expr, lambda o: q("v#" + o), lambda o: q("s#" + o))
            where, vint = "", str(vintage)
            if vintage is None:
                vint = "row_vintage"
                if s.declared:
                    where = f" WHERE row_vintage = {s.declared}"
            elif s.vintage_column:
                where = f" WHERE row_vintage = {vintage}"
            parts.append(
                f"SELECT code AS territory_code, {lit(variable)} AS variable, {vint} AS vintage, {value} AS value, {status} AS status FROM src{i}{where}"
            )
    con.execute("CREATE TABLE obs AS " + " UNION ALL ".join(parts))

    # 2. Sums over members into parents; published values take precedence.
    comp = pd.DataFrame(cfg.composition, columns=["parent", "member"])
    con.register("comp", comp)
    con.execute(
        f"""CREATE TABLE all_obs AS
        WITH sizes AS (SELECT parent, count(*) AS n_members FROM comp GROUP BY parent),
        sums AS (
          SELECT c.parent AS territory_code, o.variable, o.vintage, sum(o.value) AS s, max(o.status) AS worst, count(*) AS n
          FROM obs o JOIN comp c ON o.territory_code = c.member GROUP BY ALL),
        agg AS (
          SELECT territory_code, variable, vintage,
            CASE WHEN variable NOT IN {in_list(sorted(cfg.counts))} THEN {NOT_AGGREGABLE}
                 WHEN worst = {SECRET} THEN {SECRET}
                 WHEN worst <> {OK} OR n < n_members THEN {MISSING} ELSE {OK} END AS status, s
          FROM sums JOIN sizes ON sums.territory_code = sizes.parent)
        SELECT territory_code, variable, vintage, value, status FROM obs
        UNION ALL
        SELECT a.territory_code, a.variable, a.vintage, CASE WHEN a.status = {OK} THEN a.s END, a.status
        FROM agg a ANTI JOIN obs o USING (territory_code, variable, vintage)"""
    )

    # 3. One row per territory and vintage, a value and a status per variable.
    present = {r[0] for r in con.execute("SELECT DISTINCT variable FROM all_obs").fetchall()}
    cols = []
    for v in cfg.variables:
        if v in present:
            cols.append(f"max(value) FILTER (WHERE variable = {lit(v)}) AS {q(v)}")
            cols.append(f"coalesce(max(status) FILTER (WHERE variable = {lit(v)}), {MISSING}) AS {q('s#' + v)}")
        else:
            cols.append(f"CAST(NULL AS DOUBLE) AS {q(v)}")
            cols.append(f"{MISSING} AS {q('s#' + v)}")
    con.execute(f"CREATE TABLE wide AS SELECT territory_code, vintage, {', '.join(cols)} FROM all_obs GROUP BY territory_code, vintage")

    # 4. Every indicator: the first alternative with status ok.
    parts = []
    for ind in cfg.indicators:
        alts = [evaluated(f, lambda o: q(o), lambda o: q("s#" + o)) for f in ind["formulas"]]
        value = "CASE " + " ".join(f"WHEN {s} = {OK} THEN {v}" for v, s in alts) + " END"
        formula = "CASE " + " ".join(f"WHEN {s} = {OK} THEN {lit(f)}" for (v, s), f in zip(alts, ind["formulas"])) + " END"
        any_ok = " OR ".join(f"{s} = {OK}" for _, s in alts)
        worst = f"greatest({', '.join(s for _, s in alts)})" if len(alts) > 1 else alts[0][1]
        status = f"CASE WHEN {any_ok} THEN {OK} ELSE {worst} END"
        parts.append(
            f"SELECT territory_code, vintage, {lit(ind['id'])} AS indicator, {value} AS value, {status} AS status, {formula} AS formula FROM wide"
        )
    con.execute(f"CREATE TABLE vals AS SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE status <> {MISSING}")

    # 5. Names, levels, units; evolutions, ranks, gap to the reference.
    terr = pd.DataFrame([(c, n, l) for c, (n, l) in cfg.territories.items()], columns=["territory_code", "territory_name", "level"])
    inds = pd.DataFrame(
        [(i["id"], i["label"], i["theme"], i["unit"], i["unit"] in RELATIVE_UNITS) for i in cfg.indicators],
        columns=["indicator", "indicator_label", "theme", "unit", "relative"],
    )
    con.register("terr", terr)
    con.register("inds", inds)
    con.execute(
        f"""CREATE TABLE results AS
        WITH d AS (
          SELECT v.*, t.territory_name, t.level, i.unit, i.relative,
            lag(v.vintage) OVER w AS prev_vintage, lag(v.value) OVER w AS prev_value, lag(v.status) OVER w AS prev_status,
            (v.status = {OK} AND t.level IN {in_list(sorted(RANKED))}) AS rankable
          FROM vals v LEFT JOIN terr t USING (territory_code) LEFT JOIN inds i USING (indicator)
          WINDOW w AS (PARTITION BY v.territory_code, v.indicator ORDER BY v.vintage)),
        r AS (
          SELECT *, rank() OVER (PARTITION BY level, indicator, vintage ORDER BY value DESC) AS rk,
                 count(*) OVER (PARTITION BY level, indicator, vintage) AS rt
          FROM d WHERE rankable),
        ref AS (SELECT indicator, vintage, value AS reference_value FROM vals WHERE territory_code = {lit(cfg.reference)} AND status = {OK})
        SELECT d.territory_code, d.territory_name, d.level, d.indicator, d.vintage, d.value, d.unit, d.status,
          d.formula, d.prev_vintage,
          CASE WHEN greatest(d.status, d.prev_status) = {OK} THEN d.value - d.prev_value END AS evol_abs,
          CASE WHEN greatest(d.status, d.prev_status) = {OK} AND d.relative AND d.prev_value <> 0
               THEN 100 * (d.value - d.prev_value) / abs(d.prev_value) END AS evol_pct,
          r.rk AS rank, r.rt AS rank_total, {lit(cfg.reference)} AS reference_code,
          CASE WHEN d.status = {OK} THEN d.value - ref.reference_value END AS gap_reference
        FROM d
        LEFT JOIN r USING (territory_code, indicator, vintage)
        LEFT JOIN ref USING (indicator, vintage)
        ORDER BY d.territory_code, d.indicator, d.vintage"""
    )
    con.execute(f"COPY results TO {lit(a.out + '.parquet')} (FORMAT parquet)")
    n = con.execute("SELECT count(*) FROM results").fetchone()[0]
    if csv_wanted(n):
        con.execute(f"COPY results TO {lit(a.out + '.csv')} (HEADER, DELIMITER ',')")
    # The indicator dictionary beside it, as bcs writes it.
    con.execute(f"COPY (SELECT indicator, indicator_label, theme, unit FROM inds) TO {lit(a.out + '-indicators.csv')} (HEADER, DELIMITER ',')")
    print(f"duckdb: {n} lignes", file=sys.stderr)


if __name__ == "__main__":
    main()
