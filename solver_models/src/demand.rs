//! Integer demand per program and month under a scenario (DESIGN.md, "Scenarios").
//!
//! `expected` weights each forecast entry by the probability of reaching its phase and turns the
//! fractional volumes into whole batches with the cumulative rounding rule
//! `D(m) = ⌊C(m) + ½⌋ − ⌊C(m−1) + ½⌋`, computed in exact decimal arithmetic: a planner comparing
//! two runs must never see a batch appear or vanish because of a float rounding.

use crate::types::{ForecastEntry, Month, Phase, PhaseSuccess, Scenario};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Integer demand of one program in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthDemand {
    pub month: Month,
    pub phase: Phase,
    pub batches: u32,
}

/// A probability as an exact decimal with at most 4 decimals (the precision the API accepts).
pub fn probability(p: f64) -> Decimal {
    // `Display` for f64 prints the shortest string that round-trips, so 0.289 stays "0.289".
    Decimal::from_str(&format!("{p}"))
        .unwrap_or(Decimal::ZERO)
        .round_dp(4)
        .clamp(Decimal::ZERO, Decimal::ONE)
}

/// Probability that a program now in `current` reaches `target` (1 for `target <= current`).
pub fn reach_probability(current: Phase, target: Phase, success: &PhaseSuccess) -> Decimal {
    Phase::ALL
        .into_iter()
        .filter(|q| *q >= current && *q < target)
        .map(|q| probability(success.get(q).unwrap_or(1.0)))
        .product()
}

/// Integer demand of each forecast entry (same order as the entries sorted by month).
/// `success` must already have defaults filled in.
pub fn integer_demand(
    entries: &[ForecastEntry],
    current: Phase,
    scenario: Scenario,
    success: &PhaseSuccess,
) -> Vec<MonthDemand> {
    let mut sorted: Vec<&ForecastEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.month);
    let half = Decimal::new(5, 1);
    let mut cumulative = Decimal::ZERO;
    let mut rounded_before = Decimal::ZERO;
    sorted
        .into_iter()
        .map(|e| {
            let batches = match scenario {
                Scenario::Maximum => e.batches,
                Scenario::Committed => {
                    if e.phase <= current {
                        e.batches
                    } else {
                        0
                    }
                }
                Scenario::Expected => {
                    cumulative +=
                        Decimal::from(e.batches) * reach_probability(current, e.phase, success);
                    let rounded = (cumulative + half).floor();
                    let d = rounded - rounded_before;
                    rounded_before = rounded;
                    u32::try_from(d.mantissa() / 10i128.pow(d.scale())).unwrap_or(0)
                }
            };
            MonthDemand {
                month: e.month,
                phase: e.phase,
                batches,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(month: &str, phase: Phase, batches: u32) -> ForecastEntry {
        ForecastEntry {
            month: Month::parse(month).unwrap(),
            phase,
            batches,
        }
    }

    #[test]
    fn expected_rounds_cumulatively_without_losing_volume() {
        // Program in phase1; phase2 entries weigh 0.52, phase3 entries 0.52 × 0.289 = 0.15028.
        let s = PhaseSuccess::published_defaults();
        let entries = vec![
            entry("2027-01", Phase::Phase1, 3),
            entry("2027-02", Phase::Phase2, 1), // C = 3.52 → 4, D = 1
            entry("2027-03", Phase::Phase2, 1), // C = 4.04 → 4, D = 0
            entry("2027-04", Phase::Phase2, 1), // C = 4.56 → 5, D = 1
            entry("2027-05", Phase::Phase3, 10), // C = 6.0628 → 6, D = 1
        ];
        let d = integer_demand(&entries, Phase::Phase1, Scenario::Expected, &s);
        let got: Vec<u32> = d.iter().map(|m| m.batches).collect();
        assert_eq!(got, vec![3, 1, 0, 1, 1]);
        let committed = integer_demand(&entries, Phase::Phase1, Scenario::Committed, &s);
        assert_eq!(
            committed.iter().map(|m| m.batches).collect::<Vec<_>>(),
            vec![3, 0, 0, 0, 0]
        );
        let max = integer_demand(&entries, Phase::Phase1, Scenario::Maximum, &s);
        assert_eq!(max.iter().map(|m| m.batches).sum::<u32>(), 16);
    }

    #[test]
    fn half_rounds_up_exactly() {
        // 0.5 exactly must round up: f64 sums of 0.1-steps would not be exact.
        let s = PhaseSuccess {
            preclinical: Some(0.5),
            ..PhaseSuccess::published_defaults()
        };
        let entries = vec![entry("2027-01", Phase::Phase1, 1)];
        let d = integer_demand(&entries, Phase::Preclinical, Scenario::Expected, &s);
        assert_eq!(d[0].batches, 1);
    }
}
