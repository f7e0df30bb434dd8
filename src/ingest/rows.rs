//! Rows of a source's file: which are kept (selection, month), their
//! vintages, whether two are the same, the pieces of a rebuilt commune.

use anyhow::Result;
use polars::prelude::*;

use super::problems::FileProblems;
use crate::fr::shorten;
use crate::schema;
use crate::status::Status;

/// Internal column of each row's vintage, read from the vintage column.
pub(super) const ROW_VINTAGE: &str = "#vintage";

/// The year of every row of a file that stacks vintages in rows: the first
/// four-digit year (19xx, 20xx) of the cell, so that "2021", "31/12/2021" and
/// "2021-12-31" all read 2021. Unreadable cells are problems; None if any.
pub(super) fn row_vintages(
    raw: &DataFrame,
    column: &str,
    lines: &[usize],
    found: &mut FileProblems,
) -> Result<Option<Vec<Option<i32>>>> {
    let Ok(cells) = raw.column(column) else {
        found.push(None, Some(column), "colonne des millésimes absente du fichier".into());
        return Ok(None);
    };
    let cells = cells.str()?.clone();
    let mut years = Vec::with_capacity(cells.len());
    let mut unreadable = false;
    for (i, cell) in cells.iter().enumerate() {
        let text = cell.unwrap_or("").trim();
        let year = text
            .as_bytes()
            .windows(4)
            .enumerate()
            .find(|(at, w)| {
                w.iter().all(u8::is_ascii_digit)
                    && (w.starts_with(b"19") || w.starts_with(b"20"))
                    && !text.as_bytes().get(at + 4).is_some_and(u8::is_ascii_digit)
                    && !(*at > 0 && text.as_bytes()[at - 1].is_ascii_digit())
            })
            .and_then(|(at, _)| text[at..at + 4].parse::<i32>().ok());
        if year.is_none() {
            unreadable = true;
            found.push(
                lines.get(i).copied(),
                Some(column),
                format!("millésime « {} » illisible : une année (2021) ou une date (31/12/2021) est attendue", shorten(text, 40)),
            );
        }
        years.push(year);
    }
    Ok((!unreadable).then_some(years))
}

/// The month of a date cell: « 2021-12-31 » (as workbook dates read),
/// « 31/12/2021 », « 12/2021 ».
pub(super) fn month_of(text: &str) -> Option<u32> {
    let text = text.split([' ', 'T']).next()?;
    let parts: Vec<&str> = text.split(['-', '/']).collect();
    let month = match parts.as_slice() {
        [y, m, _] if y.len() == 4 => m,
        [_, m, y] if y.len() == 4 => m,
        [m, y] if y.len() == 4 => m,
        _ => return None,
    };
    month.parse().ok().filter(|m| (1..=12).contains(m))
}

/// Whether rows `a` and `b` hold the same text in every column read.
pub(super) fn same_row(raw: &DataFrame, a: usize, b: usize) -> Result<bool> {
    for c in raw.columns() {
        let c = c.str()?;
        if c.get(a).map(str::trim) != c.get(b).map(str::trim) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Unsets the flag of the rows whose `keep_rows` columns do not all hold
/// one of their accepted values (cells trimmed).
pub(super) fn select_rows(
    raw: &DataFrame,
    keep: &std::collections::BTreeMap<String, crate::catalog::OneOrMany>,
    mask: &mut [bool],
) -> Result<()> {
    for (column, accepted) in keep {
        let accepted = accepted.as_slice();
        for (m, cell) in mask.iter_mut().zip(raw.column(column)?.str()?.iter()) {
            let cell = cell.unwrap_or("").trim();
            *m &= accepted.iter().any(|a| a.trim() == cell);
        }
    }
    Ok(())
}

/// The rows of `frame` whose flag is set, and their lines (unchanged, no
/// copy, when every flag is).
pub(super) fn retain_flagged(frame: DataFrame, lines: &mut Vec<usize>, keep: &[bool]) -> Result<DataFrame> {
    if keep.iter().all(|k| *k) {
        return Ok(frame);
    }
    let mut k = keep.iter();
    lines.retain(|_| *k.next().unwrap_or(&false));
    Ok(frame.filter(&BooleanChunked::from_iter_values("".into(), keep.iter().copied()))?)
}

/// Whether a file's name of a territory is the reference's: accents, case
/// and punctuation aside, and a final note in brackets (« Guadeloupe
/// (données 2017) ») left out.
pub(super) fn same_name(given: &str, expected: &str) -> bool {
    let given = given.trim();
    let given = match given.strip_suffix(')').and_then(|g| g.rfind('(').map(|i| &g[..i])) {
        Some(before) if !before.trim().is_empty() => before,
        _ => given,
    };
    crate::geo::normalize(given) == crate::geo::normalize(expected)
}

/// Internal column: the row is one piece of a current commune rebuilt from
/// the codes of an older geography.
pub(super) const PIECE: &str = "#piece";

/// The rows of one variable and vintage, each rebuilt commune's pieces made
/// into one row: a count is their sum when every piece has a value (else
/// the worst status: secret, missing); any other kind is carried only from
/// a single piece (a code that changed), never summed: `not_aggregable`.
pub(super) fn rebuild_communes(mapped: DataFrame, is_count: bool) -> Result<LazyFrame> {
    let whole = mapped.clone().lazy().filter(col(PIECE).not());
    let ok = Status::Ok.lit();
    let status = if is_count {
        col("worst")
    } else {
        when(col("n").eq(lit(1)))
            .then(col("worst"))
            .otherwise(Status::NotAggregable.lit())
    };
    let value = if is_count { col("sum") } else { col("first") };
    let rebuilt = mapped
        .lazy()
        .filter(col(PIECE))
        .group_by_stable([col(schema::TERRITORY_CODE), col(schema::VARIABLE), col(schema::VINTAGE), col(schema::SOURCE)])
        .agg([
            col(schema::VALUE).sum().alias("sum"),
            col(schema::VALUE).first().alias("first"),
            col(schema::STATUS).max().alias("worst"),
            len().alias("n"),
        ])
        .with_column(status.alias(schema::STATUS))
        .select([
            col(schema::TERRITORY_CODE),
            col(schema::VARIABLE),
            col(schema::VINTAGE),
            when(col(schema::STATUS).eq(ok))
                .then(value)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(schema::VALUE),
            col(schema::STATUS),
            col(schema::SOURCE),
        ]);
    Ok(concat(
        [whole.drop(by_name([PIECE], true, false)), rebuilt],
        UnionArgs::default(),
    )?)
}
