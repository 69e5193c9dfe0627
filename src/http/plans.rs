//! Plans: queue a solver run, read its results.
//!
//! **What a client key sees.** Plans are the CDMO's, run over every client's programs; a client
//! reads them filtered to its own programs: its suggestions and shortfalls only; an `objective`
//! computed over its own programs (served and demand, batches and weighted) with
//! `bound_weighted: null` (the proven bound is a network-wide figure); the `solver` block (it
//! says nothing about anyone); and no `utilization`, `binding` or `expansion` (suite loads,
//! shadow prices and capacity plans are the CDMO's business and reflect other clients' work).

use super::bookings;
use super::idempotency::{idempotent, IdempotencyKey};
use super::{list::*, ApiError, ApiJson, ApiPath, ApiQuery, Auth, Staff};
use crate::app::AppState;
use crate::domain::{
    Actor, BindingRow, Booking, BookingStatus, ExpansionRow, NewBooking, PlanDetail, PlanInput,
    PlanRecord, PlanShortfall, PlanStatus, PlanSuggestion, PlanUtilization, Scenario,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_plan, list_plans))
        .routes(routes!(get_plan))
        .routes(routes!(accept_suggestion))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanQueued {
    pub id: Uuid,
    /// Always `queued`.
    #[schema(value_type = String)]
    pub status: PlanStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Objective {
    pub served_weighted: f64,
    pub demand_weighted: f64,
    /// Null in a client's view.
    pub bound_weighted: Option<f64>,
    pub served_batches: i64,
    pub demand_batches: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SolverInfo {
    pub name: String,
    /// `optimal`, `feasible`, `time_limit` or `greedy`.
    pub status: String,
    pub seconds: f64,
    pub gap: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpansionView {
    pub capabilities: Vec<String>,
    pub min_grade: String,
    pub site_id: Option<Uuid>,
    pub from_month: String,
    pub extra_lines: u32,
    pub serves_batches: u32,
    /// The currency of `cost` and `revenue`; null when no `expansion.classes` entry prices it.
    pub currency: Option<String>,
    /// What the extra lines cost to the horizon's end (setup and running).
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<crate::domain::Money>)]
    pub cost: Option<rust_decimal::Decimal>,
    /// What the batches they serve bring (at the lowest reference price of the short programs
    /// they could make); null when none is priced.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<crate::domain::Money>)]
    pub revenue: Option<rust_decimal::Decimal>,
    /// False: the advice does not pay for itself within the horizon (kept, flagged).
    pub pays: Option<bool>,
}

impl From<ExpansionRow> for ExpansionView {
    fn from(e: ExpansionRow) -> Self {
        ExpansionView {
            capabilities: e.capabilities,
            min_grade: e.min_grade,
            site_id: e.site_id,
            from_month: e.from_month,
            extra_lines: e.extra_lines,
            serves_batches: e.serves_batches,
            currency: e.currency,
            cost: e.cost,
            revenue: e.revenue,
            pays: e.pays,
        }
    }
}

/// A plan; lists stay empty and `objective`/`solver` null until it is `done`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub id: Uuid,
    /// `queued`, `running`, `done` or `failed`.
    #[schema(value_type = String)]
    pub status: PlanStatus,
    /// `committed`, `expected` or `maximum`.
    #[schema(value_type = String)]
    pub scenario: Scenario,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub program_ids: Option<Vec<Uuid>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// A what-if plan's sandbox (staff only; clients never see what-ifs); null: the live data.
    pub sandbox_id: Option<Uuid>,
    /// While `running` (and kept once `done`): the solver's last report and the incumbent,
    /// bound and gap over time. A client sees the stage and the seconds only.
    pub progress: Option<crate::domain::PlanProgress>,
    pub objective: Option<Objective>,
    pub solver: Option<SolverInfo>,
    pub suggestions: Vec<PlanSuggestion>,
    pub shortfalls: Vec<PlanShortfall>,
    pub utilization: Vec<PlanUtilization>,
    pub expansion: Vec<ExpansionView>,
    pub binding: Vec<BindingRow>,
    /// Staff only: each pool's months (capacity, booked, planned, shadow price where it binds).
    pub pools: Vec<crate::domain::PoolMonthRow>,
    /// Staff only: capacity to add to pools (people, analysts, units per working day).
    pub pool_expansion: Vec<crate::domain::PoolExpansionRow>,
    /// Staff only: revenue served and at risk by month and currency, under the rate cards when
    /// the plan was made (null before then, or for plans made before prices existed).
    pub money: Option<crate::domain::PlanMoney>,
}

