//! The barometer as an XLSX workbook: one sheet per theme and a methodology
//! sheet. Numbers are stored as numbers with display formats (shown with a
//! decimal comma and thousands spaces by a French Excel), the header row is
//! frozen, columns are sized, source and lecture lines follow each table.

use std::path::Path;

use anyhow::{anyhow, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::render::table::{Cell, Table};

fn x<T>(r: Result<T, rust_xlsxwriter::XlsxError>) -> Result<T> {
    r.map_err(|e| anyhow!("écriture du classeur XLSX : {e}"))
}

fn number_format(decimals: u8, signed: bool) -> Format {
    let base = if decimals == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(decimals as usize))
    };
    let code = if signed {
        format!("+{base};-{base};{base}")
    } else {
        base
    };
    Format::new().set_num_format(code)
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(s: &str) -> String {
    s.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

fn write_table(ws: &mut Worksheet, t: &Table) -> Result<()> {
    let title = Format::new().set_bold().set_font_size(13);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let note = Format::new().set_italic();
    let marker = Format::new().set_align(FormatAlign::Right);
    x(ws.write_string_with_format(0, 0, &t.title, &title))?;
    for (j, h) in t.header.iter().enumerate() {
        x(ws.write_string_with_format(1, j as u16, h, &head))?;
    }
    for (i, row) in t.rows.iter().enumerate() {
        let r = i as u32 + 2;
        for (j, c) in row.iter().enumerate() {
            let col = j as u16;
            match c {
                Cell::Number(v, d) => x(ws
                    .write_number_with_format(r, col, *v, &number_format(*d, false))
                    .map(|_| ()))?,
                Cell::Signed(v, d) => x(ws
                    .write_number_with_format(r, col, *v, &number_format(*d, true))
                    .map(|_| ()))?,
                Cell::Marker(_) => x(ws
                    .write_string_with_format(r, col, c.display(), &marker)
                    .map(|_| ()))?,
                Cell::Text(s) => x(ws.write_string(r, col, s).map(|_| ()))?,
            }
        }
    }
    let first_note = t.rows.len() as u32 + 3;
    for (k, n) in t.notes.iter().enumerate() {
        x(ws.write_string_with_format(first_note + k as u32, 0, n, &note))?;
    }
    for j in 0..t.header.len() {
        let widest = t
            .rows
            .iter()
            .filter_map(|row| row.get(j))
            .map(|c| c.display().chars().count())
            .max()
            .unwrap_or(0);
        let width = if j == 0 {
            widest.clamp(12, 70)
        } else {
            widest.clamp(10, 18) + 2
        };
        x(ws.set_column_width(j as u16, width as f64))?;
    }
    x(ws.set_row_height(1, 60))?;
    x(ws.set_freeze_panes(2, 1))?;
    Ok(())
}

/// Writes the workbook: `tables` as (sheet name, table), then the
/// methodology table.
pub fn write_workbook(path: &Path, tables: &[(String, Table)], methodology: &Table) -> Result<()> {
    let mut wb = Workbook::new();
    // A fixed creation date keeps two runs on the same data byte-identical.
    let props = DocProperties::new()
        .set_title(&methodology.title)
        .set_creation_datetime(&x(ExcelDateTime::from_ymd(2024, 1, 1))?);
    wb.set_properties(&props);
    for (name, t) in tables {
        let ws = wb.add_worksheet();
        x(ws.set_name(sheet_name(name)))?;
        write_table(ws, t)?;
    }
    let ws = wb.add_worksheet();
    x(ws.set_name("Méthodologie"))?;
    write_table(ws, methodology)?;
    x(wb.save(path))
}
