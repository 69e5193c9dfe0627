//! Planner benchmark: `cargo run --release -p solver_models --bin bench [-- FILTER [TIME_LIMIT_S]]`.
//! Prints one row per instance: build time (generate/load + prepare), solve time, served /
//! demand / bound (weighted), gap to the proven bound, greedy's value, and the checker's verdict.
//! `FILTER` keeps the instances whose name contains it (`pools` for the rows with staff and QC
//! pools: `medium-pools`, `medium-tight-pools`, `large-pools`, `large-tight-pools`); `--help`
//! prints this. The `pools` column counts pool shortfall rows (staff / QC) and binding pool-months.
//!
//! `BENCH_BOUNDS=S` prints the bounds instead of planning: the rough-cut LP (pool rows dropped),
//! the Lagrangian bound ([`solver_models::lagrange`], 2 threads, `TIME_LIMIT_S` at most) and the
//! day-level pooled LP ([`solver_models::bound`], S seconds at most per instance; 0 skips it).

use solver_models::check::check_plan;
use solver_models::generate::{generate, GenSpec};
use solver_models::model::Prepared;
use solver_models::plan::PlanOptions;
use solver_models::Instance;
use std::time::Instant;

/// A named instance, made on demand.
type Case = (String, Box<dyn Fn() -> Instance>);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "bench [FILTER [TIME_LIMIT_S]]: plan the reference instances (instances/*.json) and the \
             generated scale-k, medium, medium-tight, large, large-tight, huge and the -pools variants \
             whose name contains FILTER, with TIME_LIMIT_S (default 60) per plan; prints a Markdown \
             table. Env: SP_EXACT (binaries solved whole), BENCH_LP (time-indexed LP bound), \
             SP_PARTS (bound per component), SP_DEBUG (LNS windows), BENCH_BOUNDS=S (bounds \
             only: rough-cut, Lagrangian within TIME_LIMIT_S, pooled LP within S seconds)."
        );
        return;
    }
    let filter = args.first().cloned().unwrap_or_default();
    let time_limit: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/instances");
    let mut cases: Vec<Case> = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        cases.push((
            name,
            Box::new(move || {
                let text = std::fs::read_to_string(&f).expect("readable instance");
                serde_json::from_str(&text).expect("valid instance")
            }),
        ));
    }
    for k in [1usize, 2, 3, 4, 6, 8, 10] {
        cases.push((
            format!("scale-{k}"),
            Box::new(move || generate(&GenSpec::scaled(k, 1))),
        ));
    }
    cases.push(("medium".into(), Box::new(|| generate(&GenSpec::medium(1)))));
    cases.push((
        "medium-tight".into(),
        Box::new(|| {
            generate(&GenSpec {
                tightness: 1.3,
                ..GenSpec::medium(2)
            })
        }),
    ));
    cases.push(("large".into(), Box::new(|| generate(&GenSpec::large(1)))));
    cases.push((
        "large-tight".into(),
        Box::new(|| {
            generate(&GenSpec {
                tightness: 1.3,
                ..GenSpec::large(2)
            })
        }),
    ));
    // A network CDMO: 80 suites, 240 lines, 300 programs, 60 months, three sites.
    cases.push(("huge".into(), Box::new(|| generate(&GenSpec::huge(1)))));

    // The same CDMOs with per-site operator crews and QC labs.
    let pooled = |spec: GenSpec| GenSpec {
        pools: true,
        ..spec
    };
    cases.push((
        "medium-pools".into(),
        Box::new(move || generate(&pooled(GenSpec::medium(1)))),
    ));
    cases.push((
        "medium-tight-pools".into(),
        Box::new(move || {
            generate(&pooled(GenSpec {
                tightness: 1.3,
                ..GenSpec::medium(2)
            }))
        }),
    ));
    cases.push((
        "large-pools".into(),
        Box::new(move || generate(&pooled(GenSpec::large(1)))),
    ));
    cases.push((
        "large-tight-pools".into(),
        Box::new(move || {
            generate(&pooled(GenSpec {
                tightness: 1.3,
                ..GenSpec::large(2)
            }))
        }),
    ));

    if let Some(pooled_s) = std::env::var("BENCH_BOUNDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        bounds(&cases, &filter, time_limit, pooled_s);
        return;
    }
    println!(
        "| instance | suites | lines | programs | months | build s | solve s | served | demand | bound | gap % | to 1% s | greedy | vs greedy % | status | check | peak MB | pools | new lines |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---|");
    for (name, make) in &cases {
        if !name.contains(&filter) {
            continue;
        }
        reset_peak_rss();
        let t = Instant::now();
        let inst = make();
        let lines: u32 = inst.suites.iter().map(|s| s.lines).sum();
        if let Err(e) = Prepared::new(&inst) {
            println!("| {name} | invalid: {e} |");
            continue;
        }
        let build = t.elapsed().as_secs_f64();
        if std::env::var("BENCH_LP").is_ok() {
            // Diagnostic: the day-level LP relaxation, to tell a loose bound from a weak plan.
            if let Ok(p) = Prepared::new(&inst) {
                let t = Instant::now();
                let w = solver_models::timeidx::Window::everything(&p);
                let b = solver_models::timeidx::lp_bound(
                    &p,
                    &w,
                    solver_models::milp::Limits {
                        time_limit_s: 600.0,
                        mip_rel_gap: 0.0,
                        threads: None,
                        solver: None,
                    },
                );
                eprintln!(
                    "  [{name}] time-indexed LP bound {:.1} in {:.1}s",
                    b + p.booked_weighted(),
                    t.elapsed().as_secs_f64()
                );
            }
        }
        let opts = PlanOptions {
            time_limit_s: time_limit,
            today: inst.from,
            ..PlanOptions::default()
        };
        let t = Instant::now();
        // SP_EXACT overrides the size up to which the whole MILP is solved in one piece.
        let exact: usize = std::env::var("SP_EXACT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(15_000);
        // The first time the reports' best incumbent and bound are within 1%.
        let (mut inc, mut bnd, mut to_1pc) = (0.0f64, f64::INFINITY, None::<f64>);
        let plan =
            match solver_models::plan::solve_with_exact_limit(&inst, &opts, exact, &mut |p| {
                inc = inc.max(p.incumbent.unwrap_or(0.0));
                bnd = bnd.min(p.bound.unwrap_or(f64::INFINITY));
                if to_1pc.is_none() && bnd.is_finite() && bnd - inc <= 0.01 * bnd {
                    to_1pc = Some(t.elapsed().as_secs_f64());
                }
                eprintln!(
                    "  [{name} {:.1}s] {}: {}",
                    t.elapsed().as_secs_f64(),
                    p.stage,
                    p.message
                )
            }) {
                Ok(p) => p,
                Err(e) => {
                    println!("| {name} | error: {e} |");
                    continue;
                }
            };
        let secs = t.elapsed().as_secs_f64();
        let violations = check_plan(&inst, &plan);
        if std::env::var("SP_PARTS").is_ok() {
            // Diagnostic: where the gap is, per compatibility component.
            if let Ok(p) = Prepared::new(&inst) {
                let lim = solver_models::milp::Limits {
                    time_limit_s: 600.0,
                    mip_rel_gap: 0.0,
                    threads: None,
                    solver: None,
                };
                for (suites, b) in solver_models::bound::pooled_lp_parts(&p, lim, &mut |_| {}) {
                    let names: Vec<&str> = suites
                        .iter()
                        .map(|s| inst.suites[*s].name.as_str())
                        .collect();
                    let served: f64 = plan
                        .suggestions
                        .iter()
                        .filter(|s| names.contains(&s.suite.as_str()))
                        .map(|s| {
                            let pi = inst
                                .programs
                                .iter()
                                .position(|q| q.name == s.program)
                                .unwrap_or(0);
                            let mi = p.months.iter().position(|m| *m == s.month).unwrap_or(0);
                            p.unit_of[pi][mi].map(|u| p.units[u].weight).unwrap_or(0.0)
                        })
                        .sum();
                    eprintln!("  component {names:?}: LP {b:?}, planned {served:.1}");
                }
            }
        }
        let pools = if inst.pools.is_empty() {
            "-".to_string()
        } else {
            use solver_models::plan::ShortfallReason as R;
            let count = |r: R| plan.shortfalls.iter().filter(|s| s.reason == r).count();
            format!(
                "{} staff / {} qc short, {} binding",
                count(R::Staff),
                count(R::Qc),
                plan.pool_binding.len()
            )
        };
        println!(
            "| {name} | {} | {lines} | {} | {} | {build:.2} | {secs:.2} | {:.0} | {:.0} | {:.1} | {:.2} | {} | {:.0} | {:+.2} | {:?} | {} | {} | {pools} | {} |",
            inst.suites.len(),
            inst.programs.len(),
            solver_models::Month::of(inst.from).until(solver_models::Month::of(inst.to)).count(),
            plan.served_weighted,
            plan.demand_weighted,
            plan.bound_weighted,
            plan.gap * 100.0,
            to_1pc.map_or("-".to_string(), |s| format!("{s:.1}")),
            plan.greedy_served_weighted,
            (plan.served_weighted / plan.greedy_served_weighted.max(1.0) - 1.0) * 100.0,
            plan.status,
            if violations.is_empty() { "ok".to_string() } else { format!("{} violations", violations.len()) },
            peak_rss_mb().map_or("-".to_string(), |mb| format!("{mb:.0}")),
            new_lines(&plan),
        );
    }
}

