//! Why a program is short: for each capacity shortfall, the suite-months its batches could have
//! used and what occupies them in the final plan — bookings, planned batches and road steps, by
//! program, phase, weight and kind — so that "why is PROG-X short in 2028-05 and who took the
//! capacity?" is answered from the plan alone.
//!
//! What a unit competed for is each usable suite of its process over the days a batch of it
//! could have covered: from its first possible start in its month (the month's first day, its
//! earliest start, its road to the suite's site) to the last start of the month plus a batch. A
//! line-day counts for the occupant covering it, and an occupant's `batches` are its bookings,
//! batches or road steps covering some day of the window there.

use crate::model::{Batch, Prepared};
use crate::types::{BookingKind, Phase};
use crate::Month;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Is an occupant a booking or something the plan adds?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupancy {
    Booked,
    Planned,
}

/// What occupies a suite in a month: one program's bookings or planned batches of one phase and
/// kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occupant {
    /// Program key; `None` for bookings of programs outside the instance.
    pub program: Option<String>,
    /// The phase of the demand it serves (bookings and batches that serve demand), else the
    /// program's phase in that month.
    pub phase: Option<Phase>,
    /// Objective weight of one batch it serves (0 for kinds that serve no demand).
    pub weight: f64,
    pub status: Occupancy,
    pub kind: BookingKind,
    pub batches: u32,
    pub line_days: u32,
}

/// A suite a short unit competed for, over the days a batch of it could have covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Competition {
    pub suite: String,
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
    /// Line-days open (qualified, not closed) in the window.
    pub open_line_days: u32,
    /// Open line-days nothing occupies.
    pub free_line_days: u32,
    /// Largest first.
    pub occupants: Vec<Occupant>,
}

/// Who occupies each line-day of a plan, to explain shortfalls.
pub struct Explainer<'a> {
    p: &'a Prepared<'a>,
    /// Per line and day: the item covering it (index into `items`).
    who: Vec<Vec<Option<u32>>>,
    /// Per item: its occupant key.
    items: Vec<usize>,
    keys: Vec<Key>,
    cache: HashMap<(usize, usize, usize), Competition>,
}

#[derive(Clone, PartialEq)]
struct Key {
    program: Option<usize>,
    phase: Option<Phase>,
    weight: f64,
    status: Occupancy,
    kind: BookingKind,
}

impl<'a> Explainer<'a> {
    /// The plan's occupancy: bookings, road steps and `batches`.
    pub fn new(p: &'a Prepared<'a>, batches: &[Batch]) -> Explainer<'a> {
        let inst = p.inst;
        let mut e = Explainer {
            p,
            who: vec![vec![None; p.ext_days]; p.lines.len()],
            items: Vec::new(),
            keys: Vec::new(),
            cache: HashMap::new(),
        };
        // Bookings as preparation resolved them (their suite, line and program are valid).
        for (b, &(si, program)) in inst.bookings.iter().zip(&p.booking_at) {
            let line = p.suite_lines[si][b.line as usize - 1];
            let phase = program.map(|pi| inst.programs[pi].phase_in(Month::of(b.start)));
            let weight = match phase {
                Some(ph) if b.kind.serves_demand() => inst.weights.of(ph),
                _ => 0.0,
            };
            let start = crate::model::day_index(p.from, b.start);
            let end = crate::model::day_index(p.from, b.end);
            let key = Key {
                program,
                phase,
                weight,
                status: Occupancy::Booked,
                kind: b.kind,
            };
            e.add(line, start, end, key);
        }
        for st in &p.road_steps {
            let program = &inst.programs[st.program];
            let phase = program.phase_in(p.months[p.month_of_day(st.start)]);
            let key = Key {
                program: Some(st.program),
                phase: Some(phase),
                weight: 0.0,
                status: Occupancy::Planned,
                kind: st.kind,
            };
            e.add(st.line, st.start as i64, (st.start + st.len) as i64, key);
        }
        for b in batches {
            let unit = &p.units[b.unit];
            let info = &p.progs[unit.prog];
            let key = Key {
                program: Some(info.program),
                phase: Some(unit.phase),
                weight: unit.weight,
                status: Occupancy::Planned,
                kind: BookingKind::GmpBatch,
            };
            e.add(b.line, b.start as i64, (b.start + info.len) as i64, key);
        }
        e
    }

    fn add(&mut self, line: usize, start: i64, end: i64, key: Key) {
        let k = match self.keys.iter().position(|x| *x == key) {
            Some(k) => k,
            None => {
                self.keys.push(key);
                self.keys.len() - 1
            }
        };
        let item = self.items.len() as u32;
        self.items.push(k);
        let cal = &mut self.who[line];
        let (lo, hi) = (start.max(0) as usize, (end.max(0) as usize).min(cal.len()));
        for slot in cal.iter_mut().take(hi).skip(lo) {
            *slot = Some(item);
        }
    }

    /// What unit `u` competed for: its usable suites over the days its batches could cover.
    pub fn competition(&mut self, u: usize) -> Vec<Competition> {
        let p = self.p;
        let unit = &p.units[u];
        let len = p.progs[unit.prog].len;
        let suites = p.progs[unit.prog].usable_suites.clone();
        suites
            .into_iter()
            .filter_map(|s| {
                let starts = p.suite_starts(u, s);
                if starts.is_empty() {
                    return None;
                }
                let window = (s, starts.start, (starts.end - 1 + len).min(p.ext_days));
                if let Some(c) = self.cache.get(&window) {
                    return Some(c.clone());
                }
                let c = self.window(s, window.1..window.2);
                self.cache.insert(window, c.clone());
                Some(c)
            })
            .collect()
    }

    fn window(&self, s: usize, days: std::ops::Range<usize>) -> Competition {
        let p = self.p;
        let (mut open, mut free) = (0u32, 0u32);
        // Per key: line-days and the items seen.
        let mut per_key: HashMap<usize, (u32, Vec<u32>)> = HashMap::new();
        for &l in &p.suite_lines[s] {
            for d in days.clone() {
                if !p.open[l][d] {
                    continue;
                }
                open += 1;
                match self.who[l][d] {
                    None => free += 1,
                    Some(item) => {
                        let entry = per_key.entry(self.items[item as usize]).or_default();
                        entry.0 += 1;
                        if !entry.1.contains(&item) {
                            entry.1.push(item);
                        }
                    }
                }
            }
        }
        let mut occupants: Vec<Occupant> = per_key
            .into_iter()
            .map(|(k, (line_days, items))| {
                let key = &self.keys[k];
                Occupant {
                    program: key.program.map(|pi| p.program_key(pi)),
                    phase: key.phase,
                    weight: key.weight,
                    status: key.status,
                    kind: key.kind,
                    batches: items.len() as u32,
                    line_days,
                }
            })
            .collect();
        occupants.sort_by(|a, b| {
            b.line_days
                .cmp(&a.line_days)
                .then(a.program.cmp(&b.program))
                .then(a.status.cmp(&b.status))
                .then(a.phase.cmp(&b.phase))
                .then(a.kind.as_str().cmp(b.kind.as_str()))
        });
        Competition {
            suite: p.suite_keys[s].clone(),
            from: p.date(days.start),
            to: p.date(days.end),
            open_line_days: open,
            free_line_days: free,
            occupants,
        }
    }
}
