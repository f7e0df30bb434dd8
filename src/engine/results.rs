//! The tidy results table and typed access to its rows.

use anyhow::Result;
use crate::schema;
use polars::prelude::*;

use crate::geo::Level;
use crate::status::Status;


/// One row of the results table, typed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResultRow {
    pub territory_code: String,
    pub territory_name: String,
    pub level: Level,
    pub indicator: String,
    pub vintage: Option<i32>,
    pub value: Option<f64>,
    pub unit: String,
    pub status: Status,
    /// The catalogue formula the value comes from.
    pub formula: Option<String>,
    pub prev_vintage: Option<i32>,
    pub evol_abs: Option<f64>,
    pub evol_unit: String,
    pub evol_pct: Option<f64>,
    pub evol_status: Option<Status>,
    pub rank: Option<u32>,
    pub rank_total: Option<u32>,
    pub reference_code: Option<String>,
    pub gap_reference: Option<f64>,
    /// Universe, reference or drivers of a composite index.
    pub detail: Option<String>,
}

pub struct Results {
    pub frame: DataFrame,
    pub reference: String,
    /// What the composite stage says beside its rows: settings, drivers,
    /// the priority classification's sensitivity.
    pub composite: super::composite::CompositeInfo,
    /// Published figures the recomputation contradicts (« à vérifier »).
    pub checks: Vec<super::coherence::Check>,
}

/// Selections of result rows, typed: render and CLI compose these (with
/// `and`, `or`) instead of naming the results' columns themselves.
pub mod select {
    use polars::prelude::*;

    use crate::geo::Level;
    use crate::schema;
    use crate::status::Status;

    fn among<S: AsRef<str>>(column: &str, values: &[S]) -> Expr {
        let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
        col(column).is_in(lit(Series::new("".into(), values)).implode(false), false)
    }

    /// The rows of these territories.
    pub fn territories<S: AsRef<str>>(codes: &[S]) -> Expr {
        among(schema::TERRITORY_CODE, codes)
    }

    /// The rows of one territory.
    pub fn territory(code: &str) -> Expr {
        col(schema::TERRITORY_CODE).eq(lit(code))
    }

    /// The rows of these indicators.
    pub fn indicators<S: AsRef<str>>(ids: &[S]) -> Expr {
        among(schema::INDICATOR, ids)
    }

    /// The rows of one indicator.
    pub fn indicator(id: &str) -> Expr {
        col(schema::INDICATOR).eq(lit(id))
    }

    /// The rows of one vintage.
    pub fn vintage(year: i32) -> Expr {
        col(schema::VINTAGE).eq(lit(year))
    }

    /// The rows with a vintage (not the `missing` placeholders).
    pub fn dated() -> Expr {
        col(schema::VINTAGE).is_not_null()
    }

    /// The rows of territories of one level.
    pub fn level(level: Level) -> Expr {
        col(schema::LEVEL).eq(lit(level.as_str()))
    }

    /// The rows of one status.
    pub fn status(st: Status) -> Expr {
        col(schema::STATUS).eq(lit(st.as_str()))
    }

    /// The rows of any other status.
    pub fn status_not(st: Status) -> Expr {
        col(schema::STATUS).neq(lit(st.as_str()))
    }

    /// The rows with a rank.
    pub fn ranked() -> Expr {
        col(schema::RANK).is_not_null()
    }
}

impl Results {
    pub fn new(frame: DataFrame, reference: String) -> Results {
        Results {
            frame,
            reference,
            composite: Default::default(),
            checks: vec![],
        }
    }

    /// Rows matching a filter expression, typed.
    pub fn rows(&self, filter: Expr) -> Result<Vec<ResultRow>> {
        let df = self.frame.clone().lazy().filter(filter).collect()?;
        to_rows(&df)
    }

    /// The rows matching `filter` as a frame of every column, ordered by
    /// `order` (nulls last; rows that tie keep the table's order).
    pub fn frame_of(&self, filter: Expr, order: Vec<Expr>) -> Result<DataFrame> {
        let mut lf = self.frame.clone().lazy().filter(filter);
        if !order.is_empty() {
            let n = order.len();
            lf = lf.sort_by_exprs(
                order,
                SortMultipleOptions::default()
                    .with_order_descending_multi(vec![false; n])
                    .with_nulls_last(true)
                    .with_maintain_order(true),
            );
        }
        Ok(lf.collect()?)
    }

    /// [`Results::frame_of`] as typed rows.
    pub fn rows_ordered(&self, filter: Expr, order: Vec<Expr>) -> Result<Vec<ResultRow>> {
        to_rows(&self.frame_of(filter, order)?)
    }

    /// The row of one territory, indicator and vintage.
    pub fn get(&self, territory: &str, indicator: &str, vintage: i32) -> Result<Option<ResultRow>> {
        let rows = self.rows(
            select::territory(territory)
                .and(select::indicator(indicator))
                .and(select::vintage(vintage)),
        )?;
        Ok(rows.into_iter().next())
    }
}

