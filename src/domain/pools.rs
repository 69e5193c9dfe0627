//! Capacity pools (a site's operator crews, QC lab and shared equipment) and the resource
//! profiles of programs that draw on them. The rules — which pool serves a need, a pool's
//! capacity on a day, what a batch takes when — are `solver_models::calendar`'s, shared with the
//! planner; this module holds the API's records and their validation, and translates them.

use super::errors::ValidationErrors;
use super::inputs::{check_name, check_range, check_text, normalise_tag, MAX_DAYS};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use solver_models::calendar::PoolRules;
pub use solver_models::{PoolKind, WeekDay};
use utoipa::ToSchema;
use uuid::Uuid;

/// [`PoolKind`] as the OpenAPI document shows it; a test keeps the two lists equal.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PoolKindName {
    Staff,
    Qc,
    Equipment,
}

/// [`WeekDay`] as the OpenAPI document shows it; a test keeps the two lists equal.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum WeekDayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A dated capacity of a pool on its working days over `[start, end)` (`end` null: from
/// `start` on): a holiday (0), a training week, a new hire from a month on. Where several cover
/// a day, the last one listed counts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PoolException {
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::Day)]
    pub start: NaiveDate,
    #[serde(default, deserialize_with = "super::dates::opt_date")]
    #[schema(value_type = Option<super::schema::Day>)]
    pub end: Option<NaiveDate>,
    #[schema(minimum = 0, maximum = 10_000)]
    pub capacity: i64,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::Reason>)]
    pub reason: Option<String>,
}

/// A site's pool of people or equipment that batches draw on by day.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Pool {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    #[schema(value_type = PoolKindName)]
    pub kind: PoolKind,
    /// The qualification or skill it provides; programs' resource profiles name it.
    pub tag: String,
    /// People, analysts or units on a working day.
    pub capacity: i32,
    #[schema(value_type = Vec<WeekDayName>)]
    pub weekdays: Vec<WeekDay>,
    pub exceptions: Vec<PoolException>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A pool to create or, without `site_id`'s change, to replace.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPool {
    pub site_id: Uuid,
    #[schema(value_type = super::schema::Name)]
    pub name: String,
    #[schema(value_type = PoolKindName)]
    pub kind: PoolKind,
    /// One pool per site and tag.
    #[schema(value_type = super::schema::Tag)]
    pub tag: String,
    #[schema(minimum = 0, maximum = 10_000)]
    pub capacity: i64,
    /// Working days (capacity is 0 on the others); every day when left out.
    #[serde(default)]
    #[schema(value_type = Option<Vec<WeekDayName>>)]
    pub weekdays: Option<Vec<WeekDay>>,
    #[serde(default, deserialize_with = "super::objects::objects")]
    pub exceptions: Vec<PoolException>,
}

const MAX_CAPACITY: i64 = 10_000;
const MAX_EXCEPTIONS: usize = 500;

impl NewPool {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        check_name(&self.name, "/name", &mut e);
        normalise_tag(&mut self.tag, "/tag", &mut e);
        check_range(self.capacity, 0, MAX_CAPACITY, "/capacity", &mut e);
        if let Some(days) = &mut self.weekdays {
            days.sort();
            days.dedup();
        }
        if self.exceptions.len() > MAX_EXCEPTIONS {
            e.push(
                "/exceptions",
                format!("at most {MAX_EXCEPTIONS} exceptions"),
            );
        }
        for (i, x) in self.exceptions.iter_mut().enumerate() {
            check_range(
                x.capacity,
                0,
                MAX_CAPACITY,
                &format!("/exceptions/{i}/capacity"),
                &mut e,
            );
            if let Some(end) = x.end {
                if end <= x.start {
                    e.push(format!("/exceptions/{i}/end"), "must be after start");
                } else if (end - x.start).num_days() > MAX_DAYS {
                    e.push(
                        format!("/exceptions/{i}/end"),
                        "an exception may last at most 10 years",
                    );
                }
            }
            if let Some(r) = &mut x.reason {
                *r = r.trim().to_string();
                if r.chars().count() > 500 {
                    e.push(
                        format!("/exceptions/{i}/reason"),
                        "must be at most 500 characters",
                    );
                }
                check_text(r, &format!("/exceptions/{i}/reason"), true, &mut e);
            }
        }
        e.into_result(self)
    }

    /// The working days: as given, or every day.
    pub fn working_days(&self) -> Vec<WeekDay> {
        self.weekdays
            .clone()
            .unwrap_or_else(|| WeekDay::ALL.to_vec())
    }
}

