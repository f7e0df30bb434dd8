//! Rendering: French tables (terminal, Markdown, CSV), the tidy results
//! table, lecture sentences, atomic writing of a whole output folder.

pub mod barometer;
pub mod charts;
pub mod detail;
pub mod fiche;
pub mod figures;
pub mod geojson;
pub mod lecture;
pub mod priority;
pub mod output;
pub mod report;
pub mod table;
pub mod diff;
pub mod vigilance;
pub mod xlsx;

pub use crate::fr;
pub use table::Table;
