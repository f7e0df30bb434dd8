//! A French table (title, header, rows, notes) and its writers: terminal
//! (comfy-table), Markdown, HTML and CSV (`;`, decimal comma, UTF-8 with BOM
//! so that Excel opens accents correctly). Cells keep numbers as numbers so
//! that the XLSX writer can store them as such.

use comfy_table::{presets, Cell as ComfyCell, CellAlignment, ContentArrangement, Table as Comfy};

use crate::render::fr;
use crate::status::Status;

/// One cell: text, a number (with its display decimals), a signed change,
/// or a status marker.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64, u8),
    Signed(f64, u8),
    Marker(Status),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A value with its status: the number when ok, the marker otherwise.
    pub fn value(v: Option<f64>, st: Status, decimals: u8) -> Cell {
        match (st, v) {
            (Status::Ok, Some(v)) => Cell::Number(v, decimals),
            (st, _) => Cell::Marker(if st == Status::Ok {
                Status::Missing
            } else {
                st
            }),
        }
    }

    /// A change between vintages (None: no earlier vintage).
    pub fn change(v: Option<f64>, st: Option<Status>, decimals: u8) -> Cell {
        match (st, v) {
            (Some(Status::Ok), Some(v)) => Cell::Signed(v, decimals),
            (Some(st), _) => Cell::Marker(if st == Status::Ok {
                Status::Missing
            } else {
                st
            }),
            (None, _) => Cell::Marker(Status::Missing),
        }
    }

    /// French display.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(v, d) => fr::number(*v, *d),
            Cell::Signed(v, d) => fr::signed(*v, *d),
            Cell::Marker(st) => st.display_fr().to_string(),
        }
    }
}

