//! Two editions of a barometer compared: values revised for the same
//! vintage, vintages added or dropped, rank moves, priority class changes,
//! indicators and territories added or removed. Typed; render words it.

use std::collections::{BTreeMap, BTreeSet};
use crate::schema;
use std::path::Path;

use anyhow::{bail, Context, Result};
use polars::prelude::*;

use super::results::ResultRow;
use crate::status::Status;

/// One edition's rows, keyed by (territory, indicator, vintage).
pub struct Edition {
    /// Where it was read from (said in outputs).
    pub origin: String,
    rows: Vec<ResultRow>,
}

type Key = (String, String, i32);

impl Edition {
    /// Reads the results table of an output folder (`results.parquet`,
    /// else `results.csv`) or a results file (`.parquet` or `.csv`).
    pub fn read(path: &Path) -> Result<Edition> {
        let file = if path.is_dir() {
            let parquet = path.join("results.parquet");
            if parquet.is_file() {
                parquet
            } else if path.join("results.csv").is_file() {
                path.join("results.csv")
            } else {
                bail!("{} : ni results.parquet ni results.csv dans ce dossier (la sortie d'un `bcs run` est attendue)", path.display());
            }
        } else {
            path.to_path_buf()
        };
        crate::files::ensure_regular(&file)?;
        let shown = file.display().to_string();
        let frame = match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("parquet") => {
                let f = std::fs::File::open(&file).with_context(|| format!("lecture impossible de {shown}"))?;
                ParquetReader::new(f).finish().map_err(|e| anyhow::anyhow!("{shown} : Parquet illisible ({e})"))?
            }
            Some("csv") => read_csv(&file).map_err(|e| anyhow::anyhow!("{shown} : {e:#}"))?,
            _ => bail!("{shown} : un fichier results.parquet ou results.csv est attendu"),
        };
        let names: Vec<&str> = frame.get_column_names().iter().map(|n| n.as_str()).collect();
        if names != schema::RESULTS {
            bail!(
                "{shown} : ce n'est pas une table de résultats de bcs (colonnes attendues : {} ; trouvées : {})",
                schema::RESULTS.join(", "),
                names.join(", ")
            );
        }
        let rows = super::results::to_rows(&frame).map_err(|e| anyhow::anyhow!("{shown}, {e:#}"))?;
        Ok(Edition { origin: shown, rows })
    }

    fn keyed(&self) -> BTreeMap<Key, &ResultRow> {
        self.rows
            .iter()
            .filter_map(|r| Some(((r.territory_code.clone(), r.indicator.clone(), r.vintage?), r)))
            .collect()
    }

    /// Indicators with at least one value that is not `missing`.
    fn indicators(&self) -> BTreeSet<&str> {
        self.rows.iter().filter(|r| r.status != Status::Missing).map(|r| r.indicator.as_str()).collect()
    }

    /// Territories of the table: code → (name, level).
    fn territories(&self) -> BTreeMap<&str, (&str, &str)> {
        self.rows
            .iter()
            .map(|r| (r.territory_code.as_str(), (r.territory_name.as_str(), r.level.as_str())))
            .collect()
    }
}

/// The results CSV as bcs writes it (comma, decimal point), typed as the
/// results table.
fn read_csv(file: &Path) -> Result<DataFrame> {
    use std::io::BufRead;
    // The header first: polars would lay the schema over any columns.
    let mut header = String::new();
    std::io::BufReader::new(std::fs::File::open(file)?).read_line(&mut header)?;
    let names: Vec<&str> = header.trim_start_matches('\u{feff}').trim_end().split(',').collect();
    if names != schema::RESULTS {
        bail!(
            "ce n'est pas une table de résultats de bcs (colonnes attendues : {} ; trouvées : {})",
            schema::RESULTS.join(", "),
            names.join(", ")
        );
    }
    let mut schema = Schema::default();
    for c in schema::RESULTS {
        let dtype = match c {
            schema::VINTAGE | schema::PREV_VINTAGE => DataType::Int32,
            schema::VALUE | schema::EVOL_ABS | schema::EVOL_PCT | schema::GAP_REFERENCE => DataType::Float64,
            schema::RANK | schema::RANK_TOTAL => DataType::UInt32,
            _ => DataType::String,
        };
        schema.with_column(c.into(), dtype);
    }
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .try_into_reader_with_file_path(Some(file.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|e| anyhow::anyhow!("CSV illisible ({e})"))
}

/// A value revised for the same territory, indicator and vintage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Revision {
    pub territory_code: String,
    pub territory_name: String,
    pub level: String,
    pub indicator: String,
    pub unit: String,
    pub vintage: i32,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub status_before: Status,
    pub status_after: Status,
}

