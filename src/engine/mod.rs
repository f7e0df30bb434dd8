//! The engine: observations → results (territory × indicator × vintage),
//! with group aggregation, evolutions, ranks and gaps to a reference.
//!
//! Everything runs on polars lazy frames; the catalogue is data (formulas are
//! polars SQL expressions over canonical variables).

mod aggregate;
pub mod composite;
mod results;

use std::collections::HashSet;

use anyhow::Result;
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
    let with_missing = add_missing_rows(values, &all_obs, catalog, geo, &opts.focus)?;
    // Sorted by series then vintage while the rows are narrow; the joins
    // below keep this order.
    let (sorted, territories) = sort_series(with_missing)?;
    let described = describe(sorted, &territories, catalog, geo)?;
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
    let present: HashSet<String> = obs
        .column("variable")?
        .str()?
        .iter()
        .flatten()
        .map(String::from)
        .collect();
    let mut aggs = vec![];
    for v in catalog.variables.iter().filter(|v| present.contains(&v.id)) {
        let is_v = col("variable").eq(lit(v.id.as_str()));
        aggs.push(
            col("value")
                .filter(is_v.clone())
                .first()
                .alias(v.id.as_str()),
        );
        aggs.push(
            col("status")
                .filter(is_v)
                .first()
                .alias(status_column(&v.id)),
        );
    }
    let mut wide = obs
        .clone()
        .lazy()
        .group_by([col("territory_code"), col("vintage")])
        .agg(aggs);
    // Variables absent from the data: null, status missing.
    let mut fill = vec![];
    for v in &catalog.variables {
        if present.contains(&v.id) {
            fill.push(col(status_column(&v.id)).fill_null(Status::Missing.lit()));
        } else {
            fill.push(lit(NULL).cast(DataType::Float64).alias(v.id.as_str()));
            fill.push(Status::Missing.lit().alias(status_column(&v.id)));
        }
    }
    wide = wide.with_columns(fill);
    let wide = wide.collect()?.lazy();

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
) -> Result<LazyFrame> {
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
    let grid = |codes: Series, ids: Vec<&str>| -> Result<LazyFrame> {
        Ok(DataFrame::new_infer_height(vec![codes.into()])?
            .lazy()
            .cross_join(df!("indicator" => ids)?.lazy(), None))
    };
    let all = concat(
        [
            grid(territories, with_data)?,
            grid(Series::new("territory_code".into(), focus), without)?,
        ],
        UnionArgs::default(),
    )?;
    let missing = all
        .join(
            values
                .clone()
                .lazy()
                .select([col("territory_code"), col("indicator")])
                .unique(None, UniqueKeepStrategy::First),
            [col("territory_code"), col("indicator")],
            [col("territory_code"), col("indicator")],
            JoinArgs::new(JoinType::Anti),
        )
        .select([
            col("territory_code"),
            lit(NULL).cast(DataType::Int32).alias("vintage"),
            col("indicator"),
            lit(NULL).cast(DataType::Float64).alias("value"),
            Status::Missing.lit().alias("status"),
            lit(NULL).cast(DataType::String).alias("formula"),
            lit(NULL).cast(DataType::String).alias("detail"),
        ]);
    Ok(concat([values.lazy(), missing], UnionArgs::default())?)
}

