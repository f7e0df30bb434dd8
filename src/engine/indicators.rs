//! The indicators: observations pivoted to one column per variable, every
//! formula evaluated with its status, the coverage notes of partial totals
//! in the `detail` column, the inputs of the composite indices.

use anyhow::Result;
use polars::prelude::*;
use polars::prelude::{PlHashMap as HashMap, PlHashSet as HashSet};

use crate::catalog::Catalog;
use crate::schema;
use crate::status::{evaluate, status_column, Status};

use super::composite;
use super::rows::{row_keys, RowKey};
use super::universe::Universe;
use super::{CoverageNote, Options};

/// Turns long observations into one row per (territory, vintage) with a value
/// and a status column per variable, then evaluates every indicator. Rows
/// carry numbers, not strings: the territory's rank in the universe (`#t`),
/// the indicator's (`#i`) and the number of the formula used (`#f`), an
/// index into the returned texts; the strings are gathered once, on the
/// sorted results (see [`complete_and_sort`]).
pub(super) fn evaluate_indicators<'c>(
    obs: &DataFrame,
    catalog: &'c Catalog,
    universe: &Universe,
    noted: &HashSet<IdxSize>,
) -> Result<(LazyFrame, Vec<&'c str>)> {
    let t = crate::timing::stage("  pivot");
    let wide = pivot_variables(obs, catalog, universe)?.lazy();
    drop(t);

    let indicator_ranks = universe.indicator_ranks();
    let mut formulas: Vec<&str> = vec![];
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
        let mut formula = lit(NULL).cast(IDX_DTYPE);
        let first = formulas.len();
        formulas.extend(ind.formulas.iter().map(String::as_str));
        for (i, (v, s)) in alternatives.iter().enumerate().rev() {
            value = when(ok(s)).then(v.clone()).otherwise(value);
            formula = when(ok(s))
                .then(lit((first + i) as IdxSize).cast(IDX_DTYPE))
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
        let Some(&number) = indicator_ranks.get(ind.id.as_str()) else {
            anyhow::bail!("indicateur absent de l'univers : {}", ind.id);
        };
        per_indicator.push(wide.clone().select([
            col("#t"),
            col(schema::VINTAGE),
            lit(number as IdxSize).cast(IDX_DTYPE).alias("#i"),
            value.alias(schema::VALUE),
            status.cast(DataType::UInt32).alias(schema::STATUS),
            formula.alias("#f"),
        ]));
    }
    // Missing values are left out, but those of territories with coverage
    // notes: their notes may say why.
    let keep = if noted.is_empty() {
        col(schema::STATUS).neq(Status::Missing.lit())
    } else {
        let noted: Vec<IdxSize> = noted.iter().copied().collect();
        col(schema::STATUS).neq(Status::Missing.lit()).or(col("#t").is_in(
            lit(Series::new("".into(), noted)).implode(false),
            false,
        ))
    };
    let values = concat(per_indicator, UnionArgs::default())?.filter(keep);
    Ok((values, formulas))
}

/// The `detail` column of the indicator values: for a composed territory
/// whose total of an operand lacks members, the coverage note (partial
/// total, or why it is missing); missing values without a note left out.
pub(super) fn coverage_details(
    mut values: DataFrame,
    notes: &[CoverageNote],
    noted: &HashSet<IdxSize>,
    catalog: &Catalog,
    universe: &Universe,
    opts: &Options,
) -> Result<DataFrame> {
    if notes.is_empty() {
        values.with_column(Column::full_null(schema::DETAIL.into(), values.height(), &DataType::String))?;
        return Ok(values);
    }
    let by_cell: HashMap<(&str, i32, &str), String> = notes
        .iter()
        .map(|n| {
            (
                (n.territory.as_str(), n.vintage, n.variable.as_str()),
                opts.wording.coverage(n, opts.min_coverage),
            )
        })
        .collect();
    // Operands by formula number (the numbering of evaluate_indicators) and
    // by indicator rank (every formula's, when none was usable).
    let with_formulas = || catalog.indicators.iter().filter(|i| !i.formulas.is_empty());
    let by_formula: Vec<&Vec<String>> = with_formulas().flat_map(|i| i.operands.iter()).collect();
    let by_indicator: Vec<Vec<&String>> = universe
        .indicators
        .iter()
        .map(|id| {
            catalog
                .indicator(id)
                .map(|i| i.operands.iter().flatten().collect())
                .unwrap_or_default()
        })
        .collect();
    let rows = values
        .column("#t")?
        .idx()?
        .iter()
        .zip(values.column("#i")?.idx()?.iter())
        .zip(values.column(schema::VINTAGE)?.i32()?.iter())
        .zip(values.column("#f")?.idx()?.iter());
    let mut details: Vec<Option<String>> = Vec::with_capacity(values.height());
    for (((t, i), y), f) in rows {
        let (Some(t), Some(i), Some(y)) = (t, i, y) else {
            details.push(None);
            continue;
        };
        if !noted.contains(&t) {
            details.push(None);
            continue;
        }
        let code = universe.codes[t as usize].as_str();
        let operands: Vec<&String> = match f {
            Some(f) => by_formula[f as usize].iter().collect(),
            None => by_indicator[i as usize].clone(),
        };
        let mut sentences: Vec<&str> = vec![];
        for v in operands {
            if let Some(n) = by_cell.get(&(code, y, v.as_str())) {
                if !sentences.contains(&n.as_str()) {
                    sentences.push(n);
                }
            }
        }
        details.push((!sentences.is_empty()).then(|| sentences.join(" ; ")));
    }
    values.with_column(Column::new(schema::DETAIL.into(), details))?;
    Ok(values
        .lazy()
        .filter(col(schema::STATUS).neq(Status::Missing.lit()).or(col(schema::DETAIL).is_not_null()))
        .collect()?)
}

