//! The integration tests, as one binary: each test binary links polars, so
//! one link instead of eleven. One module per subject; `common` holds the
//! helpers several share.

mod annex;
mod cli;
mod common;
mod composites;
mod outputs;
mod profiles;
mod readme;
mod real_files;
mod report;
mod rules;
mod sources;
mod steering;
mod synth;
