//! Plans from the pages (staff): start one (`/ui/plans`), watch it run (`/ui/plans/{id}`
//! reloads itself while queued or running: stage, incumbent, bound, gap) and accept its
//! suggestions one by one, by program or a whole month, each through the API's own accept
//! ([`crate::http::accept`]), with the result per suggestion (booked, or refused with the reason).

use super::error::PageError;
use super::forms::{all, check_post, one, Fields, Flash, FlashRow, Refusal};
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{Month, PlanInput, PlanProgress, PlanStatus, PlanSuggestion, Program};
use crate::store::{all_pages, Page};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use maud::{html, Markup};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

const SCENARIOS: [&str; 3] = ["expected", "committed", "maximum"];

async fn programs(state: &AppState) -> Result<Vec<Program>, PageError> {
    let mut out = all_pages(|page| state.store.list_programs(None, page)).await?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `GET /ui/plans`: the start form and the plans, newest first.
pub async fn list(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.staff_only()?;
    render_list(&state, &user, &Vec::new(), None).await
}

async fn render_list(
    state: &AppState,
    user: &PageUser,
    values: &Fields,
    refusal: Option<&Refusal>,
) -> Result<Response, PageError> {
    let programs = programs(state).await?;
    let plans = state
        .store
        .list_plans(Page {
            limit: 30,
            after: None,
        })
        .await?;
    let this = Month::of(Utc::now().date_naive());
    let value =
        |name: &str, default: String| one(values, name).map(str::to_string).unwrap_or(default);
    let chosen: HashSet<&str> = all(values, "program_ids").into_iter().collect();
    let err = |p: &str| refusal.and_then(|r| r.field(p));
    let names: HashMap<Uuid, &str> = programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let default_last = (0..23).fold(this, |m, _| m.next());
    let body = html! {
        h2 { "Start a plan" }
        @if let Some(r) = refusal { (r.alert(&["/from", "/to", "/scenario", "/program_ids", "/time_limit_s"], &names)) }
        form.card method="post" action="/ui/plans" {
            (csrf_field(&user.csrf))
            (super::forms::field("Scenario", "scenario", html! {
                select #scenario name="scenario" {
                    @for s in SCENARIOS { option value=(s) selected[value("scenario", "expected".into()) == s] { (s) } }
                }
            }, err("/scenario")))
            (super::forms::field("First month", "from", html! {
                input #from name="from" type="month" required value=(value("from", this.to_string()));
            }, err("/from")))
            (super::forms::field("Last month", "last", html! {
                input #last name="last" type="month" required value=(value("last", default_last.to_string()));
            }, err("/to")))
            (super::forms::field("Time limit, s (empty: the configured one)", "time_limit_s", html! {
                input #time_limit_s name="time_limit_s" type="number" min="1" max="3600" step="any" value=(value("time_limit_s", String::new()));
            }, err("/time_limit_s")))
            fieldset {
                legend { "Programs (none ticked: all)" }
                @for p in &programs {
                    @let id = format!("program-{}", p.id);
                    label for=(id) {
                        input id=(id) type="checkbox" name="program_ids" value=(p.id) checked[chosen.contains(p.id.to_string().as_str())];
                        " " (p.name) " "
                    }
                }
                @if let Some(e) = err("/program_ids") { span.field-error role="alert" { (e) } }
            }
            button type="submit" { "Start the plan" }
        }
        h2 { "Plans" }
        @if plans.items.is_empty() { p.note { "No plans yet." } } @else {
            table {
                thead { tr { th { "created" } th { "status" } th { "scenario" } th { "data" } th { "months" } th { "served / demand (batches)" } th { "gap" } th { "" } } }
                tbody {
                    @for p in &plans.items {
                        tr {
                            td { (p.created_at.format("%Y-%m-%d %H:%M UTC")) }
                            td { (p.status.as_str()) }
                            td { (p.scenario.as_str()) }
                            td { @match p.sandbox_id { None => "live", Some(s) => a href=(format!("/ui/sandboxes/{s}")) { "what-if" } } }
                            td { (Month::of(p.from)) " → " (Month::of(p.to).prev()) }
                            td.num { @if let Some(s) = &p.summary { (s.served_batches) " / " (s.demand_batches) } }
                            td.num { @if let Some(s) = &p.summary { (format!("{:.2}%", s.gap * 100.0)) } }
                            td { a href=(format!("/ui/plans/{}", p.id)) { "open" } }
                        }
                    }
                }
            }
        }
    };
    let status = refusal.map_or(StatusCode::OK, Refusal::status_code);
    Ok((status, user_page(user, "Plans", None, body)).into_response())
}

