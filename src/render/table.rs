//! A French table (title, header, rows, notes) and its writers: terminal
//! (comfy-table), Markdown and CSV (`;`, decimal comma, UTF-8 with BOM so that
//! Excel opens accents correctly).

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table as Comfy};

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns holding numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// Index of the first reference row, drawn after a separator.
    pub references_from: Option<usize>,
    /// Source, lecture and legend lines printed under the table.
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(title: impl Into<String>, header: Vec<String>) -> Table {
        let n = header.len();
        Table { title: title.into(), header, numeric: vec![false; n], ..Default::default() }
    }

    pub fn terminal(&self) -> String {
        let mut t = Comfy::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(self.header.iter().map(Cell::new));
        if let Some(w) = terminal_width() {
            t.set_width(w);
        }
        for (i, row) in self.rows.iter().enumerate() {
            if self.references_from == Some(i) && i > 0 {
                t.add_row(self.header.iter().map(|_| Cell::new("┄")));
            }
            t.add_row(row.iter().enumerate().map(|(j, v)| {
                let c = Cell::new(v);
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
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = String::new();
        if !self.title.is_empty() {
            out.push_str(&format!("## {}\n\n", self.title));
        }
        out.push_str(&format!("| {} |\n", self.header.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | ")));
        let aligns: Vec<&str> = (0..self.header.len())
            .map(|j| if self.numeric.get(j) == Some(&true) { "---:" } else { "---" })
            .collect();
        out.push_str(&format!("| {} |\n", aligns.join(" | ")));
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.iter().map(|v| esc(v)).collect::<Vec<_>>().join(" | ")));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for n in &self.notes {
                out.push_str(n);
                out.push_str("  \n");
            }
        }
        out
    }

    /// French CSV: `;` separator, decimal comma, BOM. Notes are not included
    /// (the file stays a rectangular table).
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(&self.header)?;
        for row in &self.rows {
            // Thousands separators would make numbers text in a spreadsheet.
            w.write_record(row.iter().map(|v| v.replace(crate::render::fr::THOUSANDS, "")))?;
        }
        Ok(w.into_inner().map_err(|e| anyhow::anyhow!("écriture CSV : {e}"))?)
    }
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
