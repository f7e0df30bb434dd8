//! The engine: observations → results (territory × indicator × vintage),
//! with group aggregation, evolutions, ranks and gaps to a reference.
//!
//! Everything runs on polars lazy frames; the catalogue is data (formulas are
//! polars SQL expressions over canonical variables).

mod aggregate;
pub mod detail;
pub mod composite;
mod evolutions;
mod results;
mod sort;
pub mod vigilance;
pub mod diff;
pub mod coherence;

// Hash maps over millions of short codes: polars' fast hasher, not SipHash.
use polars::prelude::{PlHashMap as HashMap, PlHashSet as HashSet};
use crate::schema;

use anyhow::{Context, Result};
use polars::prelude::*;

pub use aggregate::{
    aggregate, aggregate_members, aggregate_with_coverage, CoverageNote, DEFAULT_MIN_COVERAGE,
};
pub use results::{select, write_parquet, ResultRow, Results};

use crate::catalog::Catalog;
use crate::geo::{Geography, Level};
use crate::status::{evaluate, status_column, Status};
use sort::SortKey;

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

/// One row of a long frame: territory code, name (variable or indicator),
/// vintage, value, status.
type LongRow<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<i32>,
    Option<f64>,
    Option<u32>,
);

/// The rows of a long frame (`territory_code`, the `name` column, `vintage`,
/// `value`, `status`), in order, through sequential iterators: indexing a
/// column of many chunks row by row searches the chunk each time.
fn long_rows<'a>(df: &'a DataFrame, name: &str) -> Result<impl Iterator<Item = LongRow<'a>>> {
    let rows = df
        .column(schema::TERRITORY_CODE)?
        .str()?
        .iter()
        .zip(df.column(name)?.str()?.iter())
        .zip(df.column(schema::VINTAGE)?.i32()?.iter())
        .zip(df.column(schema::VALUE)?.f64()?.iter())
        .zip(df.column(schema::STATUS)?.u32()?.iter());
    Ok(rows.map(|((((t, n), y), v), s)| (t, n, y, v, s)))
}

/// `f` applied to consecutive slices of the frame's rows in parallel (a few
/// per core), its outputs concatenated in row order: for the row-by-row
/// look-ups (hashing territory codes) of the aggregation and the pivot.
fn par_rows<T: Send>(
    df: &DataFrame,
    f: impl Fn(&DataFrame) -> Result<Vec<T>> + Sync,
) -> Result<Vec<T>> {
    use rayon::prelude::*;
    let n = df.height();
    let size = n.div_ceil(rayon::current_num_threads().max(1) * 4).max(1);
    let parts: Vec<Result<Vec<T>>> = (0..n.div_ceil(size))
        .into_par_iter()
        .map(|k| f(&df.slice((k * size) as i64, size)))
        .collect();
    let mut out = Vec::with_capacity(n);
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// A row of a long frame as numbers: its territory's number, its variable's
/// catalogue position and its vintage's slot (see [`row_keys`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct RowKey {
    territory: u32,
    variable: u32,
    vintage: u32,
}

impl RowKey {
    /// A row without a catalogue variable, or outside the territories
    /// numbered.
    const SKIP: RowKey = RowKey {
        territory: u32::MAX,
        variable: u32::MAX,
        vintage: u32::MAX,
    };
}