pub(crate) fn to_rows(df: &DataFrame) -> Result<Vec<ResultRow>> {
    let s = |n: &str| -> Result<StringChunked> { Ok(df.column(n)?.str()?.clone()) };
    let (code, name, level, ind, unit, st, est) = (
        s(schema::TERRITORY_CODE)?,
        s(schema::TERRITORY_NAME)?,
        s(schema::LEVEL)?,
        s(schema::INDICATOR)?,
        s(schema::UNIT)?,
        s(schema::STATUS)?,
        s(schema::EVOL_STATUS)?,
    );
    let i32c = |n: &str| -> Result<Int32Chunked> { Ok(df.column(n)?.i32()?.clone()) };
    let f64c = |n: &str| -> Result<Float64Chunked> { Ok(df.column(n)?.f64()?.clone()) };
    let u32c = |n: &str| -> Result<UInt32Chunked> { Ok(df.column(n)?.u32()?.clone()) };
    let (vintage, prev) = (i32c(schema::VINTAGE)?, i32c(schema::PREV_VINTAGE)?);
    let (value, evol_abs, evol_pct, gap) = (
        f64c(schema::VALUE)?,
        f64c(schema::EVOL_ABS)?,
        f64c(schema::EVOL_PCT)?,
        f64c(schema::GAP_REFERENCE)?,
    );
    let (rank, rank_total) = (u32c(schema::RANK)?, u32c(schema::RANK_TOTAL)?);
    let (detail, formula, evol_unit, reference) =
        (s(schema::DETAIL)?, s(schema::FORMULA)?, s(schema::EVOL_UNIT)?, s(schema::REFERENCE_CODE)?);
    let text = |c: &StringChunked, i: usize| c.get(i).unwrap_or("").to_string();
    // A status bcs does not write is an error, never read as another one.
    let status = |c: &StringChunked, i: usize| -> Result<Option<Status>> {
        c.get(i)
            .map(|s| Status::parse(s).ok_or_else(|| anyhow::anyhow!("ligne {} : statut « {s} » inconnu (ok, secret, missing ou not_aggregable attendu)", i + 1)))
            .transpose()
    };
    (0..df.height())
        .map(|i| -> Result<ResultRow> { Ok(ResultRow {
            territory_code: text(&code, i),
            territory_name: text(&name, i),
            level: {
                let l = level.get(i).unwrap_or("");
                // A level bcs does not write is an error, never another level.
                Level::parse(l).ok_or_else(|| anyhow::anyhow!("ligne {} : niveau « {l} » inconnu", i + 1))?
            },
            indicator: text(&ind, i),
            vintage: vintage.get(i),
            value: value.get(i),
            unit: text(&unit, i),
            status: status(&st, i)?.ok_or_else(|| anyhow::anyhow!("ligne {} : statut absent", i + 1))?,
            formula: formula.get(i).map(String::from),
            prev_vintage: prev.get(i),
            evol_abs: evol_abs.get(i),
            evol_unit: text(&evol_unit, i),
            evol_pct: evol_pct.get(i),
            evol_status: status(&est, i)?,
            rank: rank.get(i),
            rank_total: rank_total.get(i),
            reference_code: reference.get(i).map(String::from),
            gap_reference: gap.get(i),
            detail: detail.get(i).map(String::from),
        }) })
        .collect()
}

/// Writes a results table as Parquet, sorted by territory in row groups of
/// 64 Ki rows (a query for a few territories decodes a few groups), Snappy
/// compressed (encoding cost matters more than size for this table).
pub fn write_parquet(path: &std::path::Path, frame: &DataFrame) -> anyhow::Result<()> {
    let mut f = crate::files::OutFile::create(path)?;
    // polars describes its strings as Utf8View in the `ARROW:schema` key,
    // a type pyarrow < 16 refuses ("Unrecognized type: 24"). The key is
    // written here for the oldest Arrow level (LargeUtf8), which every
    // reader understands and polars reads back as String.
    let arrow_schema = frame.schema().to_arrow(CompatLevel::oldest());
    let key = polars_parquet::write::schema_to_metadata_key(&arrow_schema);
    let encoded = key.value.ok_or_else(|| anyhow::anyhow!("schéma Arrow vide"))?;
    ParquetWriter::new(&mut f)
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(key.key, encoded)])))
        .with_row_group_size(Some(65_536))
        .with_compression(ParquetCompression::Snappy)
        .finish(&mut frame.clone())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_in_json_has_every_column_of_the_table_in_its_order() {
        let row = ResultRow {
            territory_code: "59172".into(),
            territory_name: "Denain".into(),
            level: Level::Commune,
            indicator: "revenu_median_uc".into(),
            vintage: Some(2021),
            value: Some(14890.0),
            unit: "€".into(),
            status: Status::Ok,
            formula: Some("revenu_median".into()),
            prev_vintage: Some(2019),
            evol_abs: Some(570.0),
            evol_unit: "€".into(),
            evol_pct: Some(4.0),
            evol_status: Some(Status::Ok),
            rank: None,
            rank_total: None,
            reference_code: Some("loc_france_metro".into()),
            gap_reference: None,
            detail: None,
        };
        let json = serde_json::to_value(&row).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut columns = schema::RESULTS.to_vec();
        // serde_json's map sorts its keys unless preserve_order is on.
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        columns.sort_unstable();
        assert_eq!(sorted_keys, columns);
        let text = serde_json::to_string(&row).unwrap();
        let positions: Vec<usize> = schema::RESULTS.iter().map(|c| text.find(&format!("\"{c}\"")).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
