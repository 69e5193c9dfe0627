//! Forecasts in a sheet, in two layouts:
//!
//! - **long**: one row per program-month, columns `program`, `month`, `phase`, `batches`;
//! - **wide** (what planners keep): one row per program and phase, columns `program`, `phase`
//!   and one per month (`2027-01`, …) holding batches; an empty cell is no entry.
//!
//! `program` is a program's name or id; a `program_id` column, where present and filled, names
//! it by id instead (the exports write both, and `client`, which is read past). Every cell is
//! checked and every bad one reported; the entries of each program are then held to the rules
//! of `PUT /v1/programs/{id}/forecast` ([`ForecastInput::validate`]), whose errors are reported
//! at the cells the entries came from.

use super::{push_row, CellRef, Header, Names, Sheet};
use crate::domain::{ForecastEntry, ForecastInput, Month, Phase, ValidationErrors};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Long,
    Wide,
}

impl Layout {
    pub fn parse(s: &str) -> Option<Layout> {
        match s {
            "long" => Some(Layout::Long),
            "wide" => Some(Layout::Wide),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Long => "long",
            Layout::Wide => "wide",
        }
    }
}

/// What a forecast sheet holds: each named program's entries (in the order programs first
/// appear) and the number of data rows read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub layout: Layout,
    pub programs: Vec<(Uuid, Vec<ForecastEntry>)>,
    pub rows: usize,
}

/// Where an entry came from: the cells of its month and of its batches.
struct Origin {
    month: CellRef,
    batches: CellRef,
}

/// Entries being gathered for one program.
#[derive(Default)]
struct Gathered {
    first: Option<CellRef>,
    entries: Vec<ForecastEntry>,
    origins: Vec<Origin>,
}

const KNOWN: [&str; 6] = [
    "program",
    "program_id",
    "client",
    "month",
    "phase",
    "batches",
];

/// Reads the sheet in `layout` (or the layout its header shows: long when it has a `month`
/// column). Every bad cell is reported.
pub fn parse(
    sheet: &Sheet,
    layout: Option<Layout>,
    programs: &Names,
) -> Result<Parsed, ValidationErrors> {
    let header = Header::of(&sheet.header);
    let layout = layout.unwrap_or(if header.find("month").is_some() {
        Layout::Long
    } else {
        Layout::Wide
    });
    let mut e = ValidationErrors::new();
    let hr = header.row;
    // A missing column leaves the rows unreadable; an unknown or bad one is reported and its
    // cells are read past, so that the rows' own errors are reported with it.
    let mut fatal = false;
    let mut need = |name: &str, e: &mut ValidationErrors| {
        let found = header.find(name);
        if found.is_none() {
            fatal = true;
            push_row(
                e,
                hr,
                &format!(
                    "the header has no `{name}` column ({} layout)",
                    layout.as_str()
                ),
            );
        }
        found.map(|(i, t)| (i, t.to_string()))
    };
    let id_col = header.find("program_id").map(|(i, t)| (i, t.to_string()));
    let program_col = if id_col.is_some() {
        header.find("program").map(|(i, t)| (i, t.to_string()))
    } else {
        need("program", &mut e)
    };
    let phase_col = need("phase", &mut e);
    let (month_col, batches_col, month_cols) = match layout {
        Layout::Long => {
            for (_, text) in &header.columns {
                if !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(text)) {
                    CellRef::new(hr, text.as_str()).push(
                        &mut e,
                        "unknown column: the long layout has program, month, phase and batches",
                    );
                }
            }
            (need("month", &mut e), need("batches", &mut e), Vec::new())
        }
        Layout::Wide => {
            let mut months: Vec<(usize, String, Month)> = Vec::new();
            for (i, text) in &header.columns {
                if ["program", "program_id", "client", "phase"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(text))
                {
                    continue;
                }
                let cell = CellRef::new(hr, text.as_str());
                match sheet.header.cell(*i).month() {
                    None => cell.push(
                        &mut e,
                        "not a month: the wide layout's columns after program and phase are \
                         months, YYYY-MM",
                    ),
                    Some(m) if months.iter().any(|(_, _, seen)| *seen == m) => {
                        cell.push(&mut e, "month repeated in the header")
                    }
                    Some(m) => months.push((*i, text.clone(), m)),
                }
            }
            (None, None, months)
        }
    };
    if fatal {
        return Err(e);
    }

    let mut gathered: Vec<(Uuid, Gathered)> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for row in &sheet.rows {
        let at = |col: &(usize, String)| CellRef::new(row.number, col.1.as_str());
        // Cells past the header's columns hold nothing the file means.
        if let Some(extra) = row
            .cells
            .iter()
            .enumerate()
            .find(|(i, c)| !c.is_empty() && !header.columns.iter().any(|(h, _)| h == i))
        {
            push_row(
                &mut e,
                row.number,
                &format!("a value in column {} has no header", extra.0 + 1),
            );
        }
        // The program: by id where a `program_id` cell is filled, else by name or id.
        let program = match (&id_col, &program_col) {
            (Some(idc), _) if !row.cell(idc.0).is_empty() => {
                let text = row.cell(idc.0).text().unwrap_or_default();
                programs.resolve_id(&text).map_err(|m| (at(idc), m))
            }
            (_, Some(pc)) => match row.cell(pc.0).text() {
                Some(text) => programs.resolve(&text).map_err(|m| (at(pc), m)),
                None => Err((at(pc), "missing: name the program (or its id)".to_string())),
            },
            (Some(idc), None) => Err((at(idc), "missing: the program's id".to_string())),
            (None, None) => unreachable!("the header was checked"),
        };
        let program = match program {
            Ok(id) => Some(id),
            Err((cell, message)) => {
                cell.push(&mut e, &message);
                None
            }
        };
        let phase_col = phase_col.as_ref().expect("the header was checked");
        let phase = match row.cell(phase_col.0).text() {
            None => {
                at(phase_col).push(&mut e, "missing: the clinical phase");
                None
            }
            Some(t) => {
                let p = Phase::parse(&t.to_ascii_lowercase());
                if p.is_none() {
                    at(phase_col).push(
                        &mut e,
                        "must be preclinical, phase1, phase2, phase3 or commercial",
                    );
                }
                p
            }
        };
        let mut cells: Vec<(Option<Month>, Option<i64>, Origin)> = Vec::new();
        match layout {
            Layout::Long => {
                let mc = month_col.as_ref().expect("the header was checked");
                let bc = batches_col.as_ref().expect("the header was checked");
                let month = match row.cell(mc.0) {
                    c if c.is_empty() => {
                        at(mc).push(&mut e, "missing: the month, YYYY-MM");
                        None
                    }
                    c => {
                        let m = c.month();
                        if m.is_none() {
                            at(mc).push(&mut e, "not a month, YYYY-MM");
                        }
                        m
                    }
                };
                let batches = batches_of(row.cell(bc.0), &at(bc), &mut e);
                cells.push((
                    month,
                    batches,
                    Origin {
                        month: at(mc),
                        batches: at(bc),
                    },
                ));
            }
            Layout::Wide => {
                for (i, text, month) in &month_cols {
                    let cell = row.cell(*i);
                    if cell.is_empty() {
                        continue;
                    }
                    let at = CellRef::new(row.number, text.as_str());
                    let batches = batches_of(cell, &at, &mut e);
                    cells.push((
                        Some(*month),
                        batches,
                        Origin {
                            month: at.clone(),
                            batches: at,
                        },
                    ));
                }
            }
        }
        let Some(program) = program else { continue };
        let slot = *index.entry(program).or_insert_with(|| {
            gathered.push((program, Gathered::default()));
            gathered.len() - 1
        });
        let g = &mut gathered[slot].1;
        if g.first.is_none() {
            g.first = program_col
                .as_ref()
                .or(id_col.as_ref())
                .map(|c| CellRef::new(row.number, c.1.as_str()));
        }
        let Some(phase) = phase else { continue };
        for (month, batches, origin) in cells {
            if let (Some(month), Some(batches)) = (month, batches) {
                g.entries.push(ForecastEntry {
                    month,
                    phase,
                    batches,
                });
                g.origins.push(origin);
            }
        }
    }

    // Each program's entries by the JSON API's rules, reported at the cells they came from.
    let mut out = Vec::with_capacity(gathered.len());
    for (program, g) in gathered {
        match (ForecastInput { entries: g.entries }).validate() {
            Ok(input) => out.push((program, input.entries)),
            Err(found) => {
                for fe in found.0 {
                    let mut parts = fe.field.trim_start_matches("/entries").split('/').skip(1);
                    let cell = match (
                        parts.next().and_then(|i| i.parse::<usize>().ok()),
                        parts.next(),
                    ) {
                        (Some(i), Some("month")) => g.origins.get(i).map(|o| &o.month),
                        (Some(i), _) => g.origins.get(i).map(|o| &o.batches),
                        (None, _) => g.first.as_ref(),
                    };
                    match cell {
                        Some(cell) => cell.push(&mut e, &fe.message),
                        None => e.push(fe.field, fe.message),
                    }
                }
            }
        }
    }
    e.into_result(Parsed {
        layout,
        programs: out,
        rows: sheet.rows.len(),
    })
}

