//! Rows of the long frames (observations, indicator values) read in order
//! and as numbers (territory, variable, vintage slot), in parallel slices.

use anyhow::Result;
use polars::prelude::*;

use crate::catalog::Catalog;
use crate::schema;


/// One row of a long frame: territory code, name (variable or indicator),
/// vintage, value, status.
pub(super) type LongRow<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<i32>,
    Option<f64>,
    Option<u32>,
);

/// The rows of a long frame (`territory_code`, the `name` column, `vintage`,
/// `value`, `status`), in order, through sequential iterators: indexing a
/// column of many chunks row by row searches the chunk each time.
pub(super) fn long_rows<'a>(df: &'a DataFrame, name: &str) -> Result<impl Iterator<Item = LongRow<'a>>> {
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
pub(super) fn par_rows<T: Send>(
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
pub(super) struct RowKey {
    pub territory: u32,
    pub variable: u32,
    pub vintage: u32,
}

impl RowKey {
    /// A row without a catalogue variable, or outside the territories
    /// numbered.
    pub const SKIP: RowKey = RowKey {
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
pub(super) fn row_keys(
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
