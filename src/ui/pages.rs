//! The two homes: the planner's capacity picture (`/ui/`) and a client's own view (`/ui/client`).

use super::capacity::{
    booked_line_days, demand_classes, months_from, open_line_days, utilisation, DemandLine,
    Occupancy,
};
use super::forms::Flash;
use super::svg::{bars_and_line, gantt, heatmap, Bar, BarKind, GanttRow};
use super::{user_page, PageError, PageUser};
use crate::app::AppState;
use crate::domain::{
    program_demand, Booking, BookingStatus, Month, PlanDetail, PoolMonthRow, Program, Scenario,
    Suite,
};
use crate::store::{all_pages, BookingFilter, Calendar, DynStore, StoreError};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Months shown by the heatmap and the demand chart.
const HORIZON_MONTHS: usize = 18;
/// Months shown by the Gantt.
const GANTT_MONTHS: usize = 6;
/// How far ahead a client's free windows are looked for, in days, and how many are shown per
/// program.
const WINDOW_DAYS: i64 = 183;
const WINDOWS_SHOWN: usize = 8;
async fn all_suites(store: &DynStore) -> Result<Vec<Suite>, StoreError> {
    let mut out = all_pages(|page| store.list_suites(page)).await?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn all_programs(store: &DynStore, scope: Option<Uuid>) -> Result<Vec<Program>, StoreError> {
    all_pages(|page| store.list_programs(scope, page)).await
}

/// Held (unexpired) and confirmed bookings overlapping `[from, to)` that `scope` may see.
async fn live_bookings(
    store: &DynStore,
    from: NaiveDate,
    to: NaiveDate,
    scope: Option<Uuid>,
) -> Result<Vec<Booking>, StoreError> {
    let filter = BookingFilter {
        from: Some(from),
        to: Some(to),
        ..BookingFilter::default()
    };
    let out = all_pages(|page| store.list_bookings(&filter, scope, page))
        .await?
        .into_iter()
        .filter(|b| {
            matches!(b.status, BookingStatus::Held | BookingStatus::Confirmed)
                && b.start < to
                && b.end > from
        })
        .collect();
    Ok(out)
}

/// Live holds `scope` may see (unexpired), earliest start first.
async fn live_holds(store: &DynStore, scope: Option<Uuid>) -> Result<Vec<Booking>, StoreError> {
    let filter = BookingFilter {
        status: Some(BookingStatus::Held),
        ..BookingFilter::default()
    };
    let now = Utc::now();
    let mut out: Vec<Booking> = all_pages(|page| store.list_bookings(&filter, scope, page))
        .await?
        .into_iter()
        .filter(|b| b.hold_expires_at.is_none_or(|t| t > now))
        .collect();
    out.sort_by_key(|b| (b.start, b.suite_id, b.line));
    Ok(out)
}

/// The holds with their buttons: Confirm (staff) and Cancel, each a form with the session's CSRF
/// token posting to `/ui/bookings/{id}/…`.
fn holds_section(
    holds: &[Booking],
    programs: &HashMap<Uuid, &str>,
    suites: &HashMap<Uuid, &str>,
    csrf: &str,
    staff: bool,
    flash: Option<&Flash>,
) -> Markup {
    html! {
        h2 #holds { "Holds" }
        (Flash::show(flash))
        @if holds.is_empty() {
            p.note { "No live holds." }
        } @else {
            p.note {
                @if staff { "Holds waiting for confirmation, earliest first. Confirming makes the slot the client's; cancelling frees it." }
                @else { "Your reservations; the CDMO confirms them. Cancelling frees the slot." }
            }
            table {
                thead { tr { th { "program" } th { "suite" } th { "line" } th { "from" } th { "to (exclusive)" } th { "expires" } th { "action" } } }
                tbody {
                    @for b in holds {
                        @let program = programs.get(&b.program_id).copied().unwrap_or("?");
                        @let suite = suites.get(&b.suite_id).copied().unwrap_or("?");
                        tr {
                            td { (program) } td { (suite) } td.num { (b.line) }
                            td { (b.start) } td { (b.end) }
                            td { (b.hold_expires_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "-".into())) }
                            td {
                                @if staff {
                                    form.inline method="post" action=(format!("/ui/bookings/{}/confirm", b.id)) {
                                        (super::csrf_field(csrf))
                                        button type="submit" aria-label=(format!("Confirm the hold of {program} on {suite} line {} from {}", b.line, b.start)) { "Confirm" }
                                    }
                                    form.inline method="post" action=(format!("/ui/bookings/{}/extend", b.id)) {
                                        (super::csrf_field(csrf))
                                        @let field = format!("extend-{}", b.id);
                                        label.visually-hidden for=(field) { (format!("New expiry of the hold of {program} on {suite} line {} from {}", b.line, b.start)) }
                                        input id=(field) type="date" name="hold_expires" required;
                                        button type="submit" aria-label=(format!("Extend the hold of {program} on {suite} line {} from {}", b.line, b.start)) { "Extend" }
                                    }
                                }
                                form.inline method="post" action=(format!("/ui/bookings/{}/cancel", b.id)) {
                                    (super::csrf_field(csrf))
                                    button type="submit" aria-label=(format!("Cancel the hold of {program} on {suite} line {} from {}", b.line, b.start)) { "Cancel" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The newest done plan of the live data (what-ifs aside), with the rows `scope` may see.
async fn newest_plan(
    store: &DynStore,
    scope: Option<Uuid>,
) -> Result<Option<PlanDetail>, StoreError> {
    match crate::planning::newest_live(store, None).await? {
        Some(p) => Ok(Some(store.get_plan(p.id, scope).await?)),
        None => Ok(None),
    }
}

/// Expected-scenario demand of `programs`, per program.
async fn expected_demand(
    state: &AppState,
    programs: &[Program],
) -> Result<Vec<(Uuid, Vec<DemandLine>)>, StoreError> {
    let mut out = Vec::new();
    for p in programs {
        let Some(forecast) = state.store.get_forecast(p.id, None).await? else {
            continue;
        };
        let items = program_demand(
            p,
            &forecast.entries,
            Scenario::Expected,
            &state.settings.phase_success,
        );
        let days = i64::from(p.batch_days.max(0)) + i64::from(p.changeover_days.max(0));
        out.push((
            p.id,
            items
                .into_iter()
                .map(|d| DemandLine {
                    month: d.month,
                    batches: d.batches,
                    days_per_batch: days,
                })
                .collect(),
        ));
    }
    Ok(out)
}

/// One Gantt row per suite line, with the closures and days outside qualification in grey.
fn line_rows(
    suites: &[Suite],
    cal: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
    staff: bool,
) -> (Vec<GanttRow>, HashMap<(Uuid, i32), usize>) {
    let mut rows = Vec::new();
    let mut index = HashMap::new();
    for s in suites {
        for line in 1..=s.lines.max(0) {
            let mut bars = Vec::new();
            let kind = if staff {
                BarKind::Closure
            } else {
                BarKind::Unavailable
            };
            if s.available_from > from {
                bars.push(Bar {
                    start: from,
                    end: s.available_from.min(to),
                    kind,
                    label: staff.then(|| "not qualified".into()),
                });
            }
            if let Some(t) = s.available_to.filter(|t| *t < to) {
                bars.push(Bar {
                    start: t.max(from),
                    end: to,
                    kind,
                    label: staff.then(|| "not qualified".into()),
                });
            }
            for c in cal.closures.iter().filter(|c| c.suite_id == s.id) {
                if c.lines.as_ref().is_none_or(|ls| ls.contains(&line)) {
                    let label = if staff {
                        Some(c.reason.clone().unwrap_or_else(|| "closed".into()))
                    } else {
                        None
                    };
                    bars.push(Bar {
                        start: c.start,
                        end: c.end,
                        kind,
                        label,
                    });
                }
            }
            index.insert((s.id, line), rows.len());
            rows.push(GanttRow {
                label: format!("{} · line {line}", s.name),
                bars,
                link: Some(format!("/ui/bookings/new?suite_id={}&line={line}", s.id)),
            });
        }
    }
    (rows, index)
}

fn bar_kind(status: BookingStatus) -> BarKind {
    if status == BookingStatus::Confirmed {
        BarKind::Confirmed
    } else {
        BarKind::Held
    }
}

fn html_response(markup: Markup) -> Response {
    markup.into_response()
}

/// `/ui/`: utilisation heatmap, demand vs capacity, the Gantt and the newest plan's advice.
pub async fn planner_home(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Response, PageError> {
    if !user.is_staff() {
        return Ok(Redirect::to("/ui/client").into_response());
    }
    let store = &state.store;
    let today = Utc::now().date_naive();
    let months = months_from(Month::of(today), HORIZON_MONTHS);
    let (first, last) = (months[0], months[months.len() - 1]);
    let suites = all_suites(store).await?;
    let cal = store.calendar(first.first_day(), last.end()).await?;
    let plan = newest_plan(store, None).await?;
    let programs = all_programs(store, None).await?;
    let threshold = state.settings.alerts.utilization_threshold;
    let columns: Vec<String> = months.iter().map(|m| m.to_string()).collect();

    // (a) Utilisation: booked + planned from the plan where it covers the suite-month, booked
    // only (from the calendar) elsewhere.
    let occupancy: Vec<Occupancy> = cal
        .bookings
        .iter()
        .map(|b| Occupancy {
            suite_id: b.suite_id,
            start: b.start,
            end: b.end,
        })
        .collect();
    let planned: HashMap<(Uuid, String), (i32, i32)> = plan
        .as_ref()
        .map(|p| {
            p.utilization
                .iter()
                .map(|u| {
                    (
                        (u.suite_id, u.month.clone()),
                        (u.open_line_days, u.booked_line_days + u.planned_line_days),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let heat_rows: Vec<(String, Vec<Option<f64>>)> = suites
        .iter()
        .map(|s| {
            let cells = months
                .iter()
                .map(|m| match planned.get(&(s.id, m.to_string())) {
                    Some((open, used)) => utilisation(i64::from(*used), i64::from(*open)),
                    None => utilisation(
                        booked_line_days(s.id, &occupancy, *m),
                        open_line_days(s, &cal.closures, *m),
                    ),
                })
                .collect();
            (s.name.clone(), cells)
        })
        .collect();

    // (a') Pools: (booked + planned) over capacity per month, from the newest plan.
    let pools = all_pages(|page| store.list_pools(None, page)).await?;
    let pool_months: HashMap<(Uuid, String), &PoolMonthRow> = plan
        .as_ref()
        .and_then(|p| p.record.summary.as_ref())
        .map(|s| {
            s.pools
                .iter()
                .map(|r| ((r.pool_id, r.month.clone()), r))
                .collect()
        })
        .unwrap_or_default();
    let pool_rows: Vec<(String, Vec<Option<f64>>)> = pools
        .iter()
        .map(|pool| {
            let cells = months
                .iter()
                .map(|m| {
                    pool_months.get(&(pool.id, m.to_string())).and_then(|r| {
                        utilisation(i64::from(r.booked + r.planned), i64::from(r.capacity))
                    })
                })
                .collect();
            (format!("{} ({})", pool.name, pool.kind.as_str()), cells)
        })
        .collect();
    let pool_names: HashMap<Uuid, &str> = pools.iter().map(|p| (p.id, p.name.as_str())).collect();
    let pool_binding: Vec<&PoolMonthRow> = plan
        .as_ref()
        .and_then(|p| p.record.summary.as_ref())
        .map(|s| {
            s.pools
                .iter()
                .filter(|r| r.shadow_price.is_some())
                .collect()
        })
        .unwrap_or_default();

    // (b) Demand (expected scenario) vs open capacity, in line-days, per class of programs that
    // may use the same suites (summed over every suite, one kind's shortage hides behind
    // another's spare capacity).
    let demand = expected_demand(&state, &programs).await?;
    let sites = all_pages(|page| store.list_sites(page)).await?;
    let site_names: HashMap<Uuid, String> = sites.iter().map(|s| (s.id, s.name.clone())).collect();
    let classes = demand_classes(
        &programs,
        &suites,
        &site_names,
        &demand,
        &cal.closures,
        &months,
    );

    // (c) Gantt of the next months.
    let g_from = first.first_day();
    let g_to = months
        .get(GANTT_MONTHS)
        .map(|m| m.first_day())
        .unwrap_or(last.end());
    let program_names: HashMap<Uuid, &str> =
        programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let (mut rows, index) = line_rows(&suites, &cal, g_from, g_to, true);
    for b in live_bookings(store, g_from, g_to, None).await? {
        if let Some(&i) = index.get(&(b.suite_id, b.line)) {
            let name = program_names
                .get(&b.program_id)
                .copied()
                .unwrap_or("program");
            rows[i].bars.push(Bar {
                start: b.start,
                end: b.end,
                kind: bar_kind(b.status),
                label: Some(b.title(name)),
            });
        }
    }
    let suite_names: HashMap<Uuid, &str> = suites.iter().map(|s| (s.id, s.name.as_str())).collect();
    let holds = live_holds(store, None).await?;
    let flash = Flash::take(&state, &user).await?;

    let body = html! {
        (holds_section(&holds, &program_names, &suite_names, &user.csrf, true, flash.as_ref()))

        h2 { "Utilisation by suite and month" }
        @match &plan {
            Some(p) => p.note {
                "Booked and planned line-days over open line-days, from the newest plan ("
                (p.record.scenario.as_str()) ", " (p.record.from.to_string()) " → " (p.record.to.to_string())
                "); months it does not cover show booked only. Cells at or above "
                (format!("{:.0}%", threshold * 100.0)) " are outlined in red."
            },
            None => p.note {
                "No plan yet: booked line-days over open line-days. Cells at or above "
                (format!("{:.0}%", threshold * 100.0)) " are outlined in red."
            },
        }
        @if suites.is_empty() { p.note { "No suites yet." } } @else { (heatmap(&columns, &heat_rows, threshold)) }

        h2 { "Staff, QC and equipment pools by month" }
        @if pools.is_empty() {
            p.note { "No pools yet: suites are the only constraint. Add operator crews and the QC lab with POST /v1/pools." }
        } @else {
            p.note { "Booked and planned person-, analyst- or unit-days over the pool's capacity, from the newest plan; empty where no plan covers the month. A pool can bind before the suites do." }
            (heatmap(&columns, &pool_rows, threshold))
            @if !pool_binding.is_empty() {
                h3 { "Binding pools" }
                table {
                    thead { tr { th { "pool" } th { "month" } th { "one more per working day is worth" } } }
                    tbody {
                        @for r in pool_binding.iter().take(30) {
                            tr {
                                td { (pool_names.get(&r.pool_id).copied().unwrap_or("?")) }
                                td { (r.month) }
                                td.num { (format!("{:.2}", r.shadow_price.unwrap_or(0.0))) " weighted batches" }
                            }
                        }
                    }
                }
            }
        }

        h2 { "Demand vs capacity, by the suites programs may use" }
        p.note { "Expected-scenario demand in line-days (batches × (batch + changeover days)) of the programs that may use the same suites (capabilities, grade, allowed suites), against those suites' open line-days (lines × days, less closures and days outside qualification). Suites serving several classes count in each. Most over capacity first." }
        @if classes.is_empty() { p.note { "No programs yet." } }
        @for c in &classes {
            h3.class {
                @if c.suites.is_empty() { "No usable suite" } @else { (c.suites) }
                " — " (c.programs.len()) @if c.programs.len() == 1 { " program" } @else { " programs" }
            }
            p.note {
                (c.programs.join(", ")) ". "
                @match c.peak {
                    Some((m, share)) if share.is_finite() => {
                        @if share > 1.0 { strong { "Over capacity: " } }
                        "peak demand " (format!("{:.0}%", share * 100.0)) " of capacity, in " (m) "."
                    }
                    Some((m, _)) => { strong { "Demand with no capacity" } ", from " (m) "." }
                    None => "No demand in these months.",
                }
            }
            (bars_and_line(&columns, ("demand (expected)", &c.demand), Some(("open capacity", &c.capacity)), "line-days"))
        }

        h2 #bookings { "Bookings, next " (GANTT_MONTHS) " months" }
        p.note { "Confirmed solid, held hatched, closures and days outside qualification grey. " a href="/ui/bookings/new" { "Book a slot" } " · " a href="/ui/suites" { "closures" } }
        @if rows.is_empty() { p.note { "No suites yet." } } @else { (gantt("planner", g_from, g_to, &rows)) }

        h2 { "Shortfalls and expansion" }
        @match &plan {
            None => p.note { "No plan yet. " a href="/ui/plans" { "Start one" } "." },
            Some(p) => {
                @if p.shortfalls.is_empty() {
                    p.note { "The newest plan serves all demand." }
                } @else {
                    @let strip = shortfall_strip(&p.shortfalls);
                    p.note { "Short batches per program and month (the reason on hover and in the reasons column); the largest month's competition on the right." }
                    table.strip {
                        thead { tr {
                            th { "program" } th { "short" } th { "reasons" }
                            @for m in &strip.months { th.m scope="col" { (m) } }
                            th { "capacity taken by (largest month)" }
                        } }
                        tbody {
                            @for row in &strip.rows {
                                tr {
                                    td { (program_names.get(&row.program_id).copied().unwrap_or("?")) }
                                    td.num { strong { (row.total) } }
                                    td { (row.reasons) }
                                    @for cell in &row.cells {
                                        @match cell {
                                            Some(s) => td.m.short title=(format!("{} {}: {} short ({})", s.month, s.phase, s.shortfall, s.reason.as_str())) { (s.shortfall) },
                                            None => td.m {},
                                        }
                                    }
                                    td { (row.largest.map(|s| taken_by(s, &program_names)).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                    details {
                        summary { "Every program-month (" (p.shortfalls.len()) " rows)" }
                    table {
                        thead { tr { th { "program" } th { "month" } th { "phase" } th { "demand" } th { "booked" } th { "planned" } th { "shortfall" } th { "reason" } th { "capacity taken by" } } }
                        tbody {
                            @for s in &p.shortfalls {
                                tr {
                                    td { (program_names.get(&s.program_id).copied().unwrap_or("?")) }
                                    td { (s.month) } td { (s.phase) }
                                    td.num { (s.demand) } td.num { (s.booked) } td.num { (s.planned) } td.num { strong { (s.shortfall) } }
                                    td { (s.reason.as_str()) }
                                    td { (taken_by(s, &program_names)) }
                                }
                            }
                        }
                    }
                    }
                }
                @let expansion = p.record.summary.as_ref().map(|s| s.expansion.as_slice()).unwrap_or(&[]);
                @if expansion.is_empty() {
                    p.note { "No expansion advised." }
                } @else {
                    h3 { "Expansion advice" }
                    (super::plans::expansion_table(expansion, &site_names))
                }
                @let staff = p.record.summary.as_ref().map(|s| s.pool_expansion.as_slice()).unwrap_or(&[]);
                @if !staff.is_empty() {
                    h3 { "Staff advice" }
                    table {
                        thead { tr { th { "pool" } th { "skill" } th { "from" } th { "extra per working day" } th { "serves batches" } } }
                        tbody {
                            @for e in staff {
                                tr {
                                    td { (pool_names.get(&e.pool_id).copied().unwrap_or("?")) } td { (e.tag) }
                                    td { (e.from_month) } td.num { (e.extra) } td.num { (e.serves_batches) }
                                }
                            }
                        }
                    }
                }
                @let binding = p.record.summary.as_ref().map(|s| s.binding.as_slice()).unwrap_or(&[]);
                @if !binding.is_empty() {
                    h3 { "Binding suite-months" }
                    p.note { @for (i, b) in binding.iter().take(30).enumerate() {
                        @if i > 0 { ", " }
                        (suite_names.get(&b.suite_id).copied().unwrap_or("?")) " " (b.month)
                    } }
                }
            }
        }
    };
    Ok(html_response(user_page(
        &user,
        "Capacity picture",
        None,
        body,
    )))
}

/// `/ui/client`: the client's programs and demand, its bookings (others' only as "unavailable")
/// and its shortfalls in the newest plan.
pub async fn client_home(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Response, PageError> {
    if user.is_staff() {
        return Ok(Redirect::to("/ui/").into_response());
    }
    let Some(client_id) = user.identity.client_id else {
        return Ok(Redirect::to("/login").into_response());
    };
    let store = &state.store;
    let today = Utc::now().date_naive();
    let months = months_from(Month::of(today), HORIZON_MONTHS);
    let (first, last) = (months[0], months[months.len() - 1]);
    let columns: Vec<String> = months.iter().map(|m| m.to_string()).collect();
    let programs = all_programs(store, Some(client_id)).await?;
    let own: HashSet<Uuid> = programs.iter().map(|p| p.id).collect();
    let names: HashMap<Uuid, &str> = programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let demand = expected_demand(&state, &programs).await?;
    let charts: Vec<(&Program, Vec<f64>)> = programs
        .iter()
        .map(|p| {
            let mut by_month: BTreeMap<Month, u32> = BTreeMap::new();
            for (_, lines) in demand.iter().filter(|(id, _)| *id == p.id) {
                for d in lines {
                    *by_month.entry(d.month).or_insert(0) += d.batches;
                }
            }
            (
                p,
                months
                    .iter()
                    .map(|m| f64::from(by_month.get(m).copied().unwrap_or(0)))
                    .collect(),
            )
        })
        .collect();

    let suites = all_suites(store).await?;
    let g_from = first.first_day();
    let g_to = months
        .get(GANTT_MONTHS)
        .map(|m| m.first_day())
        .unwrap_or(last.end());
    let cal = store.calendar(g_from, g_to).await?;
    let (mut rows, index) = line_rows(&suites, &cal, g_from, g_to, false);
    // Others' bookings: only where and when, never whose.
    for b in cal.bookings.iter().filter(|b| !own.contains(&b.program_id)) {
        if let Some(&i) = index.get(&(b.suite_id, b.line)) {
            rows[i].bars.push(Bar {
                start: b.start,
                end: b.end,
                kind: BarKind::Unavailable,
                label: None,
            });
        }
    }
    for b in live_bookings(store, g_from, g_to, Some(client_id)).await? {
        if !own.contains(&b.program_id) {
            continue;
        }
        if let Some(&i) = index.get(&(b.suite_id, b.line)) {
            let name = names.get(&b.program_id).copied().unwrap_or("program");
            rows[i].bars.push(Bar {
                start: b.start,
                end: b.end,
                kind: bar_kind(b.status),
                label: Some(b.title(name)),
            });
        }
    }
    let plan = newest_plan(store, Some(client_id)).await?;
    let holds = live_holds(store, Some(client_id)).await?;
    let flash = Flash::take(&state, &user).await?;
    let actor = user.identity.actor(None);
    let mut windows = Vec::new();
    for p in &programs {
        let days = i64::from(p.batch_days.max(1)) + i64::from(p.changeover_days.max(0));
        let query = crate::http::AvailabilityQuery {
            from: today,
            to: today + chrono::Duration::days(WINDOW_DAYS),
            capabilities: None,
            min_grade: None,
            days: Some(days),
            program_id: Some(p.id),
        };
        let mut found = crate::http::windows(&state, &actor, query).await?;
        found.sort_by_key(|w| (w.start, w.suite_id, w.line));
        found.truncate(WINDOWS_SHOWN);
        windows.push((p, days, found));
    }
    let hooks = all_pages(|page| store.list_webhooks(Some(client_id), page)).await?;
    let suite_names: HashMap<Uuid, &str> = suites.iter().map(|s| (s.id, s.name.as_str())).collect();

    let body = html! {
        h2 { "Your programs" }
        @if programs.is_empty() {
            p.note { "No programs yet." }
        } @else {
            table {
                thead { tr { th { "program" } th { "modality" } th { "storage" } th { "batch days" } th { "changeover days" } } }
                tbody { @for p in &programs { tr { td { (p.name) } td { (p.modality) } td { (p.storage) } td.num { (p.batch_days) } td.num { (p.changeover_days) } } } }
            }
        }
        h2 { "Demand by month" }
        p.note { "Batches per month from your latest forecast, expected scenario." }
        @for (p, vals) in &charts {
            h3 { (p.name) }
            (bars_and_line(&columns, ("batches (expected)", vals), None, "batches"))
        }
        (holds_section(&holds, &names, &suite_names, &user.csrf, false, flash.as_ref()))

        h2 #free { "Free windows for your programs" }
        p.note { "The earliest free windows in the next six months on suites your programs may use, each long enough for one batch and its changeover. Requesting a hold reserves the line for that batch; the CDMO confirms it." }
        @for (p, days, found) in &windows {
            h3 { (p.name) " · " (days) " days" }
            @if found.is_empty() { p.note { "No free window of " (days) " days in the next six months." } } @else {
                table {
                    thead { tr { th { "suite" } th { "line" } th { "free from" } th { "free until (exclusive)" } th { "" } } }
                    tbody { @for w in found {
                        @let suite = suite_names.get(&w.suite_id).copied().unwrap_or("?");
                        @let end = w.start + chrono::Duration::days(*days);
                        tr {
                            td { (suite) } td.num { (w.line) } td { (w.start) } td { (w.end) }
                            td {
                                form.inline method="post" action="/ui/bookings" {
                                    (super::csrf_field(&user.csrf))
                                    input type="hidden" name="program_id" value=(p.id);
                                    input type="hidden" name="suite_id" value=(w.suite_id);
                                    input type="hidden" name="line" value=(w.line);
                                    input type="hidden" name="start" value=(w.start);
                                    input type="hidden" name="end" value=(end);
                                    button type="submit" aria-label=(format!("Request a hold for {} on {suite} line {} from {} to {end}", p.name, w.line, w.start)) { "Request a hold " (w.start) " → " (end) }
                                }
                                " "
                                a href=(format!("/ui/bookings/new?program_id={}&suite_id={}&line={}&start={}&end={end}", p.id, w.suite_id, w.line, w.start)) { "other dates…" }
                            }
                        }
                    } }
                }
            }
        }

        h2 { "Your bookings, next " (GANTT_MONTHS) " months" }
        p.note { "Confirmed solid, held hatched; time you cannot book (other work, closures) grey." }
        @if rows.is_empty() { p.note { "No suites yet." } } @else { (gantt("client", g_from, g_to, &rows)) }
        h2 { "Shortfalls in the newest plan" }
        @match &plan {
            None => p.note { "No plan yet." },
            Some(p) => {
                @let mine: Vec<_> = p.shortfalls.iter().filter(|s| own.contains(&s.program_id)).collect();
                @if mine.is_empty() {
                    p.note { "The newest plan serves all of your demand." }
                } @else {
                    table {
                        thead { tr { th { "program" } th { "month" } th { "phase" } th { "demand" } th { "booked" } th { "planned" } th { "shortfall" } th { "capacity taken by" } } }
                        tbody {
                            @for s in mine {
                                tr {
                                    td { (names.get(&s.program_id).copied().unwrap_or("?")) }
                                    td { (s.month) } td { (s.phase) }
                                    td.num { (s.demand) } td.num { (s.booked) } td.num { (s.planned) } td.num { strong { (s.shortfall) } }
                                    td { (taken_by(s, &names)) }
                                }
                            }
                        }
                    }
                }
            }
        }

        h2 #feeds { "Calendar feed" }
        p.note { "A read-only calendar (ICS) of your held and confirmed bookings for Outlook, Google Calendar or any calendar program. The URL is shown once; anyone with it sees your bookings." }
        form.inline method="post" action="/ui/feeds" {
            (super::csrf_field(&user.csrf))
            button type="submit" { "Make a calendar feed URL" }
        }

        h2 #webhooks { "Webhooks" }
        p.note { "Your systems hear of your bookings (held, confirmed, cancelled, expired, expiring) and of plans' shortfalls for your programs as signed HTTP posts (Standard Webhooks)." }
        @if hooks.is_empty() { p.note { "No subscriptions." } } @else {
            table {
                thead { tr { th { "URL" } th { "events" } th { "state" } th { "" } } }
                tbody { @for h in &hooks {
                    tr {
                        td { code { (h.url) } } td { (h.events.join(", ")) }
                        td { @match (&h.disabled_at, &h.disabled_reason) { (Some(_), r) => { "disabled" @if let Some(r) = r { ": " (r) } }, _ => "active" } }
                        td { form.inline method="post" action=(format!("/ui/webhooks/{}/delete", h.id)) {
                            (super::csrf_field(&user.csrf))
                            button type="submit" aria-label=(format!("Delete the subscription of {}", h.url)) { "Delete" }
                        } }
                    }
                } }
            }
        }
        form.card method="post" action="/ui/webhooks" aria-label="New subscription" {
            (super::csrf_field(&user.csrf))
            (super::forms::field("Receiver URL (https)", "hook-url", maud::html! { input #hook-url name="url" type="url" required; }, None))
            fieldset {
                legend { "Events" }
                @for (value, label) in [("*", "all"), ("booking.held", "held"), ("booking.confirmed", "confirmed"), ("booking.cancelled", "cancelled"), ("booking.expired", "expired"), ("hold.expiring", "hold expiring"), ("capacity.shortfall", "shortfalls")] {
                    @let id = format!("event-{}", value.replace(['.', '*'], "-"));
                    label for=(id) { input id=(id) type="checkbox" name="events" value=(value) checked[value == "*"]; " " (label) " " }
                }
            }
            button type="submit" { "Subscribe" }
        }
    };
    Ok(html_response(user_page(&user, "Your programs", None, body)))
}

/// A plan's shortfalls by program, the months as a strip: one row per program (most short
/// batches first), one cell per month that has any shortfall.
pub(super) struct ShortfallStrip<'a> {
    pub(super) months: Vec<&'a str>,
    pub(super) rows: Vec<StripRow<'a>>,
}

pub(super) struct StripRow<'a> {
    pub(super) program_id: Uuid,
    pub(super) total: i32,
    /// "capacity 5, tech_transfer 2".
    pub(super) reasons: String,
    pub(super) cells: Vec<Option<&'a crate::domain::PlanShortfall>>,
    /// The month with the most short batches that has a competition to show.
    largest: Option<&'a crate::domain::PlanShortfall>,
}

pub(super) fn shortfall_strip(shortfalls: &[crate::domain::PlanShortfall]) -> ShortfallStrip<'_> {
    let mut months: Vec<&str> = shortfalls.iter().map(|s| s.month.as_str()).collect();
    months.sort_unstable();
    months.dedup();
    let mut by_program: BTreeMap<Uuid, Vec<&crate::domain::PlanShortfall>> = BTreeMap::new();
    for s in shortfalls {
        by_program.entry(s.program_id).or_default().push(s);
    }
    let mut rows: Vec<StripRow> = by_program
        .into_iter()
        .map(|(program_id, list)| {
            let mut reasons: BTreeMap<&str, i32> = BTreeMap::new();
            for s in &list {
                *reasons.entry(s.reason.as_str()).or_default() += s.shortfall;
            }
            let cells = months
                .iter()
                .map(|m| list.iter().copied().find(|s| s.month == *m))
                .collect();
            let largest = list
                .iter()
                .copied()
                .filter(|s| !s.competition.is_empty())
                .max_by(|a, b| a.shortfall.cmp(&b.shortfall).then(b.month.cmp(&a.month)));
            StripRow {
                program_id,
                total: list.iter().map(|s| s.shortfall).sum(),
                reasons: reasons
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                cells,
                largest,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.total.cmp(&a.total).then(a.program_id.cmp(&b.program_id)));
    ShortfallStrip { months, rows }
}

/// Who occupies what a capacity shortfall competed for, largest first (at most three, summed
/// over its suites): "COM (commercial, planned) 19 line-days; other programs 4 line-days".
fn taken_by(s: &crate::domain::PlanShortfall, names: &HashMap<Uuid, &str>) -> String {
    let mut by: Vec<(String, u32)> = Vec::new();
    for o in s.competition.iter().flat_map(|c| &c.occupants) {
        let who = match o.program_id {
            None => "other programs".to_string(),
            Some(id) => format!(
                "{} ({}, {})",
                names.get(&id).copied().unwrap_or("?"),
                o.phase.map_or("-", |p| p.as_str()),
                match o.status {
                    solver_models::explain::Occupancy::Booked => "booked",
                    solver_models::explain::Occupancy::Planned => "planned",
                }
            ),
        };
        match by.iter_mut().find(|(w, _)| *w == who) {
            Some(entry) => entry.1 += o.line_days,
            None => by.push((who, o.line_days)),
        }
    }
    by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by.iter()
        .take(3)
        .map(|(w, d)| format!("{w} {d} line-days"))
        .collect::<Vec<_>>()
        .join("; ")
}
