//! Checks across the values read: plausible ranges, a variable given by two
//! sources, parts exceeding their whole, published changes the values
//! contradict.

use anyhow::Result;
use polars::prelude::PlHashMap as HashMap;
use polars::prelude::*;

use super::cells::written_decimals;
use super::manifest;
use super::problems::{DataProblem, FileProblems};
use super::report::PublishedChange;
use super::vintages_of;
use crate::catalog::{Catalog, VariableKind};
use crate::geo::Geography;
use crate::schema;
use crate::status::Status;

/// Plausibility of mapped values: rates and shares within 0-100, counts not
/// negative.
pub(super) fn check_range(
    mapped: &DataFrame,
    m: &manifest::Mapping,
    catalog: &Catalog,
    found: &mut FileProblems,
) -> Result<()> {
    let Some(kind) = catalog.variable(&m.variable).map(|v| v.kind) else {
        return Ok(());
    };
    let (lo, hi, expected) = match kind {
        VariableKind::Rate => (0.0, 100.0, "un taux entre 0 et 100"),
        VariableKind::Count => (0.0, f64::INFINITY, "un effectif positif ou nul"),
        _ => return Ok(()),
    };
    let values = mapped.column(schema::VALUE)?.f64()?.clone();
    let lines = mapped.column("line")?.idx()?.clone();
    for (v, line) in values.iter().zip(lines.iter()) {
        if let Some(v) = v {
            if v < lo || v > hi {
                found.push(
                    line.map(|l| l as usize),
                    Some(&m.expr),
                    format!(
                        "valeur {} pour « {} » ({}) : {expected} est attendu",
                        crate::fr::number(v, 2),
                        m.variable,
                        m.vintage
                    ),
                );
            }
        }
    }
    Ok(())
}

pub(super) fn check_duplicates(frame: &DataFrame, problems: &mut Vec<DataProblem>) -> Result<()> {
    // Each source gives a territory once per variable and vintage (checked
    // when read): only a (variable, vintage) given by two sources can hold
    // duplicates. The rows come in runs of one source, variable and vintage:
    // the runs are found in one pass, then only the codes of the runs of
    // such pairs are compared.
    let (sources, variables, vintages) = (
        frame.column(schema::SOURCE)?.str()?,
        frame.column(schema::VARIABLE)?.str()?,
        frame.column(schema::VINTAGE)?.i32()?,
    );
    type Pair<'a> = (&'a str, Option<i32>);
    let mut runs: Vec<(usize, Pair, &str)> = vec![];
    let mut run = None;
    for (row, ((s, v), y)) in sources
        .iter()
        .zip(variables.iter())
        .zip(vintages.iter())
        .enumerate()
    {
        let key = (s.unwrap_or(""), v.unwrap_or(""), y);
        if run != Some(key) {
            run = Some(key);
            runs.push((row, (key.1, key.2), key.0));
        }
    }
    let mut first_source: HashMap<Pair, &str> = HashMap::new();
    let mut suspect: Vec<Pair> = vec![];
    for &(_, pair, source) in &runs {
        if *first_source.entry(pair).or_insert(source) != source {
            suspect.push(pair);
        }
    }
    suspect.sort_unstable();
    suspect.dedup();
    let codes = frame.column(schema::TERRITORY_CODE)?.str()?;
    // (code, variable, vintage) → the sources giving it, for suspect pairs.
    let mut given: std::collections::BTreeMap<(&str, &str, Option<i32>), Vec<&str>> =
        Default::default();
    let in_suspect: Vec<bool> = runs
        .iter()
        .map(|r| suspect.binary_search(&r.1).is_ok())
        .collect();
    let mut k = 0;
    for (row, code) in codes.iter().enumerate() {
        while k + 1 < runs.len() && runs[k + 1].0 <= row {
            k += 1;
        }
        if let (true, Some(code)) = (in_suspect[k], code) {
            let (_, (variable, vintage), source) = runs[k];
            given
                .entry((code, variable, vintage))
                .or_default()
                .push(source);
        }
    }
    for ((code, variable, vintage), mut sources) in given {
        if sources.len() < 2 {
            continue;
        }
        sources.sort_unstable();
        sources.dedup();
        problems.push(DataProblem {
            file: sources.join(", "),
            line: None,
            column: None,
            message: format!(
                "la variable « {variable} » ({}) du territoire « {code} » est fournie plusieurs fois",
                vintage.map(|y| y.to_string()).unwrap_or_default(),
            ),
        });
    }
    Ok(())
}

