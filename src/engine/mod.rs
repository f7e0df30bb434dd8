//! The engine: observations → results (territory × indicator × vintage),
//! with group aggregation, evolutions, ranks and gaps to a reference.
//!
//! Everything runs on polars lazy frames; the catalogue is data (formulas are
//! polars SQL expressions over canonical variables).

mod aggregate;
pub mod composite;
mod results;

// Hash maps over millions of short codes: polars' fast hasher, not SipHash.
use polars::prelude::{PlHashMap as HashMap, PlHashSet as HashSet};

use anyhow::{Context, Result};
use polars::prelude::*;

pub use aggregate::{aggregate, aggregate_members};
pub use results::{write_parquet, ResultRow, Results, COLUMNS};

use crate::catalog::Catalog;
use crate::geo::{Geography, Level};
use crate::status::{evaluate, status_column, Status};

/// Options of one computation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Territory every value is compared with (`gap_reference` column).
    pub reference: String,
    /// Territory the barometer is about (anchors the IDH-4 universe).
    pub territory: Option<String>,
    /// Territories that report every catalogue indicator, even one with no
    /// data anywhere in the dataset (the studied territory and its
    /// references); other territories report only indicators the dataset has.
    pub focus: Vec<String>,
}

/// Computes every catalogue indicator for every territory with data.
pub fn compute(
    observations: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    opts: &Options,
) -> Result<Results> {
    let t = crate::timing::stage("agrégation");
    let all_obs = aggregate(observations, catalog, geo)?;
    drop(t);
    let t = crate::timing::stage("indicateurs");
    let values = evaluate_indicators(&all_obs, catalog)?.collect()?;
    drop(t);
    let t = crate::timing::stage("indices composites");
    let (composites, sensitivity) = composite::compute(
        &values,
        catalog,
        geo,
        &opts.reference,
        opts.territory.as_deref(),
    )?;
    drop(t);
    let t = crate::timing::stage("lignes absentes, libellés");
    let values = concat(
        [
            values
                .lazy()
                .with_column(lit(NULL).cast(DataType::String).alias("detail")),
            composites.lazy(),
        ],
        UnionArgs::default(),
    )?
    .filter(col("status").neq(Status::Missing.lit()));
    let t2 = crate::timing::stage("  absentes");
    let with_missing = add_missing_rows(values, &all_obs, catalog, geo, &opts.focus)?;
    drop(t2);
    let t2 = crate::timing::stage("  tri, libellés");
    let described = sort_series(
        with_missing,
        |codes| geo.frame(codes),
        |ids| indicator_units(ids, catalog),
    )?
    .lazy();
    drop(t2);
    drop(t);
    let t = crate::timing::stage("évolutions, rangs, écarts");
    let frame = add_evolutions_ranks_gaps(described, &opts.reference)?.collect()?;
    drop(t);
    let mut results = Results::new(frame, opts.reference.clone());
    results.sensitivity = sensitivity;
    Ok(results)
}

/// Turns long observations into one row per (territory, vintage) with a value
/// and a status column per variable, then evaluates every indicator.
fn evaluate_indicators(obs: &DataFrame, catalog: &Catalog) -> Result<LazyFrame> {
    let t = crate::timing::stage("  pivot");
    let wide = pivot_variables(obs, catalog)?.lazy();
    drop(t);

    let mut per_indicator = vec![];
    // Composite outputs have no formula: the composite stage computes them.
    for ind in catalog.indicators.iter().filter(|i| !i.formulas.is_empty()) {
        let mut alternatives = vec![];
        for (f, ops) in ind.formulas.iter().zip(&ind.operands) {
            alternatives.push(evaluate(f, ops)?);
        }
        // First alternative with status ok wins; otherwise the highest status
        // among them (a secret count beats an absent published rate).
        let ok = |s: &Expr| s.clone().eq(Status::Ok.lit());
        let mut value = lit(NULL).cast(DataType::Float64);
        let mut formula = lit(NULL).cast(DataType::String);
        for (i, (v, s)) in alternatives.iter().enumerate().rev() {
            value = when(ok(s)).then(v.clone()).otherwise(value);
            formula = when(ok(s))
                .then(lit(ind.formulas[i].as_str()))
                .otherwise(formula);
        }
        let status = when(polars::lazy::dsl::any_horizontal(
            alternatives.iter().map(|(_, s)| ok(s)).collect::<Vec<_>>(),
        )?)
        .then(Status::Ok.lit())
        .otherwise(polars::lazy::dsl::max_horizontal(
            alternatives
                .iter()
                .map(|(_, s)| s.clone())
                .collect::<Vec<_>>(),
        )?);
        per_indicator.push(wide.clone().select([
            col("territory_code"),
            col("vintage"),
            lit(ind.id.as_str()).alias("indicator"),
            value.alias("value"),
            status.cast(DataType::UInt32).alias("status"),
            formula.alias("formula"),
        ]));
    }
    Ok(concat(per_indicator, UnionArgs::default())?
        .filter(col("status").neq(Status::Missing.lit())))
}