/// "2027-03" → "2027-03-01"; `next` → the first day of the month after. Anything else goes to
/// the API as typed (it names the field).
fn month_field(v: Option<&str>, next: bool) -> serde_json::Value {
    match v {
        None => serde_json::Value::Null,
        Some(v) => match Month::parse(v) {
            Some(m) => (if next { m.next() } else { m })
                .first_day()
                .to_string()
                .into(),
            None => v.into(),
        },
    }
}

/// `POST /ui/plans`: queues the plan, then to its page.
pub async fn start(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let ids: Vec<&str> = all(&fields, "program_ids");
    let body = serde_json::json!({
        "from": month_field(one(&fields, "from"), false),
        "to": month_field(one(&fields, "last"), true),
        "scenario": one(&fields, "scenario"),
        "program_ids": if ids.is_empty() { serde_json::Value::Null } else { ids.into() },
        "time_limit_s": one(&fields, "time_limit_s").map(|v| v.parse::<f64>().map_or_else(|_| serde_json::Value::from(v), Into::into)),
        "sandbox_id": one(&fields, "sandbox_id"),
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<PlanInput>(body) {
        Ok(input) => crate::http::queue(&state, &actor, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(plan) => Ok(Redirect::to(&format!("/ui/plans/{}", plan.id)).into_response()),
        Err(e) => render_list(&state, &user, &fields, Some(&Refusal::of(e)?)).await,
    }
}

/// The live booking that a suggestion became, if any: same program, suite, line and dates.
type BookedKey = (Uuid, Uuid, i32, chrono::NaiveDate, chrono::NaiveDate);

fn key_of(s: &PlanSuggestion) -> BookedKey {
    (s.program_id, s.suite_id, s.line, s.start, s.end)
}

async fn booked(
    state: &AppState,
    suggestions: &[PlanSuggestion],
) -> Result<HashMap<BookedKey, crate::domain::BookingStatus>, PageError> {
    let (Some(from), Some(to)) = (
        suggestions.iter().map(|s| s.start).min(),
        suggestions.iter().map(|s| s.end).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let filter = crate::store::BookingFilter {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let now = Utc::now();
    Ok(
        all_pages(|page| state.store.list_bookings(&filter, None, page))
            .await?
            .into_iter()
            .map(|b| b.effective(now))
            .filter(|b| {
                matches!(
                    b.status,
                    crate::domain::BookingStatus::Held | crate::domain::BookingStatus::Confirmed
                )
            })
            .map(|b| ((b.program_id, b.suite_id, b.line, b.start, b.end), b.status))
            .collect(),
    )
}

/// `GET /ui/plans/{id}`.
pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    user.staff_only()?;
    let flash = Flash::take(&state, &user).await?;
    let plan = state.store.get_plan(id, None).await?;
    let r = &plan.record;
    let programs = programs(&state).await?;
    let names: HashMap<Uuid, &str> = programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let suites: HashMap<Uuid, String> = all_pages(|page| state.store.list_suites(page))
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let running = matches!(r.status, PlanStatus::Queued | PlanStatus::Running);
    // For a what-if: the newest done live plan of its scenario, to compare with.
    let live_base = if r.sandbox_id.is_some() && r.status == PlanStatus::Done {
        crate::planning::newest_live(&state.store, Some(r.scenario))
            .await?
            .map(|p| p.id)
    } else {
        None
    };
    let progress = r.progress.as_deref().map(PlanProgress::parse);
    let booked = booked(&state, &plan.suggestions).await?;
    let mut suggestions: Vec<&PlanSuggestion> = plan.suggestions.iter().collect();
    suggestions.sort_by_key(|s| (s.start, s.suite_id, s.line));
    let mut by_program: BTreeMap<&str, (Uuid, usize, usize)> = BTreeMap::new();
    let mut by_month: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in &suggestions {
        let done = booked.contains_key(&key_of(s));
        let e = by_program
            .entry(names.get(&s.program_id).copied().unwrap_or("?"))
            .or_insert((s.program_id, 0, 0));
        e.1 += 1;
        e.2 += usize::from(done);
        let m = by_month.entry(s.month.as_str()).or_insert((0, 0));
        m.0 += 1;
        m.1 += usize::from(done);
    }
    let accept_form = |hidden: (&str, String), label: String| -> Markup {
        html! {
            form.inline method="post" action=(format!("/ui/plans/{id}/accept")) {
                (csrf_field(&user.csrf))
                input type="hidden" name=(hidden.0) value=(hidden.1);
                button type="submit" name="status" value="held" aria-label=(format!("Hold {label}")) { "Hold" }
                button type="submit" name="status" value="confirmed" aria-label=(format!("Confirm {label}")) { "Confirm" }
            }
        }
    };
    let body = html! {
        (Flash::show(flash.as_ref()))
        p.note {
            "Scenario " strong { (r.scenario.as_str()) } ", " (Month::of(r.from)) " → " (Month::of(r.to).prev())
            ", created " (r.created_at.format("%Y-%m-%d %H:%M UTC")) ". Status: " strong #plan-status { (r.status.as_str()) } "."
            @if let Some(e) = &r.error { " " span.error { (e) } }
        }
        @if let Some(sid) = r.sandbox_id {
            p.notice role="note" {
                "A what-if: the live data with the changes of "
                a href=(format!("/ui/sandboxes/{sid}")) { "its sandbox" }
                " as they were when it was queued. Its suggestions are not bookable, and it raised no alerts."
                @if let Some(base) = &live_base { " " a href=(format!("/ui/compare?base={base}&other={id}")) { "Compare with the live plan" } "." }
            }
        }
        @if let Some(p) = &progress {
            h2 { "Progress" }
            dl.progress {
                dt { "stage" } dd { (p.stage) }
                dt { "message" } dd { (p.message) }
                dt { "elapsed" } dd { (format!("{:.1} s", p.seconds)) }
                dt { "plan (weighted)" } dd { (p.incumbent.map_or("–".into(), |v| format!("{v:.1}"))) }
                dt { "bound" } dd { (p.bound.map_or("–".into(), |v| format!("{v:.1}"))) }
                dt { "gap" } dd { (p.gap.map_or("–".into(), |v| format!("{:.2}%", v * 100.0))) }
            }
            @if running { p.note { "This page reloads every 2 seconds while the plan runs." } }
        }
        @if let Some(s) = &r.summary {
            h2 { "Result" }
            p.note {
                a href=(format!("/ui/plans/{id}/report")) { "Printable report" }
                @for (table, label) in [("suggestions", "suggestions"), ("shortfalls", "shortfalls"), ("utilization", "utilisation"), ("expansion", "expansion")] {
                    " · " (label) ": "
                    a href=(format!("/v1/plans/{id}/exports/{table}?format=xlsx")) { "Excel" } " "
                    a href=(format!("/v1/plans/{id}/exports/{table}?format=csv")) { "CSV" }
                }
            }
            p.note {
                "Serves " strong { (s.served_batches) } " of " (s.demand_batches) " batches ("
                (format!("{:.1}", s.served_weighted)) " of " (format!("{:.1}", s.demand_weighted)) " weighted; bound "
                (format!("{:.1}", s.bound_weighted)) ", gap " (format!("{:.2}%", s.gap * 100.0)) ", "
                (s.solver_status) " in " (format!("{:.1}", s.seconds)) " s). "
                (plan.shortfalls.iter().map(|x| i64::from(x.shortfall)).sum::<i64>()) " batches short; see the capacity picture for where and why."
            }
            @if let Some(money) = &s.money {
                @for t in &money.totals {
                    p.note { "Revenue (" (t.currency) "): " strong { (t.served) } " served, " (t.at_risk) " at risk in shortfalls." }
                }
            }
        }
        @if !suggestions.is_empty() && r.sandbox_id.is_none() {
            h2 #suggestions { "Suggestions (" (suggestions.len()) ")" }
            p.note { "Accepting books exactly the suggested line and days, through the same checks as any booking: a slot taken since the plan was made is refused with the reason. Hold keeps it for the client to confirm; Confirm books it." }
            h3 { "By program" }
            table {
                thead { tr { th { "program" } th { "suggestions" } th { "booked" } th { "accept the rest" } } }
                tbody { @for (name, (pid, n, done)) in &by_program {
                    tr { td { (name) } td.num { (n) } td.num { (done) }
                         td { @if done < n { (accept_form(("program_id", pid.to_string()), format!("every suggestion of {name}"))) } } }
                } }
            }
            h3 { "By month" }
            table {
                thead { tr { th { "month" } th { "suggestions" } th { "booked" } th { "accept the rest" } } }
                tbody { @for (m, (n, done)) in &by_month {
                    tr { td { (m) } td.num { (n) } td.num { (done) }
                         td { @if done < n { (accept_form(("month", m.to_string()), format!("every suggestion for {m}"))) } } }
                } }
            }
            h3 { "Each suggestion" }
            table #suggestion-list {
                thead { tr { th { "program" } th { "kind" } th { "suite" } th { "line" } th { "from" } th { "to (exclusive)" } th { "serves" } th { "state" } th { "accept" } } }
                tbody { @for s in &suggestions {
                    @let program = names.get(&s.program_id).copied().unwrap_or("?");
                    @let suite = suites.get(&s.suite_id).map_or("?", String::as_str);
                    tr {
                        td { (program) } td { (s.kind.label()) } td { (suite) } td.num { (s.line) }
                        td { (s.start) } td { (s.end) } td { (s.month) }
                        @match booked.get(&key_of(s)) {
                            Some(st) => { td.state-booked { "booked (" (st.as_str()) ")" } td {} },
                            None => { td { "open" } td { (accept_form(("suggestion", s.id.to_string()), format!("{program} on {suite} line {} from {}", s.line, s.start))) } },
                        }
                    }
                } }
            }
        }
    };
    let refresh = running.then_some(2);
    Ok(user_page(&user, "Plan", refresh, body).into_response())
}

/// `POST /ui/plans/{id}/accept`: `suggestion`, `program_id` or `month` chooses which open
/// suggestions; `status` is held or confirmed. Each is accepted on its own (one refused does not
/// stop the others); the results go to the plan's page.
pub async fn accept(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let plan = state.store.get_plan(id, None).await?;
    let status = match one(&fields, "status") {
        Some("confirmed") => crate::domain::BookingStatus::Confirmed,
        _ => crate::domain::BookingStatus::Held,
    };
    let booked = booked(&state, &plan.suggestions).await?;
    let pick = |s: &&PlanSuggestion| {
        if let Some(sid) = one(&fields, "suggestion") {
            s.id.to_string() == sid
        } else if let Some(pid) = one(&fields, "program_id") {
            s.program_id.to_string() == pid
        } else if let Some(m) = one(&fields, "month") {
            s.month == m
        } else {
            false
        }
    };
    let mut chosen: Vec<&PlanSuggestion> = plan
        .suggestions
        .iter()
        .filter(pick)
        .filter(|s| !booked.contains_key(&key_of(s)))
        .collect();
    chosen.sort_by_key(|s| (s.start, s.suite_id, s.line));
    let programs = programs(&state).await?;
    let names: HashMap<Uuid, &str> = programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let suites: HashMap<Uuid, String> = all_pages(|page| state.store.list_suites(page))
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let actor = user.identity.actor(None);
    let mut results = Vec::new();
    for s in chosen {
        let item = format!(
            "{} · {} line {} · {} to {}",
            names.get(&s.program_id).copied().unwrap_or("?"),
            suites.get(&s.suite_id).map_or("?", String::as_str),
            s.line,
            s.start,
            s.end
        );
        let input = crate::http::AcceptInput { status, note: None };
        match crate::http::accept(&state, &actor, id, s.id, input, None).await {
            Ok(b) => results.push(FlashRow {
                item,
                ok: true,
                outcome: format!("booked ({})", b.status.as_str()),
            }),
            Err(e) => {
                let r = Refusal::of(e)?;
                results.push(FlashRow {
                    item,
                    ok: false,
                    outcome: format!("{}: {}", r.status, r.summary(&names)),
                })
            }
        }
    }
    let done = results.iter().filter(|r| r.ok).count();
    let notice = if results.is_empty() {
        "Nothing to accept: those suggestions are booked already.".to_string()
    } else {
        format!(
            "{done} of {} suggestion(s) booked{}.",
            results.len(),
            if done < results.len() {
                "; the others were refused (below, with the reason)"
            } else {
                ""
            }
        )
    };
    Flash {
        notice: Some(notice),
        results,
    }
    .leave(&state, &user)
    .await?;
    Ok(Redirect::to(&format!("/ui/plans/{id}#suggestions")).into_response())
}

/// `GET /ui/plans/{id}/report`: the plan as a printable page (print it, or save it as PDF from
/// the browser's print dialog): the figures, served and short by month, shortfalls by program,
/// expansion and staff advice, and utilisation by suite-month with its percentages printed.
pub async fn report(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    user.staff_only()?;
    let plan = state.store.get_plan(id, None).await?;
    let r = &plan.record;
    let Some(s) = &r.summary else {
        return Err(PageError::new(StatusCode::CONFLICT)
            .with_message("The plan is not done yet; its report comes when it is."));
    };
    let programs = programs(&state).await?;
    let names: HashMap<Uuid, &str> = programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let suites = all_pages(|page| state.store.list_suites(page)).await?;
    let sites: HashMap<Uuid, String> = all_pages(|page| state.store.list_sites(page))
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let months: Vec<String> = Month::of(r.from)
        .until(Month::of(r.to))
        .map(|m| m.to_string())
        .collect();
    let used: HashMap<(Uuid, &str), Option<f64>> = plan
        .utilization
        .iter()
        .map(|u| {
            (
                (u.suite_id, u.month.as_str()),
                super::capacity::utilisation(
                    i64::from(u.booked_line_days + u.planned_line_days),
                    i64::from(u.open_line_days),
                ),
            )
        })
        .collect();
    let mut suite_rows: Vec<(String, Vec<Option<f64>>)> = suites
        .iter()
        .filter(|s| plan.utilization.iter().any(|u| u.suite_id == s.id))
        .map(|s| {
            (
                s.name.clone(),
                months
                    .iter()
                    .map(|m| used.get(&(s.id, m.as_str())).copied().flatten())
                    .collect(),
            )
        })
        .collect();
    suite_rows.sort_by(|a, b| a.0.cmp(&b.0));
    let strip = super::pages::shortfall_strip(&plan.shortfalls);
    let data = match r.sandbox_id {
        None => "the live data".to_string(),
        Some(_) => "a what-if sandbox (not bookable)".to_string(),
    };
    let body = html! {
        p { "Scenario " strong { (r.scenario.as_str()) } ", " (Month::of(r.from)) " → " (Month::of(r.to).prev()) ", on " (data)
            "; planned " (r.finished_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default())
            " by " (s.solver_name) " (" (s.solver_status) ", " (format!("{:.1}", s.seconds)) " s, gap " (format!("{:.2}%", s.gap * 100.0)) ")." }
        table.figures {
            tbody {
                tr { th { "demand, batches" } td.num { (s.demand_batches) } th { "served, batches" } td.num { (s.served_batches) } th { "short, batches" } td.num { (i64::from(s.demand_batches) - i64::from(s.served_batches)) } }
                tr { th { "demand, weighted" } td.num { (format!("{:.1}", s.demand_weighted)) } th { "served, weighted" } td.num { (format!("{:.1}", s.served_weighted)) } th { "bound, weighted" } td.num { (format!("{:.1}", s.bound_weighted)) } }
            }
        }
        @if !s.months.is_empty() {
            h2 { "Served and short by month (batches)" }
            table {
                thead { tr { th { "month" } th { "demand" } th { "served" } th { "short" } } }
                tbody { @for m in &s.months { tr { td { (m.month) } td.num { (m.demand_batches) } td.num { (m.served_batches) } td.num { (m.demand_batches - m.served_batches) } } } }
            }
        }
        h2 { "Shortfalls by program (batches)" }
        @if strip.rows.is_empty() { p { "None: the plan serves all demand." } } @else {
            table.strip {
                thead { tr { th { "program" } th { "short" } th { "reasons" } @for m in &strip.months { th.m { (m) } } } }
                tbody { @for row in &strip.rows {
                    tr { td { (names.get(&row.program_id).copied().unwrap_or("(hypothetical)")) } td.num { (row.total) } td { (row.reasons) }
                         @for c in &row.cells { td.m { @if let Some(c) = c { (c.shortfall) } } } }
                } }
            }
        }
        @if let Some(money) = &s.money {
            h2 { "Revenue served and at risk" }
            (money_table(money))
        }
        h2 { "Expansion advice" }
        @if s.expansion.is_empty() { p { "None." } } @else { (expansion_table(&s.expansion, &sites)) }
        @if !s.pool_expansion.is_empty() {
            h2 { "Staff advice" }
            table {
                thead { tr { th { "skill" } th { "from" } th { "extra per working day" } th { "serves batches" } } }
                tbody { @for e in &s.pool_expansion { tr { td { (e.tag) } td { (e.from_month) } td.num { (e.extra) } td.num { (e.serves_batches) } } } }
            }
        }
        h2 { "Utilisation by suite and month (booked + planned over open line-days, %)" }
        (super::svg::heatmap(&months, &suite_rows, state.settings.alerts.utilization_threshold))
    };
    Ok(super::layout(&format!("Plan report · {}", Month::of(r.from)), None, body).into_response())
}

/// The expansion advice table (the plan's report, the capacity picture): where, from when, how
/// many lines, what they serve, and — where `expansion.classes` prices them — what they cost
/// against the revenue of the batches they serve, and whether they pay within the horizon.
pub(super) fn expansion_table(
    rows: &[crate::domain::ExpansionRow],
    sites: &HashMap<Uuid, String>,
) -> Markup {
    let money = |c: &Option<String>, v: &Option<rust_decimal::Decimal>| match (c, v) {
        (Some(c), Some(v)) => format!("{c} {v}"),
        _ => "–".into(),
    };
    html! {
        table {
            thead { tr { th { "capabilities" } th { "grade" } th { "site" } th { "from" } th { "extra lines" } th { "serves batches" } th { "cost" } th { "revenue" } th { "pays?" } } }
            tbody {
                @for e in rows {
                    tr {
                        td { (e.capabilities.join(", ")) } td { (e.min_grade) }
                        td { (e.site_id.and_then(|x| sites.get(&x).cloned()).unwrap_or_else(|| "any".into())) }
                        td { (e.from_month) } td.num { (e.extra_lines) } td.num { (e.serves_batches) }
                        td.num { (money(&e.currency, &e.cost)) } td.num { (money(&e.currency, &e.revenue)) }
                        td { @match e.pays { Some(true) => "yes", Some(false) => strong { "no" }, None => "–" } }
                    }
                }
            }
        }
    }
}

/// A plan's revenue by month and currency: served, and at risk in its shortfalls.
pub(super) fn money_table(money: &crate::domain::PlanMoney) -> Markup {
    html! {
        table {
            thead { tr { th { "month" } th { "currency" } th { "served" } th { "at risk" } } }
            tbody {
                @for m in money.months.iter().chain(&money.totals) {
                    tr { td { (m.month) } td { (m.currency) } td.num { (m.served) } td.num { (m.at_risk) } }
                }
            }
        }
        @if money.unpriced_batches > 0 {
            p.note { (money.unpriced_batches) " batches have no price (no rate card covers their suite) and are left out." }
        }
    }
}