fn header(r: &PlanRecord, client: bool) -> Plan {
    Plan {
        id: r.id,
        status: r.status,
        scenario: r.scenario,
        from: r.from,
        to: r.to,
        // Another client's program ids are not for a client's eyes.
        program_ids: if client { None } else { r.program_ids.clone() },
        created_at: r.created_at,
        finished_at: r.finished_at,
        error: r.error.clone(),
        sandbox_id: r.sandbox_id,
        progress: matches!(r.status, PlanStatus::Running | PlanStatus::Done)
            .then(|| {
                r.progress
                    .as_deref()
                    .map(crate::domain::PlanProgress::parse)
            })
            .flatten()
            .map(|p| if client { p.for_client() } else { p }),
        objective: None,
        solver: r.summary.as_ref().map(|s| SolverInfo {
            name: s.solver_name.clone(),
            status: s.solver_status.clone(),
            seconds: s.seconds,
            gap: s.gap,
        }),
        suggestions: vec![],
        shortfalls: vec![],
        utilization: vec![],
        expansion: vec![],
        binding: vec![],
        pools: vec![],
        pool_expansion: vec![],
        money: None,
    }
}

fn view(d: PlanDetail, client: bool) -> Plan {
    let mut plan = header(&d.record, client);
    let Some(summary) = d.record.summary else {
        return plan;
    };
    plan.objective = Some(if client {
        Objective {
            served_weighted: d.programs.iter().map(|p| p.served_weighted).sum(),
            demand_weighted: d.programs.iter().map(|p| p.demand_weighted).sum(),
            bound_weighted: None,
            served_batches: d.programs.iter().map(|p| i64::from(p.served_batches)).sum(),
            demand_batches: d.programs.iter().map(|p| i64::from(p.demand_batches)).sum(),
        }
    } else {
        Objective {
            served_weighted: summary.served_weighted,
            demand_weighted: summary.demand_weighted,
            bound_weighted: Some(summary.bound_weighted),
            served_batches: i64::from(summary.served_batches),
            demand_batches: i64::from(summary.demand_batches),
        }
    });
    plan.suggestions = d.suggestions;
    plan.shortfalls = d.shortfalls;
    if !client {
        plan.utilization = d.utilization;
        plan.expansion = summary.expansion.into_iter().map(Into::into).collect();
        plan.binding = summary.binding;
        plan.pools = summary.pools;
        plan.pool_expansion = summary.pool_expansion;
        plan.money = summary.money;
    }
    plan
}

/// Queue a plan (planner, admin). The worker picks it up; poll `GET /v1/plans/{id}`.
#[utoipa::path(post, path = "/v1/plans", tag = "plans", request_body = PlanInput,
    responses((status = 202, body = PlanQueued),
        (status = 403, description = "A client key.", body = super::error::Problem)))]
async fn create_plan(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<PlanQueued>), ApiError> {
    let plan = queue(&state, &actor, input).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PlanQueued {
            id: plan.id,
            status: plan.status,
        }),
    ))
}

/// Queues a plan with the rules of `POST /v1/plans` (staff; the caller checks the role).
pub(crate) async fn queue(
    state: &AppState,
    actor: &Actor,
    input: PlanInput,
) -> Result<PlanRecord, ApiError> {
    let input = input.validate()?;
    Ok(state
        .write(|store| store.create_plan(actor, &input))
        .await?)
}

/// Plans, newest first. Items carry no rows; a client key gets no objective here (read the
/// plan for the figures of its own programs).
#[utoipa::path(get, path = "/v1/plans", tag = "plans", params(ListQuery),
    responses((status = 200, body = ListOf<Plan>)))]
async fn list_plans(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Plan>>, ApiError> {
    let client = !auth.0.is_staff();
    let listed = state.store.list_plans(q.page()?).await?;
    Ok(Json(ListOf {
        next_cursor: listed.next.map(|id| id.to_string()),
        items: listed
            .items
            .iter()
            // Clients never see what-ifs.
            .filter(|r| !client || r.sandbox_id.is_none())
            .map(|r| {
                let mut p = header(r, client);
                if !client {
                    p.objective = r.summary.as_ref().map(|s| Objective {
                        served_weighted: s.served_weighted,
                        demand_weighted: s.demand_weighted,
                        bound_weighted: Some(s.bound_weighted),
                        served_batches: i64::from(s.served_batches),
                        demand_batches: i64::from(s.demand_batches),
                    });
                }
                p
            })
            .collect(),
    }))
}

/// A plan with its results; a client key sees only its own programs' rows (see the module
/// documentation for exactly what).
#[utoipa::path(get, path = "/v1/plans/{id}", tag = "plans", params(("id" = Uuid, Path)),
    responses((status = 200, body = Plan), (status = 404, body = super::error::Problem)))]
