//! Readers for the producers' files, as they are published: CSV in any of the
//! usual dialects (`;` `,` tab, detected or declared; UTF-8 with or without
//! BOM, Windows-1252/Latin-1; quoted fields; CRLF), XLSX/ODS workbooks (sheet
//! and header-row selection, since producer workbooks start with title and
//! note rows) and Parquet. Every reader returns text columns (codes keep
//! their leading zeros) and the file line of the first data row, so that
//! later errors can name the line.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use polars::prelude::*;

/// What a source file says about its own layout.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Field separator; None: detected from the header line.
    pub delimiter: Option<u8>,
    /// "utf-8", "windows-1252", "latin-1"…; None: UTF-8, else Windows-1252.
    pub encoding: Option<String>,
    /// Workbook sheet (name); None: the first sheet.
    pub sheet: Option<String>,
    /// 1-based row (or line) of the header; rows above it are titles, notes.
    pub header_row: Option<usize>,
    /// Rows the header spans (workbooks: a publication's grouped headings,
    /// « Niveau de vie annuel » over « 1er décile », « Médian »…); None: 1.
    pub header_rows: Option<usize>,
    /// Decimal separator the values are parsed with: a workbook's number
    /// cells are written with it, so that they read back exactly.
    pub decimal: char,
}

/// A source read as text.
pub struct Table {
    pub frame: DataFrame,
    /// File line (or sheet row) of each row.
    pub lines: Vec<usize>,
    /// Lines that could not be read as rows (CSV: a ragged line), with what
    /// is wrong: left out, the rest of the file still read and checked.
    pub bad_lines: Vec<(usize, String)>,
    /// Encoding actually used, for the record.
    pub encoding: &'static str,
}

/// A source file opened: its column names known, its rows not yet typed.
pub struct Opened {
    pub columns: Vec<String>,
    /// Names the header gives to several columns of a workbook (a side
    /// table beside the data): an error only if one of them is read.
    doubled: Vec<(String, String)>,
    inner: Inner,
}

enum Inner {
    /// Decoded text from the header line on; its structure is checked when
    /// its rows are read.
    Csv {
        body: String,
        delimiter: u8,
        skip: usize,
        file: String,
        encoding: &'static str,
    },
    Table(Table),
}

thread_local! {
    /// Set while a library that may panic on a malformed file runs: its
    /// panic becomes an error of bcs, not a message on the terminal.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic, which is not printed (other threads' and
/// later panics are, by the previous hook).
fn quiet_panics<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result
}

/// Opens a source: reads its header (CSV: also decodes the text).
pub fn open(path: &Path, layout: &Layout) -> Result<Opened> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    let (table, doubled) = match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => {
            // The workbook library may panic on a malformed file (an
            // arithmetic overflow on a cell reference of a corrupt sheet,
            // found by the fuzz target): that is a file bcs cannot read,
            // said as such, not a crash.
            quiet_panics(|| read_workbook(path, layout)).unwrap_or_else(
                |_| {
                    Err(anyhow!(
                        "{} : classeur illisible (structure interne incohérente ; ouvrez-le et réenregistrez-le dans un tableur)",
                        path.display()
                    ))
                },
            )?
        }
        "parquet" => (read_parquet(path)?, vec![]),
        _ => return open_csv(path, layout),
    };
    let columns = table
        .frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    Ok(Opened {
        columns,
        doubled,
        inner: Inner::Table(table),
    })
}

impl Opened {
    /// The rows, as text, of the columns in `keep` (CSV: in one pass that
    /// also checks that every line has the header's fields; only the kept
    /// fields are copied, which matters for producer files of hundreds of
    /// columns).
    pub fn read(self, keep: &[String]) -> Result<Table> {
        if let Some((name, message)) = self.doubled.iter().find(|(n, _)| keep.contains(n)) {
            bail!("colonne « {name} » {message}");
        }
        match self.inner {
            Inner::Table(t) => Ok(Table {
                frame: t.frame.select(keep.iter().map(String::as_str))?,
                ..t
            }),
            Inner::Csv {
                body,
                delimiter,
                skip,
                file,
                encoding,
            } => {
                let read = read_csv_columns(&body, delimiter, &self.columns, keep, &file, skip)?;
                Ok(Table {
                    frame: read.frame,
                    lines: read.lines,
                    bad_lines: read.bad_lines,
                    encoding,
                })
            }
        }
    }
}