/// A part cannot exceed its whole: for every count declared `part_of`
/// another (variables.toml), its value must not exceed the whole's.
pub(super) fn check_shares(
    frame: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    problems: &mut Vec<DataProblem>,
) -> Result<()> {
    let mut pairs: Vec<(String, String)> = catalog
        .variables
        .iter()
        .flat_map(|v| v.part_of.iter().map(|w| (v.id.clone(), w.clone())))
        .collect();
    pairs.sort();
    pairs.dedup();
    if pairs.is_empty() {
        return Ok(());
    }
    let mut involved: Vec<&str> = pairs
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    involved.sort_unstable();
    involved.dedup();
    let position: HashMap<&str, usize> =
        involved.iter().enumerate().map(|(k, v)| (*v, k)).collect();
    // The runs of rows of each involved variable, found in one pass (the
    // rows come in runs of one variable: one look-up per run).
    let variables = frame.column(schema::VARIABLE)?.str()?;
    let mut runs: Vec<Vec<(usize, usize)>> = vec![vec![]; involved.len()];
    let mut run: (&str, Option<usize>, usize) = ("", None, 0);
    let mut close = |run: (&str, Option<usize>, usize), end: usize| {
        if let Some(k) = run.1 {
            runs[k].push((run.2, end));
        }
    };
    for (row, v) in variables.iter().enumerate() {
        let v = v.unwrap_or("");
        if row == 0 || v != run.0 {
            close(run, row);
            run = (v, position.get(v).copied(), row);
        }
    }
    close(run, frame.height());
    let vintages = vintages_of(frame)?;
    let (nt, ny) = (geo.territories().len(), vintages.len());
    // One dense (territory, vintage) table of published values per involved
    // variable (NaN: none) with each value's row, built in parallel: each
    // pair is then compared cell by cell rather than joined on (code,
    // vintage) strings.
    let ok = Status::Ok.code();
    use rayon::prelude::*;
    let tables: Vec<(Vec<f64>, Vec<u32>)> = runs
        .par_iter()
        .map(|runs| -> Result<(Vec<f64>, Vec<u32>)> {
            let mut values = vec![f64::NAN; nt * ny];
            let mut rows = vec![0u32; nt * ny];
            for &(start, end) in runs {
                let part = frame.slice(start as i64, end - start);
                let cells = part
                    .column(schema::TERRITORY_CODE)?
                    .str()?
                    .iter()
                    .zip(part.column(schema::VINTAGE)?.i32()?.iter())
                    .zip(part.column(schema::VALUE)?.f64()?.iter())
                    .zip(part.column(schema::STATUS)?.u32()?.iter());
                for (row, (((t, y), x), s)) in cells.enumerate() {
                    let (Some(t), Some(y), Some(x), Some(s)) = (t, y, x, s) else {
                        continue;
                    };
                    let (Some(t), Ok(slot)) = (geo.position(t), vintages.binary_search(&y)) else {
                        continue;
                    };
                    if s == ok {
                        values[t * ny + slot] = x;
                        rows[t * ny + slot] = (start + row) as u32;
                    }
                }
            }
            Ok((values, rows))
        })
        .collect::<Result<_>>()?;
    let (sources, territories) = (frame.column(schema::SOURCE)?.str()?, geo.territories());
    for (a, b) in &pairs {
        let ((num, rows), (den, _)) =
            (&tables[position[a.as_str()]], &tables[position[b.as_str()]]);
        // Cells in territory order; reported by code, then vintage.
        let mut bad: Vec<(&str, i32, f64, f64, u32)> = num
            .iter()
            .zip(den)
            .enumerate()
            .filter(|(_, (n, d))| n > d)
            .map(|(cell, (n, d))| {
                let code = territories[cell / ny].code.as_str();
                (code, vintages[cell % ny], *n, *d, rows[cell])
            })
            .collect();
        bad.sort_by(|x, y| x.0.cmp(y.0).then(x.1.cmp(&y.1)));
        for (code, vintage, n, d, row) in bad {
            problems.push(DataProblem {
                file: format!("source « {} »", sources.get(row as usize).unwrap_or("")),
                line: None,
                column: None,
                message: format!(
                    "{} ({code}), {vintage} : « {a} » = {} dépasse « {b} » = {} ; une partie ne peut excéder le tout",
                    geo.name(code),
                    crate::fr::number(n, 0),
                    crate::fr::number(d, 0)
                ),
            });
        }
    }
    Ok(())
}

/// The rows whose published change (`published`, row by row with the
/// mapped frames `a` at `from` and `b` at `to`) disagrees with the change
/// recomputed from the two values, at the published rounding.
pub(super) fn published_changes(
    c: &manifest::PublishedChangeConf,
    a: &DataFrame,
    b: &DataFrame,
    published: &DataFrame,
    texts: Option<&StringChunked>,
) -> Result<Vec<PublishedChange>> {
    let f = |df: &DataFrame, n: &str| -> Result<Float64Chunked> { Ok(df.column(n)?.f64()?.clone()) };
    let st = |df: &DataFrame| -> Result<UInt32Chunked> { Ok(df.column(schema::STATUS)?.cast(&DataType::UInt32)?.u32()?.clone()) };
    let (va, vb, vp) = (f(a, schema::VALUE)?, f(b, schema::VALUE)?, f(published, schema::VALUE)?);
    let (sa, sb, sp) = (st(a)?, st(b)?, st(published)?);
    let codes = a.column(schema::TERRITORY_CODE)?.str()?.clone();
    let lines = a.column("line")?.idx()?.clone();
    let ok = Some(Status::Ok.code());
    let mut out = vec![];
    for i in 0..a.height() {
        let (Some(x), Some(y), Some(p)) = (va.get(i), vb.get(i), vp.get(i)) else { continue };
        if sa.get(i) != ok || sb.get(i) != ok || sp.get(i) != ok {
            continue;
        }
        let recomputed = if c.relative {
            if x == 0.0 {
                continue;
            }
            100.0 * (y - x) / x
        } else {
            y - x
        };
        // The published rounding: the decimals the cell is written with.
        let text = texts.and_then(|t| t.get(i)).unwrap_or("");
        let half = 0.5 * 10f64.powi(-i32::from(written_decimals(text)));
        if (recomputed - p).abs() > half + 1e-9 {
            out.push(PublishedChange {
                line: lines.get(i).unwrap_or(0) as usize,
                column: c.column.clone(),
                territory_code: codes.get(i).unwrap_or("").to_string(),
                variable: c.variable.clone(),
                from: c.from,
                to: c.to,
                value_from: x,
                value_to: y,
                published: p,
                published_text: text.trim().to_string(),
                recomputed,
                relative: c.relative,
            });
        }
    }
    Ok(out)
}
