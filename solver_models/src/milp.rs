//! A thin layer over good_lp + HiGHS that keeps what good_lp's `solve` throws away: the MIP dual
//! bound (a proven bound even when the time limit stops the search) and a usable incumbent after
//! a time limit. Never panics on an infeasible or timed-out model.

use good_lp::solvers::highs::HighsProblem;

/// Limits for one solve.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub time_limit_s: f64,
    pub mip_rel_gap: f64,
    pub threads: Option<u32>,
    /// HiGHS `solver` option ("simplex", "ipm", …); `None` = HiGHS's choice.
    pub solver: Option<&'static str>,
}

/// What a (maximisation) MIP solve produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Column values of the best solution found, when one was found.
    pub values: Option<Vec<f64>>,
    pub objective: f64,
    /// Proven upper bound on the objective (maximisation); `f64::INFINITY` if unknown.
    pub dual_bound: f64,
    /// HiGHS's model status, for progress messages.
    pub status: String,
}

impl Outcome {
    fn failed(status: String) -> Outcome {
        Outcome {
            values: None,
            objective: f64::NEG_INFINITY,
            dual_bound: f64::INFINITY,
            status,
        }
    }
}

/// Solves a maximisation MIP built with good_lp, starting from `initial` column values.
pub fn solve_mip(problem: HighsProblem, initial: Option<&[f64]>, limits: Limits) -> Outcome {
    let mut model = match problem.try_into_inner() {
        Ok(m) => m,
        Err(e) => return Outcome::failed(format!("build error: {e}")),
    };
    let _ = model.try_set_option("time_limit", limits.time_limit_s.max(0.01));
    let _ = model.try_set_option("mip_rel_gap", limits.mip_rel_gap.max(0.0));
    if let Some(t) = limits.threads {
        let _ = model.try_set_option("threads", t.max(1) as i32);
    }
    if let Some(solver) = limits.solver {
        let _ = model.try_set_option("solver", solver);
    }
    if let Some(cols) = initial {
        // A rejected start only costs time; the solve itself stays valid.
        let _ = model.try_set_solution(Some(cols), None, None, None);
    }
    let solved = match model.try_solve() {
        Ok(s) => s,
        Err(e) => return Outcome::failed(format!("solve error: {e:?}")),
    };
    let status = format!("{:?}", solved.status());
    // HiGHS: primal_solution_status 2 = feasible.
    let feasible = solved
        .int_info_value(c"primal_solution_status")
        .unwrap_or(0)
        == 2;
    // good_lp hands HiGHS a minimisation of the negated objective for `maximise`, so HiGHS's
    // objective and dual bound are already in the user's sense via `objective_value`; the
    // dual bound is read raw and converted with the same sign as the objective.
    let objective = solved.objective_value();
    let raw_bound = solved
        .double_info_value(c"mip_dual_bound")
        .unwrap_or(f64::INFINITY);
    let dual_bound = if raw_bound.is_finite() {
        raw_bound
    } else if status == "Optimal" && feasible {
        objective
    } else {
        f64::INFINITY
    };
    Outcome {
        values: feasible.then(|| solved.get_solution().columns().to_vec()),
        objective: if feasible {
            objective
        } else {
            f64::NEG_INFINITY
        },
        dual_bound,
        status,
    }
}

/// [`solve_mip`] from the start `initial`, for a model `make` builds afresh, whose objective is
/// `Σ coef · x`. HiGHS (via highs 2.4) can hand back the start's columns with an improved
/// objective when presolve solves the model: the columns must carry the reported objective,
/// else the model is solved again without the start (and if that fails too, the start's
/// columns are kept with their own objective, never the unproven one).
pub fn solve_mip_from(
    make: impl Fn() -> HighsProblem,
    initial: &[f64],
    coef: &[f64],
    limits: Limits,
) -> Outcome {
    let t0 = std::time::Instant::now();
    let carries = |o: &Outcome| {
        o.values.as_ref().map(|v| {
            let carried: f64 = v.iter().zip(coef).map(|(x, c)| x * c).sum();
            (
                carried,
                (carried - o.objective).abs() <= 1e-6 * o.objective.abs().max(1.0),
            )
        })
    };
    let outcome = solve_mip(make(), Some(initial), limits);
    match carries(&outcome) {
        Some((carried, false)) => {
            let left = limits.time_limit_s - t0.elapsed().as_secs_f64();
            let again = solve_mip(
                make(),
                None,
                Limits {
                    time_limit_s: left.max(0.05),
                    ..limits
                },
            );
            match carries(&again) {
                Some((_, true)) => again,
                _ => Outcome {
                    objective: carried,
                    ..outcome
                },
            }
        }
        _ => outcome,
    }
}
