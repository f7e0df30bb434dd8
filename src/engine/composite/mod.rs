//! Composite indices computed from indicator values: IDH-4 (min-max over a
//! universe of communes), IDT-BCS (relative gaps to a reference), and the
//! priority classification (standardised, polarity-aligned, weighted score,
//! quintile classes, main drivers, sensitivity to each indicator).

use std::sync::Arc;
use crate::schema;

use anyhow::Result;
use polars::prelude::*;

mod idh4;
mod idt;
mod priority;

pub use idh4::{subindex, Bounds, Scaling};
pub use priority::{classify, Classified, PriorityInfo, Sensitivity, SensitivityRow};

use crate::catalog::composites::Composites;
use crate::catalog::Catalog;
use super::detail::Wording;
use crate::geo::Geography;
use crate::status::Status;
use idh4::idh4;
use idt::idt_bcs;
use priority::{priority, priority_sensitivity};

/// (value, status) of one indicator for one territory and vintage.
pub(super) type Cell = (Option<f64>, Status);

/// The values of the indicators the composites read, in one dense table
/// indexed by territory, indicator and vintage numbers: borrowed codes, no
/// per-row allocation.
pub(super) struct Values<'a> {
    territory: PlHashMap<&'a str, usize>,
    indicator: PlHashMap<&'a str, usize>,
    /// The vintages present, ascending.
    vintages: Vec<i32>,
    /// ((territory × indicators) + indicator) × vintages + vintage.
    cells: Vec<Option<Cell>>,
}

impl<'a> Values<'a> {
    /// The values of the indicators the composites read (`inputs`): `df`
    /// holds those rows only (see `compute`).
    pub(super) fn from_frame(df: &'a DataFrame, inputs: &[&'a str]) -> Result<Values<'a>> {
        let vintages = crate::ingest::vintages_of(df)?;
        let mut values = Values {
            territory: PlHashMap::new(),
            indicator: inputs.iter().enumerate().map(|(n, i)| (*i, n)).collect(),
            vintages,
            cells: vec![],
        };
        let stride = inputs.len() * values.vintages.len();
        for (t, i, y, v, s) in super::long_rows(df, schema::INDICATOR)? {
            let (Some(t), Some(i), Some(y)) = (t, i, y) else {
                continue;
            };
            let (Some(&k), Ok(slot)) = (values.indicator.get(i), values.vintages.binary_search(&y))
            else {
                continue;
            };
            let next = values.territory.len();
            let n = *values.territory.entry(t).or_insert(next);
            if n == next {
                values.cells.resize((n + 1) * stride, None);
            }
            // A later row for the same vintage replaces the earlier one.
            values.cells[n * stride + k * values.vintages.len() + slot] =
                Some((v, Status::from_code(s.unwrap_or(Status::Missing.code()))?));
        }
        Ok(values)
    }

    /// One cell per vintage of `self.vintages`; None if the territory has
    /// no value of the indicator at all.
    pub(super) fn series(&self, territory: &str, indicator: &str) -> Option<&[Option<Cell>]> {
        let n = *self.territory.get(territory)?;
        let k = *self.indicator.get(indicator)?;
        let width = self.vintages.len();
        let start = (n * self.indicator.len() + k) * width;
        let s = &self.cells[start..start + width];
        s.iter().any(Option::is_some).then_some(s)
    }

    /// The known cells of a series, in vintage order.
    pub(super) fn known(&self, territory: &str, indicator: &str) -> impl Iterator<Item = Cell> + '_ {
        self.series(territory, indicator)
            .into_iter()
            .flat_map(|s| s.iter().flatten().copied())
    }

    /// The latest known vintage of a series and its cell.
    pub(super) fn latest(&self, territory: &str, indicator: &str) -> Option<(i32, Cell)> {
        let s = self.series(territory, indicator)?;
        let slot = s.iter().rposition(Option::is_some)?;
        Some((self.vintages[slot], s[slot]?))
    }

    pub(super) fn get(&self, territory: &str, indicator: &str, vintage: i32) -> Option<Cell> {
        let slot = self.vintages.binary_search(&vintage).ok()?;
        self.series(territory, indicator)?[slot]
    }

    /// Vintages at which a territory has any of the indicators, ascending.
    pub(super) fn vintages(&self, territory: &str, indicators: &[&str]) -> Vec<i32> {
        let series: Vec<&[Option<Cell>]> = indicators
            .iter()
            .filter_map(|i| self.series(territory, i))
            .collect();
        self.vintages
            .iter()
            .enumerate()
            .filter(|(slot, _)| series.iter().any(|s| s[*slot].is_some()))
            .map(|(_, y)| *y)
            .collect()
    }

    /// Territories with any of the indicators, by code.
    pub(super) fn territories_with(&self, indicators: &[&str]) -> Vec<&'a str> {
        let mut v: Vec<&'a str> = self
            .territory
            .keys()
            .filter(|t| indicators.iter().any(|i| self.series(t, i).is_some()))
            .copied()
            .collect();
        v.sort_unstable();
        v
    }
}

/// One output row. The indicator and the detail are shared by many rows.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row<'a> {
    territory: &'a str,
    indicator: Arc<str>,
    vintage: i32,
    value: Option<f64>,
    status: Status,
    detail: Arc<str>,
}

pub(super) fn row<'a>(
    territory: &'a str,
    indicator: &Arc<str>,
    vintage: i32,
    cell: Cell,
    detail: &Arc<str>,
) -> Row<'a> {
    let (value, status) = match cell {
        (Some(v), Status::Ok) if v.is_finite() => (Some(v), Status::Ok),
        (_, Status::Ok) => (None, Status::Missing),
        (_, st) => (None, st),
    };
    Row {
        territory,
        indicator: indicator.clone(),
        vintage,
        value,
        status,
        detail: detail.clone(),
    }
}

