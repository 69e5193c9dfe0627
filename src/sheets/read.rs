//! A CSV or XLSX file → its first sheet's rows of cells, numbered as the spreadsheet numbers them.
//!
//! CSV: UTF-8 (a byte-order mark is skipped), comma-separated — or semicolon- or tab-separated
//! when the first line has those and no comma (what Excel writes in locales with a decimal
//! comma). Each record's row is its line, so a blank line counts as the empty row a spreadsheet
//! shows there. A text cell written as `'=…` (`'` before `=`, `+`, `-` or `@`, the guard the
//! exports put against formula injection) is read without the `'`.
//!
//! XLSX: the first worksheet, read cell by cell (calamine's streaming reader) so that a sheet
//! claiming a far-away cell costs nothing; cells past [`MAX_ROWS`] rows or [`MAX_COLUMNS`]
//! columns, or a workbook that inflates past [`MAX_INFLATED`], are refused.

use chrono::{NaiveDate, NaiveDateTime};
use solver_models::Month;

/// The furthest row a sheet may use.
pub const MAX_ROWS: u32 = 100_000;
/// The furthest column a sheet may use.
pub const MAX_COLUMNS: u32 = 1_000;
/// The most an XLSX's parts may inflate to, together.
pub const MAX_INFLATED: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// An XLSX is a zip archive: it starts with a local file header, `PK\x03\x04`.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// One cell's value as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The cell as text (numbers as written, dates as `YYYY-MM-DD`); `None` when empty.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(t) => Some(t.clone()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Number(f) => Some(f.to_string()),
            Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
            Cell::Bool(b) => Some(b.to_string()),
        }
    }

    /// A whole number: an integer cell, a number cell without a fraction (spreadsheets keep
    /// every number as a float), or text spelling one (`12`, `12.0`).
    pub fn integer(&self) -> Option<i64> {
        let whole = |f: f64| (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64);
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Number(f) => whole(*f),
            Cell::Text(t) => t
                .parse::<i64>()
                .ok()
                .or_else(|| t.parse::<f64>().ok().and_then(whole)),
            _ => None,
        }
    }

    /// A month: `YYYY-MM` as text, or a date cell (its month).
    pub fn month(&self) -> Option<Month> {
        match self {
            Cell::Text(t) => Month::parse(t),
            Cell::Date(d) => Some(Month::of(*d)),
            _ => None,
        }
    }

    /// A day: `YYYY-MM-DD` as text, or a date cell.
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Cell::Text(t) => crate::domain::dates::parse_date(t),
            Cell::Date(d) => Some(*d),
            _ => None,
        }
    }
}

/// One row: its number as the spreadsheet shows it, and its cells from the sheet's first column.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn cell(&self, column: usize) -> &Cell {
        self.cells.get(column).unwrap_or(&Cell::Empty)
    }
    fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_empty)
    }
}

/// A sheet: its first non-blank row (the header) and the non-blank rows after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub header: Row,
    pub rows: Vec<Row>,
}

/// Why a file could not be read as the format it is.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the CSV file is not UTF-8 text")]
    NotUtf8,
    #[error("the CSV file could not be read: {0}")]
    Csv(String),
    #[error("the file is not a readable XLSX workbook: {0}")]
    Xlsx(String),
    #[error("the workbook has no worksheet")]
    NoSheet,
    #[error(
        "the sheet uses a cell past row {MAX_ROWS} or column {MAX_COLUMNS}, or inflates past \
         64 MiB; split it"
    )]
    TooLarge,
}

/// Reads the file's first sheet; `None` when it has no non-blank row.
pub fn read(bytes: &[u8], format: Format) -> Result<Option<Sheet>, ReadError> {
    let rows = match format {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
    };
    let mut rows = rows.into_iter().filter(|r| !r.is_blank());
    Ok(rows.next().map(|header| Sheet {
        header,
        rows: rows.collect(),
    }))
}