/// The file's text, without its BOM. UTF-8 files are taken as they are read
/// (no copy: national files weigh tens of megabytes).
fn decode(bytes: Vec<u8>, declared: Option<&str>, file: &str) -> Result<(String, &'static str)> {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let label = declared.map(|d| d.trim().to_lowercase());
    let without_bom = |mut s: String| {
        s.drain(..bom);
        s
    };
    match label.as_deref() {
        None => match String::from_utf8(bytes) {
            Ok(s) => Ok((without_bom(s), "UTF-8")),
            // Not UTF-8: the other encoding French producers use.
            Err(e) => Ok((
                encoding_rs::WINDOWS_1252
                    .decode(e.as_bytes())
                    .0
                    .into_owned(),
                "Windows-1252",
            )),
        },
        Some("utf-8" | "utf8") => match String::from_utf8(bytes) {
            Ok(s) => Ok((without_bom(s), "UTF-8")),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let bytes = e.as_bytes();
                let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
                bail!(
                    "{file}, ligne {line} : octet 0x{:02X} invalide en UTF-8 (encodage déclaré) ; le fichier est sans doute en Windows-1252/Latin-1 : déclarez encoding = \"windows-1252\"",
                    bytes[at]
                )
            }
        },
        Some(other) => {
            let enc = encoding_rs::Encoding::for_label(other.as_bytes()).ok_or_else(|| {
                anyhow!("{file} : encodage « {other} » inconnu (utf-8, windows-1252, latin-1…)")
            })?;
            let (text, used, bad) = enc.decode(&bytes);
            if bad {
                bail!(
                    "{file} : caractères invalides pour l'encodage {}",
                    used.name()
                );
            }
            Ok((text.into_owned(), used.name()))
        }
    }
}

