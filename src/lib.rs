//! bcs — Baromètre de la Cohésion Sociale.
//!
//! Data flows one way: `ingest` (sources → typed observations) → `engine`
//! (groups, indicators, composites, evolutions, ranks: the results table) →
//! `render` (French tables, charts, maps, report, commune sheets). `cli` is a
//! thin layer on top. See ARCHITECTURE.md.

pub mod catalog;
pub mod cli;
pub mod engine;
pub mod files;
pub mod fr;
pub mod geo;
pub mod ingest;
pub mod monthly;
pub mod render;
pub mod status;
pub mod timing;

/// Directory of the embedded project files (catalogue, datasets), resolved at
/// build time so that `bcs` works from any working directory of the clone.
pub fn project_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
