//! A plan in money: the revenue of the demand it serves and the revenue at risk in its
//! shortfalls, by month and currency, under the sites' rate cards when the plan was made; and
//! each expansion row's cost (`expansion` in the configuration) against the revenue of the
//! batches it would serve, so that advice that does not pay is flagged.

use crate::config::ExpansionCosts;
use crate::domain::{
    BookingKind, ExpansionRow, MoneyMonth, PlanMoney, PlanSnapshot, Price, Program, RateCard, Suite,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What a plan's money is computed from.
pub struct Prices<'a> {
    pub snapshot: &'a PlanSnapshot,
    /// Rate cards by site (sites without one are missing).
    pub cards: &'a HashMap<Uuid, RateCard>,
}

impl Prices<'_> {
    fn suite(&self, id: Uuid) -> Option<&Suite> {
        self.snapshot.suites.iter().find(|s| s.id == id)
    }

    fn program(&self, id: Uuid) -> Option<&Program> {
        self.snapshot.programs.iter().find(|p| p.id == id)
    }

    /// A booking or suggestion of `program` in `suite` over `days` line-days.
    fn of(&self, suite: Uuid, program: Uuid, kind: BookingKind, days: i64) -> Option<Price> {
        let suite = self.suite(suite)?;
        let card = self.cards.get(&suite.site_id)?;
        card.price(suite, Some(program), kind, days).ok()
    }

    /// What one batch of `program` fetches at the least: its batch and changeover line-days in
    /// the cheapest suite it may use that a rate card prices (a shortfall or an expansion's
    /// batches are not yet in any suite, so the low end is the honest figure).
    pub fn reference_batch(&self, program: &Program) -> Option<Price> {
        let days = i64::from(program.batch_days) + i64::from(program.changeover_days);
        self.snapshot
            .suites
            .iter()
            .filter(|s| crate::domain::calendar::may_use(program, s).is_ok())
            .filter_map(|s| {
                let card = self.cards.get(&s.site_id)?;
                card.price(s, Some(program.id), BookingKind::GmpBatch, days)
                    .ok()
            })
            .min_by(|a, b| a.total.cmp(&b.total))
    }
}

/// Adds `price` to the month's row of its currency.
fn add(
    rows: &mut BTreeMap<(String, String), (Decimal, Decimal)>,
    month: &str,
    price: &Price,
    at_risk: bool,
) {
    let row = rows
        .entry((month.to_string(), price.currency.clone()))
        .or_default();
    if at_risk {
        row.1 += price.total;
    } else {
        row.0 += price.total;
    }
}

/// The plan's money: served revenue (live bookings that serve demand in the horizon, and the
/// suggestions) and revenue at risk (each shortfall batch at its program's reference price), by
/// month and currency; `expansion` rows get their cost and revenue.
pub fn plan_money(
    prices: &Prices<'_>,
    horizon: (chrono::NaiveDate, chrono::NaiveDate),
    planned: &[Uuid],
    rows: &super::results::PlanRows,
    expansion: &mut [ExpansionRow],
    costs: &ExpansionCosts,
) -> PlanMoney {
    let mut by_month: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    let mut unpriced = 0u32;
    let month_of = |d: chrono::NaiveDate| crate::domain::Month::of(d).to_string();
    for b in &prices.snapshot.bookings {
        if !b.kind.serves_demand()
            || !planned.contains(&b.program_id)
            || b.start < horizon.0
            || b.start >= horizon.1
        {
            continue;
        }
        match prices.of(
            b.suite_id,
            b.program_id,
            b.kind,
            (b.end - b.start).num_days(),
        ) {
            Some(p) => add(&mut by_month, &month_of(b.start), &p, false),
            None => unpriced += 1,
        }
    }
    for s in &rows.suggestions {
        match prices.of(
            s.suite_id,
            s.program_id,
            s.kind,
            (s.end - s.start).num_days(),
        ) {
            Some(p) => add(&mut by_month, &s.month, &p, false),
            None => unpriced += 1,
        }
    }
    let reference: HashMap<Uuid, Option<Price>> = planned
        .iter()
        .filter_map(|id| prices.program(*id))
        .map(|p| (p.id, prices.reference_batch(p)))
        .collect();
    for s in &rows.shortfalls {
        match reference.get(&s.program_id).and_then(Option::as_ref) {
            Some(one) => {
                let k = Decimal::from(s.shortfall.max(0));
                let p = Price::new(
                    &one.currency,
                    one.suite_time * k,
                    one.consumables * k,
                    one.other * k,
                );
                add(&mut by_month, &s.month, &p, true);
            }
            None => unpriced += u32::try_from(s.shortfall.max(0)).unwrap_or(0),
        }
    }
    for row in expansion.iter_mut() {
        price_expansion(row, prices, &reference, rows, horizon.1, costs);
    }
    let months: Vec<MoneyMonth> = by_month
        .iter()
        .map(|((month, currency), (served, at_risk))| MoneyMonth {
            month: month.clone(),
            currency: currency.clone(),
            served: crate::domain::cents(*served),
            at_risk: crate::domain::cents(*at_risk),
        })
        .collect();
    let mut totals: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for m in &months {
        let t = totals.entry(m.currency.clone()).or_default();
        t.0 += m.served;
        t.1 += m.at_risk;
    }
    PlanMoney {
        months,
        totals: totals
            .into_iter()
            .map(|(currency, (served, at_risk))| MoneyMonth {
                month: "total".into(),
                currency,
                served: crate::domain::cents(served),
                at_risk: crate::domain::cents(at_risk),
            })
            .collect(),
        unpriced_batches: unpriced,
    }
}

/// An expansion row's cost — `extra_lines` × (setup + monthly cost × months from `from_month`
/// to the horizon's end), by its capability class — against the revenue of the batches it
/// serves, each at the lowest reference price among the programs whose shortfall it could
/// serve (its class and site can make them). `pays` is whether the revenue covers the cost.
fn price_expansion(
    row: &mut ExpansionRow,
    prices: &Prices<'_>,
    reference: &HashMap<Uuid, Option<Price>>,
    rows: &super::results::PlanRows,
    horizon_end: chrono::NaiveDate,
    costs: &ExpansionCosts,
) {
    let Some(class) = costs.class_of(&row.capabilities) else {
        return;
    };
    let Some(from) = crate::domain::Month::parse(&row.from_month) else {
        return;
    };
    let months = from.until(crate::domain::Month::of(horizon_end)).count();
    let lines = Decimal::from(row.extra_lines);
    let cost = lines * (class.setup_cost + class.line_cost_per_month * Decimal::from(months));
    let short: std::collections::HashSet<Uuid> = rows
        .shortfalls
        .iter()
        .filter(|s| s.shortfall > 0 && s.month >= row.from_month)
        .map(|s| s.program_id)
        .collect();
    let grade = crate::domain::Grade::parse(&row.min_grade);
    let cheapest = short
        .iter()
        .filter_map(|id| prices.program(*id))
        .filter(|p| {
            p.required_capabilities
                .iter()
                .all(|c| row.capabilities.contains(c))
                && grade.is_some_and(|g| g.satisfies(p.min_grade))
        })
        .filter_map(|p| reference.get(&p.id).cloned().flatten())
        .filter(|p| p.currency == costs.currency)
        .map(|p| p.total)
        .min();
    row.currency = Some(costs.currency.clone());
    row.cost = Some(crate::domain::cents(cost));
    if let Some(batch) = cheapest {
        let revenue = batch * Decimal::from(row.serves_batches);
        row.revenue = Some(crate::domain::cents(revenue));
        row.pays = Some(revenue >= cost);
    }
}