/// The separator among `;`, `,`, tab that splits the header line most
/// (outside quotes).
fn sniff_delimiter(header: &str) -> u8 {
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for ch in header.bytes() {
        if ch == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == ch {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .map(|c| c.0)
        .unwrap_or(b';')
}

fn open_csv(path: &Path, layout: &Layout) -> Result<Opened> {
    let file = path.display().to_string();
    crate::files::ensure_regular(path)?;
    let bytes = std::fs::read(path).with_context(|| format!("lecture impossible de {file}"))?;
    let (text, encoding) = decode(bytes, layout.encoding.as_deref(), &file)?;
    if layout.header_rows.unwrap_or(1) > 1 {
        bail!("{file} : un en-tête sur plusieurs lignes (header_rows) ne se lit que dans un classeur (XLSX, ODS) ; pour un CSV, indiquez la ligne d'en-tête (header_row)");
    }
    let skip = layout.header_row.unwrap_or(1).saturating_sub(1);
    // Lines above the header (titles, notes) are dropped before parsing.
    let mut start = 0;
    for _ in 0..skip {
        start = text[start..]
            .find('\n')
            .map(|i| start + i + 1)
            .unwrap_or(text.len());
    }
    let mut body = text;
    body.drain(..start);
    let header_line = body.lines().next().unwrap_or("");
    if header_line.trim().is_empty() {
        bail!(
            "{file} : fichier vide (ligne d'en-tête attendue ligne {})",
            skip + 1
        );
    }
    let delimiter = layout
        .delimiter
        .unwrap_or_else(|| sniff_delimiter(header_line));
    let columns = header_names(&body, delimiter, &file)?;
    Ok(Opened {
        columns,
        // CSV: a doubled column is refused when read (read_csv_columns).
        doubled: vec![],
        inner: Inner::Csv {
            body,
            delimiter,
            skip,
            file,
            encoding,
        },
    })
}

fn csv_reader(body: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(body.as_bytes())
}

/// The header's column names.
fn header_names(body: &str, delimiter: u8, file: &str) -> Result<Vec<String>> {
    Ok(csv_reader(body, delimiter)
        .headers()
        .map_err(|e| anyhow!("{file} : en-tête illisible ({e})"))?
        .iter()
        .map(String::from)
        .collect())
}

/// Reads the columns `keep` of a CSV text in one pass, checking on the way
/// that every record has the header's fields and that quotes close (the
/// first problem is reported with its line). Empty fields are null; only the
/// kept fields are copied, which matters for producer files of hundreds of
/// columns.
fn read_csv_columns(
    body: &str,
    delimiter: u8,
    header: &[String],
    keep: &[String],
    file: &str,
    skip: usize,
) -> Result<CsvRows> {
    let n = header.len();
    let positions: Vec<usize> = keep
        .iter()
        .map(|c| {
            let mut at = header.iter().enumerate().filter(|(_, h)| *h == c);
            match (at.next(), at.next()) {
                (Some((k, _)), None) => Ok(k),
                (Some(_), Some(_)) => Err(anyhow!(
                    "{file}, ligne {} : colonne « {c} » en double dans l'en-tête",
                    skip + 1
                )),
                (None, _) => Err(anyhow!("{file} : colonne « {c} » absente de l'en-tête")),
            }
        })
        .collect::<Result<_>>()?;
    let mut builders: Vec<StringChunkedBuilder> = keep
        .iter()
        .map(|c| StringChunkedBuilder::new(c.as_str().into(), 1024))
        .collect();
    let mut r = csv_reader(body, delimiter);
    r.headers()
        .map_err(|e| anyhow!("{file} : en-tête illisible ({e})"))?;
    let mut record = csv::ByteRecord::new();
    let (mut lines, mut bad_lines) = (vec![], vec![]);
    // Each record's line as a text editor counts them, from its byte
    // offset: line feeds before it, plus lone carriage returns (old Mac line
    // ends, or a stray one), at which the csv crate also ends a record.
    let mut lines_of = LineCounter::new(body.as_bytes());
    let mut line_of = |p: Option<&csv::Position>| p.map_or(0, |p| lines_of.line_at(p.byte() as usize)) + skip;
    loop {
        match r.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                lines.push(line_of(record.position()));
                for (b, &at) in builders.iter_mut().zip(&positions) {
                    match record.get(at) {
                        Some(field) if !field.is_empty() => {
                            // Fields of a UTF-8 text cut at ASCII separators.
                            let text = std::str::from_utf8(field)
                                .map_err(|_| anyhow!("{file}, ligne {} : texte UTF-8 invalide", lines.last().unwrap_or(&0)))?;
                            b.append_value(text)
                        }
                        _ => b.append_null(),
                    }
                }
            }
            Err(e) => {
                let line = line_of(e.position());
                match e.kind() {
                    // The row is left out and said; the rest of the file is
                    // still read, so that all its problems come at once.
                    csv::ErrorKind::UnequalLengths { len, .. } => bad_lines.push((
                        line,
                        format!("{len} champ(s) au lieu des {n} de l'en-tête (ligne tronquée ou séparateur en trop)"),
                    )),
                    _ => bail!("{file}, ligne {line} : ligne illisible ({e})"),
                }
            }
        }
    }
    let columns: Vec<Column> = builders
        .into_iter()
        .map(|b| b.finish().into_series().into_column())
        .collect();
    Ok(CsvRows {
        frame: DataFrame::new_infer_height(columns)?,
        lines,
        bad_lines,
    })
}

/// Line numbers (1-based) of byte offsets of a text, asked in rising order.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Offsets of carriage returns not followed by a line feed.
    lone_cr: Vec<usize>,
    at: usize,
    line_feeds: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        let lone_cr = (0..bytes.len()).filter(|&i| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')).collect();
        LineCounter { bytes, lone_cr, at: 0, line_feeds: 0 }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        // The csv crate may place a record after a CRLF at its line feed:
        // a record starts after the line ends before it.
        let mut offset = offset.min(self.bytes.len());
        while matches!(self.bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        if offset < self.at {
            (self.at, self.line_feeds) = (0, 0);
        }
        self.line_feeds += self.bytes[self.at..offset].iter().filter(|&&b| b == b'\n').count();
        self.at = offset;
        1 + self.line_feeds + self.lone_cr.partition_point(|&o| o < offset)
    }
}