/// A text cell as read: trimmed, empty → [`Cell::Empty`], the formula guard removed.
fn text_cell(raw: &str) -> Cell {
    let t = raw.trim();
    if t.is_empty() {
        return Cell::Empty;
    }
    let unguarded = t
        .strip_prefix('\'')
        .filter(|rest| rest.starts_with(['=', '+', '-', '@']));
    Cell::Text(unguarded.unwrap_or(t).to_string())
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Row>, ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(',') {
        b','
    } else if first.contains(';') {
        b';'
    } else if first.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        // A record's position is where the reader began looking for it: before the blank lines
        // it skipped, which are rows all the same.
        let (line, byte) = record
            .position()
            .map(|p| (p.line(), p.byte() as usize))
            .unwrap_or((0, 0));
        let skipped = text
            .as_bytes()
            .get(byte..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .filter(|b| **b == b'\n')
            .count() as u64;
        let number = u32::try_from(line + skipped).map_err(|_| ReadError::TooLarge)?;
        if number > MAX_ROWS || record.len() > MAX_COLUMNS as usize {
            return Err(ReadError::TooLarge);
        }
        rows.push(Row {
            number,
            cells: record.iter().map(text_cell).collect(),
        });
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Row>, ReadError> {
    use calamine::{DataRef, DataType, Reader};
    let bad = |e: &dyn std::fmt::Display| ReadError::Xlsx(e.to_string());
    // Refuse a zip bomb before anything is inflated: the central directory states each part's
    // size (and the reader stops at the stated size).
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let mut inflated = 0u64;
    for i in 0..zip.len() {
        inflated = inflated.saturating_add(zip.by_index_raw(i).map_err(|e| bad(&e))?.size());
    }
    if inflated > MAX_INFLATED {
        return Err(ReadError::TooLarge);
    }
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ReadError::NoSheet)?;
    let mut cells = book.worksheet_cells_reader(&name).map_err(|e| bad(&e))?;
    let mut grid: std::collections::BTreeMap<u32, Vec<(u32, Cell)>> = Default::default();
    let mut first_column = u32::MAX;
    while let Some(cell) = cells.next_cell().map_err(|e| bad(&e))? {
        let (row, column) = cell.get_position();
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(ReadError::TooLarge);
        }
        let value = match cell.get_value() {
            DataRef::Empty => Cell::Empty,
            DataRef::Int(i) => Cell::Int(*i),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::String(s) => text_cell(s),
            DataRef::SharedString(s) => text_cell(s),
            v @ (DataRef::DateTime(_) | DataRef::DateTimeIso(_)) => v
                .as_datetime()
                .map(|t: NaiveDateTime| Cell::Date(t.date()))
                .or_else(|| v.as_date().map(Cell::Date))
                .unwrap_or_else(|| Cell::Text(v.as_string().unwrap_or_default())),
            DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Text(format!("#{e:?}")),
        };
        if value.is_empty() {
            continue;
        }
        first_column = first_column.min(column);
        grid.entry(row).or_default().push((column, value));
    }
    Ok(grid
        .into_iter()
        .map(|(row, values)| {
            let mut cells = Vec::new();
            for (column, value) in values {
                let at = (column - first_column) as usize;
                if cells.len() <= at {
                    cells.resize(at + 1, Cell::Empty);
                }
                cells[at] = value;
            }
            Row {
                number: row + 1,
                cells,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_numbers_and_guards_come_off() {
        let sheet = read(
            "\u{feff}program;month\n\nP;'=1\n".as_bytes(),
            Format::sniff(b"p"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(sheet.header.number, 1);
        assert_eq!(sheet.rows[0].number, 3);
        assert_eq!(sheet.rows[0].cells[1], Cell::Text("=1".into()));
        let sheet = read(b"a,b\r\n\r\n\r\nx,\"y\r\nz\"\r\nw,v\r\n", Format::Csv)
            .unwrap()
            .unwrap();
        assert_eq!(sheet.rows[0].number, 4);
        assert_eq!(sheet.rows[1].number, 6);
    }

    #[test]
    fn integers_are_whole_numbers_only() {
        assert_eq!(Cell::Text("12".into()).integer(), Some(12));
        assert_eq!(Cell::Number(3.0).integer(), Some(3));
        assert_eq!(Cell::Number(3.5).integer(), None);
        assert_eq!(Cell::Text("x".into()).integer(), None);
        assert_eq!(Cell::Text("-2".into()).integer(), Some(-2));
    }
}