/// A cell of batches: a whole number (its range is [`ForecastInput::validate`]'s to check).
fn batches_of(cell: &super::Cell, at: &CellRef, e: &mut ValidationErrors) -> Option<i64> {
    if cell.is_empty() {
        at.push(e, "missing: the number of batches (0 for none)");
        return None;
    }
    let n = cell.integer();
    if n.is_none() {
        at.push(e, "not an integer");
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::{read, Format};

    fn programs() -> (Names, Uuid) {
        let id = Uuid::now_v7();
        (Names::new("program", vec![(id, "TIL-1".into())]), id)
    }

    fn sheet(csv: &str) -> Sheet {
        read(csv.as_bytes(), Format::Csv).unwrap().unwrap()
    }

    #[test]
    fn wide_and_long_read_the_same_forecast() {
        let (p, id) = programs();
        let wide = parse(
            &sheet("program,phase,2027-01,2027-02\nTIL-1,phase1,2,\nTIL-1,phase2,,3\n"),
            None,
            &p,
        )
        .unwrap();
        let long = parse(
            &sheet("program,month,phase,batches\ntil-1,2027-02,phase2,3\nTIL-1,2027-01,phase1,2\n"),
            None,
            &p,
        )
        .unwrap();
        assert_eq!(wide.layout, Layout::Wide);
        assert_eq!(long.layout, Layout::Long);
        assert_eq!(wide.programs, long.programs);
        assert_eq!(wide.programs[0].0, id);
        assert_eq!(wide.programs[0].1.len(), 2);
    }

    #[test]
    fn every_bad_cell_is_named() {
        let (p, _) = programs();
        let e = parse(
            &sheet(
                "program,phase,2027-01,2027-02\nTIL-1,phase1,x,-1\nNOPE,phase1,1,\n\
                 TIL-1,phase2,,4\n",
            ),
            None,
            &p,
        )
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "/rows/2/2027-01",
                "/rows/3/program",
                "/rows/2/2027-02",
                "/rows/4/2027-02"
            ],
            "{e}"
        );
        assert_eq!(e.0[0].message, "row 2, column \"2027-01\": not an integer");
    }
}
