//! Selling capacity: who may share a suite (segregation), lines that belong to one client
//! (dedications), and the rules the booking path, availability and quotes apply with them.
//! The planner applies the same rules through `solver_models` (suites' `segregation` and
//! `dedications` in the instance).

use super::calendar::{ConflictItem, Taken};
use super::{Closure, ValidationErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use solver_models::calendar::{dedication_conflicts, may_share, party_of, Dedicated, Party};
use utoipa::ToSchema;
use uuid::Uuid;

pub use solver_models::Segregation;

/// [`Segregation`] as the OpenAPI document shows it (the solver crate knows no OpenAPI): who may
/// occupy a suite's lines on the same day — anyone (`any`), the programs of one client
/// (`same_client`) or one program (`same_program`).
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SegregationName {
    Any,
    SameClient,
    SameProgram,
}

/// The party a booking of `program` (of `client`) belongs to in a suite segregated `seg`, as a
/// key: the client under `same_client`, the program under `same_program`, `None` under `any`
/// (the rule is the planner's, [`solver_models::calendar::party_of`]). The database keeps the
/// same key (`bookings.seg_key`, migration 0016).
pub fn party_key(seg: Segregation, program: Uuid, client: Uuid) -> Option<Uuid> {
    match party_of(seg, Some(program), Some(client))? {
        Party::Client(c) => Some(c),
        Party::Program(p) => Some(p),
        Party::Nobody => None,
    }
}

/// A stored party key back as the party it stands for in a suite segregated `seg`.
fn party_of_key(seg: Segregation, key: Uuid) -> Option<Party<Uuid, Uuid>> {
    match seg {
        Segregation::Any => None,
        Segregation::SameClient => Some(Party::Client(key)),
        Segregation::SameProgram => Some(Party::Program(key)),
    }
}

/// The live bookings of a suite segregated `seg` that keep a booking of `program` (of `client`)
/// out of `[start, end)`: those of a party it may not share a day with
/// ([`solver_models::calendar::may_share`]) on any line. Empty under `any`.
pub fn segregated_from(
    seg: Segregation,
    program: Uuid,
    client: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    taken: &[Taken],
) -> Vec<ConflictItem> {
    let Some(mine) = party_of(seg, Some(program), Some(client)) else {
        return Vec::new();
    };
    taken
        .iter()
        .filter(|t| t.start < end && start < t.end)
        .filter(|t| {
            t.party
                .and_then(|k| party_of_key(seg, k))
                .is_some_and(|theirs| !may_share(&mine, &theirs))
        })
        .map(|t| {
            let mut c = t.conflict();
            c.kind = "segregation".into();
            c
        })
        .collect()
}

/// A line of a suite that only one client's programs may use over `[start, end)`: equipment
/// the client owns, hosted at the CDMO, or capacity sold to it outright.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Dedication {
    pub id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub client_id: Uuid,
    pub start: NaiveDate,
    /// Exclusive; null: open-ended.
    pub end: Option<NaiveDate>,
    /// Omitted (null) in clients' views.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Dedication {
    /// Whether the dedication covers any day of `[start, end)`.
    pub fn overlaps(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.start < end && self.end.is_none_or(|e| start < e)
    }
    /// The days of `[from, to)` the line is kept from everyone but its client, as a closure
    /// of that line (how the calendar rules see it from another client's side).
    pub fn as_closure(&self, from: NaiveDate, to: NaiveDate) -> Closure {
        Closure {
            id: self.id,
            suite_id: self.suite_id,
            start: self.start.max(from),
            end: self.end.map_or(to, |e| e.min(to)).max(self.start.max(from)),
            reason: Some("dedicated to another client".into()),
            lines: Some(vec![self.line]),
        }
    }
}

