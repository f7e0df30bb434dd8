//! bcs — Baromètre de la Cohésion Sociale.
//!
//! Data flows one way: `ingest` (sources → typed observations) → `engine`
//! (groups, indicators, composites, evolutions, ranks: the results table) →
//! `render` (French tables, charts, maps, report, commune sheets). `cli` is a
//! thin layer on top. See ARCHITECTURE.md.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod embedded;
pub mod engine;
pub mod files;
pub mod fr;
#[cfg(test)]
mod fuzz;
pub mod geo;
pub mod ingest;
pub mod monthly;
pub mod outdir;
pub mod render;
pub mod schema;
pub mod status;
pub mod synth;
pub mod timing;

pub use embedded::project_dir;
