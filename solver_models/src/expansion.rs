//! Expansion advice: per class (required capabilities, minimum grade, site), the fewest extra
//! lines, and the month each one is needed from, that remove the classes' `capacity` shortfalls
//! from the lead month on, with the existing suites re-planned around them.
//!
//! Method, in two steps, each result achievable as stated (a plan is its witness):
//! 1. **Witness.** The plan stays as it is; each class's short batches are placed earliest-first
//!    on k identical virtual lines of the class (grade = the class's minimum grade, capabilities =
//!    its required ones, no closures), k = 1, 2, … until all fit. This overstates the minimum
//!    when re-timing the existing suites' batches, moving them onto the new lines, or one line
//!    serving two classes would pack better.
//! 2. **Joint optimisation** ([`fewest_lines`]): the instance gains, per class, a suite of the
//!    witness's k lines qualified from the lead month; the time-indexed MILP of
//!    [`crate::timeidx`] re-plans the units that may use one of them, over all the lines those
//!    units may use, with every such unit required to keep at least what the plan plus the
//!    witness serve it (so every capacity shortfall is removed and nothing served is lost), and
//!    each new line a binary "open from month m" that its batches need. It minimises the lines
//!    opened, then their open line-months (so a line is advised from the month it is first
//!    needed), then prefers lines more programs may use. Months are solved in chunks of
//!    consecutive months up to [`JOINT_MAX_COLUMNS`] binaries, in order (a line opened in an
//!    earlier chunk is open for the later ones): one chunk, the exact minimum, on small
//!    instances; a rolling horizon on large ones. Each starts from the plan so far and keeps
//!    its best solution within its share of the time.
//!
//! Rows are per (class of the line, month it is first needed; the lead month where the joint
//! step could not run: the augmented instance invalid or the plan not carrying over onto it);
//! `serves_batches` counts the shortfall batches the new lines bring in (a unit's extra batches
//! on a row's lines, the rest of its increase to the row of its class, else the first row whose
//! lines it can use), so the rows together serve exactly what the plan was short. Shortfalls in months before the lead
//! month cannot be removed by building and are not counted. With pools, a new line draws on the
//! pools of its class's site (site-less pools only when the class spans sites), and roads to
//! first batch hold on the new suites as on the others.
//!
//! Dedicated lines and segregation: a new line is advised in a suite of its own, dedicated to
//! nobody and unsegregated (`any`), whatever the suites of its class are: the advice is capacity
//! for the class, and whether a new suite is given over to one client or kept to one party at a
//! time is a commercial decision the advice does not presume. The existing suites keep their
//! rules in the joint step (the augmented instance is prepared with them, its columns filtered
//! and its segregation rows added as in [`crate::timeidx`], every result checked by
//! [`Occupancy::fits_batch`]), so the advice stays achievable as stated.
//!
//! Pool advice ([`advise_pools`]): for each pool that blocks shortfalls (reason `staff`, `qc` or
//! `equipment`, the pool being the first short one of the unit's first free-line slot), the
//! fewest extra units of capacity on each of the pool's working days, from `from_month` to the
//! end of the calendar, that serve the most of those batches extra capacity can serve: the plan
//! stays as it is, the pool is raised by k and the short batches are placed greedily (greedy's
//! unit order, earliest (start, suite name, line), lines free and every pool with room); the
//! smallest k whose placement reaches what an unlimited raise gives is found by doubling and
//! bisection (greedy placement is not strictly monotone in k, so a smaller k may exceptionally
//! exist). Each reported k is achievable as stated (the placement is the witness). Staff and QC analysts are hired and
//! qualified in [`POOL_HIRE_LEAD_MONTHS`] months, far sooner than a suite is built; shared
//! equipment takes the line lead time (`expansion_lead_months`), as it must be bought and
//! qualified like a line.

