//! The engine: observations → results (territory × indicator × vintage).
//! In turn: sums over composed territories (`aggregate`), the universe of
//! territories and indicators numbered (`universe`), the indicators
//! evaluated on one column per variable (`indicators`), the composite
//! indices (`composite`), the rows completed and sorted (`sort`), then
//! evolutions, ranks and gaps in passes over the sorted columns
//! (`evolutions`). Polars carries the columns; the row-by-row work runs on
//! numbers (ranks, sort keys), the texts gathered once at the end.

mod aggregate;
pub mod detail;
pub mod composite;
mod evolutions;
mod indicators;
mod results;
mod rows;
mod sort;
mod universe;
pub mod vigilance;
pub mod diff;
pub mod coherence;

// Hash maps over millions of short codes: polars' fast hasher, not SipHash.
use polars::prelude::PlHashSet as HashSet;
use crate::schema;

use anyhow::Result;
use polars::prelude::*;

pub use aggregate::{
    aggregate, aggregate_members, aggregate_with_coverage, CoverageNote, DEFAULT_MIN_COVERAGE,
};
pub use results::{select, write_parquet, ResultRow, Results};

use crate::catalog::Catalog;
use crate::geo::Geography;
use crate::status::Status;
use indicators::{composite_inputs, coverage_details, evaluate_indicators};
use rows::{long_rows, row_keys, RowKey};
use sort::{complete_and_sort, indicator_units};
use universe::Universe;

/// Options of one computation.
#[derive(Clone)]
pub struct Options {
    /// Territory every value is compared with (`gap_reference` column).
    pub reference: String,
    /// Territory the barometer is about (anchors the IDH-4 universe).
    pub territory: Option<String>,
    /// Territories that report every catalogue indicator, even one with no
    /// data anywhere in the dataset (the studied territory and its
    /// references); other territories report only indicators the dataset has.
    pub focus: Vec<String>,
    /// Share of a composed territory's population its members with data
    /// must hold for its total to be computed (0-1).
    pub min_coverage: f64,
    /// The words of the `detail` column (`render::detail::French`).
    pub wording: &'static dyn detail::Wording,
}

/// What the results depend on (the results cache's key): every option but
/// the wording, which is bcs's own.
impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("reference", &self.reference)
            .field("territory", &self.territory)
            .field("focus", &self.focus)
            .field("min_coverage", &self.min_coverage)
            .finish()
    }
}

/// Computes every catalogue indicator for every territory with data. Takes
/// the observations, to free them as soon as they are no longer needed.
pub fn compute(
    observations: DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    opts: &Options,
) -> Result<Results> {
    let t = crate::timing::stage("agrégation");
    let (all_obs, notes) =
        aggregate_with_coverage(&observations, catalog, geo, opts.min_coverage)?;
    drop(observations);
    drop(t);
    let universe = Universe::new(&all_obs, catalog, geo, &opts.focus)?;
    let t = crate::timing::stage("indicateurs");
    let territory_ranks = universe.territory_ranks();
    let noted: HashSet<IdxSize> = notes
        .iter()
        .filter_map(|n| territory_ranks.get(n.territory.as_str()).map(|&r| r as IdxSize))
        .collect();
    drop(territory_ranks);
    let (values, formulas) = evaluate_indicators(&all_obs, catalog, &universe, &noted)?;
    // The observations are in the wide frame now: freed before the values
    // are computed (a few hundred megabytes at national scale).
    drop(all_obs);
    let values = coverage_details(
        values.collect()?,
        &notes,
        &noted,
        catalog,
        &universe,
        opts,
    )?;
    drop(t);
    let t = crate::timing::stage("indices composites");
    let (composites, composite_info) = composite::compute(
        &universe.with_names(composite_inputs(&values, catalog, &universe)?)?,
        catalog,
        geo,
        &opts.reference,
        opts.territory.as_deref(),
        opts.wording,
    )?;
    let composites = universe.numbered(&composites)?;
    drop(t);
    let t = crate::timing::stage("lignes absentes, libellés");
    // The indicator values keep the missing values their coverage notes
    // explain (see coverage_details); a missing composite says which input
    // it lacks.
    let values = concat([values.lazy(), composites.lazy()], UnionArgs::default())?;
    let described = complete_and_sort(
        values.collect()?,
        &universe,
        |codes| geo.frame(codes),
        |ids| indicator_units(ids, catalog),
        &formulas,
    )?;
    drop(t);
    let t = crate::timing::stage("évolutions, rangs, écarts");
    let reference_rank = universe
        .territory_ranks()
        .get(opts.reference.as_str())
        .copied();
    let frame = evolutions::add_evolutions_ranks_gaps(described, &opts.reference, reference_rank)?;
    drop(t);
    let mut results = Results::new(frame, opts.reference.clone());
    results.composite = composite_info;
    Ok(results)
}