/// The distinct vintages of a long frame (`territory_code`, `variable`,
/// `vintage`…), ascending with an absent one first, and each row's key: the
/// number `territory` gives its code (None: the row is skipped), its
/// variable's catalogue position, its vintage's slot in that list. Looked up
/// over slices of the rows in parallel; the rows come in runs of one
/// variable and one vintage: one look-up of each per run.
fn row_keys(
    obs: &DataFrame,
    catalog: &Catalog,
    territory: impl Fn(&str) -> Result<Option<u32>> + Sync,
) -> Result<(Vec<Option<i32>>, Vec<RowKey>)> {
    let mut vintages: Vec<Option<i32>> = obs.column(schema::VINTAGE)?.i32()?.unique()?.iter().collect();
    vintages.sort_unstable();
    let keys = par_rows(obs, |part| {
        let mut variable_run: (&str, Option<u32>) = ("", None);
        let mut vintage_run: Option<(Option<i32>, u32)> = None;
        let mut keys = Vec::with_capacity(part.height());
        for (code, name, vintage, _, _) in long_rows(part, schema::VARIABLE)? {
            let Some(name) = name else {
                keys.push(RowKey::SKIP);
                continue;
            };
            if name != variable_run.0 {
                variable_run = (name, catalog.variable_position(name).map(|v| v as u32));
            }
            let Some(variable) = variable_run.1 else {
                keys.push(RowKey::SKIP);
                continue;
            };
            let Some(territory) = code.map(&territory).transpose()?.flatten() else {
                keys.push(RowKey::SKIP);
                continue;
            };
            let vintage = match vintage_run {
                Some((y, slot)) if y == vintage => slot,
                _ => {
                    let slot = vintages.binary_search(&vintage).unwrap_or(0) as u32;
                    vintage_run = Some((vintage, slot));
                    slot
                }
            };
            keys.push(RowKey {
                territory,
                variable,
                vintage,
            });
        }
        Ok(keys)
    })?;
    Ok((vintages, keys))
}

