//! A seeded generator of believable CDMO planning instances, for tests and benchmarks.
//!
//! Suites come in four capability profiles (autologous, allogeneic, viral vector, fill & finish)
//! with EU GMP grades, 1–6 lines, twice-yearly requalification closures, the odd partial closure
//! and suites qualified mid-horizon. Programs ramp from preclinical through the clinical phases to
//! commercial supply, with process times typical of their modality, sometimes a tech-transfer
//! `earliest_start` or a filed list of allowed suites. Demand is scaled per profile to a target
//! load (`tightness` = demanded line-days / open line-days), so "tight" is a knob, not luck.
//! The same spec and seed always give the same instance (own SplitMix64; no dependency).
//!
//! With `pools`, each site also gets an operator crew (staff, Monday to Friday) and a QC lab
//! (Monday to Saturday), and every program a resource profile: operators on the hands-on days
//! (seeding and harvest; every day of a fill), QC analysts on the release days after the batch,
//! including the sterility read 14 days later. Their capacity is sized from the demand routed to
//! the site so that staff binds in the busier months, with a holiday week at the turn of the year
//! and a new hire half-way. Pools draw from their own random stream after everything else, so an
//! instance without pools is exactly what it was before pools existed.

use crate::types::{
    Booking, BookingKind, BookingStatus, Closure, ForecastEntry, Grade, Instance, Phase,
    PhaseSuccess, PhaseWeights, Pool, PoolException, PoolKind, Program, ResourceNeed, Scenario,
    Suite, WeekDay,
};
use crate::Month;
use chrono::{Datelike, Days, NaiveDate};

#[derive(Debug, Clone, PartialEq)]
pub struct GenSpec {
    pub name: String,
    pub seed: u64,
    pub suites: usize,
    /// Mean lines per suite.
    pub lines_per_suite: f64,
    pub programs: usize,
    pub months: u32,
    pub from: NaiveDate,
    /// Demanded line-days / open line-days per capability profile (about 1.0 = full).
    pub tightness: f64,
    pub bookings: usize,
    pub sites: usize,
    /// Add per-site operator and QC pools and programs' resource profiles.
    pub pools: bool,
}

impl GenSpec {
    fn base(name: &str, seed: u64) -> GenSpec {
        GenSpec {
            name: name.to_string(),
            seed,
            suites: 4,
            lines_per_suite: 2.0,
            programs: 8,
            months: 3,
            from: NaiveDate::from_ymd_opt(2028, 1, 1).unwrap_or_default(),
            tightness: 1.05,
            bookings: 2,
            sites: 1,
            pools: false,
        }
    }
    /// A few suites and programs over a quarter: exact MILP territory.
    pub fn small(seed: u64) -> GenSpec {
        GenSpec::base("small", seed)
    }
    /// About 12 suites, 30 programs, 24 months.
    pub fn medium(seed: u64) -> GenSpec {
        GenSpec {
            suites: 12,
            lines_per_suite: 2.5,
            programs: 30,
            months: 24,
            bookings: 8,
            ..GenSpec::base("medium", seed)
        }
    }
    /// About 40 suites / 120 lines, 150 programs, 36 months, two sites.
    pub fn large(seed: u64) -> GenSpec {
        GenSpec {
            suites: 40,
            lines_per_suite: 3.0,
            programs: 150,
            months: 36,
            bookings: 30,
            sites: 2,
            ..GenSpec::base("large", seed)
        }
    }
    /// A network CDMO: about 80 suites / 240 lines, 300 programs, 60 months, three sites.
    pub fn huge(seed: u64) -> GenSpec {
        GenSpec {
            suites: 80,
            lines_per_suite: 3.0,
            programs: 300,
            months: 60,
            bookings: 60,
            sites: 3,
            ..GenSpec::base("huge", seed)
        }
    }
    /// Point `k` of a scaling series between small and large.
    pub fn scaled(k: usize, seed: u64) -> GenSpec {
        let k = k.max(1);
        GenSpec {
            name: format!("scale-{k}"),
            suites: 4 * k,
            lines_per_suite: 3.0,
            programs: 15 * k,
            months: (6 * k as u32).min(36),
            bookings: 3 * k,
            sites: if k >= 6 { 2 } else { 1 },
            ..GenSpec::base("scaled", seed)
        }
    }
}