impl Revision {
    /// The revision (after − before), when both are values.
    pub fn delta(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }
}

/// A vintage of an indicator present in one edition only.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VintageChange {
    pub indicator: String,
    pub vintage: i32,
    /// Territories with a value (not `missing`) at that vintage.
    pub territories: usize,
}

/// A territory's rank on an indicator, at the latest vintage of each edition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RankMove {
    pub territory_code: String,
    pub territory_name: String,
    pub level: String,
    pub indicator: String,
    pub vintage_before: i32,
    pub rank_before: u32,
    pub total_before: Option<u32>,
    pub vintage_after: i32,
    pub rank_after: u32,
    pub total_after: Option<u32>,
}

/// A territory in one edition only.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TerritoryChange {
    pub code: String,
    pub name: String,
    pub level: String,
    /// For a removed territory: the ones of the other edition that replace
    /// it (lineage of a redrawn perimeter); for an added one: those it
    /// replaces.
    pub lineage: Vec<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Diff {
    pub before: String,
    pub after: String,
    pub revised: Vec<Revision>,
    pub new_vintages: Vec<VintageChange>,
    pub dropped_vintages: Vec<VintageChange>,
    pub rank_moves: Vec<RankMove>,
    /// Rank moves of the priority classification's class (its value).
    pub class_changes: Vec<Revision>,
    pub indicators_added: Vec<String>,
    pub indicators_removed: Vec<String>,
    pub territories_added: Vec<TerritoryChange>,
    pub territories_removed: Vec<TerritoryChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.revised.is_empty()
            && self.new_vintages.is_empty()
            && self.dropped_vintages.is_empty()
            && self.rank_moves.is_empty()
            && self.class_changes.is_empty()
            && self.indicators_added.is_empty()
            && self.indicators_removed.is_empty()
            && self.territories_added.is_empty()
            && self.territories_removed.is_empty()
    }
}

