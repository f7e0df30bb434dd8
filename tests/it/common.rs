//! Helpers shared by the integration tests.

use bcs::geo::{Level, Territory};
use bcs::status::Status;
use polars::prelude::*;

/// One observation: (territory, variable, vintage, value, status).
pub type Obs<'a> = (&'a str, &'a str, i32, Option<f64>, Status);

/// The long observations frame the engine reads, as ingest produces it.
pub fn observations(rows: &[Obs]) -> DataFrame {
    df!(
        "territory_code" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "variable" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "vintage" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "status" => rows.iter().map(|r| r.4.code()).collect::<Vec<_>>(),
        "source" => rows.iter().map(|_| "test").collect::<Vec<_>>(),
    )
    .expect("observations frame")
}

/// Every result row of one territory and indicator, whatever the vintage
/// (a `missing` row has none).
pub fn series(
    r: &bcs::engine::Results,
    territory: &str,
    indicator: &str,
) -> Vec<bcs::engine::ResultRow> {
    r.rows(
        col("territory_code")
            .eq(lit(territory))
            .and(col("indicator").eq(lit(indicator))),
    )
    .expect("rows of a series")
}

/// A territory of a test geography, named « Territoire <code> ».
pub fn territory(code: &str, level: Level, parents: &[&str], members: &[&str]) -> Territory {
    let codes = |c: &[&str]| c.iter().map(|p| p.to_string()).collect();
    Territory {
        parents: codes(parents),
        members: codes(members),
        ..Territory::new(code, &format!("Territoire {code}"), level)
    }
}

/// The engine's options of a fixture: compared with `reference`, the IDH-4
/// anchored on `territory`, the default minimum coverage, bcs's wording.
pub fn options(reference: &str, territory: Option<&str>) -> bcs::engine::Options {
    bcs::engine::Options {
        reference: reference.into(),
        territory: territory.map(String::from),
        focus: vec![],
        min_coverage: bcs::engine::DEFAULT_MIN_COVERAGE,
        wording: &bcs::render::detail::French,
    }
}