/// The dedications of `dedications` that keep `client` (None: a prospective client, kept from
/// every dedicated line) off their lines within `[from, to)`, as closures.
pub fn closed_to(
    client: Option<Uuid>,
    dedications: &[Dedication],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Closure> {
    dedications
        .iter()
        .filter(|d| {
            let rule = [Dedicated {
                line: u32::try_from(d.line).unwrap_or(0),
                client: d.client_id,
                start: d.start,
                end: d.end,
            }];
            !dedication_conflicts(&rule, rule[0].line, client.as_ref(), from, to).is_empty()
        })
        .map(|d| d.as_closure(from, to))
        .collect()
}

/// The body of `POST /v1/suites/{id}/dedications`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDedication {
    #[schema(value_type = super::schema::LineNumber)]
    pub line: i64,
    pub client_id: Uuid,
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::Day)]
    pub start: NaiveDate,
    /// Exclusive, after `start`; null or absent: open-ended.
    #[serde(default, deserialize_with = "super::dates::opt_date")]
    #[schema(value_type = Option<super::schema::Day>)]
    pub end: Option<NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::Reason>)]
    pub note: Option<String>,
}

impl NewDedication {
    /// `suite_lines` is the number of lines of the suite.
    pub fn validate(mut self, suite_lines: i32) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.line < 1 || self.line > i64::from(suite_lines) {
            e.push("/line", format!("the suite has lines 1..={suite_lines}"));
        }
        if let Some(end) = self.end {
            super::check_interval(self.start, end, "/end", &mut e);
        }
        if let Some(note) = &mut self.note {
            *note = note.trim().to_string();
            if note.chars().count() > 500 {
                e.push("/note", "must be at most 500 characters");
            }
            super::inputs::check_text(note, "/note", true, &mut e);
        }
        e.into_result(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn taken(line: i32, start: &str, end: &str, party: Option<Uuid>) -> Taken {
        Taken {
            booking_id: Uuid::now_v7(),
            program_id: Uuid::now_v7(),
            line,
            start: d(start),
            end: d(end),
            party,
        }
    }

    #[test]
    fn another_party_on_any_line_keeps_a_booking_out_of_a_segregated_suite() {
        let (program, mine, theirs) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let t = [
            taken(1, "2027-01-01", "2027-01-10", Some(theirs)),
            taken(2, "2027-01-10", "2027-01-20", Some(mine)),
        ];
        let seg = Segregation::SameClient;
        // Shares 2027-01-09 with the other party's booking on line 1.
        let c = segregated_from(seg, program, mine, d("2027-01-09"), d("2027-01-12"), &t);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].kind.as_str(), c[0].line), ("segregation", 1));
        // Touching (half-open) is not sharing a day; the own party never blocks.
        assert!(
            segregated_from(seg, program, mine, d("2027-01-10"), d("2027-01-30"), &t).is_empty()
        );
        // Unsegregated: nothing.
        let any = Segregation::Any;
        assert!(
            segregated_from(any, program, mine, d("2027-01-01"), d("2027-01-30"), &t).is_empty()
        );
        assert_eq!(party_key(seg, program, mine), Some(mine));
        assert_eq!(
            party_key(Segregation::SameProgram, program, mine),
            Some(program)
        );
        assert_eq!(party_key(any, program, mine), None);
    }

    #[test]
    fn a_dedication_closes_its_line_to_other_clients_only() {
        let owner = Uuid::now_v7();
        let ded = Dedication {
            id: Uuid::now_v7(),
            suite_id: Uuid::now_v7(),
            line: 2,
            client_id: owner,
            start: d("2027-03-01"),
            end: None,
            note: None,
            created_at: Utc::now(),
        };
        let (from, to) = (d("2027-01-01"), d("2028-01-01"));
        assert!(closed_to(Some(owner), std::slice::from_ref(&ded), from, to).is_empty());
        let c = closed_to(Some(Uuid::now_v7()), std::slice::from_ref(&ded), from, to);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].start, c[0].end), (d("2027-03-01"), to));
        assert_eq!(c[0].lines, Some(vec![2]));
        // Before it starts, it keeps nobody out.
        assert!(closed_to(None, &[ded], from, d("2027-03-01")).is_empty());
    }
}