/// The monthly series of a monthly file's observations (vintages
/// `yyyymm`, see `ingest::monthly_observations`): totalled over territories
/// as the yearly values are (régions from their départements), then
/// grouped by variable and territory, months in order.
pub fn monthly_series(
    source: &str,
    obs: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
) -> Result<Vec<crate::monthly::MonthlySeries>> {
    use std::collections::BTreeMap;
    let all = aggregate::aggregate(obs, catalog, geo)?;
    let mut by_variable: BTreeMap<String, BTreeMap<String, Vec<crate::monthly::MonthPoint>>> =
        BTreeMap::new();
    for (t, v, y, x, st) in long_rows(&all, schema::VARIABLE)? {
        let (Some(t), Some(v), Some(y)) = (t, v, y) else {
            continue;
        };
        let status = Status::from_code(st.unwrap_or(Status::Missing.code()))?;
        by_variable
            .entry(v.to_string())
            .or_default()
            .entry(t.to_string())
            .or_default()
            .push((y, x, status));
    }
    Ok(by_variable
        .into_iter()
        .map(|(variable, mut points)| {
            for p in points.values_mut() {
                p.sort_by_key(|q| q.0);
            }
            crate::monthly::MonthlySeries {
                source: source.to_string(),
                variable,
                points,
            }
        })
        .collect())
}

/// Columns of a frame as vectors, for the unit tests.
#[cfg(test)]
mod test_columns {
    use polars::prelude::*;

    pub fn f64s(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
        df.column(c).unwrap().f64().unwrap().iter().collect()
    }

    pub fn u32s(df: &DataFrame, c: &str) -> Vec<Option<u32>> {
        df.column(c).unwrap().u32().unwrap().iter().collect()
    }