use crate::greedy::unit_order;
use crate::milp::{solve_mip_from, Limits};
use crate::model::{uses_at, Batch, Blocker, Occupancy, PoolUse, Prepared, ProgInfo};
use crate::plan::{Expansion, PlanOptions, PoolExpansion, Shortfall, ShortfallReason};
use crate::timeidx::{Columns, Window};
use crate::types::{Grade, Instance, PoolKind, Suite};
use crate::Month;
use good_lp::{highs, variable, Expression, ProblemVariables, SolverModel, Variable};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Months to hire and qualify operators or QC analysts (gowning, process training, aseptic
/// process simulation): a quarter, against 18–24 months for a new suite.
pub const POOL_HIRE_LEAD_MONTHS: u32 = 3;

/// The first month extra capacity can serve, `lead` months after today (not before the
/// horizon), with its index and first day; `None` when it falls after the horizon.
fn first_month(p: &Prepared, opts: &PlanOptions, lead: u32) -> Option<(Month, usize, usize)> {
    let first = p.months.first().copied()?;
    let mut from_month = Month::of(opts.today);
    for _ in 0..lead {
        from_month = from_month.next();
    }
    let from_month = from_month.max(first);
    let idx = p.months.iter().position(|m| *m == from_month)?;
    Some((from_month, idx, p.month_start[idx]))
}

/// The unit of a shortfall row.
fn unit_of(p: &Prepared, sf: &Shortfall) -> Option<usize> {
    let pi = p.progs.iter().position(|q| q.key == sf.program)?;
    let mi = p.months.iter().position(|m| *m == sf.month)?;
    p.unit_of[pi][mi]
}

type ClassKey = (Vec<String>, Grade, Option<String>);

/// Expansion advice for the final plan `batches`, its joint optimisation within `time_limit_s`
/// seconds (the witness alone when it is 0 or nothing better is found).
pub fn advise(
    p: &Prepared,
    batches: &[Batch],
    shortfalls: &[Shortfall],
    opts: &PlanOptions,
    time_limit_s: f64,
) -> Vec<Expansion> {
    let Some((from_month, _, from_day)) = first_month(p, opts, opts.expansion_lead_months) else {
        return Vec::new();
    };
    let t0 = Instant::now();
    // What the pools have left under the final plan (empty without pools).
    let pool_left = if p.has_pools() {
        Occupancy::of_plan(p, batches).pool_left
    } else {
        Vec::new()
    };
    // Class of each program; short batches per class as (unit, count).
    let mut classes: BTreeMap<ClassKey, Vec<(usize, u32)>> = BTreeMap::new();
    for sf in shortfalls {
        if sf.reason != ShortfallReason::Capacity || sf.month < from_month {
            continue;
        }
        let Some(u) = unit_of(p, sf) else { continue };
        classes
            .entry(class_of(p, &p.progs[p.units[u].prog]))
            .or_default()
            .push((u, sf.shortfall));
    }
    let mut witness: Vec<Witness> = Vec::new();
    for ((caps, grade, site), mut short) in classes {
        let total: u32 = short.iter().map(|x| x.1).sum();
        // Most valuable first, as a planner would fill a new suite.
        short.sort_by(|a, b| {
            let (ua, ub) = (&p.units[a.0], &p.units[b.0]);
            ua.month
                .cmp(&ub.month)
                .then(ub.weight.total_cmp(&ua.weight))
        });
        // What each short unit's batch takes from the pools of the class's site.
        let uses: Vec<Vec<PoolUse>> = short
            .iter()
            .map(|(u, _)| {
                if p.has_pools() {
                    let profile = &p.progs[p.units[*u].prog].profile;
                    uses_at(p.inst, site.as_ref(), profile)
                } else {
                    Vec::new()
                }
            })
            .collect();
        for k in 1..=total.max(1) {
            let placed = place_on_virtual(
                p,
                &short,
                &uses,
                &pool_left,
                k as usize,
                from_day,
                site.as_ref(),
            );
            if placed.len() as u32 >= total {
                witness.push(Witness {
                    class: (caps, grade, site),
                    lines: k,
                    placed,
                });
                break;
            }
        }
    }
    if std::env::var("SP_DEBUG").is_ok() {
        eprintln!(
            "  expansion: witness {} lines in {:.2}s",
            witness.iter().map(|w| w.lines).sum::<u32>(),
            t0.elapsed().as_secs_f64()
        );
    }
    if time_limit_s > 0.0 && !witness.is_empty() {
        let left = time_limit_s - t0.elapsed().as_secs_f64();
        if let Some(rows) = fewest_lines(p, batches, &witness, from_month, left) {
            return rows;
        }
    }
    witness
        .into_iter()
        .map(|w| Expansion {
            capabilities: w.class.0,
            min_grade: w.class.1,
            site: w.class.2,
            from_month,
            extra_lines: w.lines,
            serves_batches: w.placed.len() as u32,
        })
        .collect()
}

/// The joint step's models: consecutive months are solved together up to this many binaries
/// of batches (about what HiGHS searches well in a few seconds); a single month above twice
/// this keeps what it has.
const JOINT_MAX_COLUMNS: usize = 12_000;

/// A class's witness: `lines` virtual lines carry its short batches as `placed`.
struct Witness {
    class: ClassKey,
    lines: u32,
    /// (unit, virtual line, start day).
    placed: Vec<(usize, usize, usize)>,
}

/// The joint step of [`advise`]: the fewest lines (then line-months) of the witnesses' classes
/// that, with the existing suites re-planned, serve every unit from `from_month` on at least
/// what the plan and the witnesses serve it. `None` when the augmented instance cannot be
/// prepared or the plan does not carry over onto it (the witness then stands).
fn fewest_lines(
    p: &Prepared,
    batches: &[Batch],
    witness: &[Witness],
    from_month: Month,
    time_limit_s: f64,
) -> Option<Vec<Expansion>> {
    let t0 = Instant::now();
    // The instance with one new suite per class, named so as not to clash.
    let mut inst: Instance = p.inst.clone();
    let mut new_suites: Vec<String> = Vec::new();
    for (i, w) in witness.iter().enumerate() {
        let mut name = format!("expansion {}", i + 1);
        while inst.suites.iter().any(|s| s.name == name) {
            name.push('\'');
        }
        inst.suites.push(Suite {
            id: None,
            name: name.clone(),
            site: w.class.2.clone(),
            grade: w.class.1,
            capabilities: w.class.0.clone(),
            lines: w.lines,
            available_from: from_month.first_day(),
            available_to: None,
            closures: Vec::new(),
            // A new suite is advised unsegregated and dedicated to nobody (see the module).
            segregation: crate::types::Segregation::Any,
            dedications: Vec::new(),
        });
        // Programs of the class restricted to some suites may use the new one (as the witness
        // did).
        for prog in p.progs.iter().filter(|q| class_of(p, q) == w.class) {
            let program = &mut inst.programs[prog.program];
            if let Some(list) = &mut program.allowed_suites {
                list.push(name.clone());
            }
            for pp in &mut program.phase_processes {
                if let Some(list) = &mut pp.allowed_suites {
                    list.push(name.clone());
                }
            }
        }
        new_suites.push(name);
    }
    let debug = std::env::var("SP_DEBUG").is_ok();
    let Ok(q) = Prepared::new(&inst) else {
        if debug {
            eprintln!("  expansion: the instance with the new suites is invalid");
        }
        return None;
    };
    // The plan and the witnesses on the augmented instance; every batch must carry over.
    let line_of: HashMap<(&str, u32), usize> = q
        .lines
        .iter()
        .enumerate()
        .map(|(l, li)| ((q.suite_keys[li.suite].as_str(), li.number), l))
        .collect();
    // New suites add no program or month: the units are the same, in the same order.
    let same_units = p.units.len() == q.units.len()
        && p.units.iter().zip(&q.units).all(|(a, b)| {
            p.progs[a.prog].key == q.progs[b.prog].key && p.months[a.month] == q.months[b.month]
        });
    if !same_units {
        if debug {
            eprintln!("  expansion: the units differ with the new suites");
        }
        return None;
    }
    let mut start: Vec<Batch> = Vec::new();
    for b in batches {
        let li = &p.lines[b.line];
        start.push(Batch {
            line: *line_of.get(&(p.suite_keys[li.suite].as_str(), li.number))?,
            ..*b
        });
    }
    for (w, name) in witness.iter().zip(&new_suites) {
        for (u, j, s) in &w.placed {
            start.push(Batch {
                unit: *u,
                line: *line_of.get(&(name.as_str(), *j as u32 + 1))?,
                start: *s,
            });
        }
    }
    let mut occ = Occupancy::new(&q);
    for b in &start {
        if !occ.fits_batch(&q, q.units[b.unit].prog, b.line, b.start) {
            if debug {
                eprintln!("  expansion: the plan does not carry over ({b:?})");
            }
            return None;
        }
        occ.place(&q, b);
    }
    let new_lines: Vec<usize> = (0..q.lines.len())
        .filter(|l| new_suites.contains(&q.suite_keys[q.lines[*l].suite]))
        .collect();
    let from_idx = q.months.iter().position(|m| *m == from_month)?;
    let may_use_new = |u: usize| {
        q.progs[q.units[u].prog]
            .lines
            .iter()
            .any(|l| new_lines.contains(l))
    };
    // Months from the lead month on in chunks of consecutive months of at most
    // JOINT_MAX_COLUMNS columns (one chunk on small instances: the exact minimum), each solved
    // in turn with the rest fixed, the time left shared by columns among the chunks to come.
    let mut per_month = vec![0usize; q.months.len()];
    for (m, n) in per_month.iter_mut().enumerate().skip(from_idx) {
        if t0.elapsed().as_secs_f64() >= time_limit_s {
            break;
        }
        *n = Columns::of(&q, &start, &window_of(&q, m..m + 1, &may_use_new))
            .cols
            .len();
    }
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    let mut begin = from_idx;
    let mut acc = 0;
    for (m, n) in per_month.iter().enumerate().skip(from_idx) {
        if m > begin && acc + n > JOINT_MAX_COLUMNS {
            chunks.push(begin..m);
            begin = m;
            acc = 0;
        }
        acc += n;
    }
    chunks.push(begin..q.months.len());
    if debug {
        eprintln!(
            "  expansion: {} columns in {} chunks counted after {:.2}s",
            per_month.iter().sum::<usize>(),
            chunks.len(),
            t0.elapsed().as_secs_f64()
        );
    }
    let mut plan = start;
    let mut to_come: usize = per_month.iter().sum();
    for months in chunks {
        let cols: usize = per_month[months.clone()].iter().sum();
        let left = time_limit_s - t0.elapsed().as_secs_f64();
        if left <= 0.01 {
            break;
        }
        let secs = left * cols as f64 / to_come.max(1) as f64;
        to_come = to_come.saturating_sub(cols);
        if let Some(better) = fewest_in(&q, &plan, &new_lines, months, &may_use_new, secs) {
            plan = better;
        }
    }
    Some(rows_of(p, &q, batches, &plan, witness, &new_lines))
}

/// The window of `months`' units that `pick` keeps, on every line such a unit may use.
fn window_of(q: &Prepared, months: std::ops::Range<usize>, pick: &dyn Fn(usize) -> bool) -> Window {
    let mut w = Window {
        units: vec![false; q.units.len()],
        lines: vec![false; q.lines.len()],
    };
    for (u, unit) in q.units.iter().enumerate() {
        if months.contains(&unit.month) && pick(u) {
            w.units[u] = true;
            for l in &q.progs[unit.prog].lines {
                w.lines[*l] = true;
            }
        }
    }
    w
}

/// One chunk of the joint step: `months`' units that may use a new line re-planned on every line
/// they may use, each keeping at least what `plan` serves it, opening as few new lines as
/// possible (a new line carrying a batch that starts before the chunk is open already), then
/// as late as possible. The whole plan when it is better and checked, else `None`.
fn fewest_in(
    q: &Prepared,
    plan: &[Batch],
    new_lines: &[usize],
    months: std::ops::Range<usize>,
    may_use_new: &dyn Fn(usize) -> bool,
    secs: f64,
) -> Option<Vec<Batch>> {
    let w = window_of(q, months.clone(), may_use_new);
    let cs = Columns::of(q, plan, &w);
    if cs.cols.is_empty() || cs.cols.len() > 2 * JOINT_MAX_COLUMNS {
        return None;
    }
    let movable = |b: &Batch| w.units[b.unit] && w.lines[b.line];
    let mut need = vec![0u32; q.units.len()];
    for b in plan.iter().filter(|b| movable(b)) {
        need[b.unit] += 1;
    }
    // New lines not yet open before the chunk get "open from month m" binaries.
    let first = months.start;
    let open_before = |l: usize| {
        plan.iter()
            .any(|b| b.line == l && q.month_of_day(b.start) < first)
    };
    let closed: Vec<usize> = new_lines
        .iter()
        .copied()
        .filter(|l| !open_before(*l))
        .collect();
    let k_of: HashMap<usize, usize> = closed.iter().enumerate().map(|(k, l)| (*l, k)).collect();
    let n_cols = cs.cols.len();
    let span = months.len();
    let open_index = |k: usize, m: usize| n_cols + k * span + (m - first);
    let n_vars = n_cols + closed.len() * span;
    // Lines first, then line-months: a line costs more than all line-months together. Among
    // equal openings, lines more programs may use (a later month may need them too) cost a
    // little less.
    let line_cost = (closed.len() * span + 1) as f64;
    let users = |l: usize| q.progs.iter().filter(|x| x.lines.contains(&l)).count();
    let mut cost = vec![0.0; n_vars];
    for (k, l) in closed.iter().enumerate() {
        let versatile = 0.5 * users(*l) as f64 / (q.progs.len() + 1) as f64;
        for m in months.clone() {
            cost[open_index(k, m)] = line_cost + (months.end - m) as f64 - versatile;
        }
    }
    // The segregation rows' party binaries come last and cost nothing.
    let n_z = cs.n_party_vars();
    cost.extend(std::iter::repeat_n(0.0, n_z));
    let make = || {
        let mut vars = ProblemVariables::new();
        let xs: Vec<Variable> = (0..n_vars).map(|_| vars.add(variable().binary())).collect();
        let zs: Vec<Variable> = (0..n_z).map(|_| vars.add(variable().binary())).collect();
        let objective: Expression = xs.iter().zip(&cost).map(|(x, c)| -*c * *x).sum();
        let mut problem: good_lp::solvers::highs::HighsProblem =
            vars.maximise(objective).using(highs);
        // The window's own rows, the closed new lines' cliques apart; each unit at least what
        // it needs.
        cs.add_rows(q, &mut problem, &xs, &zs, &|l| k_of.contains_key(&l));
        for (u, ix) in &cs.by_unit {
            if need[*u] > 0 {
                let sum: Expression = ix.iter().map(|i| xs[*i]).sum();
                problem.add_constraint(sum.geq(f64::from(need[*u])));
            }
        }
        // A closed new line carries batches only once open.
        for (l, rows) in cs.cliques.iter() {
            let Some(k) = k_of.get(l) else { continue };
            let open: Expression = months.clone().map(|m| xs[open_index(*k, m)]).sum();
            for covering in rows {
                let sum: Expression = covering.iter().map(|i| xs[*i]).sum();
                problem.add_constraint((sum - open.clone()).leq(0.0));
            }
        }
        // A closed line's batch needs it open by the month of its start; it opens once.
        for (c, b) in cs.cols.iter().enumerate() {
            if let Some(k) = k_of.get(&b.line) {
                let m = q.month_of_day(b.start).clamp(first, months.end - 1);
                let opened: Expression = (first..=m).map(|m| xs[open_index(*k, m)]).sum();
                problem.add_constraint((xs[c] - opened).leq(0.0));
            }
        }
        for k in 0..closed.len() {
            let once: Expression = months.clone().map(|m| xs[open_index(k, m)]).sum();
            problem.add_constraint(once.leq(1.0));
        }
        problem
    };
    // The start: the plan, each closed line open from its first batch in the chunk.
    let index: HashMap<Batch, usize> = cs.cols.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let mut initial = vec![0.0; n_vars];
    let mut first_use: Vec<Option<usize>> = vec![None; closed.len()];
    for b in plan.iter().filter(|b| movable(b)) {
        initial[*index.get(b)?] = 1.0;
        if let Some(k) = k_of.get(&b.line) {
            let m = q.month_of_day(b.start).clamp(first, months.end - 1);
            first_use[*k] = Some(first_use[*k].map_or(m, |x| x.min(m)));
        }
    }
    for (k, m) in first_use.iter().enumerate() {
        if let Some(m) = m {
            initial[open_index(k, *m)] = 1.0;
        }
    }
    let parties_on = cs.party_start(&initial[..n_cols]);
    initial.extend(parties_on);
    let limits = Limits {
        time_limit_s: secs.max(0.05),
        mip_rel_gap: 0.0,
        threads: None,
        solver: None,
    };
    let coef: Vec<f64> = cost.iter().map(|c| -c).collect();
    let outcome = solve_mip_from(make, &initial, &coef, limits);
    if std::env::var("SP_DEBUG").is_ok() {
        eprintln!(
            "  expansion: months {months:?}: {n_cols} columns, {} closed lines: {} objective {:.0}",
            closed.len(),
            outcome.status,
            outcome.objective
        );
    }
    let values = outcome.values?;
    // Only a cheaper opening than the start's is taken (a timed-out solve may end worse).
    let cost_of = |x: &[f64]| x.iter().zip(&cost).map(|(x, c)| x * c).sum::<f64>();
    if cost_of(&values) >= cost_of(&initial) - 0.25 {
        return None;
    }
    let chosen: Vec<Batch> = cs
        .cols
        .iter()
        .zip(&values)
        .filter(|(_, x)| **x > 0.5)
        .map(|(b, _)| *b)
        .collect();
    // Soundness: every unit keeps what it needs, and the whole plan fits.
    let mut got = vec![0u32; q.units.len()];
    for b in &chosen {
        got[b.unit] += 1;
    }
    if (0..q.units.len()).any(|u| w.units[u] && got[u] < need[u]) {
        return None;
    }
    let mut out: Vec<Batch> = plan.iter().filter(|b| !movable(b)).copied().collect();
    out.extend(chosen);
    let mut occ = Occupancy::new(q);
    for b in &out {
        if !occ.fits_batch(q, q.units[b.unit].prog, b.line, b.start) {
            return None;
        }
        occ.place(q, b);
    }
    Some(out)
}

/// A program's class: its required capabilities (sorted), minimum grade, and its site when all
/// its usable suites are at one.
fn class_of(p: &Prepared, prog: &ProgInfo) -> ClassKey {
    let mut caps = prog.required_capabilities.clone();
    caps.sort();
    caps.dedup();
    let sites: Vec<Option<String>> = prog
        .usable_suites
        .iter()
        .map(|s| p.inst.suites[*s].site.clone())
        .collect();
    let site = match sites.first() {
        Some(first) if sites.iter().all(|s| s == first) => first.clone(),
        _ => None,
    };
    (caps, prog.min_grade, site)
}

/// The advice rows of a joint plan on the augmented instance `q`: one per (class, month a new
/// line is first used), with the shortfall batches it brings in (see the module's rules).
fn rows_of(
    p: &Prepared,
    q: &Prepared,
    before: &[Batch],
    plan: &[Batch],
    witness: &[Witness],
    new_lines: &[usize],
) -> Vec<Expansion> {
    let mut delta = vec![0i64; q.units.len()];
    for b in plan {
        delta[b.unit] += 1;
    }
    // The units are the same on both (new suites add none).
    for b in before {
        delta[b.unit] -= 1;
    }
    let class_index = |l: usize| {
        let first = q.suite_lines.len() - witness.len();
        q.lines[l].suite - first
    };
    // Per used new line: its class and first month.
    let mut first: HashMap<usize, usize> = HashMap::new();
    for b in plan.iter().filter(|b| new_lines.contains(&b.line)) {
        let m = q.month_of_day(b.start);
        let e = first.entry(b.line).or_insert(m);
        *e = (*e).min(m);
    }
    let mut rows: BTreeMap<(usize, usize), (u32, u32)> = BTreeMap::new();
    for (l, m) in &first {
        rows.entry((class_index(*l), *m)).or_default().0 += 1;
    }
    let keys: Vec<(usize, usize)> = rows.keys().copied().collect();
    let row_of_line = |l: usize| (class_index(l), first[&l]);
    // The new lines' own batches of units served more than before.
    for b in plan.iter().filter(|b| new_lines.contains(&b.line)) {
        if delta[b.unit] > 0 {
            delta[b.unit] -= 1;
            if let Some(r) = rows.get_mut(&row_of_line(b.line)) {
                r.1 += 1;
            }
        }
    }
    // The rest of each increase (served on existing lines the new ones freed): to the first
    // row of the unit's class, else the first row whose lines its program may use.
    for (u, d) in delta.iter().enumerate().filter(|(_, d)| **d > 0) {
        let prog = &q.progs[q.units[u].prog];
        let class = p
            .progs
            .iter()
            .find(|x| x.key == prog.key)
            .map(|x| class_of(p, x));
        let key = keys
            .iter()
            .find(|(c, _)| Some(&witness[*c].class) == class.as_ref())
            .or_else(|| {
                keys.iter().find(|k| {
                    first
                        .keys()
                        .any(|l| row_of_line(*l) == **k && prog.lines.contains(l))
                })
            })
            .or(keys.first());
        if let Some(r) = key.and_then(|k| rows.get_mut(k)) {
            r.1 += *d as u32;
        }
    }
    rows.into_iter()
        .map(|((c, m), (lines, serves))| {
            let class = &witness[c].class;
            Expansion {
                capabilities: class.0.clone(),
                min_grade: class.1,
                site: class.2.clone(),
                from_month: q.months[m],
                extra_lines: lines,
                serves_batches: serves,
            }
        })
        .collect()
}

/// Earliest-fit of the short batches on `k` virtual lines of `site` open from `from_day`, each
/// batch also taking `uses` (per short unit) from what the pools have left, and not before its
/// program's road to first batch at the site is done: the batches placed, as (unit, line, start).
fn place_on_virtual(
    p: &Prepared,
    short: &[(usize, u32)],
    uses: &[Vec<PoolUse>],
    pool_left: &[Vec<u32>],
    k: usize,
    from_day: usize,
    site: Option<&String>,
) -> Vec<(usize, usize, usize)> {
    let mut busy = vec![vec![false; p.ext_days]; k];
    let mut left = pool_left.to_vec();
    let room = |left: &[Vec<u32>], us: &[PoolUse], s: usize| {
        us.iter().all(|x| {
            left[x.pool]
                .get(s + x.offset)
                .is_some_and(|l| *l >= x.amount)
        })
    };
    let mut placed = Vec::new();
    for (&(u, n), us) in short.iter().zip(uses) {
        let len = p.progs[p.units[u].prog].len;
        for _ in 0..n {
            let mut slot = None;
            let from = from_day.max(p.ready_at_site(p.units[u].prog, site));
            'search: for s in p.start_range(u).filter(|s| *s >= from) {
                if !room(&left, us, s) {
                    continue;
                }
                for (l, cal) in busy.iter().enumerate() {
                    if s + len <= cal.len() && cal[s..s + len].iter().all(|b| !*b) {
                        slot = Some((l, s));
                        break 'search;
                    }
                }
            }
            match slot {
                Some((l, s)) => {
                    for b in &mut busy[l][s..s + len] {
                        *b = true;
                    }
                    for x in us {
                        left[x.pool][s + x.offset] -= x.amount;
                    }
                    placed.push((u, l, s));
                }
                None => break,
            }
        }
    }
    placed
}

