//! Rendering: French tables (terminal, Markdown, CSV), the tidy results
//! table, lecture sentences, atomic writing of a whole output folder.

pub mod barometer;
pub mod fr;
pub mod lecture;
pub mod output;
pub mod table;

pub use table::Table;