/// Sorts rows by territory code, indicator, then vintage (absent vintages
/// last), like a sort on those three columns, but through one integer key:
/// codes and indicators are ranked once (tens of thousands of distinct
/// strings) instead of being compared at every step of a sort of millions of
/// rows. Also returns the distinct territory codes, sorted.
fn sort_series(lf: LazyFrame) -> Result<(LazyFrame, Vec<String>)> {
    let df = lf.collect()?;
    let distinct = |name: &str| -> Result<Vec<String>> {
        let mut v: Vec<String> = df
            .column(name)?
            .unique()?
            .str()?
            .iter()
            .flatten()
            .map(String::from)
            .collect();
        v.sort_unstable();
        Ok(v)
    };
    let ranks = |name: &str, values: &[String], rank: &str| -> Result<LazyFrame> {
        Ok(DataFrame::new_infer_height(vec![
            Column::new(name.into(), values),
            Column::new(rank.into(), (0..values.len() as u32).collect::<Vec<u32>>()),
        ])?
        .lazy())
    };
    let codes = distinct("territory_code")?;
    let (territories, indicators) = (
        ranks("territory_code", &codes, "#t")?,
        ranks("indicator", &distinct("indicator")?, "#i")?,
    );
    let u64_lit = |v: u64| lit(v).cast(DataType::UInt64);
    // Vintages 1900-2154 in the low byte, 255 for an absent one (last).
    let vintage = when(col("vintage").is_null()).then(u64_lit(255)).otherwise(
        (col("vintage") - lit(1900))
            .clip(lit(0), lit(254))
            .cast(DataType::UInt64),
    );
    let key = col("#t").cast(DataType::UInt64) * u64_lit(1 << 24)
        + col("#i").cast(DataType::UInt64) * u64_lit(1 << 8)
        + vintage;
    let sorted = df
        .lazy()
        .join(
            territories,
            [col("territory_code")],
            [col("territory_code")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            indicators,
            [col("indicator")],
            [col("indicator")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(key.alias("#key"))
        .sort(["#key"], Default::default())
        .drop(cols(["#t", "#i", "#key"]));
    Ok((sorted, codes))
}

/// Joins territory names and levels (of `codes`, the values' territories)
/// and indicator units.
fn describe(
    values: LazyFrame,
    codes: &[String],
    catalog: &Catalog,
    geo: &Geography,
) -> Result<LazyFrame> {
    // Sorted rows materialised here: the single later plan (sort, joins,
    // shifts, windows) measured slower than two.
    let values = values.collect()?.lazy();
    let territories = geo.frame(codes)?;
    let inds = &catalog.indicators;
    let indicators = df!(
        "indicator" => inds.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        "unit" => inds.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>(),
        "evol_unit" => inds.iter().map(|i| i.unit.evolution_unit()).collect::<Vec<_>>(),
        "relative_evol" => inds.iter().map(|i| i.unit.has_relative_evolution()).collect::<Vec<_>>(),
    )?;
    Ok(values
        .join(
            territories.lazy(),
            [col("territory_code")],
            [col("territory_code")],
            left_join_keeping_order(),
        )
        .join(
            indicators.lazy(),
            [col("indicator")],
            [col("indicator")],
            left_join_keeping_order(),
        ))
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
    let same_series = col("territory_code")
        .eq(col("territory_code").shift(lit(1)))
        .and(col("indicator").eq(col("indicator").shift(lit(1))))
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
    let ranked_levels: Vec<&str> = Level::ALL
        .into_iter()
        .filter(|l| l.is_ranked())
        .map(|l| l.as_str())
        .collect();
    let rankable = col("status").eq(ok.lit()).and(col("level").is_in(
        lit(Series::new("".into(), ranked_levels)).implode(false),
        false,
    ));
    let rank_value = when(rankable)
        .then(col("value"))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let partition = [col("level"), col("indicator"), col("vintage")];
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
        .select([
            col("indicator"),
            col("vintage"),
            col("value").alias("reference_value"),
        ]);
    let lf = lf
        .join(
            reference_values,
            [col("indicator"), col("vintage")],
            [col("indicator"), col("vintage")],
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
    fn series_sort_equals_the_three_column_sort() {
        let df = df!(
            "territory_code" => ["2A", "10", "2", "10", "2", "10", "QN05954M", "2"],
            "indicator" => ["b", "a", "b", "a", "a", "b", "a", "a"],
            "vintage" => [Some(2021), Some(2021), None, Some(2015), Some(2019), Some(2015), Some(2024), Some(2015)],
            "value" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        )
        .unwrap();
        let (by_key, codes) = sort_series(df.clone().lazy()).unwrap();
        let by_key = by_key.collect().unwrap();
        assert_eq!(codes, ["10", "2", "2A", "QN05954M"]);
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