async fn get_plan(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Plan>, ApiError> {
    let client = !auth.0.is_staff();
    // A client key bound to no client sees nothing of anyone's.
    let scope = if client {
        Some(auth.0.client_id.unwrap_or(Uuid::nil()))
    } else {
        None
    };
    let detail = state.store.get_plan(id, scope).await?;
    Ok(Json(view(detail, client)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// Client keys: `held` only.
    #[schema(value_type = crate::domain::schema::RequestedStatus)]
    pub status: BookingStatus,
    /// Defaults to a note naming the plan and suggestion.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::schema::Note>)]
    pub note: Option<String>,
}

/// Book a suggestion exactly as planned (its line and `[start, end)`). 409 when the slot was
/// taken since (or a closure now covers it); a client may accept its own programs' suggestions
/// as `held` only.
#[utoipa::path(post, path = "/v1/plans/{id}/suggestions/{sid}/accept", tag = "plans",
    params(("id" = Uuid, Path), ("sid" = Uuid, Path), ("Idempotency-Key" = Option<super::idempotency::IdempotencyKeyText>, Header, description = "Makes a retry safe: the same key with the same request replays the first answer (docs/api-guide.md, \"Idempotency\").")),
    request_body = AcceptInput,
    responses((status = 201, body = Booking),
        (status = 403, description = "A client key asked for a confirmed booking.",
            body = super::error::Problem),
        (status = 409, description = "The slot was taken since the plan was made \
            (`/problems/overlap`, with `conflicts`), or the same `Idempotency-Key` is still \
            being processed.", body = super::error::Problem)))]
async fn accept_suggestion(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath((plan_id, sid)): ApiPath<(Uuid, Uuid)>,
    key: IdempotencyKey,
    ApiJson(value): ApiJson<serde_json::Value>,
) -> Response {
    let key = key.of(&actor);
    let fingerprint = format!("POST /v1/plans/{plan_id}/suggestions/{sid}/accept {value}");
    let st = state.clone();
    idempotent(&state, key, fingerprint, |key| async move {
        let input: AcceptInput = super::from_json_value(value)?;
        let created = accept(&st, &actor, plan_id, sid, input, key.as_ref()).await?;
        Ok((StatusCode::CREATED, bookings::to_value(&created)?))
    })
    .await
}

/// Books suggestion `sid` of plan `plan_id` exactly as planned, with every rule of
/// `POST /v1/plans/{id}/suggestions/{sid}/accept`: the API and the pages accept through here.
pub(crate) async fn accept(
    state: &AppState,
    actor: &Actor,
    plan_id: Uuid,
    sid: Uuid,
    input: AcceptInput,
    key: Option<&crate::store::IdemKey>,
) -> Result<Booking, ApiError> {
    let client = !actor.is_staff();
    if client && input.status != BookingStatus::Held {
        return Err(ApiError::Forbidden(
            "clients accept suggestions as holds; the CDMO confirms them".into(),
        ));
    }
    let scope = client.then(|| actor.client_id.unwrap_or(Uuid::nil()));
    let s = state.store.get_plan_suggestion(plan_id, sid, scope).await?;
    let booking = NewBooking {
        program_id: s.program_id,
        suite_id: s.suite_id,
        line: Some(i64::from(s.line)),
        start: s.start,
        end: s.end,
        status: input.status,
        kind: s.kind,
        hold_expires_at: None,
        note: Some(
            input
                .note
                .unwrap_or_else(|| format!("accepted from plan {plan_id}, suggestion {sid}")),
        ),
    };
    bookings::book(state, actor, booking, key)
        .await
        .map_err(|e| match e {
            ApiError::Conflict {
                problem,
                detail,
                conflicts,
            } => ApiError::Conflict {
                problem,
                detail: format!("{detail}: the suggested slot was taken since the plan was made"),
                conflicts,
            },
            other => other,
        })
}