/// SplitMix64: tiny, seedable, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// (profile name, suite capabilities, batch_days range, changeover range)
type Profile = (
    &'static str,
    &'static [&'static str],
    (u32, u32),
    (u32, u32),
);
const PROFILES: [Profile; 4] = [
    (
        "autologous",
        &["autologous", "closed_system"],
        (7, 14),
        (1, 2),
    ),
    (
        "allogeneic",
        &["allogeneic", "closed_system"],
        (10, 21),
        (1, 3),
    ),
    ("viral_vector", &["viral_vector", "bsl2"], (14, 21), (2, 3)),
    (
        "fill_finish",
        &["fill_finish", "grade_a_bsc"],
        (2, 4),
        (1, 1),
    ),
];
/// Share of suites per profile: cell therapy dominates a CGT CDMO.
const SHARES: [f64; 4] = [0.4, 0.25, 0.2, 0.15];

fn profile_of(rng: &mut Rng) -> usize {
    let x = rng.unit();
    let mut acc = 0.0;
    for (i, s) in SHARES.iter().enumerate() {
        acc += s;
        if x < acc {
            return i;
        }
    }
    0
}

fn add_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

pub fn generate(spec: &GenSpec) -> Instance {
    let mut rng = Rng(spec.seed ^ 0x5EED_CAFE);
    let from = spec.from;
    let end_month = {
        let mut m = Month::of(from);
        for _ in 0..spec.months.max(1) {
            m = m.next();
        }
        m
    };
    let to = end_month.first_day();
    let horizon_days = (to - from).num_days().max(1) as u64;
    let sites = ["Leiden", "Boston", "Stevenage"];

    // Suites: make sure every profile exists once before drawing the rest.
    let mut suites = Vec::new();
    let mut suite_profile = Vec::new();
    for i in 0..spec.suites.max(1) {
        let prof = if i < 4 { i } else { profile_of(&mut rng) };
        let (pname, caps, _, _) = PROFILES[prof];
        let grade = match pname {
            "fill_finish" => Grade::A,
            "viral_vector" => Grade::B,
            _ => {
                if rng.chance(0.7) {
                    Grade::B
                } else {
                    Grade::C
                }
            }
        };
        let lines = {
            let mean = spec.lines_per_suite;
            let l = (mean + (rng.unit() - 0.5) * mean).round() as u32;
            l.clamp(1, 6)
        };
        let site = sites[i % spec.sites.clamp(1, 3)];
        let mut caps: Vec<String> = caps.iter().map(|c| c.to_string()).collect();
        if pname == "autologous" && rng.chance(0.3) {
            caps.push("pd_lab".into());
        }
        // Most suites are qualified before the horizon; some come online during it.
        let available_from = if i >= 4 && rng.chance(0.1) {
            add_days(
                from,
                rng.range(30, (horizon_days / 2).max(31) as u32) as u64,
            )
        } else {
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or(from)
        };
        let available_to = if i >= 4 && rng.chance(0.05) {
            Some(add_days(
                from,
                rng.range((horizon_days / 2) as u32, horizon_days as u32) as u64,
            ))
        } else {
            None
        };
        let mut closures = Vec::new();
        // Requalification twice a year (2–3 days, whole suite), at a suite-specific offset.
        let offset = rng.range(0, 180) as u64;
        let mut d = offset;
        while d < horizon_days {
            let start = add_days(from, d);
            closures.push(Closure {
                start,
                end: add_days(start, rng.range(2, 3) as u64),
                lines: None,
            });
            d += 182;
        }
        // The odd maintenance of one line.
        if lines > 1 && rng.chance(0.3) {
            let start = add_days(from, rng.range(0, horizon_days as u32 - 1) as u64);
            closures.push(Closure {
                start,
                end: add_days(start, rng.range(5, 15) as u64),
                lines: Some(vec![rng.range(1, lines)]),
            });
        }
        suites.push(Suite {
            id: None,
            name: format!(
                "{}-{}{:02}",
                site.chars().next().unwrap_or('S'),
                &pname[..3].to_uppercase(),
                i + 1
            ),
            site: Some(site.to_string()),
            grade,
            capabilities: caps,
            lines,
            available_from,
            available_to,
            closures,
            segregation: Default::default(),
            dedications: Vec::new(),
        });
        suite_profile.push(prof);
    }

    // Programs with raw (unscaled) ramps.
    let months: Vec<Month> = Month::of(from).until(end_month).collect();
    let mut programs = Vec::new();
    let mut prog_profile = Vec::new();
    for i in 0..spec.programs.max(1) {
        let prof = suite_profile[i % suite_profile.len()];
        let (pname, caps, bd, co) = PROFILES[prof];
        let mut required = vec![caps[0].to_string()];
        if rng.chance(0.4) && caps.len() > 1 {
            required.push(caps[1].to_string());
        }
        let min_grade = match pname {
            "fill_finish" => Grade::A,
            "viral_vector" => Grade::B,
            _ => {
                if rng.chance(0.6) {
                    Grade::C
                } else {
                    Grade::B
                }
            }
        };
        let phase = *rng.pick(&[
            Phase::Preclinical,
            Phase::Phase1,
            Phase::Phase1,
            Phase::Phase2,
            Phase::Phase3,
            Phase::Commercial,
        ]);
        // Months spent in each phase from now on, then the next phase.
        let mut timeline = Vec::new();
        let mut ph = phase;
        let mut left_in_phase = rng.range(2, 10);
        for _ in &months {
            timeline.push(ph);
            left_in_phase = left_in_phase.saturating_sub(1);
            if left_in_phase == 0 && ph != Phase::Commercial {
                ph = Phase::ALL[(ph as usize + 1).min(4)];
                left_in_phase = rng.range(6, 14);
            }
        }
        let mut forecast = Vec::new();
        let mut commercial_months = 0u32;
        for (m, ph) in months.iter().zip(&timeline) {
            let base = match ph {
                Phase::Preclinical => f64::from(rng.range(0, 1)),
                Phase::Phase1 => f64::from(rng.range(1, 2)),
                Phase::Phase2 => f64::from(rng.range(1, 3)),
                Phase::Phase3 => f64::from(rng.range(2, 4)),
                Phase::Commercial => {
                    commercial_months += 1;
                    (2.0 + f64::from(commercial_months) * 0.25).min(8.0)
                }
            };
            forecast.push((*m, *ph, base));
        }
        let earliest_start = rng
            .chance(0.15)
            .then(|| add_days(from, rng.range(0, (horizon_days / 3) as u32) as u64));
        let compatible: Vec<usize> = (0..suites.len())
            .filter(|s| suite_profile[*s] == prof)
            .collect();
        let allowed_suites = (rng.chance(0.15) && compatible.len() >= 2).then(|| {
            let a = *rng.pick(&compatible);
            let b = *rng.pick(&compatible);
            let mut v = vec![suites[a].name.clone(), suites[b].name.clone()];
            v.dedup();
            v
        });
        programs.push((
            Program {
                id: None,
                name: format!("P{:03}", i + 1),
                client: Some(format!("Client{}", i % (spec.programs / 3).max(1) + 1)),
                phase,
                required_capabilities: required,
                min_grade,
                batch_days: rng.range(bd.0, bd.1),
                changeover_days: rng.range(co.0, co.1),
                earliest_start,
                priority: rng.range(0, 2) as i32,
                allowed_suites,
                phase_success: None,
                resource_profile: Vec::new(),
                phase_processes: Vec::new(),
                tech_transfers: Vec::new(),
                forecast: Vec::new(),
            },
            forecast,
        ));
        prog_profile.push(prof);
    }

    // Scale each profile's demand to the target load of its suites.
    for prof in 0..PROFILES.len() {
        let capacity: f64 = suites
            .iter()
            .zip(&suite_profile)
            .filter(|(_, p)| **p == prof)
            .map(|(s, _)| {
                let from_day = (s.available_from - from)
                    .num_days()
                    .clamp(0, horizon_days as i64);
                let to_day = s
                    .available_to
                    .map(|t| (t - from).num_days().clamp(0, horizon_days as i64))
                    .unwrap_or(horizon_days as i64);
                f64::from(s.lines) * (to_day - from_day).max(0) as f64
            })
            .sum();
        let demand: f64 = programs
            .iter()
            .zip(&prog_profile)
            .filter(|(_, p)| **p == prof)
            .map(|((p, f), _)| {
                f.iter().map(|x| x.2).sum::<f64>() * f64::from(p.batch_days + p.changeover_days)
            })
            .sum();
        if demand <= 0.0 {
            continue;
        }
        let factor = spec.tightness * capacity / demand;
        for ((p, f), _) in programs
            .iter_mut()
            .zip(&prog_profile)
            .filter(|(_, p)| **p == prof)
        {
            let mut carry = 0.0;
            p.forecast = f
                .iter()
                .map(|(m, ph, b)| {
                    carry += b * factor;
                    let n = carry.floor();
                    carry -= n;
                    ForecastEntry {
                        month: *m,
                        phase: *ph,
                        batches: n as u32,
                    }
                })
                .collect();
        }
    }
    let programs: Vec<Program> = programs.into_iter().map(|(p, _)| p).collect();

    // A few bookings at the start of a line's month, where nothing else is.
    let mut bookings: Vec<Booking> = Vec::new();
    for _ in 0..spec.bookings {
        let pi = (rng.next() % programs.len() as u64) as usize;
        let p = &programs[pi];
        let Some(si) = (0..suites.len()).find(|s| {
            let su = &suites[*s];
            p.required_capabilities
                .iter()
                .all(|c| su.capabilities.contains(c))
                && su.grade.satisfies(p.min_grade)
                && p.allowed_suites
                    .as_ref()
                    .is_none_or(|a| a.contains(&su.name))
        }) else {
            continue;
        };
        let line = rng.range(1, suites[si].lines);
        let start = add_days(from, rng.range(0, (horizon_days / 4) as u32) as u64);
        let end = add_days(start, u64::from(p.batch_days + p.changeover_days));
        let clash = bookings.iter().any(|b| {
            b.suite == suites[si].name && b.line == line && b.start < end && start < b.end
        }) || suites[si]
            .closures
            .iter()
            .any(|c| c.start < end && start < c.end);
        if clash || start < suites[si].available_from {
            continue;
        }
        bookings.push(Booking {
            suite: suites[si].name.clone(),
            line,
            start,
            end,
            status: if rng.chance(0.7) {
                BookingStatus::Confirmed
            } else {
                BookingStatus::Held
            },
            program: Some(p.name.clone()),
            kind: BookingKind::GmpBatch,
            resource_profile: None,
        });
    }

    let mut programs = programs;
    let pools = if spec.pools {
        add_pools(spec, &suites, &suite_profile, &mut programs, &prog_profile)
    } else {
        Vec::new()
    };
    Instance {
        name: Some(format!(
            "{}{}-seed{}",
            spec.name,
            if spec.pools && !spec.name.ends_with("-pools") {
                "-pools"
            } else {
                ""
            },
            spec.seed
        )),
        from,
        to,
        scenario: Scenario::Maximum,
        weights: PhaseWeights::default(),
        phase_success: PhaseSuccess::default(),
        suites,
        pools,
        programs,
        bookings,
        expected: None,
    }
}