/// Turns long observations into one row per (territory, vintage) with a value
/// and a status column per variable, then evaluates every indicator. Rows
/// carry numbers, not strings: the territory's rank in the universe (`#t`),
/// the indicator's (`#i`) and the number of the formula used (`#f`), an
/// index into the returned texts; the strings are gathered once, on the
/// sorted results (see [`complete_and_sort`]).
fn evaluate_indicators<'c>(
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
fn coverage_details(
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
fn composite_inputs(
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
fn pivot_variables(obs: &DataFrame, catalog: &Catalog, universe: &Universe) -> Result<DataFrame> {
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

/// Each value's position in a list.
fn ranks(values: &[String]) -> HashMap<&str, u32> {
    values
        .iter()
        .enumerate()
        .map(|(n, v)| (v.as_str(), n as u32))
        .collect()
}

/// The territories and indicators results are reported for: sorted,
/// distinct, with which (territory, indicator) pairs owe a row. Every
/// observed territory owes a row (`missing` if need be) for each indicator
/// the dataset has: a commune or a quartier for those some territory of its
/// level has (a commune does not owe one for an indicator only quartiers
/// have), a group, an EPCI and coarser for those any territory has; the
/// focus territories for every indicator, even one the dataset has nowhere. The catalogue is thus complete where users look, without a row
/// per commune and absent indicator at national scale.
struct Universe {
    codes: Vec<String>,
    /// The territory has observations: it reports every indicator that has
    /// data somewhere.
    observed: Vec<bool>,
    /// A focus territory: it also reports the indicators with no data.
    focus: Vec<bool>,
    /// The rank of each territory's level in [`Level::ALL`].
    levels: Vec<u8>,
    indicators: Vec<String>,
}

impl Universe {
    fn territory_ranks(&self) -> HashMap<&str, u32> {
        ranks(&self.codes)
    }

    fn indicator_ranks(&self) -> HashMap<&str, u32> {
        ranks(&self.indicators)
    }

    /// A numbered frame (`#t`, `#i`) with the territory codes and indicator
    /// ids instead (`territory_code`, `indicator`), for the composite stage.
    fn with_names(&self, numbered: DataFrame) -> Result<DataFrame> {
        let names = |values: &[String], numbers: &IdxCa| -> Result<Column> {
            let names =
                StringChunked::from_iter_values("".into(), values.iter().map(String::as_str));
            Ok(names.take(numbers)?.into_series().into_column())
        };
        let codes = names(&self.codes, numbered.column("#t")?.idx()?)?;
        let ids = names(&self.indicators, numbered.column("#i")?.idx()?)?;
        let mut df = numbered.drop_many(["#t", "#i", "#f"]);
        df.with_column(codes.with_name(schema::TERRITORY_CODE.into()))?;
        df.with_column(ids.with_name(schema::INDICATOR.into()))?;
        Ok(df)
    }

    /// The composite rows numbered like the indicator values: `#t`, `#i`,
    /// and no formula.
    fn numbered(&self, named: &DataFrame) -> Result<DataFrame> {
        let number = |column: &str, ranks: HashMap<&str, u32>| -> Result<Column> {
            let numbers = named
                .column(column)?
                .str()?
                .iter()
                .map(|name| match name.and_then(|n| ranks.get(n)) {
                    Some(&n) => Ok(n as IdxSize),
                    None => anyhow::bail!(
                        "ligne d'indice composite hors de l'univers des territoires et indicateurs : {name:?}"
                    ),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(IdxCa::from_vec("".into(), numbers)
                .into_series()
                .into_column())
        };
        let t = number(schema::TERRITORY_CODE, self.territory_ranks())?.with_name("#t".into());
        let i = number(schema::INDICATOR, self.indicator_ranks())?.with_name("#i".into());
        Ok(DataFrame::new(
            named.height(),
            vec![
                t,
                named.column(schema::VINTAGE)?.clone(),
                i,
                named.column(schema::VALUE)?.clone(),
                named.column(schema::STATUS)?.clone(),
                Column::full_null("#f".into(), named.height(), &IDX_DTYPE),
                named.column(schema::DETAIL)?.clone(),
            ],
        )?)
    }

    fn new(obs: &DataFrame, catalog: &Catalog, geo: &Geography, focus: &[String]) -> Result<Self> {
        let observed: HashSet<&str> = obs
            .column(schema::TERRITORY_CODE)?
            .str()?
            .iter()
            .flatten()
            .collect();
        let focus: HashSet<&str> = focus
            .iter()
            .map(String::as_str)
            .filter(|c| geo.get(c).is_some())
            .collect();
        let mut codes: Vec<&str> = observed.iter().chain(&focus).copied().collect();
        codes.sort_unstable();
        codes.dedup();
        let mut indicators: Vec<String> = catalog.indicators.iter().map(|i| i.id.clone()).collect();
        indicators.sort_unstable();
        indicators.dedup();
        Ok(Universe {
            observed: codes.iter().map(|c| observed.contains(c)).collect(),
            focus: codes.iter().map(|c| focus.contains(c)).collect(),
            levels: codes
                .iter()
                .map(|c| {
                    geo.get(c)
                        .and_then(|t| Level::ALL.iter().position(|l| *l == t.level))
                        .unwrap_or(0) as u8
                })
                .collect(),
            codes: codes.into_iter().map(String::from).collect(),
            indicators,
        })
    }
}

/// Adds a `missing` row for every pair of the universe that owes one and
/// has none (an observed territory and an indicator with data somewhere; a
/// focus territory and an indicator with none), then sorts the rows by
/// territory code, indicator, then vintage (absent vintages last), like a
/// sort on those three columns, but through one integer key made of the
/// rows' ranks in the universe (`#t`, `#i`, see [`evaluate_indicators`])
/// instead of strings compared at every step of a sort of millions of rows.
/// The key's parts are kept as `#iv` (indicator, vintage) and `#series`
/// (territory, indicator). What `territories` and `indicators` give for the
/// universe's codes and ids (the code itself as `territory_code` and
/// `indicator`, then names, levels, units), and the `formulas` texts by
/// number (`#f`), are gathered onto the sorted rows: described without a
/// join, the strings gathered from small tables rather than carried through.
fn complete_and_sort(
    values: DataFrame,
    universe: &Universe,
    territories: impl FnOnce(&[String]) -> Result<DataFrame>,
    indicators: impl FnOnce(&[String]) -> Result<DataFrame>,
    formulas: &[&str],
) -> Result<DataFrame> {
    use rayon::prelude::*;
    let ni = universe.indicators.len();
    let (codes, ids, vintages) = (
        values.column("#t")?.idx()?,
        values.column("#i")?.idx()?,
        values.column(schema::VINTAGE)?.i32()?,
    );
    // Which pairs have a row, and each row's sort key.
    let mut has = vec![false; universe.codes.len() * ni];
    let mut keyed: Vec<(SortKey, IdxSize)> = Vec::with_capacity(values.height());
    for (row, ((t, i), v)) in codes
        .iter()
        .zip(ids.iter())
        .zip(vintages.iter())
        .enumerate()
    {
        let (Some(t), Some(i)) = (t, i) else {
            anyhow::bail!("ligne de résultat sans territoire ou indicateur (ligne {row})");
        };
        has[t as usize * ni + i as usize] = true;
        keyed.push((SortKey::new(t, i, v)?, row as IdxSize));
    }
    // Which indicators have data at each level; a territory of a level
    // that totals its members' values (a group, an EPCI…) counts every
    // indicator with data anywhere.
    let nl = Level::ALL.len();
    let mut with_data = vec![false; nl * ni];
    for (t, &l) in universe.levels.iter().enumerate() {
        for i in 0..ni {
            with_data[l as usize * ni + i] |= has[t * ni + i];
        }
    }
    for (l, level) in Level::ALL.iter().enumerate() {
        if *level >= Level::Group {
            for i in 0..ni {
                with_data[l * ni + i] = (0..nl).any(|k| with_data[k * ni + i]);
            }
        }
    }
    // A missing row is a key and a row of nulls: its code and indicator,
    // like every row's, come from the universe by rank below.
    let mut n_missing = 0;
    for t in 0..universe.codes.len() {
        for i in 0..ni {
            let owed = universe.focus[t]
                || (universe.observed[t] && with_data[universe.levels[t] as usize * ni + i]);
            if owed && !has[t * ni + i] {
                keyed.push((
                    SortKey::new(t as u32, i as u32, None)?,
                    (values.height() + n_missing) as IdxSize,
                ));
                n_missing += 1;
            }
        }
    }
    let mut missing = df!(
        schema::VINTAGE => vec![None::<i32>; n_missing],
        schema::VALUE => vec![None::<f64>; n_missing],
        schema::STATUS => vec![Status::Missing.code(); n_missing],
    )?;
    missing.with_column(Column::full_null("#f".into(), n_missing, &IDX_DTYPE))?;
    missing.with_column(Column::full_null(
        schema::DETAIL.into(),
        n_missing,
        &DataType::String,
    ))?;
    let mut df = values
        .select(missing.get_column_names().into_iter().cloned())?
        .vstack(&missing)?;
    // Two copies of the table at most at any time: the chunks of `values`
    // are freed as `df` is rechunked, `df` as soon as it is gathered.
    drop(values);
    // One chunk per column: a gather across the hundreds of chunks of the
    // concatenated indicators takes the slow path.
    df.rechunk_mut_par();
    keyed.par_sort_unstable();
    let by = |f: fn(&(SortKey, IdxSize)) -> IdxSize| {
        IdxCa::from_vec("".into(), keyed.iter().map(f).collect())
    };
    let (t_by_row, i_by_row) = (
        by(|k| k.0.territory() as IdxSize),
        by(|k| k.0.indicator() as IdxSize),
    );
    let mut sorted = df.take(&by(|k| k.1))?;
    drop(df);
    // The formula texts, by number: views of one small column.
    let texts = StringChunked::from_slice(schema::FORMULA.into(), formulas);
    let formula = texts.take(sorted.column("#f")?.idx()?)?;
    sorted.with_column(formula.into_series().into_column())?;
    let mut sorted = sorted.drop("#f")?;
    // The (indicator, vintage) part of the key: the evolutions' ranks and
    // reference values group on it rather than on strings; the (territory,
    // indicator) part: one series, compared as an integer.
    sorted.with_column(Column::new(
        sort::INDICATOR_VINTAGE.into(),
        keyed.iter().map(|k| k.0.indicator_vintage()).collect::<Vec<u64>>(),
    ))?;
    sorted.with_column(Column::new(
        sort::SERIES.into(),
        keyed.iter().map(|k| k.0.series().0).collect::<Vec<u64>>(),
    ))?;
    for (attributes, by_row) in [
        (territories(&universe.codes)?, t_by_row),
        (indicators(&universe.indicators)?, i_by_row),
    ] {
        for c in attributes.take(&by_row)?.columns() {
            sorted.with_column(c.clone())?;
        }
    }
    Ok(sorted)
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
        schema::INDICATOR => ids,
        schema::UNIT => inds.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>(),
        schema::EVOL_UNIT => inds.iter().map(|i| i.unit.evolution_unit()).collect::<Vec<_>>(),
        "relative_evol" => inds.iter().map(|i| i.unit.has_relative_evolution()).collect::<Vec<_>>(),
    )?)
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
