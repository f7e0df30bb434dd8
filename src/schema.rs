//! The column names of the frames that cross stages, in one place:
//! - the observations ingest hands to the engine (`TERRITORY_CODE`,
//!   `VARIABLE`, `VINTAGE`, `VALUE`, `STATUS`, `SOURCE`: one row per territory,
//!   variable and vintage, status as `Status::code`);
//! - the results table the engine hands to render and to users, in the
//!   order of [`RESULTS`] (documented in README.md), which the indicator
//!   dictionary (indicators.csv) joins on `INDICATOR`;
//! - the one hidden column that crosses a boundary, [`LEVEL_NUMBER`] (geo
//!   to engine). Columns starting with `#` never reach an output.
//!
//! Everything else reads rows through types (`engine::ResultRow`,
//! `engine::select`), not through these names.

pub const TERRITORY_CODE: &str = "territory_code";
pub const TERRITORY_NAME: &str = "territory_name";
pub const LEVEL: &str = "level";
pub const VARIABLE: &str = "variable";
pub const INDICATOR: &str = "indicator";
pub const VINTAGE: &str = "vintage";
pub const VALUE: &str = "value";
pub const UNIT: &str = "unit";
pub const STATUS: &str = "status";
pub const FORMULA: &str = "formula";
pub const PREV_VINTAGE: &str = "prev_vintage";
pub const EVOL_ABS: &str = "evol_abs";
pub const EVOL_UNIT: &str = "evol_unit";
pub const EVOL_PCT: &str = "evol_pct";
pub const EVOL_STATUS: &str = "evol_status";
pub const RANK: &str = "rank";
pub const RANK_TOTAL: &str = "rank_total";
pub const REFERENCE_CODE: &str = "reference_code";
pub const GAP_REFERENCE: &str = "gap_reference";
pub const DETAIL: &str = "detail";
/// Observations only: the id of the source a value was read from
/// (`aggregated` for the sums bcs made).
pub const SOURCE: &str = "source";

/// A territory's level as its number (`Level::number`), beside the
/// territories' frame of geo: what the engine sorts and ranks by.
pub const LEVEL_NUMBER: &str = "#level";

/// Column order of the results table. What is constant per indicator
/// (label, theme, source) is in the indicator dictionary written beside
/// it, not repeated on every row.
pub const RESULTS: [&str; 19] = [
    TERRITORY_CODE,
    TERRITORY_NAME,
    LEVEL,
    INDICATOR,
    VINTAGE,
    VALUE,
    UNIT,
    STATUS,
    FORMULA,
    PREV_VINTAGE,
    EVOL_ABS,
    EVOL_UNIT,
    EVOL_PCT,
    EVOL_STATUS,
    RANK,
    RANK_TOTAL,
    REFERENCE_CODE,
    GAP_REFERENCE,
    DETAIL,
];
