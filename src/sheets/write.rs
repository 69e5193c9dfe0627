//! A table written as CSV or XLSX.
//!
//! CSV: UTF-8 without a byte-order mark, comma-separated, `\n` line ends, a header row. A text
//! cell that a spreadsheet would take for a formula (it starts with `=`, `+`, `-` or `@`) is
//! written with a `'` before it, so that opening an export never runs a name someone typed;
//! the importers take the `'` off again.
//!
//! XLSX: one worksheet named after the table, a bold header row frozen at the top, text as
//! text (never a formula), numbers as numbers, days as dates shown `yyyy-mm-dd`, columns
//! fitted to their contents.

use chrono::NaiveDate;

/// One cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Date(NaiveDate),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Int(i64::from(i))
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Value {
        Value::Date(d)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Empty)
    }
}
impl From<uuid::Uuid> for Value {
    fn from(id: uuid::Uuid) -> Value {
        Value::Text(id.to_string())
    }
}

/// A table: a sheet name, a header (units in it, e.g. `booked (line-days)`), rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The worksheet's name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(name: &str, header: &[&str]) -> Table {
        Table {
            name: name.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Value>) {
        self.rows.push(row);
    }

    pub fn to_csv(&self) -> Result<Vec<u8>, String> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        w.write_record(&self.header).map_err(|e| e.to_string())?;
        for row in &self.rows {
            w.write_record(row.iter().map(csv_text))
                .map_err(|e| e.to_string())?;
        }
        w.into_inner().map_err(|e| e.to_string())
    }

    pub fn to_xlsx(&self) -> Result<Vec<u8>, String> {
        use rust_xlsxwriter::{Format, Workbook};
        let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(&self.name).map_err(err)?;
        let bold = Format::new().set_bold();
        let day = Format::new().set_num_format("yyyy-mm-dd");
        for (c, h) in self.header.iter().enumerate() {
            sheet
                .write_string_with_format(0, column(c)?, h, &bold)
                .map_err(err)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| "too many rows".to_string())?;
            for (c, v) in row.iter().enumerate() {
                let c = column(c)?;
                match v {
                    Value::Empty => {}
                    Value::Text(t) => {
                        sheet.write_string(r, c, t).map_err(err)?;
                    }
                    Value::Int(i) => {
                        // Exact up to 2^53, which no count here comes near.
                        sheet.write_number(r, c, *i as f64).map_err(err)?;
                    }
                    Value::Float(f) => {
                        sheet.write_number(r, c, *f).map_err(err)?;
                    }
                    Value::Date(d) => {
                        sheet.write_date_with_format(r, c, d, &day).map_err(err)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        sheet.autofit();
        book.save_to_buffer().map_err(err)
    }
}

fn column(c: usize) -> Result<u16, String> {
    u16::try_from(c).map_err(|_| "too many columns".to_string())
}

fn csv_text(v: &Value) -> String {
    match v {
        Value::Empty => String::new(),
        Value::Text(t) if t.starts_with(['=', '+', '-', '@']) => format!("'{t}"),
        Value::Text(t) => t.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::{read, Cell, Format};

    #[test]
    fn both_formats_read_back_as_written() {
        let mut t = Table::new("forecasts", &["program", "month", "batches", "day"]);
        t.push(vec![
            "=SUM(A1)".into(),
            "2027-01".into(),
            3i64.into(),
            NaiveDate::from_ymd_opt(2027, 1, 5).into(),
        ]);
        for (bytes, format) in [
            (t.to_csv().unwrap(), Format::Csv),
            (t.to_xlsx().unwrap(), Format::Xlsx),
        ] {
            assert_eq!(Format::sniff(&bytes), format);
            let sheet = read(&bytes, format).unwrap().unwrap();
            assert_eq!(sheet.header.cells[0], Cell::Text("program".into()));
            let row = &sheet.rows[0];
            assert_eq!(row.number, 2);
            assert_eq!(row.cells[0], Cell::Text("=SUM(A1)".into()));
            assert_eq!(row.cells[1].text().as_deref(), Some("2027-01"));
            assert_eq!(row.cells[2].integer(), Some(3));
            assert_eq!(row.cells[3].date(), NaiveDate::from_ymd_opt(2027, 1, 5));
        }
    }
}
