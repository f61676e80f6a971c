//! Bounds every unknown of a set of relations is sure to keep within,
//! without a linear programme.
//!
//! Each relation `Σ a·x = c` bounds each of its unknowns by what the others
//! can take: `a·x = c − Σ others`. Starting from "a count is 0 or more" and
//! going round the relations until no bound moves, every unknown gets an
//! interval that holds every value it can take, so it holds the range a
//! programme finds too. Where that interval already gives a cell away, the
//! programme's range does as well, and no programme need be solved to know
//! it. The reverse does not hold: the interval may be wider than the range.

use std::collections::VecDeque;

use super::elimination::Linear;
use super::suppression::Range;

/// How many times, on average, each relation may be gone over: a chain of
/// relations can move a bound by ever smaller steps for ever; the bounds
/// found by then hold all the same, only less tight.
const PASSES: usize = 40;

/// A bound that moves by less than this is left where it is.
const MOVE: f64 = 1e-7;

/// For each of `unknowns` non-negative unknowns, an interval holding every
/// value it can take under `relations` (each `Σ terms = constant`).
pub(crate) fn outer_ranges(unknowns: usize, relations: &[Linear]) -> Vec<Range> {
    let mut ranges = vec![
        Range {
            low: 0.0,
            high: f64::INFINITY,
        };
        unknowns
    ];
    let mut relations_of = vec![Vec::new(); unknowns];
    for (r, relation) in relations.iter().enumerate() {
        for &j in relation.terms.keys() {
            relations_of[j].push(r);
        }
    }
    let mut queued = vec![true; relations.len()];
    let mut queue: VecDeque<usize> = (0..relations.len()).collect();
    let mut visits = PASSES * relations.len();
    while let Some(r) = queue.pop_front() {
        queued[r] = false;
        if visits == 0 {
            break;
        }
        visits -= 1;
        for j in tighten(&relations[r], &mut ranges) {
            for &other in &relations_of[j] {
                if !queued[other] {
                    queued[other] = true;
                    queue.push_back(other);
                }
            }
        }
    }
    ranges
}

/// Narrows each unknown of `relation` by what the others can take; the
/// unknowns whose bounds moved.
fn tighten(relation: &Linear, ranges: &mut [Range]) -> Vec<usize> {
    let mut moved = Vec::new();
    for (&j, &a) in &relation.terms {
        // a·x_j = constant − Σ others, so a·x_j lies between these.
        let (mut least, mut most) = (relation.constant as f64, relation.constant as f64);
        for (&k, &b) in &relation.terms {
            if k == j {
                continue;
            }
            let [low, high] = [ranges[k].low * b as f64, ranges[k].high * b as f64];
            let (low, high) = if b > 0 { (low, high) } else { (high, low) };
            least -= high;
            most -= low;
        }
        let a = a as f64;
        let (low, high) = if a > 0.0 {
            (least / a, most / a)
        } else {
            (most / a, least / a)
        };
        let range = &mut ranges[j];
        let mut changed = false;
        if low.is_finite() && low > range.low + MOVE {
            range.low = low;
            changed = true;
        }
        if high.is_finite() && high < range.high - MOVE {
            range.high = high;
            changed = true;
        }
        if changed {
            moved.push(j);
        }
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sum(unknowns: &[(usize, i64)], constant: i64) -> Linear {
        Linear {
            constant,
            terms: BTreeMap::from_iter(unknowns.iter().copied()),
        }
    }

    /// x + y = 5 and y + z = 2: y and z are at most 2, so x is at least 3;
    /// the relations give no more.
    #[test]
    fn a_chain_of_sums_bounds_each_unknown_by_the_others() {
        let relations = [sum(&[(0, 1), (1, 1)], 5), sum(&[(1, 1), (2, 1)], 2)];
        let ranges: Vec<[f64; 2]> = outer_ranges(3, &relations)
            .iter()
            .map(|r| [r.low, r.high])
            .collect();
        assert_eq!(ranges, [[3.0, 5.0], [0.0, 2.0], [0.0, 2.0]]);
    }

    /// x − y = 1 with nothing else: x is at least 1, and neither has an
    /// upper bound.
    #[test]
    fn a_difference_bounds_only_from_below() {
        let ranges = outer_ranges(2, &[sum(&[(0, 1), (1, -1)], 1)]);
        assert_eq!([ranges[0].low, ranges[0].high], [1.0, f64::INFINITY]);
        assert_eq!([ranges[1].low, ranges[1].high], [0.0, f64::INFINITY]);
    }
}