/// The rows of the indicators the composite indices read (a quarter of the
/// values), selected by number before their strings are gathered.
pub(super) fn composite_inputs(
    values: &DataFrame,
    catalog: &Catalog,
    universe: &Universe,
) -> Result<DataFrame> {
    let ranks = universe.indicator_ranks();
    let inputs: Vec<IdxSize> = composite::inputs(catalog)
        .into_iter()
        .filter_map(|id| ranks.get(id).map(|&n| n as IdxSize))
        .collect();
    Ok(values
        .clone()
        .lazy()
        .filter(col("#i").is_in(lit(Series::new("".into(), inputs)).implode(false), false))
        .collect()?)
}

/// One row per (territory, vintage) observed, in the order of the territory
/// ranks then vintages: `#t` (the territory's rank in the universe),
/// `vintage`, then a value and a status column per catalogue variable (null
/// and `missing` where the variable is absent). Each observation is numbered
/// by its (territory, vintage) cell and scattered into the columns: no
/// grouping of strings.
pub(super) fn pivot_variables(obs: &DataFrame, catalog: &Catalog, universe: &Universe) -> Result<DataFrame> {
    let ranks = universe.territory_ranks();
    let (vintages, keys) = row_keys(obs, catalog, |code| match ranks.get(code) {
        Some(&t) => Ok(Some(t)),
        None => anyhow::bail!("observation hors de l'univers des territoires : {code:?}"),
    })?;
    let ny = vintages.len();
    // Each row's cell: territory rank × vintages + vintage slot.
    let cell = |k: &RowKey| k.territory as usize * ny + k.vintage as usize;
    let mut present = vec![false; universe.codes.len() * ny];
    for k in keys.iter().filter(|k| **k != RowKey::SKIP) {
        present[cell(k)] = true;
    }
    // Rows of the wide frame: the present cells, in order.
    let mut row_of = vec![u32::MAX; present.len()];
    let (mut territory, mut vintage) = (vec![], vec![]);
    for (cell, _) in present.iter().enumerate().filter(|(_, p)| **p) {
        row_of[cell] = territory.len() as u32;
        territory.push((cell / ny) as IdxSize);
        vintage.push(vintages[cell % ny]);
    }
    let rows = territory.len();
    let n = catalog.variables.len();
    let mut values: Vec<Vec<Option<f64>>> = vec![vec![None; rows]; n];
    let mut statuses: Vec<Vec<u32>> = vec![vec![Status::Missing.code(); rows]; n];
    let mut seen = vec![vec![false; rows]; n];
    let (value, status) = (obs.column(schema::VALUE)?.f64()?, obs.column(schema::STATUS)?.u32()?);
    for (k, (value, status)) in keys.iter().zip(value.iter().zip(status.iter())) {
        if *k == RowKey::SKIP {
            continue;
        }
        let (g, v) = (row_of[cell(k)] as usize, k.variable as usize);
        // The first observation of a (territory, variable, vintage) wins.
        if !seen[v][g] {
            seen[v][g] = true;
            values[v][g] = value;
            statuses[v][g] = status.unwrap_or(Status::Missing.code());
        }
    }
    let mut columns = vec![
        Column::new("#t".into(), territory),
        Column::new(schema::VINTAGE.into(), vintage),
    ];
    for ((v, value), status) in catalog.variables.iter().zip(values).zip(statuses) {
        columns.push(Column::new(v.id.as_str().into(), value));
        columns.push(Column::new(status_column(&v.id).into(), status));
    }
    Ok(DataFrame::new(rows, columns)?)
}