/// The expansion advice in short: lines (batches served) per row.
fn new_lines(plan: &solver_models::plan::Plan) -> String {
    if plan.expansion.is_empty() {
        return "-".to_string();
    }
    let lines: u32 = plan.expansion.iter().map(|e| e.extra_lines).sum();
    let serves: u32 = plan.expansion.iter().map(|e| e.serves_batches).sum();
    format!(
        "{lines} in {} rows ({serves} batches)",
        plan.expansion.len()
    )
}

/// The bounds alone, one row per instance: rough-cut LP (pool rows dropped), the Lagrangian
/// bound, and the pooled day-level LP per compatibility component (components too large for it
/// are skipped, as in planning), each with its time (bookings' value included). The last
/// columns compare the two day-level bounds on the components whose LP finished.
fn bounds(cases: &[Case], filter: &str, lagrange_s: f64, pooled_s: f64) {
    println!(
        "| instance | rough-cut | s | Lagrangian | s | iterations | pooled LP done | s | LP there | Lagrangian there | vs LP % |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, make) in cases {
        if !name.contains(filter) {
            continue;
        }
        let inst = make();
        let Ok(p) = Prepared::new(&inst) else {
            continue;
        };
        let booked = p.booked_weighted();
        let t = Instant::now();
        let rough = solver_models::roughcut::lp_with(&p, false, None);
        let rough_s = t.elapsed().as_secs_f64();
        let greedy = solver_models::greedy::greedy_batches(&p);
        let lag = solver_models::lagrange::bound(&p, lagrange_s, &greedy, &rough.shadow, 2);
        let t = Instant::now();
        let lim = solver_models::milp::Limits {
            time_limit_s: pooled_s,
            mip_rel_gap: 0.0,
            threads: Some(2),
            solver: None,
        };
        let parts = if pooled_s > 0.0 {
            solver_models::bound::pooled_lp_parts(&p, lim, &mut |_| {})
        } else {
            Vec::new()
        };
        let lp_s = t.elapsed().as_secs_f64();
        let done: Vec<_> = parts.iter().filter(|(_, b)| b.is_some()).collect();
        let lp_there: f64 = done.iter().filter_map(|(_, b)| *b).sum();
        let lag_there: f64 = done
            .iter()
            .flat_map(|(suites, _)| suites.iter().map(|s| lag.per_suite[*s]))
            .sum();
        let all = !parts.is_empty() && done.len() == parts.len();
        let (lp_col, lag_col) = if all {
            (booked + lp_there, booked + lag_there)
        } else {
            (lp_there, lag_there)
        };
        println!(
            "| {name} | {:.1} | {rough_s:.2} | {:.1} | {:.2} | {} | {}/{} | {lp_s:.1} | {lp_col:.1} | {lag_col:.1} | {} |",
            booked + rough.bound,
            lag.bound,
            lag.seconds,
            lag.iterations,
            done.len(),
            parts.len(),
            if done.is_empty() {
                "-".to_string()
            } else {
                format!("{:+.2}", (lag_there - lp_there) / lp_there.max(1.0) * 100.0)
            },
        );
    }
}

/// Resets the process's peak resident set (Linux: `5` to `/proc/self/clear_refs`), so that each
/// row reports its own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set since the last reset, in MB (Linux `VmHWM`), when the system reports it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