/// A text cell for a spreadsheet: one starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return would be run as a formula by Excel (« =cmd|… »):
/// prefixed with an apostrophe, as OWASP recommends for CSV files.
fn spreadsheet_text(t: &str) -> String {
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{t}")
    } else {
        t.to_string()
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Columns holding numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// Index of the first reference row, drawn after a separator.
    pub references_from: Option<usize>,
    /// Source, lecture and legend lines printed under the table.
    pub notes: Vec<String>,
    /// For a table of territories, each row's territory code and level:
    /// written as the first columns of the CSV (to join with results.csv,
    /// to tell homonyms apart), not drawn in the pages.
    pub keys: Vec<(String, &'static str)>,
}

impl Table {
    pub fn new(title: impl Into<String>, header: Vec<String>) -> Table {
        let n = header.len();
        Table {
            title: title.into(),
            header,
            numeric: vec![false; n],
            ..Default::default()
        }
    }

    pub fn terminal(&self) -> String {
        let mut t = Comfy::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(self.header.iter().map(ComfyCell::new));
        if let Some(w) = terminal_width() {
            t.set_width(w);
        }
        for (i, row) in self.rows.iter().enumerate() {
            if self.references_from == Some(i) && i > 0 {
                t.add_row(self.header.iter().map(|_| ComfyCell::new("┄")));
            }
            t.add_row(row.iter().enumerate().map(|(j, v)| {
                let c = ComfyCell::new(v.display());
                if self.numeric.get(j) == Some(&true) {
                    c.set_alignment(CellAlignment::Right)
                } else {
                    c
                }
            }));
        }
        let mut out = String::new();
        if !self.title.is_empty() {
            out.push_str(&self.title);
            out.push('\n');
        }
        out.push_str(&t.to_string());
        out.push('\n');
        for n in &self.notes {
            out.push_str(n);
            out.push('\n');
        }
        out
    }

    pub fn markdown(&self) -> String {
        // A cell cannot end the row (|, line breaks) nor open HTML.
        let esc = |s: &str| {
            s.replace('|', "\\|")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace(['\n', '\r'], " ")
        };
        let mut out = String::new();
        if !self.title.is_empty() {
            out.push_str(&format!("## {}\n\n", self.title));
        }
        out.push_str(&format!(
            "| {} |\n",
            self.header
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        let aligns: Vec<&str> = (0..self.header.len())
            .map(|j| {
                if self.numeric.get(j) == Some(&true) {
                    "---:"
                } else {
                    "---"
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", aligns.join(" | ")));
        for row in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                row.iter()
                    .map(|v| esc(&v.display()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for n in &self.notes {
                // Text, never HTML (names and sentences come from the data).
                out.push_str(&n.replace('<', "&lt;").replace('>', "&gt;"));
                out.push_str("  \n");
            }
        }
        out
    }

    /// French CSV: `;` separator, decimal comma, BOM. Notes are not included
    /// (the file stays a rectangular table).
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        let keyed = !self.keys.is_empty() && self.keys.len() == self.rows.len();
        let key_header = ["Code", "Niveau"].map(String::from);
        let header = if keyed { &key_header[..] } else { &[] }.iter().chain(&self.header);
        w.write_record(header.map(|h| spreadsheet_text(h)))?;
        for (i, row) in self.rows.iter().enumerate() {
            let key = match self.keys.get(i).filter(|_| keyed) {
                Some((code, level)) => vec![spreadsheet_text(code), level.to_string()],
                None => vec![],
            };
            // Thousands separators would make numbers text in a spreadsheet;
            // a text that a spreadsheet would take for a formula is quoted.
            w.write_record(key.into_iter().chain(row.iter().map(|v| match v {
                Cell::Text(t) => spreadsheet_text(t),
                v => v.display().replace(fr::THOUSANDS, ""),
            })))?;
        }
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("écriture CSV : {e}"))
    }
}

impl Table {
    /// Removes the numeric columns in which no row has a number (only
    /// markers): a column of « – » and « nd » tells the reader nothing.
    pub fn drop_empty_columns(&mut self) {
        let keep: Vec<bool> = (0..self.header.len())
            .map(|j| {
                self.numeric.get(j) != Some(&true)
                    || self
                        .rows
                        .iter()
                        .any(|r| matches!(r.get(j), Some(Cell::Number(..) | Cell::Signed(..))))
            })
            .collect();
        self.retain_columns(&keep);
    }

    /// Keeps the columns flagged in `keep` (by position; unflagged: kept).
    pub fn retain_columns(&mut self, keep: &[bool]) {
        retain_columns(&mut self.header, keep);
        retain_columns(&mut self.numeric, keep);
        for r in &mut self.rows {
            retain_columns(r, keep);
        }
    }

    /// HTML `<table>`s (well-formed XML, so they can sit in an XHTML page),
    /// preceded by the title and followed by the notes. A table of more than
    /// [`PRINT_COLUMNS`] number columns is cut into several, each repeating
    /// the leading text columns (the territory), so that every column fits
    /// the width of an A4 page.
    pub fn html(&self, heading: &str) -> String {
        let mut out = String::new();
        if !self.title.is_empty() {
            out.push_str(&format!("<{heading}>{}</{heading}>\n", escape(&self.title)));
        }
        let lead = self.numeric.iter().take_while(|n| !**n).count().min(self.header.len());
        let rest: Vec<usize> = (lead..self.header.len()).collect();
        let parts: Vec<&[usize]> = if rest.is_empty() { vec![&[]] } else { rest.chunks(PRINT_COLUMNS).collect() };
        for (k, part) in parts.iter().enumerate() {
            let columns: Vec<usize> = (0..lead).chain(part.iter().copied()).collect();
            out.push_str("<div class=\"table\"><table>\n");
            if parts.len() > 1 {
                out.push_str(&format!(
                    "<caption>{} {} sur {}</caption>\n",
                    if k == 0 { "Partie" } else { "Suite, partie" },
                    k + 1,
                    parts.len()
                ));
            }
            out.push_str("<thead><tr>");
            for &j in &columns {
                out.push_str(&format!("<th>{}</th>", escape(&self.header[j])));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for (i, row) in self.rows.iter().enumerate() {
                let class = if self.references_from.is_some_and(|r| i >= r) { " class=\"ref\"" } else { "" };
                out.push_str(&format!("<tr{class}>"));
                for &j in &columns {
                    let Some(c) = row.get(j) else { continue };
                    let num = if self.numeric.get(j) == Some(&true) { " class=\"num\"" } else { "" };
                    out.push_str(&format!("<td{num}>{}</td>", escape(&c.display())));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table></div>\n");
        }
        for n in &self.notes {
            out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(n)));
        }
        out
    }
}

/// Number columns of an HTML table beside its leading text columns: what
/// an A4 portrait page holds at the report's print size (checked in
/// headless Chromium by tools/print_check.sh).
pub const PRINT_COLUMNS: usize = 6;

fn retain_columns<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut j = 0;
    v.retain(|_| {
        j += 1;
        keep.get(j - 1).copied().unwrap_or(true)
    });
}

/// Escapes text for HTML and XML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_show_numbers_in_french_and_status_markers() {
        assert_eq!(Cell::value(None, Status::Secret, 1).display(), "nd");
        assert_eq!(Cell::value(Some(40.1), Status::Ok, 1).display(), "40,1");
        assert_eq!(
            Cell::value(None, Status::NotAggregable, 1).display(),
            "n.c."
        );
        assert_eq!(
            Cell::change(Some(0.7), Some(Status::Ok), 1).display(),
            "+0,7"
        );
        assert_eq!(Cell::change(None, None, 1).display(), "–");
    }

    #[test]
    fn a_wide_table_is_cut_into_parts_that_repeat_the_territory() {
        let mut header = vec!["Territoire".to_string()];
        header.extend((1..=14).map(|k| format!("c{k}")));
        let mut t = Table::new("Large", header);
        for j in 1..=14 {
            t.numeric[j] = true;
        }
        t.rows.push(std::iter::once(Cell::text("Denain")).chain((1..=14).map(|k| Cell::value(Some(k as f64), Status::Ok, 0))).collect());
        t.notes.push("Source : essai".into());
        let h = t.html("h3");
        assert_eq!(h.matches("<table>").count(), 3);
        assert_eq!(h.matches("<th>Territoire</th>").count(), 3);
        assert_eq!(h.matches("<td>Denain</td>").count(), 3);
        assert!(h.contains("<caption>Partie 1 sur 3</caption>") && h.contains("<caption>Suite, partie 3 sur 3</caption>"));
        for k in 1..=14 {
            assert_eq!(h.matches(&format!("<th>c{k}</th>")).count(), 1, "c{k}");
        }
        assert!(h.find("<th>c6</th>") < h.find("partie 2 sur 3") && h.find("<th>c7</th>") > h.find("partie 2 sur 3"));
        assert_eq!(h.matches("Source : essai").count(), 1);
        // A narrow table stays whole, without caption.
        t.header.truncate(4);
        let h = t.html("h3");
        assert_eq!((h.matches("<table>").count(), h.contains("<caption>")), (1, false));
    }

    #[test]
    fn html_is_escaped() {
        let mut t = Table::new("A & B", vec!["x<y".into()]);
        t.rows.push(vec![Cell::text("\"q\"")]);
        let h = t.html("h3");
        assert!(
            h.contains("<h3>A &amp; B</h3>")
                && h.contains("<th>x&lt;y</th>")
                && h.contains("&quot;q&quot;")
        );
    }

    #[test]
    fn columns_without_any_number_are_dropped() {
        let mut t = Table::new("", vec!["Territoire".into(), "a".into(), "b".into()]);
        t.numeric = vec![false, true, true];
        t.rows.push(vec![
            Cell::text("X"),
            Cell::Marker(Status::Secret),
            Cell::Number(1.0, 0),
        ]);
        t.rows.push(vec![
            Cell::text("Y"),
            Cell::Marker(Status::Missing),
            Cell::Marker(Status::Secret),
        ]);
        t.drop_empty_columns();
        assert_eq!(t.header, vec!["Territoire".to_string(), "b".to_string()]);
        assert_eq!(
            t.rows[1],
            vec![Cell::text("Y"), Cell::Marker(Status::Secret)]
        );
    }
}
