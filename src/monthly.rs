//! A count month by month: read by ingest from a monthly file
//! (`monthly_series = true`), totalled by the engine as the yearly values
//! are, drawn by render. The engine's results hold years; this type carries
//! what the year's month leaves out.

use std::collections::BTreeMap;

use crate::status::Status;

/// A count month by month, by territory (the régions of a file by
/// département totalled from their départements).
#[derive(Debug, Clone)]
pub struct MonthlySeries {
    pub source: String,
    pub variable: String,
    /// Territory → its months, in order.
    pub points: BTreeMap<String, Vec<MonthPoint>>,
}

/// One month of a series: (yyyymm, value, status).
pub type MonthPoint = (i32, Option<f64>, Status);
