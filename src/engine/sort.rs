//! The order of the results table, as one integer per row: territory rank,
//! then indicator rank, then vintage (none last). Its parts are kept on the
//! sorted rows in two hidden columns, read by the evolutions and ranks.

use anyhow::{bail, Result};

/// Hidden column: each sorted row's series ([`SeriesKey`]).
pub(super) const SERIES: &str = "#series";
/// Hidden column: each sorted row's (indicator, vintage) part of its key
/// ([`SortKey::indicator_vintage`]).
pub(super) const INDICATOR_VINTAGE: &str = "#iv";

/// The sort key of a result row: the territory's rank (bits 24 and up), the
/// indicator's (16 bits), the vintage (8 bits: [`FIRST_VINTAGE`] to
/// [`LAST_VINTAGE`], then none). A vintage or an indicator rank beyond those
/// ranges is an error, never folded onto another's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SortKey(u64);

/// The earliest and latest vintages a result row can have.
pub(super) const FIRST_VINTAGE: i32 = 1900;
pub(super) const LAST_VINTAGE: i32 = FIRST_VINTAGE + 254;
/// The vintage slot of a row without vintage (a missing row).
const NO_VINTAGE: u64 = 255;
const MAX_INDICATORS: u32 = 1 << 16;

impl SortKey {
    pub fn new(territory: u32, indicator: u32, vintage: Option<i32>) -> Result<Self> {
        let v = match vintage {
            None => NO_VINTAGE,
            Some(y) if (FIRST_VINTAGE..=LAST_VINTAGE).contains(&y) => (y - FIRST_VINTAGE) as u64,
            Some(y) => bail!("millésime {y} hors de la plage {FIRST_VINTAGE}-{LAST_VINTAGE} des résultats"),
        };
        if indicator >= MAX_INDICATORS {
            bail!("{} indicateurs : au plus 65 536 dans un catalogue", indicator + 1);
        }
        Ok(SortKey((territory as u64) << 24 | (indicator as u64) << 8 | v))
    }

    pub fn territory(self) -> u32 {
        (self.0 >> 24) as u32
    }

    pub fn indicator(self) -> u32 {
        (self.0 >> 8 & 0xFFFF) as u32
    }

    /// The (territory, indicator) part: the row's series.
    pub fn series(self) -> SeriesKey {
        SeriesKey(self.0 >> 8)
    }

    /// The (indicator, vintage) part: what the ranks and reference values
    /// group on, as an integer rather than strings.
    pub fn indicator_vintage(self) -> u64 {
        self.0 & 0xFF_FFFF
    }
}

/// A series, (territory, indicator), as held in the [`SERIES`] column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SeriesKey(pub u64);

impl SeriesKey {
    pub fn territory(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_refuse_what_they_cannot_order() {
        let key = |t, i, v| SortKey::new(t, i, v).unwrap();
        assert!(key(3, 2, Some(2021)) < key(3, 2, None));
        assert!(key(3, 2, Some(2154)) < key(3, 3, Some(1900)));
        assert!(key(3, 0xFFFF, None) < key(4, 0, Some(1900)));
        // 1899 and 2155 would have shared the slots of 1900 and 2154.
        assert!(SortKey::new(0, 0, Some(1899)).is_err());
        assert!(SortKey::new(0, 0, Some(2155)).is_err());
        assert!(SortKey::new(0, 0x1_0000, Some(2021)).is_err());
        let k = key(70_000, 513, Some(2021));
        assert_eq!((k.territory(), k.indicator()), (70_000, 513));
        assert_eq!(k.series().territory(), 70_000);
        assert_eq!(k.series(), key(70_000, 513, None).series());
        assert_ne!(k.indicator_vintage(), key(70_000, 513, Some(2022)).indicator_vintage());
        assert_eq!(k.indicator_vintage(), key(1, 513, Some(2021)).indicator_vintage());
    }
}