/// One row per (territory, vintage), a value and a status column per
/// catalogue variable (null and `missing` where the variable is absent).
/// The rows are grouped once and their values scattered into the columns,
/// one pass, rather than one filtered aggregation per variable.
fn pivot_variables(obs: &DataFrame, catalog: &Catalog) -> Result<DataFrame> {
    let long = obs
        .clone()
        .lazy()
        .group_by([col("territory_code"), col("vintage")])
        .agg([col("variable"), col("value"), col("status")])
        .with_row_index("#g", None)
        .collect()?;
    let groups = long.height();
    let cells = long
        .clone()
        .lazy()
        .select([col("#g"), col("variable"), col("value"), col("status")])
        .explode(
            cols(["variable", "value", "status"]),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .collect()?;
    let n = catalog.variables.len();
    let mut values: Vec<Vec<Option<f64>>> = vec![vec![None; groups]; n];
    let mut statuses: Vec<Vec<u32>> = vec![vec![Status::Missing.code(); groups]; n];
    let mut seen = vec![vec![false; groups]; n];
    let (g, var) = (cells.column("#g")?.idx()?, cells.column("variable")?.str()?);
    let (value, status) = (
        cells.column("value")?.f64()?,
        cells.column("status")?.u32()?,
    );
    for (((g, var), value), status) in g
        .iter()
        .zip(var.iter())
        .zip(value.iter())
        .zip(status.iter())
    {
        let (Some(g), Some(v)) = (g, var.and_then(|name| catalog.variable_position(name))) else {
            continue;
        };
        let g = g as usize;
        // The first observation of a (territory, variable, vintage) wins.
        if !seen[v][g] {
            seen[v][g] = true;
            values[v][g] = value;
            statuses[v][g] = status.unwrap_or(Status::Missing.code());
        }
    }
    let mut columns = vec![
        long.column("territory_code")?.clone(),
        long.column("vintage")?.clone(),
    ];
    for ((v, value), status) in catalog.variables.iter().zip(values).zip(statuses) {
        columns.push(Column::new(v.id.as_str().into(), value));
        columns.push(Column::new(status_column(&v.id).into(), status));
    }
    Ok(DataFrame::new(groups, columns)?)
}

/// One `missing` row (no vintage) for each territory with observations and
/// each indicator the dataset has but the territory lacks; and, for the focus
/// territories, for each indicator the dataset has nowhere. The catalogue is
/// thus complete where users look, without a row per commune and absent
/// indicator at national scale.
fn add_missing_rows(
    values: LazyFrame,
    obs: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    focus: &[String],
) -> Result<DataFrame> {
    let values = values.collect()?;
    let territories = obs
        .column("territory_code")?
        .unique_stable()?
        .as_materialized_series()
        .clone();
    let present: HashSet<&str> = values
        .column("indicator")?
        .str()?
        .iter()
        .flatten()
        .collect();
    let (with_data, without): (Vec<&str>, Vec<&str>) = catalog
        .indicators
        .iter()
        .map(|i| i.id.as_str())
        .partition(|id| present.contains(id));
    let mut focus: Vec<&str> = focus
        .iter()
        .map(String::as_str)
        .filter(|c| geo.get(c).is_some())
        .collect();
    focus.sort();
    focus.dedup();
    // Which (territory, indicator) pairs have a row: one bit per pair, one
    // pass over the values (a cross join then anti-join of millions of
    // string pairs measured several times slower).
    let territories = territories.str()?;
    let codes: Vec<&str> = territories.iter().flatten().collect();
    let t_index: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let i_index: HashMap<&str, usize> =
        with_data.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let mut has = vec![false; codes.len() * with_data.len()];
    let (vt, vi) = (
        values.column("territory_code")?.str()?,
        values.column("indicator")?.str()?,
    );
    for (t, i) in vt.iter().zip(vi.iter()) {
        if let (Some(t), Some(i)) = (
            t.and_then(|t| t_index.get(t)),
            i.and_then(|i| i_index.get(i)),
        ) {
            has[t * with_data.len() + i] = true;
        }
    }
    let mut missing: (Vec<&str>, Vec<&str>) = (vec![], vec![]);
    for (t, code) in codes.iter().enumerate() {
        for (i, id) in with_data.iter().enumerate() {
            if !has[t * with_data.len() + i] {
                missing.0.push(code);
                missing.1.push(id);
            }
        }
    }
    for code in &focus {
        for id in &without {
            missing.0.push(code);
            missing.1.push(id);
        }
    }
    let missing = df!("territory_code" => missing.0, "indicator" => missing.1)?
        .lazy()
        .select([
            col("territory_code"),
            lit(NULL).cast(DataType::Int32).alias("vintage"),
            col("indicator"),
            lit(NULL).cast(DataType::Float64).alias("value"),
            Status::Missing.lit().alias("status"),
            lit(NULL).cast(DataType::String).alias("formula"),
            lit(NULL).cast(DataType::String).alias("detail"),
        ]);
    Ok(concat([values.clone().lazy(), missing], UnionArgs::default())?.collect()?)
}

/// Sorts rows by territory code, indicator, then vintage (absent vintages
/// last), like a sort on those three columns, but through one integer key:
/// codes and indicators are ranked once (tens of thousands of distinct
/// strings) instead of being compared at every step of a sort of millions of
/// rows (the key's indicator and vintage part is kept in a `#iv` column).
/// What `territories` and `indicators` give for the sorted distinct
/// codes and ids (names, levels, units; their first column is the code) is
/// gathered by those ranks onto the sorted rows: described without a join.
fn sort_series(
    mut df: DataFrame,
    territories: impl FnOnce(&[String]) -> Result<DataFrame>,
    indicators: impl FnOnce(&[String]) -> Result<DataFrame>,
) -> Result<DataFrame> {
    use rayon::prelude::*;
    // One chunk per column: a gather across the hundreds of chunks of the
    // concatenated indicators takes the slow path.
    df.rechunk_mut_par();
    let (codes, ids) = (
        df.column("territory_code")?.str()?,
        df.column("indicator")?.str()?,
    );
    let ranks = |values: &StringChunked| -> (Vec<String>, HashMap<String, u32>) {
        let mut distinct: Vec<String> = values
            .iter()
            .flatten()
            .collect::<HashSet<&str>>()
            .into_iter()
            .map(String::from)
            .collect();
        distinct.sort_unstable();
        let rank = distinct
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i as u32))
            .collect();
        (distinct, rank)
    };
    let ((t_sorted, t_rank), (i_sorted, i_rank)) = rayon::join(|| ranks(codes), || ranks(ids));
    let vintages = df.column("vintage")?.i32()?;
    // Rank of the code, of the indicator, vintage 1900-2154 in the low byte
    // (255 for an absent one, last). Codes and indicators are never null.
    let mut keyed: Vec<(u64, IdxSize)> = codes
        .iter()
        .zip(ids.iter())
        .zip(vintages.iter())
        .enumerate()
        .map(|(row, ((c, i), v))| {
            let t = c
                .and_then(|c| t_rank.get(c))
                .copied()
                .unwrap_or(u32::MAX >> 8);
            let i = i
                .and_then(|i| i_rank.get(i))
                .copied()
                .unwrap_or(u32::MAX >> 16);
            let v = v.map_or(255, |v| (v - 1900).clamp(0, 254) as u64);
            ((t as u64) << 24 | (i as u64) << 8 | v, row as IdxSize)
        })
        .collect();
    keyed.par_sort_unstable();
    let by = |f: fn(&(u64, IdxSize)) -> IdxSize| {
        IdxCa::from_vec("".into(), keyed.iter().map(f).collect())
    };
    let (t_by_row, i_by_row) = (
        by(|k| (k.0 >> 24) as IdxSize),
        by(|k| (k.0 >> 8 & 0xFFFF) as IdxSize),
    );
    let mut sorted = df.take(&by(|k| k.1))?;
    // The (indicator, vintage) part of the key: the evolutions' ranks and
    // reference values group on it rather than on strings.
    sorted.with_column(Column::new(
        "#iv".into(),
        keyed.iter().map(|k| k.0 & 0xFF_FFFF).collect::<Vec<u64>>(),
    ))?;
    // The (territory, indicator) part: one series, compared as an integer.
    sorted.with_column(Column::new(
        "#series".into(),
        keyed.iter().map(|k| k.0 >> 8).collect::<Vec<u64>>(),
    ))?;
    for (attributes, by_row) in [
        (territories(&t_sorted)?, t_by_row),
        (indicators(&i_sorted)?, i_by_row),
    ] {
        let gathered = attributes.take(&by_row)?;
        for c in gathered.columns().iter().skip(1) {
            sorted.with_column(c.clone())?;
        }
    }
    Ok(sorted)
}

