//! The order of the results table, as one integer per row: territory rank,
//! then indicator rank, then vintage (none last). Its parts are kept on the
//! sorted rows in two hidden columns, read by the evolutions and ranks.

use anyhow::{bail, Context, Result};
use polars::prelude::*;

use super::universe::Universe;
use crate::catalog::Catalog;
use crate::geo::Level;
use crate::schema;
use crate::status::Status;

/// Hidden column: each sorted row's series ([`SeriesKey`]).
pub(super) const SERIES: &str = "#series";
/// Hidden column: each sorted row's (indicator, vintage) part of its key
/// ([`SortKey::indicator_vintage`]).
pub(super) const INDICATOR_VINTAGE: &str = "#iv";

/// The sort key of a result row: the territory's rank (bits 24 and up), the
/// indicator's (16 bits), the vintage (8 bits: [`FIRST_VINTAGE`] to
/// [`LAST_VINTAGE`], then none). A vintage or an indicator rank beyond those
/// ranges is an error, never folded onto another's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SortKey(u64);

/// The earliest and latest vintages a result row can have.
pub(super) const FIRST_VINTAGE: i32 = 1900;
pub(super) const LAST_VINTAGE: i32 = FIRST_VINTAGE + 254;
/// The vintage slot of a row without vintage (a missing row).
const NO_VINTAGE: u64 = 255;
const MAX_INDICATORS: u32 = 1 << 16;

impl SortKey {
    pub fn new(territory: u32, indicator: u32, vintage: Option<i32>) -> Result<Self> {
        let v = match vintage {
            None => NO_VINTAGE,
            Some(y) if (FIRST_VINTAGE..=LAST_VINTAGE).contains(&y) => (y - FIRST_VINTAGE) as u64,
            Some(y) => bail!("millésime {y} hors de la plage {FIRST_VINTAGE}-{LAST_VINTAGE} des résultats"),
        };
        if indicator >= MAX_INDICATORS {
            bail!("{} indicateurs : au plus 65 536 dans un catalogue", indicator + 1);
        }
        Ok(SortKey((territory as u64) << 24 | (indicator as u64) << 8 | v))
    }

    pub fn territory(self) -> u32 {
        (self.0 >> 24) as u32
    }

    pub fn indicator(self) -> u32 {
        (self.0 >> 8 & 0xFFFF) as u32
    }

    /// The (territory, indicator) part: the row's series.
    pub fn series(self) -> SeriesKey {
        SeriesKey(self.0 >> 8)
    }

    /// The (indicator, vintage) part: what the ranks and reference values
    /// group on, as an integer rather than strings.
    pub fn indicator_vintage(self) -> u64 {
        self.0 & 0xFF_FFFF
    }
}

/// A series, (territory, indicator), as held in the [`SERIES`] column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SeriesKey(pub u64);

impl SeriesKey {
    pub fn territory(self) -> u32 {
        (self.0 >> 16) as u32
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
pub(super) fn complete_and_sort(
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
        INDICATOR_VINTAGE.into(),
        keyed.iter().map(|k| k.0.indicator_vintage()).collect::<Vec<u64>>(),
    ))?;
    sorted.with_column(Column::new(
        SERIES.into(),
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

/// Units of the indicators `ids` (sorted distinct ids of the results).
pub(super) fn indicator_units(ids: &[String], catalog: &Catalog) -> Result<DataFrame> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_refuse_what_they_cannot_order() {
        let key = |t, i, v| SortKey::new(t, i, v).unwrap();
        assert!(key(3, 2, Some(2021)) < key(3, 2, None));
        assert!(key(3, 2, Some(2154)) < key(3, 3, Some(1900)));
        assert!(key(3, 0xFFFF, None) < key(4, 0, Some(1900)));
        // 1899 and 2155 would have shared the slots of 1900 and 2154.
        assert!(SortKey::new(0, 0, Some(1899)).is_err());
        assert!(SortKey::new(0, 0, Some(2155)).is_err());
        assert!(SortKey::new(0, 0x1_0000, Some(2021)).is_err());
        let k = key(70_000, 513, Some(2021));
        assert_eq!((k.territory(), k.indicator()), (70_000, 513));
        assert_eq!(k.series().territory(), 70_000);
        assert_eq!(k.series(), key(70_000, 513, None).series());
        assert_ne!(k.indicator_vintage(), key(70_000, 513, Some(2022)).indicator_vintage());
        assert_eq!(k.indicator_vintage(), key(1, 513, Some(2021)).indicator_vintage());
    }
}
