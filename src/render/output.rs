//! The results table as users open it: Parquet always, CSV when one Excel
//! sheet holds it, and the indicator dictionary beside it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;

use crate::catalog::Catalog;
use crate::outdir::OutputDir;
use crate::schema;

/// Rows of one Excel sheet, its header included.
pub const EXCEL_ROWS: usize = 1_048_576;

/// Whether a results table of `rows` rows gets a `results.csv`: when Excel
/// can open all of it (header and rows in one sheet), or when asked. Parquet
/// is always written; a CSV that Excel would cut without a word is not.
pub fn results_csv_wanted(rows: usize, asked: bool) -> bool {
    asked || rows < EXCEL_ROWS
}

/// Writes the tidy results table as Parquet and, when `csv` says so, as CSV
/// (comma, decimal point: for R, pandas and tools), and beside it the
/// indicator dictionary (`indicators.csv`: what is constant per indicator,
/// joined on `indicator`). Returns the Parquet file's path. Both tables are
/// written in parallel; the Parquet one is copied from `parquet_of_frame`
/// when given (a file holding exactly `frame`, e.g. the results cache).
pub fn write_results(
    out: &OutputDir,
    frame: &DataFrame,
    parquet_of_frame: Option<&Path>,
    catalog: &Catalog,
    csv: bool,
) -> Result<PathBuf> {
    write_csv(
        &out.file("indicators.csv")?,
        &mut indicator_dictionary(catalog)?,
    )?;
    let parquet = out.file("results.parquet")?;
    let csv = if csv { Some(out.file("results.csv")?) } else { None };
    let (a, b) = rayon::join(
        || {
            let Some(csv) = &csv else {
                return Ok(());
            };
            let _t = crate::timing::stage("  csv");
            write_csv(csv, &mut frame.clone())
        },
        || {
            // The cached copy, unless another bcs replaced the cache since
            // it was read (its entries are removed when a run with other
            // settings stores its own): then encoded again from the frame.
            if let Some(from) = parquet_of_frame {
                if crate::files::copy(from, &parquet).is_ok() {
                    return Ok(());
                }
            }
            let _t = crate::timing::stage("  parquet");
            crate::engine::write_parquet(&parquet, frame)
        },
    );
    a?;
    b?;
    Ok(parquet)
}

fn write_csv(path: &Path, frame: &mut DataFrame) -> Result<()> {
    let file = crate::files::OutFile::create(path)?;
    CsvWriter::new(&mut std::io::BufWriter::new(file))
        .include_header(true)
        .finish(frame)?;
    Ok(())
}

/// One row per catalogue indicator: label, theme, units, source, definition.
pub fn indicator_dictionary(catalog: &Catalog) -> Result<DataFrame> {
    let inds = &catalog.indicators;
    let theme_label = |id: &str| {
        catalog
            .theme(id)
            .map_or(id.to_string(), |t| t.label.clone())
    };
    Ok(df!(
        schema::INDICATOR => inds.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        "indicator_label" => inds.iter().map(|i| i.label.as_str()).collect::<Vec<_>>(),
        "theme" => inds.iter().map(|i| i.theme.as_str()).collect::<Vec<_>>(),
        "theme_label" => inds.iter().map(|i| theme_label(&i.theme)).collect::<Vec<_>>(),
        schema::UNIT => inds.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>(),
        schema::EVOL_UNIT => inds.iter().map(|i| i.unit.evolution_unit()).collect::<Vec<_>>(),
        "decimals" => inds.iter().map(|i| i.decimals as u32).collect::<Vec<_>>(),
        "source" => inds.iter().map(|i| i.source.as_str()).collect::<Vec<_>>(),
        "definition" => inds.iter().map(|i| i.definition.as_str()).collect::<Vec<_>>(),
    )?)
}