/// Units of the indicators `ids` (sorted distinct ids of the results).
fn indicator_units(ids: &[String], catalog: &Catalog) -> Result<DataFrame> {
    let inds = ids
        .iter()
        .map(|id| {
            catalog
                .indicator(id)
                .with_context(|| format!("indicateur absent du catalogue : {id}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(df!(
        "indicator" => ids,
        "unit" => inds.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>(),
        "evol_unit" => inds.iter().map(|i| i.unit.evolution_unit()).collect::<Vec<_>>(),
        "relative_evol" => inds.iter().map(|i| i.unit.has_relative_evolution()).collect::<Vec<_>>(),
    )?)
}

/// A left join that keeps the left rows' order (the engine relies on it).
fn left_join_keeping_order() -> JoinArgs {
    JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    }
}

fn add_evolutions_ranks_gaps(lf: LazyFrame, reference: &str) -> Result<LazyFrame> {
    let ok = Status::Ok;
    // The rows come sorted by series then vintage: the previous row of the
    // same series is the previous vintage, a plain shift, no window grouping.
    let same_series = col("#series")
        .eq(col("#series").shift(lit(1)))
        .fill_null(lit(false));
    let previous = |c: &str| {
        when(same_series.clone())
            .then(col(c).shift(lit(1)))
            .otherwise(lit(NULL))
    };
    let lf = lf
        .with_columns([
            previous("vintage").alias("prev_vintage"),
            previous("value").alias("prev_value"),
            previous("status").alias("prev_status"),
        ])
        .with_columns([
            when(col("prev_vintage").is_null().or(col("vintage").is_null()))
                .then(lit(NULL).cast(DataType::UInt32))
                .otherwise(polars::lazy::dsl::max_horizontal([
                    col("status"),
                    col("prev_status"),
                ])?)
                .alias("evol_status"),
        ]);
    let evol_ok = col("evol_status").eq(ok.lit());
    let ranked_levels: Vec<u32> = Level::ALL
        .into_iter()
        .filter(|l| l.is_ranked())
        .map(Level::number)
        .collect();
    let rankable = col("status").eq(ok.lit()).and(col("#level").is_in(
        lit(Series::new("".into(), ranked_levels)).implode(false),
        false,
    ));
    let rank_value = when(rankable)
        .then(col("value"))
        .otherwise(lit(NULL).cast(DataType::Float64));
    // Partitions of the ranks: level, indicator and vintage as one integer.
    let lf = lf.with_column(
        (col("#iv") * lit(16u64) + col("#level").cast(DataType::UInt64)).alias("#part"),
    );
    let partition = [col("#part")];
    let lf = lf.with_columns([
        when(evol_ok.clone())
            .then(col("value") - col("prev_value"))
            .otherwise(lit(NULL))
            .alias("evol_abs"),
        when(
            evol_ok
                .and(col("relative_evol"))
                .and(col("prev_value").neq(lit(0.0))),
        )
        .then(lit(100.0) * (col("value") - col("prev_value")) / col("prev_value").abs())
        .otherwise(lit(NULL))
        .alias("evol_pct"),
        when(rank_value.clone().is_not_null())
            .then(
                rank_value
                    .clone()
                    .rank(
                        RankOptions {
                            method: RankMethod::Min,
                            descending: true,
                        },
                        None,
                    )
                    .over(partition.clone())?,
            )
            .otherwise(lit(NULL))
            .cast(DataType::UInt32)
            .alias("rank"),
        when(rank_value.clone().is_not_null())
            .then(rank_value.count().over(partition)?)
            .otherwise(lit(NULL))
            .cast(DataType::UInt32)
            .alias("rank_total"),
    ]);
    let reference_values = lf
        .clone()
        .filter(
            col("territory_code")
                .eq(lit(reference))
                .and(col("status").eq(ok.lit())),
        )
        .select([col("#iv"), col("value").alias("reference_value")]);
    let lf = lf
        .join(
            reference_values,
            [col("#iv")],
            [col("#iv")],
            left_join_keeping_order(),
        )
        .with_columns([
            lit(reference).alias("reference_code"),
            when(col("status").eq(ok.lit()))
                .then(col("value") - col("reference_value"))
                .otherwise(lit(NULL))
                .alias("gap_reference"),
        ]);
    Ok(lf.select(results::output_columns()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivot_scatters_values_and_statuses_per_territory_and_vintage() {
        let catalog = Catalog::load(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("indicators")
                .as_path(),
        )
        .unwrap();
        let secret = Status::Secret.code();
        let obs = df!(
            "territory_code" => ["A", "A", "B", "A", "A"],
            "variable" => ["population", "pop_etrangers", "population", "population", "population"],
            "vintage" => [2021, 2021, 2021, 2015, 2021],
            "value" => [Some(100.0), None, Some(50.0), Some(90.0), Some(999.0)],
            "status" => [0u32, secret, 0, 0, 0],
        )
        .unwrap();
        let wide = pivot_variables(&obs, &catalog)
            .unwrap()
            .lazy()
            .sort(["territory_code", "vintage"], Default::default())
            .collect()
            .unwrap();
        assert_eq!(wide.height(), 3);
        let f64s = |c: &str| {
            wide.column(c)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        };
        let u32s = |c: &str| {
            wide.column(c)
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        };
        // A 2015, A 2021 (the first of its two populations), B 2021.
        assert_eq!(f64s("population"), [Some(90.0), Some(100.0), Some(50.0)]);
        assert_eq!(f64s("pop_etrangers"), [None, None, None]);
        let missing = Status::Missing.code();
        assert_eq!(
            u32s(&status_column("pop_etrangers")),
            [missing, secret, missing]
        );
        assert_eq!(
            u32s(&status_column("pop_moins_20")),
            [missing; 3],
            "a variable nowhere in the data"
        );
    }

    #[test]
    fn series_sort_equals_the_three_column_sort() {
        let df = df!(
            "territory_code" => ["2A", "10", "2", "10", "2", "10", "QN05954M", "2"],
            "indicator" => ["b", "a", "b", "a", "a", "b", "a", "a"],
            "vintage" => [Some(2021), Some(2021), None, Some(2015), Some(2019), Some(2015), Some(2024), Some(2015)],
            "value" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        )
        .unwrap();
        let mut seen = vec![];
        let by_key = sort_series(
            df.clone(),
            |codes| {
                seen = codes.to_vec();
                Ok(df!("territory_code" => codes)?)
            },
            |ids| Ok(df!("indicator" => ids)?),
        )
        .unwrap()
        .drop("#iv")
        .unwrap();
        assert_eq!(seen, ["10", "2", "2A", "QN05954M"]);
        let by_columns = df
            .lazy()
            .sort(
                ["territory_code", "indicator", "vintage"],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .collect()
            .unwrap();
        assert!(by_key.equals_missing(&by_columns), "{by_key}\n{by_columns}");
        let values: Vec<f64> = by_key
            .column("value")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(values, [4.0, 2.0, 6.0, 8.0, 5.0, 3.0, 1.0, 7.0]);
    }
}
