//! Bookings in a sheet: one row per booking, columns `program`, `suite`, `line`, `start`,
//! `end`, `status`, `note` (and optionally `kind`). `program` and `suite` are names or ids
//! (`program_id` and `suite_id` columns, where filled, name them by id); `line` empty picks the
//! lowest free line; `start` and `end` are days (`YYYY-MM-DD`, `end` exclusive); `status` is
//! `held` or `confirmed`. The columns only the bookings export writes (`id`, `client`, `site`,
//! `line-days`, `hold_expires_at`, `at_risk`, `created_at`) are read past.
//!
//! Each row is then held to the rules of `POST /v1/bookings` ([`NewBooking::validate`], and a
//! client key's: holds only, no CDMO-only kinds), whose errors are reported at the row's cells.

use super::{push_row, CellRef, Header, Names, Sheet};
use crate::domain::{BookingKind, BookingRules, BookingStatus, NewBooking, ValidationErrors};

/// One row of the file, ready for the booking path.
#[derive(Debug, Clone)]
pub struct BookingRow {
    /// The row as the spreadsheet numbers it.
    pub row: u32,
    pub input: NewBooking,
}

const READ: [&str; 10] = [
    "program",
    "program_id",
    "suite",
    "suite_id",
    "line",
    "start",
    "end",
    "status",
    "kind",
    "note",
];
const READ_PAST: [&str; 7] = [
    "id",
    "client",
    "site",
    "line-days",
    "hold_expires_at",
    "at_risk",
    "created_at",
];

/// The column a field of `POST /v1/bookings` comes from.
pub fn column_of(field: &str) -> &'static str {
    match field.trim_start_matches('/') {
        "program_id" => "program",
        "suite_id" => "suite",
        "line" => "line",
        "start" => "start",
        "end" => "end",
        "kind" => "kind",
        "note" => "note",
        _ => "status",
    }
}

/// Reads every row; every bad cell is reported. `client`: the caller is a client key.
pub fn parse(
    sheet: &Sheet,
    programs: &Names,
    suites: &Names,
    rules: &BookingRules,
    client: bool,
) -> Result<Vec<BookingRow>, ValidationErrors> {
    let header = Header::of(&sheet.header);
    let hr = header.row;
    let mut e = ValidationErrors::new();
    for (_, text) in &header.columns {
        let known = |set: &[&str]| set.iter().any(|k| k.eq_ignore_ascii_case(text));
        if !known(&READ) && !known(&READ_PAST) {
            CellRef::new(hr, text.as_str()).push(
                &mut e,
                "unknown column: bookings have program, suite, line, start, end, status, note \
                 (and kind)",
            );
        }
    }
    let col = |name: &str| header.find(name).map(|(i, t)| (i, t.to_string()));
    for (name, alt) in [
        ("program", Some("program_id")),
        ("suite", Some("suite_id")),
        ("start", None),
        ("end", None),
        ("status", None),
    ] {
        if col(name).is_none() && alt.and_then(col).is_none() {
            push_row(&mut e, hr, &format!("the header has no `{name}` column"));
        }
    }
    if !e.is_empty() {
        return Err(e);
    }
    let columns: Vec<(&str, Option<(usize, String)>)> = READ.iter().map(|n| (*n, col(n))).collect();
    let find = |name: &str| {
        columns
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, c)| c.clone())
    };
    let mut out = Vec::new();
    for row in &sheet.rows {
        let at = |name: &str| {
            let c = find(name)
                .or_else(|| find(&format!("{name}_id")))
                .map(|(_, t)| t)
                .unwrap_or_else(|| name.to_string());
            CellRef::new(row.number, c)
        };
        let text = |name: &str| find(name).and_then(|(i, _)| row.cell(i).text());
        let mut bad = false;
        let mut fail = |cell: CellRef, message: &str, e: &mut ValidationErrors| {
            bad = true;
            cell.push(e, message);
        };
        let mut named = |name: &str, names: &Names, e: &mut ValidationErrors| {
            let id_col = format!("{name}_id");
            let found = match (text(&id_col), text(name)) {
                (Some(id), _) => names.resolve_id(&id).map_err(|m| (id_col.as_str(), m)),
                (None, Some(t)) => names.resolve(&t).map_err(|m| (name, m)),
                (None, None) => Err((name, "missing".to_string())),
            };
            match found {
                Ok(id) => Some(id),
                Err((c, m)) => {
                    let c = find(c).map(|(_, t)| t).unwrap_or_else(|| c.to_string());
                    fail(CellRef::new(row.number, c), &m, e);
                    None
                }
            }
        };
        let program = named("program", programs, &mut e);
        let suite = named("suite", suites, &mut e);
        let line = match find("line").map(|(i, _)| row.cell(i)) {
            None => None,
            Some(c) if c.is_empty() => None,
            Some(c) => {
                let n = c.integer();
                if n.is_none() {
                    fail(
                        at("line"),
                        "not an integer (leave it empty for the lowest free line)",
                        &mut e,
                    );
                }
                n
            }
        };
        let mut day = |name: &str, e: &mut ValidationErrors| {
            let c = find(name).map(|(i, _)| row.cell(i).clone());
            match c {
                None => None,
                Some(c) if c.is_empty() => {
                    fail(at(name), "missing: a day, YYYY-MM-DD", e);
                    None
                }
                Some(c) => {
                    let d = c.date();
                    if d.is_none() {
                        fail(at(name), "not a day, YYYY-MM-DD", e);
                    }
                    d
                }
            }
        };
        let start = day("start", &mut e);
        let end = day("end", &mut e);
        let status = match text("status").map(|s| s.to_ascii_lowercase()) {
            Some(s) if s == "held" => Some(BookingStatus::Held),
            Some(s) if s == "confirmed" => Some(BookingStatus::Confirmed),
            _ => {
                fail(at("status"), "must be held or confirmed", &mut e);
                None
            }
        };
        if client && status == Some(BookingStatus::Confirmed) {
            fail(
                at("status"),
                "clients reserve slots as holds; the CDMO confirms them",
                &mut e,
            );
        }
        let kind = match text("kind") {
            None => Some(BookingKind::default()),
            Some(k) => {
                let kind = BookingKind::parse(&k.to_ascii_lowercase());
                match kind {
                    None => fail(
                        at("kind"),
                        "must be gmp_batch, ppq, engineering_run, tech_transfer, media_fill, \
                         maintenance or rental",
                        &mut e,
                    ),
                    Some(k) if client && k.cdmo_only() => fail(
                        at("kind"),
                        "the CDMO's own activity; planners book it",
                        &mut e,
                    ),
                    Some(_) => {}
                }
                kind
            }
        };
        let note = text("note");
        if bad {
            continue;
        }
        let (Some(program_id), Some(suite_id), Some(start), Some(end), Some(status), Some(kind)) =
            (program, suite, start, end, status, kind)
        else {
            continue;
        };
        let input = NewBooking {
            program_id,
            suite_id,
            line,
            start,
            end,
            status,
            kind,
            hold_expires_at: None,
            note,
        };
        match input.validate(rules, client) {
            Ok(input) => out.push(BookingRow {
                row: row.number,
                input,
            }),
            Err(found) => {
                for fe in found.0 {
                    at(column_of(&fe.field)).push(&mut e, &fe.message);
                }
            }
        }
    }
    e.into_result(out)
}