/// Operator tag of the generated crews and QC tag of the generated labs.
pub const OPERATOR: &str = "operator";
pub const QC_RELEASE: &str = "qc-release";

/// Resource profile of a batch of `batch_days` of a profile (index into `PROFILES`): operators
/// on the hands-on days, QC analysts on release days after the batch (sterility read at +14).
fn resource_profile(profile: usize, batch_days: u32) -> Vec<ResourceNeed> {
    let last = batch_days.saturating_sub(1);
    let (operators, days): (u32, Vec<u32>) = match PROFILES[profile].0 {
        // A fill runs with a crew of three on every day.
        "fill_finish" => (3, (0..batch_days).collect()),
        // Open manual steps: two operators at seeding and at harvest/formulation.
        _ => (2, vec![0, last]),
    };
    let qc = match PROFILES[profile].0 {
        "viral_vector" => 2,
        _ => 1,
    };
    vec![
        ResourceNeed {
            tag: OPERATOR.into(),
            amount: operators,
            days,
        },
        ResourceNeed {
            tag: QC_RELEASE.into(),
            amount: qc,
            days: vec![batch_days, batch_days + 14],
        },
    ]
}

fn add_pools(
    spec: &GenSpec,
    suites: &[Suite],
    suite_profile: &[usize],
    programs: &mut [Program],
    prog_profile: &[usize],
) -> Vec<Pool> {
    let mut rng = Rng(spec.seed ^ 0x9001_D00D);
    for (p, prof) in programs.iter_mut().zip(prog_profile) {
        p.resource_profile = resource_profile(*prof, p.batch_days);
    }
    let lines_of = |site: &str, prof: usize| -> f64 {
        suites
            .iter()
            .zip(suite_profile)
            .filter(|(s, p)| **p == prof && s.site.as_deref() == Some(site))
            .map(|(s, _)| f64::from(s.lines))
            .sum()
    };
    let mut sites: Vec<String> = suites.iter().filter_map(|s| s.site.clone()).collect();
    sites.dedup();
    sites.sort();
    sites.dedup();
    let months = spec.months.max(1) as f64;
    let mut pools = Vec::new();
    for site in &sites {
        // Per working day, what the demand this site's share of each profile's lines gets needs.
        let (mut staff, mut qc) = (0.0, 0.0);
        for (p, prof) in programs.iter().zip(prog_profile) {
            let total: f64 = (0..PROFILES.len()).map(|q| lines_of(site, q)).sum::<f64>();
            let all: f64 = sites.iter().map(|s| lines_of(s, *prof)).sum();
            if total <= 0.0 || all <= 0.0 {
                continue;
            }
            let share = lines_of(site, *prof) / all;
            let batches: f64 = p.forecast.iter().map(|f| f64::from(f.batches)).sum();
            for need in &p.resource_profile {
                let per = f64::from(need.amount) * need.days.len() as f64 * batches * share;
                match need.tag.as_str() {
                    OPERATOR => staff += per,
                    _ => qc += per,
                }
            }
        }
        // About 21.7 working days a month Monday–Friday, 26 Monday–Saturday.
        let staff_day = staff / (months * 21.7);
        let qc_day = qc / (months * 26.0);
        // About the average need: the busier months bind (demand ramps up), the others not.
        let crew = ((staff_day * rng_between(&mut rng, 0.95, 1.1)).round() as u32).max(3);
        let lab = ((qc_day * rng_between(&mut rng, 1.0, 1.2)).round() as u32).max(2);
        let initial = site.chars().next().unwrap_or('S');
        let holiday = |from: NaiveDate| {
            // The turn of the year: half the crew from 24 December to 2 January.
            let mut out = Vec::new();
            let mut year = from.year() - 1;
            let last = from.year() + (spec.months as i32 / 12) + 1;
            while year <= last {
                if let (Some(s), Some(e)) = (
                    NaiveDate::from_ymd_opt(year, 12, 24),
                    NaiveDate::from_ymd_opt(year + 1, 1, 3),
                ) {
                    out.push((s, e));
                }
                year += 1;
            }
            out
        };
        let hire_at = add_days(
            spec.from,
            u64::from(rng.range(60, (spec.months.max(3) * 30 / 2).max(61))),
        );
        let mut crew_exceptions: Vec<PoolException> = vec![PoolException {
            start: hire_at,
            end: None,
            capacity: crew + 1,
            reason: Some("new operator qualified".into()),
        }];
        for (s, e) in holiday(spec.from) {
            crew_exceptions.push(PoolException {
                start: s,
                end: Some(e),
                capacity: (crew / 2).max(3),
                reason: Some("year-end holidays".into()),
            });
        }
        pools.push(Pool {
            id: None,
            name: format!("{initial}-operators"),
            site: Some(site.clone()),
            kind: PoolKind::Staff,
            tag: OPERATOR.into(),
            capacity: crew,
            weekdays: WeekDay::ALL[..5].to_vec(),
            exceptions: crew_exceptions,
        });
        pools.push(Pool {
            id: None,
            name: format!("{initial}-qc"),
            site: Some(site.clone()),
            kind: PoolKind::Qc,
            tag: QC_RELEASE.into(),
            capacity: lab,
            weekdays: WeekDay::ALL[..6].to_vec(),
            exceptions: Vec::new(),
        });
    }
    pools
}

fn rng_between(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.unit()
}