/// The kept columns of a CSV text, each row's line, and the lines left out.
#[derive(Debug)]
struct CsvRows {
    frame: DataFrame,
    lines: Vec<usize>,
    bad_lines: Vec<(usize, String)>,
}

fn cell_text(d: &calamine::Data, decimal: char) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}").replace('.', &decimal.to_string())
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        // A date cell reads as the date it shows (« 2023-12-31 »), not as
        // Excel's day number.
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, h, min, sec, _) = dt.to_ymd_hms_milli();
            if (h, min, sec) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{sec:02}")
            }
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        // As the spreadsheet shows it (« #DIV/0! »): not a value.
        Data::Error(e) => e.to_string(),
    }
}

fn read_workbook(path: &Path, layout: &Layout) -> Result<(Table, Vec<(String, String)>)> {
    use calamine::Reader;
    let file = path.display().to_string();
    crate::files::ensure_regular(path)?;
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| anyhow!("{file} : classeur illisible ({e})"))?;
    let names = wb.sheet_names().to_vec();
    let sheet = match &layout.sheet {
        Some(s) => {
            if !names.contains(s) {
                bail!(
                    "{file} : feuille « {s} » absente (feuilles : {})",
                    names.join(", ")
                );
            }
            s.clone()
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("{file} : classeur sans feuille"))?,
    };
    // The sheet's cells by row, sparse: a workbook whose only oddity is one
    // cell at XFD1048576 costs that cell, not a dense matrix of 17 billion.
    let (cells, merged) = sheet_cells(&mut wb, &sheet, layout.decimal)
        .map_err(|e| anyhow!("{file}, feuille « {sheet} » : {e:#}"))?;
    let header_row = layout.header_row.unwrap_or(1);
    let header_rows = layout.header_rows.unwrap_or(1).max(1);
    let first = cells.keys().next().copied().unwrap_or(0) as usize;
    if header_row < first + 1 {
        bail!("{file}, feuille « {sheet} » : la ligne d'en-tête {header_row} est au-dessus des données (ligne {})", first + 1);
    }
    let header_cells = header_cells(&cells, &merged, header_row - 1, header_rows);
    if header_cells.is_empty() {
        bail!("{file}, feuille « {sheet} » : ligne d'en-tête {header_row} vide ou absente");
    }
    let header = workbook_header(&header_cells)
        .map_err(|e| anyhow!("{file}, feuille « {sheet} » : ligne d'en-tête {header_row} {e}"))?;
    let width = header.len();
    let mut columns: Vec<Vec<Option<String>>> = vec![vec![]; width];
    let mut lines = vec![];
    // Merged ranges over the header's columns; a cell they cover (not
    // their anchor) reads « (cellule fusionnée avec B2) », not a value.
    let merged: Vec<(Merged, String)> = merged
        .iter()
        .filter(|(a, _)| (a.1 as usize) < width)
        .map(|&m| (m, format!("{}{}", column_letter(m.0 .1 as usize), m.0 .0 + 1)))
        .collect();
    for (&row, row_cells) in cells.range((header_row + header_rows - 1) as u32..) {
        let mut texts: Vec<Option<String>> = vec![None; width];
        let mut blank = true;
        for (c, t) in row_cells {
            if (*c as usize) < width && !t.is_empty() {
                blank &= t.trim().is_empty();
                texts[*c as usize] = Some(t.clone());
            }
        }
        for ((start, end), anchor) in merged.iter().filter(|((a, b), _)| (a.0..=b.0).contains(&row)) {
            for col in start.1..=end.1.min(width as u32 - 1) {
                if (row, col) != *start && texts[col as usize].is_none() {
                    texts[col as usize] = Some(format!("(cellule fusionnée avec {anchor})"));
                    blank = false;
                }
            }
        }
        // Empty rows are skipped; the others keep their sheet row number.
        if blank {
            continue;
        }
        lines.push(row as usize + 1);
        for (col, t) in columns.iter_mut().zip(texts) {
            col.push(t);
        }
    }
    let (cols, doubled) = named_columns(columns, &header, &format!("{file}, feuille « {sheet} », ligne {header_row}"));
    let frame = DataFrame::new_infer_height(cols)?;
    Ok((
        Table {
            frame,
            lines,
            bad_lines: vec![],
            encoding: "XLSX",
        },
        doubled,
    ))
}