/// What one batch of a program takes from the pool with `tag` at the site of its suite:
/// `amount` on each of `days` (offsets from the batch start, which may run past the suite
/// occupancy, as QC release testing does).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResourceNeed {
    #[schema(value_type = super::schema::Tag)]
    pub tag: String,
    #[schema(minimum = 1, maximum = 10_000)]
    pub amount: i64,
    /// Day offsets from the batch start, 0 to 365.
    #[schema(min_items = 1, max_items = 366)]
    pub days: Vec<ResourceDay>,
}

/// A day offset from a batch's start.
pub type ResourceDay = u16;

/// The longest a profile may reach after a batch's start.
pub const MAX_OFFSET: u16 = 365;

/// Checks and normalises a program's resource profile (under `field`).
pub fn check_profile(profile: &mut [ResourceNeed], field: &str, e: &mut ValidationErrors) {
    if profile.len() > 50 {
        e.push(field, "at most 50 needs");
    }
    for (i, n) in profile.iter_mut().enumerate() {
        normalise_tag(&mut n.tag, &format!("{field}/{i}/tag"), e);
        check_range(n.amount, 1, MAX_CAPACITY, &format!("{field}/{i}/amount"), e);
        if n.days.is_empty() {
            e.push(format!("{field}/{i}/days"), "must name at least one day");
        }
        if let Some(j) = n.days.iter().position(|d| *d > MAX_OFFSET) {
            e.push(
                format!("{field}/{i}/days/{j}"),
                format!("must be at most {MAX_OFFSET}"),
            );
        }
        n.days.sort_unstable();
        n.days.dedup();
    }
}

/// The planner's form of a profile.
pub fn profile_model(profile: &[ResourceNeed]) -> Vec<solver_models::ResourceNeed> {
    profile
        .iter()
        .map(|n| solver_models::ResourceNeed {
            tag: n.tag.clone(),
            amount: u32::try_from(n.amount).unwrap_or(0),
            days: n.days.iter().map(|d| u32::from(*d)).collect(),
        })
        .collect()
}

/// Does a pool with `tag` serve a need of `profile` of a batch at the pool's own site? The rule
/// is the calendar's `pool_serves`, by tag, once the site is known to be the pool's.
pub fn site_pool_serves(tag: &str, profile: &[ResourceNeed]) -> bool {
    let site = Some(&());
    profile
        .iter()
        .any(|n| solver_models::calendar::pool_serves(site, tag, site, &n.tag))
}

impl Pool {
    /// Does the pool serve a need of `profile` (of a batch at the pool's site)?
    pub fn serves(&self, profile: &[ResourceNeed]) -> bool {
        site_pool_serves(&self.tag, profile)
    }

    /// The planner's form of the pool's exceptions.
    pub fn exceptions_model(&self) -> Vec<solver_models::PoolException> {
        self.exceptions
            .iter()
            .map(|x| solver_models::PoolException {
                start: x.start,
                end: x.end,
                capacity: u32::try_from(x.capacity).unwrap_or(0),
                reason: None,
            })
            .collect()
    }

    /// The planner's form of the pool (keyed by id, its site by id).
    pub fn model(&self) -> solver_models::Pool {
        solver_models::Pool {
            id: Some(self.id.to_string()),
            name: self.name.clone(),
            site: Some(self.site_id.to_string()),
            kind: self.kind,
            tag: self.tag.clone(),
            capacity: u32::try_from(self.capacity).unwrap_or(0),
            weekdays: self.weekdays.clone(),
            exceptions: self.exceptions_model(),
        }
    }
}

/// A pool's day as the booking path and the usage view see it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PoolDay {
    pub day: NaiveDate,
    pub capacity: u32,
    pub used: u32,
}

/// A pool's day calendar over `[from, to)` with what its live `users` take.
fn pool_calendar(
    pool: &Pool,
    from: NaiveDate,
    to: NaiveDate,
    users: &[PoolUser],
) -> solver_models::calendar::PoolCalendar<Uuid> {
    let exceptions = pool.exceptions_model();
    let rules = PoolRules {
        capacity: u32::try_from(pool.capacity).unwrap_or(0),
        weekdays: &pool.weekdays,
        exceptions: &exceptions,
    };
    let mut cal = solver_models::calendar::PoolCalendar::new(&rules, from, to);
    for u in users {
        let theirs = profile_model(&u.profile);
        for (i, day, amount) in solver_models::calendar::needs_of(&theirs, u.start) {
            if u.profile[i].tag == pool.tag {
                cal.take(day, amount, u.booking_id);
            }
        }
    }
    cal
}

/// A pool's capacity and use per day of `[from, to)`, given its live users.
pub fn pool_days(pool: &Pool, from: NaiveDate, to: NaiveDate, users: &[PoolUser]) -> Vec<PoolDay> {
    pool_calendar(pool, from, to, users)
        .days()
        .map(|(day, capacity, used)| PoolDay {
            day,
            capacity,
            used,
        })
        .collect()
}