/// What the composite stage says beside its rows, as data, for the
/// renderers (never parsed back from the `detail` text): each output's
/// setting (universe, reference, weights), each classified territory's main
/// drivers, and the priority classification's sensitivity.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompositeInfo {
    /// Output indicator id → its setting, as said in the `detail` column.
    pub settings: std::collections::BTreeMap<String, String>,
    /// Territory → its three main drivers: (indicator, weighted
    /// contribution to the score, signed: positive raises the need).
    pub drivers: std::collections::BTreeMap<String, Vec<(String, f64)>>,
    pub sensitivity: Sensitivity,
    pub priority: Option<PriorityInfo>,
}

impl CompositeInfo {
    fn merge(&mut self, other: CompositeInfo) {
        self.settings.extend(other.settings);
        self.drivers.extend(other.drivers);
        self.sensitivity.extend(other.sensitivity);
        if other.priority.is_some() {
            self.priority = other.priority;
        }
    }
}

/// The indicators the composite indices read, sorted.
pub fn inputs(catalog: &Catalog) -> Vec<&str> {
    let Some(conf) = catalog.composites.as_ref() else {
        return vec![];
    };
    let mut inputs: Vec<&str> = vec![];
    if let Some(c) = &conf.idh4 {
        inputs.extend([
            c.sante.as_str(),
            c.education.as_str(),
            c.niveau_vie.as_str(),
        ]);
    }
    for w in conf
        .idt_bcs
        .iter()
        .flat_map(|c| &c.component)
        .chain(conf.priorite.iter().flat_map(|c| &c.indicator))
    {
        inputs.push(w.indicator.as_str());
    }
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// Every composite row, as a frame shaped like the indicator values plus a
/// `detail` column; and the sensitivity of the priority classification.
/// `values_frame` may hold rows of other indicators: only the inputs are
/// read.
pub fn compute(
    values_frame: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    reference: &str,
    territory: Option<&str>,
    words: &dyn Wording,
) -> Result<(DataFrame, CompositeInfo)> {
    let Some(conf): Option<&Composites> = catalog.composites.as_ref() else {
        return Ok((frame(&[])?, CompositeInfo::default()));
    };
    let inputs = inputs(catalog);
    // Selected by polars (in parallel) before the row-by-row indexing: a
    // quarter of the rows.
    let input_rows = values_frame
        .clone()
        .lazy()
        .filter(col(schema::INDICATOR).is_in(lit(Series::new("".into(), &inputs)).implode(false), false))
        .collect()?;
    let values = Values::from_frame(&input_rows, &inputs)?;
    // The four computations are independent: in parallel.
    let ((a, b), (c, sensitivity)) = rayon::join(
        || {
            rayon::join(
                || {
                    conf.idh4
                        .as_ref()
                        .map(|c| idh4(c, &values, geo, catalog, territory, words))
                        .unwrap_or_default()
                },
                || {
                    conf.idt_bcs
                        .as_ref()
                        .map(|c| idt_bcs(c, &values, geo, catalog, reference, words))
                        .unwrap_or_default()
                },
            )
        },
        || {
            rayon::join(
                || {
                    conf.priorite
                        .as_ref()
                        .map(|c| priority(c, &values, geo, catalog, words))
                        .unwrap_or_default()
                },
                || {
                    conf.priorite
                        .as_ref()
                        .map(|c| priority_sensitivity(c, &values, geo, catalog))
                        .unwrap_or_default()
                },
            )
        },
    );
    let mut info = CompositeInfo {
        sensitivity,
        ..Default::default()
    };
    let mut rows: Vec<Row> = vec![];
    for (r, i) in [a, b, c] {
        rows.extend(r);
        info.merge(i);
    }
    Ok((frame(&rows)?, info))
}

fn frame(rows: &[Row]) -> PolarsResult<DataFrame> {
    let mut df = df!(
        schema::TERRITORY_CODE => rows.iter().map(|r| r.territory).collect::<Vec<_>>(),
        schema::VINTAGE => rows.iter().map(|r| r.vintage).collect::<Vec<_>>(),
        schema::VALUE => rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        schema::STATUS => rows.iter().map(|r| r.status.code()).collect::<Vec<_>>(),
    )?;
    df.insert_column(
        2,
        shared_strings(schema::INDICATOR, rows.iter().map(|r| &r.indicator))?,
    )?;
    df.with_column(Column::full_null(
        schema::FORMULA.into(),
        rows.len(),
        &DataType::String,
    ))?;
    df.with_column(shared_strings(schema::DETAIL, rows.iter().map(|r| &r.detail))?)?;
    Ok(df)
}

/// A string column of texts shared by many rows: each distinct text stored
/// once and the rows gathered from it (views into one buffer rather than a
/// copy of the text per row, which for the details was 140 bytes a row).
fn shared_strings<'r>(
    name: &str,
    texts: impl Iterator<Item = &'r Arc<str>>,
) -> PolarsResult<Column> {
    let mut distinct: Vec<&str> = vec![];
    let mut number: PlHashMap<*const u8, IdxSize> = PlHashMap::new();
    let mut rows: Vec<IdxSize> = vec![];
    for text in texts {
        let n = *number.entry(Arc::as_ptr(text).cast()).or_insert_with(|| {
            distinct.push(text);
            (distinct.len() - 1) as IdxSize
        });
        rows.push(n);
    }
    let distinct = StringChunked::from_slice(name.into(), &distinct);
    Ok(distinct
        .take(&IdxCa::from_vec("".into(), rows))?
        .into_series()
        .into())
}