/// The header's names by column, up to its last non-empty cell (an error:
/// what is wrong with the header line, said after « ligne d'en-tête N »).
fn workbook_header(header_cells: &[(u32, String)]) -> Result<Vec<String>> {
    let width = header_cells
        .iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(c, _)| *c as usize + 1)
        .max()
        .unwrap_or(0);
    if width == 0 {
        bail!("vide (indiquez header_row)");
    }
    if width > MAX_WORKBOOK_COLUMNS {
        bail!("de {width} colonnes, au plus {MAX_WORKBOOK_COLUMNS} sont lues : la ligne d'en-tête est-elle la bonne (header_row) ?");
    }
    let mut header = vec![String::new(); width];
    for (c, t) in header_cells {
        if (*c as usize) < width {
            header[*c as usize] = t.trim().to_string();
        }
    }
    Ok(header)
}

/// The columns named by the header (`colonne_N` when blank). A name given
/// to several columns (a side table beside the data, as in Cnam's
/// workbooks): the later ones are named by their letter, and reading the
/// name is refused (which column would it be?) — (name, message) of each,
/// `at` saying where the header is.
fn named_columns(columns: Vec<Vec<Option<String>>>, header: &[String], at: &str) -> (Vec<Column>, Vec<(String, String)>) {
    let mut first: std::collections::HashMap<String, usize> = Default::default();
    let mut doubled: Vec<(String, String)> = vec![];
    let mut cols = vec![];
    for (j, values) in columns.into_iter().enumerate() {
        let mut name = if header[j].is_empty() {
            format!("colonne_{}", j + 1)
        } else {
            header[j].clone()
        };
        if let Some(&first_at) = first.get(&name) {
            let message = format!(
                "en double dans l'en-tête ({at}, colonnes {} et {}) : laquelle lire ?",
                column_letter(first_at),
                column_letter(j)
            );
            if !doubled.iter().any(|(n, _)| *n == name) {
                doubled.push((name.clone(), message));
            }
            name = format!("{name} ({})", column_letter(j));
        } else {
            first.insert(name.clone(), j);
        }
        cols.push(Column::new(name.as_str().into(), values));
    }
    (cols, doubled)
}

/// Columns of a workbook header read at most.
const MAX_WORKBOOK_COLUMNS: usize = 2_000;

/// The cells of a sheet, by 0-based row, each row's cells as (0-based
/// column, text).
type SheetCells = std::collections::BTreeMap<u32, Vec<(u32, String)>>;

/// A merged range: its first cell and its last, (row, column), 0-based.
type Merged = ((u32, u32), (u32, u32));

/// The header's name of each column, (0-based column, name), from `rows`
/// rows from `first` (0-based): the distinct texts of a column's header
/// cells, a cell covered by a merged one taking its text, joined by « — »
/// and with runs of spaces and line breaks made one space. One row: its
/// cells as they are.
fn header_cells(cells: &SheetCells, merged: &[Merged], first: usize, rows: usize) -> Vec<(u32, String)> {
    if rows <= 1 {
        return cells.get(&(first as u32)).cloned().unwrap_or_default();
    }
    let text_at = |r: u32, c: u32| -> Option<String> {
        // The anchor of a merged range covering the cell, else the cell.
        let (r, c) = merged
            .iter()
            .find(|(a, b)| (a.0..=b.0).contains(&r) && (a.1..=b.1).contains(&c))
            .map(|(a, _)| *a)
            .unwrap_or((r, c));
        cells
            .get(&r)?
            .iter()
            .find(|(col, _)| *col == c)
            .map(|(_, t)| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty())
    };
    let range = first as u32..(first + rows) as u32;
    let columns: std::collections::BTreeSet<u32> = cells
        .range(range.clone())
        .flat_map(|(_, row)| row.iter().map(|(c, _)| *c))
        .collect();
    columns
        .into_iter()
        .filter_map(|c| {
            let mut parts: Vec<String> = vec![];
            for r in range.clone() {
                if let Some(t) = text_at(r, c) {
                    if !parts.contains(&t) {
                        parts.push(t);
                    }
                }
            }
            (!parts.is_empty()).then(|| (c, parts.join(" — ")))
        })
        .collect()
}