/// Pool advice: per pool blocking shortfalls, the fewest extra units of capacity per working
/// day, from the hire (or purchase) lead time on, that serve the most of its short batches.
pub fn advise_pools(
    p: &Prepared,
    batches: &[Batch],
    shortfalls: &[Shortfall],
    opts: &PlanOptions,
) -> Vec<PoolExpansion> {
    if !p.has_pools() {
        return Vec::new();
    }
    let occ = Occupancy::of_plan(p, batches);
    // Short batches per blocking pool, as (unit, count).
    let mut per_pool: BTreeMap<usize, Vec<(usize, u32)>> = BTreeMap::new();
    for sf in shortfalls {
        if !matches!(
            sf.reason,
            ShortfallReason::Staff | ShortfallReason::Qc | ShortfallReason::Equipment
        ) {
            continue;
        }
        let Some(u) = unit_of(p, sf) else { continue };
        if let Blocker::Pool(pool) = occ.blocker(p, u) {
            per_pool.entry(pool).or_default().push((u, sf.shortfall));
        }
    }
    let rank: Vec<usize> = {
        let order = unit_order(p);
        let mut rank = vec![0; p.units.len()];
        for (i, u) in order.into_iter().enumerate() {
            rank[u] = i;
        }
        rank
    };
    let mut out = Vec::new();
    for (pool, mut short) in per_pool {
        let info = &p.pools[pool];
        let lead = match info.kind {
            PoolKind::Staff | PoolKind::Qc => POOL_HIRE_LEAD_MONTHS,
            PoolKind::Equipment => opts.expansion_lead_months,
        };
        let Some((from_month, from_idx, from_day)) = first_month(p, opts, lead) else {
            continue;
        };
        short.retain(|(u, _)| p.units[*u].month >= from_idx);
        if short.is_empty() {
            continue;
        }
        short.sort_by_key(|(u, _)| rank[*u]);
        // Enough extra for every short batch on one day: beyond it nothing more can be gained.
        let most: u32 = short
            .iter()
            .map(|(u, n)| {
                let prog = p.units[*u].prog;
                let need = p.progs[prog]
                    .lines
                    .iter()
                    .flat_map(|l| p.batch_uses(prog, *l))
                    .filter(|x| x.pool == pool)
                    .map(|x| x.amount)
                    .max()
                    .unwrap_or(0);
                n.saturating_mul(need)
            })
            .fold(0u32, |a, b| a.saturating_add(b))
            .max(1);
        let served = |k: u32| place_with_extra(p, &occ, &short, pool, k, from_day);
        let target = served(most);
        if target == 0 {
            continue;
        }
        // Doubling, then bisection, for the smallest k reaching the target (a few greedy
        // re-runs even with hundreds of short batches); the k reported is one evaluated.
        let (mut lo, mut k) = (0u32, 1u32);
        let mut got = served(k);
        while got < target && k < most {
            lo = k;
            k = k.saturating_mul(2).min(most);
            got = served(k);
        }
        while k - lo > 1 {
            let mid = lo + (k - lo) / 2;
            let at_mid = served(mid);
            if at_mid >= target {
                (k, got) = (mid, at_mid);
            } else {
                lo = mid;
            }
        }
        out.push(PoolExpansion {
            pool: info.key.clone(),
            tag: info.tag.clone(),
            from_month,
            extra: k,
            serves_batches: got,
        });
    }
    out
}

/// The short batches placed greedily on the final plan with `pool` raised by `extra` on each
/// of its working days from `from_day` on.
fn place_with_extra(
    p: &Prepared,
    occ: &Occupancy,
    short: &[(usize, u32)],
    pool: usize,
    extra: u32,
    from_day: usize,
) -> u32 {
    let mut occ = occ.clone();
    let working = &p.pools[pool].working;
    for (d, left) in occ.pool_left[pool].iter_mut().enumerate().skip(from_day) {
        if working[d] {
            *left = left.saturating_add(extra);
        }
    }
    let mut placed = 0;
    for &(u, n) in short {
        let prog = p.units[u].prog;
        'batches: for _ in 0..n {
            for start in p.start_range(u) {
                for &line in &p.progs[prog].lines {
                    if occ.fits_batch(p, prog, line, start) {
                        occ.place(
                            p,
                            &Batch {
                                unit: u,
                                line,
                                start,
                            },
                        );
                        placed += 1;
                        continue 'batches;
                    }
                }
            }
            break;
        }
    }
    placed
}