/// Two values differ when they differ beyond floating-point noise (a value
/// recomputed from the same inputs may differ in its last bits).
fn differ(a: f64, b: f64) -> bool {
    (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Compares two editions. `lineage` gives, for a territory code, the codes
/// linked to it across a perimeter change (both directions); `class` is the
/// indicator of the priority class.
pub fn compare(before: &Edition, after: &Edition, lineage: impl Fn(&str) -> Vec<String>, class: &str) -> Diff {
    let (kb, ka) = (before.keyed(), after.keyed());
    let mut d = Diff { before: before.origin.clone(), after: after.origin.clone(), ..Default::default() };

    // Values revised, and the priority class changed, for the same vintage.
    for (key, a) in &ka {
        let Some(b) = kb.get(key) else { continue };
        let revised = match (b.value, a.value) {
            (Some(x), Some(y)) => differ(x, y),
            (None, None) => false,
            _ => true,
        } || b.status != a.status;
        if revised {
            let r = Revision {
                territory_code: a.territory_code.clone(),
                territory_name: a.territory_name.clone(),
                level: a.level.as_str().to_string(),
                indicator: a.indicator.clone(),
                unit: a.unit.clone(),
                vintage: key.2,
                before: b.value,
                after: a.value,
                status_before: b.status,
                status_after: a.status,
            };
            if a.indicator == class {
                d.class_changes.push(r);
            } else {
                d.revised.push(r);
            }
        }
    }

    // Vintages of an indicator present in one edition only.
    let vintages = |k: &BTreeMap<Key, &ResultRow>| {
        let mut m: BTreeMap<(String, i32), usize> = BTreeMap::new();
        for ((_, ind, v), r) in k {
            if r.status != Status::Missing {
                *m.entry((ind.clone(), *v)).or_default() += 1;
            }
        }
        m
    };
    let (vb, va) = (vintages(&kb), vintages(&ka));
    let only = |x: &BTreeMap<(String, i32), usize>, y: &BTreeMap<(String, i32), usize>| {
        x.iter()
            .filter(|(k, _)| !y.contains_key(*k))
            .map(|((indicator, vintage), &n)| VintageChange { indicator: indicator.clone(), vintage: *vintage, territories: n })
            .collect::<Vec<_>>()
    };
    d.new_vintages = only(&va, &vb);
    d.dropped_vintages = only(&vb, &va);

    // Ranks at each edition's latest ranked vintage of the indicator.
    let latest_ranks = |k: &BTreeMap<Key, &ResultRow>| {
        let mut latest: BTreeMap<&str, i32> = BTreeMap::new();
        for ((_, ind, v), r) in k {
            if r.rank.is_some() {
                let e = latest.entry(ind.as_str()).or_insert(*v);
                *e = (*e).max(*v);
            }
        }
        let mut ranks: BTreeMap<(String, String), (i32, u32, Option<u32>)> = BTreeMap::new();
        for ((code, ind, v), r) in k {
            if let (Some(rank), true) = (r.rank, latest.get(ind.as_str()) == Some(v)) {
                ranks.insert((code.clone(), ind.clone()), (*v, rank, r.rank_total));
            }
        }
        ranks
    };
    let (rb, ra) = (latest_ranks(&kb), latest_ranks(&ka));
    let names = after.territories();
    for ((code, ind), &(va_, rank_a, total_a)) in &ra {
        if ind == class {
            continue;
        }
        let Some(&(vb_, rank_b, total_b)) = rb.get(&(code.clone(), ind.clone())) else { continue };
        if rank_a != rank_b {
            let (name, level) = names.get(code.as_str()).copied().unwrap_or(("", ""));
            d.rank_moves.push(RankMove {
                territory_code: code.clone(),
                territory_name: name.to_string(),
                level: level.to_string(),
                indicator: ind.clone(),
                vintage_before: vb_,
                rank_before: rank_b,
                total_before: total_b,
                vintage_after: va_,
                rank_after: rank_a,
                total_after: total_a,
            });
        }
    }
    // The largest moves first.
    d.rank_moves.sort_by(|x, y| {
        let m = |r: &RankMove| (i64::from(r.rank_after) - i64::from(r.rank_before)).abs();
        m(y).cmp(&m(x)).then_with(|| x.indicator.cmp(&y.indicator)).then_with(|| x.territory_code.cmp(&y.territory_code))
    });

    let (ib, ia) = (before.indicators(), after.indicators());
    d.indicators_added = ia.difference(&ib).map(|s| s.to_string()).collect();
    d.indicators_removed = ib.difference(&ia).map(|s| s.to_string()).collect();

    let (tb, ta) = (before.territories(), after.territories());
    let changes = |x: &BTreeMap<&str, (&str, &str)>, y: &BTreeMap<&str, (&str, &str)>| {
        x.iter()
            .filter(|(c, _)| !y.contains_key(*c))
            .map(|(c, (name, level))| TerritoryChange {
                code: c.to_string(),
                name: name.to_string(),
                level: level.to_string(),
                lineage: lineage(c).into_iter().filter(|l| y.contains_key(l.as_str()) && !x.contains_key(l.as_str())).collect(),
            })
            .collect::<Vec<_>>()
    };
    d.territories_added = changes(&ta, &tb);
    d.territories_removed = changes(&tb, &ta);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, indicator: &str, vintage: i32, value: f64, rank: Option<u32>) -> ResultRow {
        ResultRow {
            territory_code: code.into(),
            territory_name: format!("Quartier {code}"),
            level: crate::geo::Level::Qpv,
            indicator: indicator.into(),
            vintage: Some(vintage),
            value: Some(value),
            unit: "%".into(),
            status: Status::Ok,
            formula: None,
            prev_vintage: None,
            evol_abs: None,
            evol_unit: String::new(),
            evol_pct: None,
            evol_status: None,
            rank,
            rank_total: Some(2),
            reference_code: None,
            gap_reference: None,
            detail: None,
        }
    }

    #[test]
    fn a_redrawn_quartier_is_named_with_its_successor() {
        // 2015 QP « QP059001 » replaced by 2024 QPV « QN05901M »; a
        // value revised by floating-point noise only is not a revision.
        let before = Edition {
            origin: "avant".into(),
            rows: vec![row("QP059001", "x", 2019, 10.0, Some(1)), row("QP059002", "x", 2019, 0.1 + 0.2, Some(2))],
        };
        let after = Edition {
            origin: "après".into(),
            rows: vec![row("QN05901M", "x", 2019, 12.0, Some(1)), row("QP059002", "x", 2019, 0.3, Some(2))],
        };
        let lineage = |c: &str| match c {
            "QP059001" | "QN05901M" => vec!["QP059001".to_string(), "QN05901M".to_string()],
            other => vec![other.to_string()],
        };
        let d = compare(&before, &after, lineage, "classe");
        assert!(d.revised.is_empty(), "{:?}", d.revised);
        assert_eq!(d.territories_removed.len(), 1);
        assert_eq!((d.territories_removed[0].code.as_str(), d.territories_removed[0].lineage.as_slice()), ("QP059001", &["QN05901M".to_string()][..]));
        assert_eq!(d.territories_added[0].lineage, ["QP059001"]);
        assert!(d.rank_moves.is_empty() && d.new_vintages.is_empty());
    }
}