/// A day on which a pool cannot give what a booking asks. Staff see every field; a client sees
/// only the day (`pool_id`, `pool`, `kind`, `tag`, the figures and `booking_ids` are left out).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PoolConflict {
    pub day: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_id: Option<Uuid>,
    /// The pool's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PoolKindName>)]
    pub kind: Option<PoolKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Taken by live bookings already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<u32>,
    /// What the booking asks that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked: Option<u32>,
    /// The live bookings that use the pool that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_ids: Option<Vec<Uuid>>,
}

impl PoolConflict {
    /// What a client may see of it: the day.
    pub fn scrubbed(&self) -> PoolConflict {
        PoolConflict {
            day: self.day,
            pool_id: None,
            pool: None,
            kind: None,
            tag: None,
            capacity: None,
            used: None,
            asked: None,
            booking_ids: None,
        }
    }
}

/// A live booking that may draw on a site's pools: where it starts and what its program's
/// process takes (empty when its kind runs no process).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolUser {
    pub booking_id: Uuid,
    pub start: NaiveDate,
    pub profile: Vec<ResourceNeed>,
}

/// The day after the last a batch of `profile` starting on `start` takes from a pool (at least
/// the day after `start`).
pub fn process_end(profile: &[ResourceNeed], start: NaiveDate) -> NaiveDate {
    let reach = solver_models::calendar::profile_reach(&profile_model(profile));
    start + chrono::Days::new(u64::from(reach.max(1)))
}

/// The days on which the site's `pools` cannot give what a booking of `profile` starting on
/// `start` asks, given the live `users` of those pools: every pool serving a need of the
/// profile is checked (the one home of this decision, for the booking path and availability).
pub fn pool_shortfalls(
    pools: &[Pool],
    profile: &[ResourceNeed],
    start: NaiveDate,
    users: &[PoolUser],
) -> Vec<PoolConflict> {
    let model = profile_model(profile);
    let to = process_end(profile, start);
    let mut out = Vec::new();
    for pool in pools {
        if !pool.serves(profile) {
            continue;
        }
        let cal = pool_calendar(pool, start, to, users);
        let asks = solver_models::calendar::needs_of(&model, start)
            .filter(|(i, _, _)| profile[*i].tag == pool.tag)
            .map(|(_, day, amount)| (day, amount));
        out.extend(cal.short_days(asks).into_iter().map(|s| PoolConflict {
            day: s.day,
            pool_id: Some(pool.id),
            pool: Some(pool.name.clone()),
            kind: Some(pool.kind),
            tag: Some(pool.tag.clone()),
            capacity: Some(s.capacity),
            used: Some(s.used),
            asked: Some(s.asked),
            booking_ids: Some(s.users),
        }));
    }
    out.sort_by_key(|c| c.day);
    out
}

/// The days of `[from, to)` on which some pool serving `profile` has less left than the most
/// the profile asks of it on one day: no day of the process could be staffed there. As spans.
pub fn pool_blocked_days(
    pools: &[Pool],
    profile: &[ResourceNeed],
    from: NaiveDate,
    to: NaiveDate,
    users: &[PoolUser],
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut blocked: Vec<NaiveDate> = Vec::new();
    for pool in pools.iter().filter(|p| p.serves(profile)) {
        let most = profile
            .iter()
            .filter(|n| n.tag == pool.tag)
            .map(|n| u32::try_from(n.amount).unwrap_or(u32::MAX))
            .max()
            .unwrap_or(0);
        blocked.extend(
            pool_calendar(pool, from, to, users)
                .days()
                .filter(|(_, capacity, used)| capacity.saturating_sub(*used) < most)
                .map(|(day, _, _)| day),
        );
    }
    blocked.sort_unstable();
    blocked.dedup();
    let mut spans: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for day in blocked {
        let next = day + chrono::Days::new(1);
        match spans.last_mut() {
            Some(last) if last.1 == day => last.1 = next,
            _ => spans.push((day, next)),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    fn names<T: Serialize>(items: impl IntoIterator<Item = T>) -> serde_json::Value {
        items
            .into_iter()
            .map(|k| serde_json::to_value(k).unwrap())
            .collect()
    }

    #[test]
    fn the_documented_pool_kinds_and_weekdays_are_the_planners() {
        let kinds = serde_json::to_value(PoolKindName::schema()).unwrap();
        assert_eq!(kinds["enum"], names(PoolKind::ALL), "{kinds}");
        let days = serde_json::to_value(WeekDayName::schema()).unwrap();
        assert_eq!(days["enum"], names(WeekDay::ALL), "{days}");
        for k in PoolKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for d in WeekDay::ALL {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }
}
