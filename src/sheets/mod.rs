//! Spreadsheets in and out: a CSV or XLSX file read into rows of cells numbered as a person sees
//! them ([`read`]), the forecast and booking layouts read from those rows ([`forecasts`],
//! [`bookings`]), and tables written as CSV or XLSX ([`write`]). No axum, no sqlx: the HTTP
//! layer (`http::imports`, `http::exports`) and the store do the rest.
//!
//! Errors name a cell the way the API names a field: `/rows/{row}/{column}`, the row as the
//! spreadsheet numbers it (the header is row 1) and the column by its header text,
//! JSON-Pointer-escaped; the message starts with `row 14, column "2028-03": `.

pub mod bookings;
pub mod forecasts;
pub mod read;
pub mod write;

pub use read::{read, Cell, Format, ReadError, Row, Sheet};
pub use write::{Table, Value};

/// `text/csv`.
pub const CSV: &str = "text/csv";
/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell of a sheet, as errors name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRef {
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: u32,
    /// The column's header text.
    pub column: String,
}

impl CellRef {
    pub fn new(row: u32, column: impl Into<String>) -> CellRef {
        CellRef {
            row,
            column: column.into(),
        }
    }

    /// `/rows/{row}/{column}` (RFC 6901 escaping of the column).
    pub fn field(&self) -> String {
        format!(
            "/rows/{}/{}",
            self.row,
            self.column.replace('~', "~0").replace('/', "~1")
        )
    }

    /// `row 14, column "2028-03": {message}`.
    pub fn message(&self, message: &str) -> String {
        format!("row {}, column \"{}\": {message}", self.row, self.column)
    }

    /// Records `message` against this cell.
    pub fn push(&self, errors: &mut crate::domain::ValidationErrors, message: &str) {
        errors.push(self.field(), self.message(message));
    }
}

/// Records an error against a whole row (`/rows/{row}`).
pub fn push_row(errors: &mut crate::domain::ValidationErrors, row: u32, message: &str) {
    errors.push(format!("/rows/{row}"), format!("row {row}: {message}"));
}

/// The columns of a header row: each one's position and its text as written (trimmed).
#[derive(Debug, Clone)]
pub struct Header {
    pub row: u32,
    pub columns: Vec<(usize, String)>,
}

impl Header {
    pub fn of(row: &Row) -> Header {
        Header {
            row: row.number,
            columns: row
                .cells
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.text().map(|t| (i, t)))
                .collect(),
        }
    }

    /// The position and text of the column named `name` (case-insensitive).
    pub fn find(&self, name: &str) -> Option<(usize, &str)> {
        self.columns
            .iter()
            .find(|(_, t)| t.eq_ignore_ascii_case(name))
            .map(|(i, t)| (*i, t.as_str()))
    }
}

/// A UUID written as the API writes them (`8-4-4-4-12` hex digits).
pub fn uuid(text: &str) -> Option<uuid::Uuid> {
    if text.len() == 36 {
        uuid::Uuid::try_parse(text).ok()
    } else {
        None
    }
}

/// The things (programs, suites) a caller may name in a sheet, by id or by name.
pub struct Names {
    what: &'static str,
    ids: std::collections::HashSet<uuid::Uuid>,
    by_name: std::collections::HashMap<String, Vec<uuid::Uuid>>,
    by_folded: std::collections::HashMap<String, Vec<uuid::Uuid>>,
}

impl Names {
    /// `what` names the kind in messages ("program", "suite").
    pub fn new(what: &'static str, all: Vec<(uuid::Uuid, String)>) -> Names {
        let mut n = Names {
            what,
            ids: Default::default(),
            by_name: Default::default(),
            by_folded: Default::default(),
        };
        for (id, name) in all {
            n.ids.insert(id);
            n.by_name
                .entry(name.trim().to_string())
                .or_default()
                .push(id);
            n.by_folded
                .entry(name.trim().to_lowercase())
                .or_default()
                .push(id);
        }
        n
    }

    /// By id, or by name: exactly as written, else ignoring case, when only one has it. One the
    /// caller may not see is unknown, as one that does not exist.
    pub fn resolve(&self, text: &str) -> Result<uuid::Uuid, String> {
        if uuid(text).is_some() {
            return self.resolve_id(text);
        }
        let pick = |found: Option<&Vec<uuid::Uuid>>| match found.map(Vec::as_slice) {
            Some([one]) => Some(Ok(*one)),
            Some([_, _, ..]) => Some(Err(format!(
                "ambiguous {} name (several have it): use the {}'s id",
                self.what, self.what
            ))),
            _ => None,
        };
        pick(self.by_name.get(text))
            .or_else(|| pick(self.by_folded.get(&text.to_lowercase())))
            .unwrap_or_else(|| Err(format!("unknown {}", self.what)))
    }

    /// By id only.
    pub fn resolve_id(&self, text: &str) -> Result<uuid::Uuid, String> {
        uuid(text)
            .filter(|id| self.ids.contains(id))
            .ok_or_else(|| format!("unknown {}", self.what))
    }
}