/// The non-empty cells of a sheet as text, by 0-based row, each row's cells
/// as (0-based column, text), and its merged ranges. XLSX sheets are streamed cell by cell (no
/// dense range is built), a formula without a saved value reads as its
/// formula (« =SUM(B2:C2) »: not a value) and a cell covered by a merged
/// one reads as « (cellule fusionnée avec B2) » (see `read_workbook`); other
/// formats go through their range.
fn sheet_cells(
    wb: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    decimal: char,
) -> Result<(SheetCells, Vec<Merged>)> {
    use calamine::Reader;
    let mut cells: SheetCells = Default::default();
    let mut ranges: Vec<Merged> = vec![];
    match wb {
        calamine::Sheets::Xlsx(x) => {
            let merged = x.merge_cells_by_sheet_name(sheet).map_err(|e| anyhow!("{e}"))?;
            ranges = merged.iter().map(|m| (m.start, m.end)).collect();
            {
                let mut reader = x.worksheet_cells_reader(sheet).map_err(|e| anyhow!("{e}"))?;
                while let Some(cell) = reader.next_cell_with_formula().map_err(|e| anyhow!("{e}"))? {
                    let text = cell_text(&calamine::Data::from(cell.value), decimal);
                    let text = match cell.formula {
                        // No saved result (a file written by a program,
                        // never opened in a spreadsheet): not a value.
                        Some(f) if text.is_empty() && !f.is_empty() => format!("={f}"),
                        _ => text,
                    };
                    if !text.is_empty() {
                        cells.entry(cell.pos.0).or_default().push((cell.pos.1, text));
                    }
                }
            }
        }
        other => {
            let range = other.worksheet_range(sheet).map_err(|e| anyhow!("{e}"))?;
            for (r, c, value) in range.used_cells() {
                let text = cell_text(value, decimal);
                if !text.is_empty() {
                    let (r0, c0) = range.start().unwrap_or((0, 0));
                    cells
                        .entry(r0 + r as u32)
                        .or_default()
                        .push((c0 + c as u32, text));
                }
            }
        }
    }
    Ok((cells, ranges))
}