    /// Texts, "-" for null.
    pub fn texts(df: &DataFrame, c: &str) -> Vec<String> {
        let s = df.column(c).unwrap().cast(&DataType::String).unwrap();
        s.str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or("-").to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::status_column;
    use indicators::pivot_variables;

    #[test]
    fn pivot_scatters_values_and_statuses_per_territory_and_vintage() {
        let catalog = Catalog::load(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("indicators")
                .as_path(),
        )
        .unwrap();
        let secret = Status::Secret.code();
        // A variable outside the catalogue is skipped without shifting the
        // values of the rows after it.
        let obs = df!(
            schema::TERRITORY_CODE => ["A", "B", "A", "B", "A", "A"],
            schema::VARIABLE => ["population", "hors_catalogue", "pop_etrangers", "population", "population", "population"],
            schema::VINTAGE => [2021, 2021, 2021, 2021, 2015, 2021],
            schema::VALUE => [Some(100.0), Some(7.0), None, Some(50.0), Some(90.0), Some(999.0)],
            schema::STATUS => [0u32, 0, secret, 0, 0, 0],
        )
        .unwrap();
        let universe = Universe {
            codes: vec!["A".into(), "B".into()],
            observed: vec![true, true],
            focus: vec![false, false],
            levels: vec![0, 0],
            indicators: vec![],
        };
        let wide = pivot_variables(&obs, &catalog, &universe).unwrap();
        assert_eq!(wide.height(), 3);
        let ranks: Vec<_> = wide
            .column("#t")
            .unwrap()
            .idx()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(ranks, [0, 0, 1]);
        let f64s = |c: &str| test_columns::f64s(&wide, c);
        let u32s =
            |c: &str| -> Vec<u32> { test_columns::u32s(&wide, c).into_iter().flatten().collect() };
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
            schema::TERRITORY_CODE => ["2A", "10", "2", "10", "2", "10", "QN05954M", "2"],
            schema::VINTAGE => [Some(2021), Some(2021), None, Some(2015), Some(2019), Some(2015), Some(2024), Some(2015)],
            schema::INDICATOR => ["b", "a", "b", "a", "a", "b", "a", "a"],
            schema::VALUE => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            schema::STATUS => [0u32; 8],
            schema::FORMULA => [Some("x"), None, Some("y"), Some("x"), None, None, Some("y"), None],
            schema::DETAIL => [None::<&str>; 8],
        )
        .unwrap();
        let codes = ["10", "2", "2A", "QN05954M"];
        let universe = |observed: [bool; 4], focus: [bool; 4]| Universe {
            codes: codes.map(String::from).to_vec(),
            observed: observed.to_vec(),
            focus: focus.to_vec(),
            levels: vec![0; 4],
            indicators: vec!["a".into(), "b".into(), "c".into()],
        };
        // The engine's numbered rows: territory and indicator ranks, formula
        // numbers.
        let formulas = ["x", "y"];
        let numbered = |u: &Universe| {
            let mut n = u.numbered(&df).unwrap();
            let f: IdxCa = df
                .column(schema::FORMULA)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|f| {
                    f.and_then(|f| formulas.iter().position(|x| *x == f))
                        .map(|p| p as IdxSize)
                })
                .collect();
            n.with_column(f.with_name("#f".into()).into_series().into_column())
                .unwrap();
            n
        };
        let mut seen = vec![];
        let sorted_universe = universe([false; 4], [false; 4]);
        let by_key = complete_and_sort(
            numbered(&sorted_universe),
            &sorted_universe,
            |codes| {
                seen = codes.to_vec();
                Ok(df!(schema::TERRITORY_CODE => codes)?)
            },
            |ids| Ok(df!(schema::INDICATOR => ids)?),
            &formulas,
        )
        .unwrap()
        .drop_many(["#iv", "#series"]);
        assert_eq!(seen, codes);
        let by_columns = df
            .clone()
            .lazy()
            .sort(
                [schema::TERRITORY_CODE, schema::INDICATOR, schema::VINTAGE],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .collect()
            .unwrap();
        let by_key = by_key.select(by_columns.get_column_names_owned()).unwrap();
        assert!(by_key.equals_missing(&by_columns), "{by_key}\n{by_columns}");
        let values: Vec<f64> = by_key
            .column(schema::VALUE)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(values, [4.0, 2.0, 6.0, 8.0, 5.0, 3.0, 1.0, 7.0]);

        // 2A is observed: it owes a row for "a" (data elsewhere at its
        // level), none for "c" (no data anywhere); QN05954M is a focus
        // territory: it owes one for every indicator. Missing rows have no
        // vintage and sort last in their series.
        let rows_of = |completing: Universe| -> Vec<String> {
            let completed = complete_and_sort(
                numbered(&completing),
                &completing,
                |codes| Ok(df!(schema::TERRITORY_CODE => codes)?),
                |ids| Ok(df!(schema::INDICATOR => ids)?),
                &formulas,
            )
            .unwrap();
            let column = |c: &str| test_columns::texts(&completed, c);
            column(schema::TERRITORY_CODE)
                .iter()
                .zip(column(schema::INDICATOR))
                .zip(column(schema::VINTAGE))
                .zip(column(schema::STATUS))
                .map(|(((t, i), v), s)| format!("{t} {i} {v} {s}"))
                .collect()
        };
        let missing = Status::Missing.code();
        let rows = rows_of(universe([false, false, true, false], [false, false, false, true]));
        assert_eq!(
            rows[6..],
            [
                format!("2A a - {missing}"),
                "2A b 2021 0".into(),
                "QN05954M a 2024 0".into(),
                format!("QN05954M b - {missing}"),
                format!("QN05954M c - {missing}"),
            ]
        );
        // 2A alone at its level: "a", which only territories of another
        // level have, owes it no row.
        let mut alone = universe([false, false, true, false], [false, false, false, true]);
        alone.levels = vec![0, 0, 1, 0];
        let rows = rows_of(alone);
        assert_eq!(rows[6..8], ["2A b 2021 0".to_string(), "QN05954M a 2024 0".into()]);
    }
}
