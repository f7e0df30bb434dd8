//! What the `detail` column of the results says, as data: the engine finds
//! it (a partial total, the universe of a composite index, what an index
//! lacks, a territory's priority drivers) and a [`Wording`] says it in the
//! users' language — the renderer's French, `render::detail::French`,
//! passed in through `engine::Options`. No sentence is written here.

pub use super::aggregate::CoverageNote;
use crate::geo::Level;
use crate::status::Status;

/// The normalisation universe of the IDH-4, as found from the studied
/// territory.
#[derive(Debug, Clone, PartialEq)]
pub enum Universe {
    /// The communes of metropolitan France.
    France,
    /// The communes of this région (its name).
    Region(String),
    /// The communes of this département (its name).
    Departement(String),
    /// The studied territory has no région: no universe.
    RegionNotFound,
    /// The studied territory has no département: no universe.
    DepartementNotFound,
}

/// Why one input of a composite index gives no value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Why {
    /// Its value has this status (secret, not aggregable…).
    Status(Status),
    /// It cannot be normalised on the universe (fewer than two distinct
    /// values, or a non-positive value under a log scale).
    NotNormalisable,
    /// No value for the territory at this vintage.
    NoData(i32),
    /// The reference territory has no usable value at this vintage.
    ReferenceUnavailable(i32),
}

/// One input a composite value lacks: `label` is the input indicator's
/// label (its id when the catalogue has none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lack<'a> {
    /// An IDH-4 dimension (`dimension`: its name in the catalogue).
    Idh4 { dimension: &'a str, label: &'a str, why: Why },
    /// A component of the IDT.
    Idt { label: &'a str, why: Why },
}

/// How the priority classification was set.
#[derive(Debug, Clone, PartialEq)]
pub struct PrioritySetting<'a> {
    /// Territories classified (those of the level with every indicator).
    pub classified: usize,
    pub level: Option<Level>,
    /// Indicator ids and their weights.
    pub weights: Vec<(&'a str, f64)>,
    /// Earliest and latest vintages of the inputs taken.
    pub first_vintage: i32,
    pub last_vintage: i32,
}

/// The words of the `detail` column (and of the composite settings the
/// renderers show): one method per kind of finding.
pub trait Wording: Sync {
    /// A composed territory's total computed without some members, or not
    /// computed for lack of them.
    fn coverage(&self, note: &CoverageNote, min_coverage: f64) -> String;
    /// The IDH-4's universe and how many of its communes have data.
    fn idh4_setting(&self, universe: &Universe, communes_with_data: usize) -> String;
    /// The IDT's reference territory (its name).
    fn idt_setting(&self, reference: &str) -> String;
    /// One input lacking.
    fn lack(&self, lack: &Lack) -> String;
    /// A composite value not computed: what it lacks, then its setting.
    fn not_computed(&self, lacking: &[String], setting: &str) -> String;
    fn priority_setting(&self, setting: &PrioritySetting) -> String;
    /// A classified territory: its main drivers (indicator label, signed
    /// weighted contribution: positive raises the need), then the setting.
    fn priority_drivers(&self, drivers: &[(&str, f64)], setting: &str) -> String;
    /// A territory left out of the classification for lack of the
    /// indicator `label`.
    fn unclassified(&self, label: &str, setting: &str) -> String;
}