/// A sheet column's letters (0 → A, 26 → AA).
fn column_letter(mut j: usize) -> String {
    let mut letters = vec![];
    loop {
        letters.push(b'A' + (j % 26) as u8);
        if j < 26 {
            break;
        }
        j = j / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn read_parquet(path: &Path) -> Result<Table> {
    let file = path.display().to_string();
    crate::files::ensure_regular(path)?;
    let f = std::fs::File::open(path).with_context(|| format!("lecture impossible de {file}"))?;
    let df = ParquetReader::new(f)
        .finish()
        .map_err(|e| anyhow!("{file} : Parquet illisible ({e})"))?;
    let frame = df
        .lazy()
        .select([all().as_expr().cast(DataType::String)])
        .collect()
        .map_err(|e| anyhow!("{file} : {e}"))?;
    Ok(Table {
        // Rows numbered as a table whose header is line 1.
        lines: (0..frame.height()).map(|i| i + 2).collect(),
        bad_lines: vec![],
        frame,
        encoding: "Parquet",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("code;\"nom, commune\";pop"), b';');
        assert_eq!(sniff_delimiter("CODGEO,P21_POP,P21_POP1564"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
    }

    #[test]
    fn csv_columns_are_read_in_one_pass_and_checked() {
        let header = |body: &str| header_names(body, b';', "f.csv").unwrap();
        let body = "code;pop;part\n59172;\"1 234\";\n59178;12;3,5\n";
        let keep = ["code".to_string(), "part".to_string()];
        let df = read_csv_columns(body, b';', &header(body), &keep, "f.csv", 0)
            .unwrap()
            .frame;
        let part: Vec<Option<&str>> = df.column("part").unwrap().str().unwrap().iter().collect();
        assert_eq!(part, [None, Some("3,5")], "empty field is null");
        assert_eq!(df.get_column_names(), ["code", "part"]);
        // A ragged line is reported with its file line (two title lines
        // above the header), and the rows after it still read.
        let ragged = "code;pop\n59172;1\n59178\n59179;3\n";
        let read = read_csv_columns(ragged, b';', &header(ragged), &keep[..1], "f.csv", 2).unwrap();
        assert_eq!(
            read.bad_lines,
            [(5, "1 champ(s) au lieu des 2 de l'en-tête (ligne tronquée ou séparateur en trop)".to_string())]
        );
        assert_eq!(read.lines, [4, 6]);
        assert_eq!(read.frame.height(), 2);
        // A lone carriage return ends a line, as in a text editor (found by
        // the fuzz target: two rows had been given the same line).
        let mac = "code;pop\r59172;1\r\n59178;2\r59179;3\n";
        let read = read_csv_columns(mac, b';', &header(mac), &keep[..1], "f.csv", 0).unwrap();
        assert_eq!(read.lines, [2, 3, 4]);
        let twice = "code;pop;pop\n59172;1;2\n";
        let err = read_csv_columns(
            twice,
            b';',
            &header(twice),
            &["pop".to_string()],
            "f.csv",
            0,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "f.csv, ligne 1 : colonne « pop » en double dans l'en-tête"
        );
    }

    #[test]
    fn latin1_is_detected_and_declared_utf8_is_checked() {
        let latin1 = b"code;libell\xe9\n59172;D\xe9nain\n";
        let (t, enc) = decode(latin1.to_vec(), None, "f.csv").unwrap();
        assert_eq!(
            (t.as_str(), enc),
            ("code;libellé\n59172;Dénain\n", "Windows-1252")
        );
        let err = decode(latin1.to_vec(), Some("utf-8"), "f.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("f.csv, ligne 1 : octet 0xE9 invalide en UTF-8"),
            "{err}"
        );
        let (t, _) = decode(b"\xEF\xBB\xBFcode\n".to_vec(), None, "f.csv").unwrap();
        assert_eq!(t, "code\n", "BOM removed");
    }

    /// A table the readers accept: as many line numbers as rows, rising,
    /// none of them a line reported as unreadable, every column text.
    fn check_table(t: &Table) {
        assert_eq!(t.frame.height(), t.lines.len());
        assert!(t.lines.windows(2).all(|w| w[0] < w[1]), "{:?}", t.lines);
        assert!(t.bad_lines.iter().all(|(l, _)| !t.lines.contains(l)));
        assert!(t.frame.columns().iter().all(|c| c.dtype() == &DataType::String));
    }

    /// Opens and reads every column of a file, checking what is accepted.
    fn read_all(path: &Path, layout: &Layout) -> crate::fuzz::Outcome {
        use crate::fuzz::Outcome;
        let Ok(opened) = open(path, layout) else {
            return Outcome::Refused;
        };
        let columns = opened.columns.clone();
        match opened.read(&columns) {
            Ok(t) => {
                check_table(&t);
                Outcome::Accepted
            }
            Err(_) => Outcome::Refused,
        }
    }

    #[test]
    fn fuzz_csv_reader() {
        use crate::fuzz::{run, seed_head};
        let seeds = [
            seed_head("datasets/caph/sources/t05_minima_sociaux.csv", 4096),
            seed_head("datasets/public/filosofi/cc_filosofi_2019_COM.CSV", 4096),
            seed_head("datasets/public/insee/insee_esperance_vie_departement_2023.csv", 4096),
            seed_head("tests/fixtures/menages_par_code_postal.csv", 4096),
            b"\xEF\xBB\xBFcode,\"nom, commune\",pop\r\n59172,\"Denain\",\"1 234\"\r\n".to_vec(),
            b"code\tlibell\xe9\n59172\tD\xe9nain\n".to_vec(),
        ];
        let tokens = ["\"", "\"\"", ";", ",", "\t", "\r\n", "\n", "\u{FEFF}", "\u{A0}", "é", "s", "nd", "1 234,5", "-"];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.csv");
        let counts = run("csv", &seeds, &tokens, |input| {
            std::fs::write(&path, input).unwrap();
            // The layouts users declare: detected or given separator and
            // encoding, header on line 1 or below title lines.
            let k = input.len();
            let layout = Layout {
                delimiter: [None, Some(b';'), Some(b',')][k % 3],
                encoding: [None, Some("utf-8".to_string()), Some("windows-1252".to_string())][k / 3 % 3].clone(),
                header_row: [None, Some(2), Some(4)][k / 9 % 3],
                decimal: ',',
                ..Layout::default()
            };
            read_all(&path, &layout)
        });
        assert!(counts.accepted > 0 && counts.refused > 0, "{counts:?}");
    }

    /// The parts of a real workbook, one of which the fuzz input replaces.
    const PARTS: [&str; 4] = [
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
        "xl/sharedStrings.xml",
        "xl/workbook.xml",
    ];

    #[test]
    fn fuzz_workbook_reader() {
        use std::io::{Read, Write};
        let base = crate::fuzz::seed("datasets/public/insee/insee_taux_pauvrete_region_dep_2021.xlsx");
        let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(base)).unwrap();
        let mut parts = vec![];
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            let mut bytes = vec![];
            f.read_to_end(&mut bytes).unwrap();
            parts.push((f.name().unwrap().to_string(), bytes));
        }
        // A seed: the number of the part it replaces, then its bytes.
        let seeds: Vec<Vec<u8>> = PARTS
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let bytes = &parts.iter().find(|(n, _)| n == name).unwrap().1;
                std::iter::once(k as u8).chain(bytes.iter().copied()).collect()
            })
            .collect();
        let tokens = [
            "<c r=\"XFD1048576\"><v>1</v></c>",
            "<c r=\"B4\" t=\"s\"><v>9999</v></c>",
            "<c r=\"C5\" s=\"1\"><f>A1+1</f></c>",
            "<c r=\"A2\" t=\"e\"><v>#N/A</v></c>",
            "<mergeCell ref=\"A1:XFD1048576\"/>",
            "<mergeCells count=\"1\"><mergeCell ref=\"B3:C4\"/></mergeCells>",
            "<dimension ref=\"A1:XFD1048576\"/>",
            "<row r=\"1048576\">",
            "</row>",
            "<si><t>Taux</t></si>",
            "<v>44197</v>",
            "&amp;",
            "&#0;",
            "<![CDATA[x]]>",
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("classeur.xlsx");
        let counts = crate::fuzz::run("workbook", &seeds, &tokens, |input| {
            let Some((&k, bytes)) = input.split_first() else {
                return crate::fuzz::Outcome::Refused;
            };
            let replaced = PARTS[k as usize % PARTS.len()];
            let mut out = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let stored = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Stored);
            for (name, part) in &parts {
                out.start_file(name.as_str(), stored).unwrap();
                out.write_all(if name == replaced { bytes } else { part }).unwrap();
            }
            std::fs::write(&path, out.finish().unwrap().into_inner()).unwrap();
            let layout = Layout {
                sheet: [None, Some("Figure 2".to_string())][input.len() % 2].clone(),
                header_row: Some(3),
                header_rows: Some(1 + input.len() / 2 % 2),
                decimal: '.',
                ..Layout::default()
            };
            read_all(&path, &layout)
        });
        assert!(counts.accepted > 0 && counts.refused > 0, "{counts:?}");
    }
}
