//! Solving the relations of a linear programme before it is solved.
//!
//! A series makes the programmes of step 3 large: every single quarter of
//! every group is an unknown, and the relations tie them into thousands
//! (3,600 unknowns in one programme at scale 1, 20–35 s each). Yet most of
//! those unknowns follow from a few others: once the published 12 months
//! are fixed, a quarter follows from the quarter four before it. Solving
//! each relation for one of its unknowns, and putting the answer into every
//! other relation, leaves a few hundred free unknowns in terms of which
//! every other is written. A programme then only needs the free unknowns,
//! and for every other unknown one inequality (its expression is not
//! negative), where many unknowns share one expression but for a constant.
//!
//! The arithmetic is exact: only relations with a coefficient of ±1 are
//! solved, so every coefficient stays a whole number; a relation left with
//! none stays an equality of the programme. Should a coefficient outgrow
//! `i64`, nothing is eliminated and the programme is the original one.

use std::collections::{BTreeMap, BTreeSet};

/// `Σ coefficient · unknown = constant` for a relation, or
/// `unknown = constant + Σ coefficient · unknown` for an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Linear {
    pub constant: i64,
    /// By unknown; no zero coefficients.
    pub terms: BTreeMap<usize, i64>,
}

impl Linear {
    /// The value at `values` of the unknowns.
    pub(crate) fn at(&self, values: &[f64]) -> f64 {
        self.constant as f64
            + self
                .terms
                .iter()
                .map(|(&j, &a)| a as f64 * values[j])
                .sum::<f64>()
    }
}

/// Every unknown written in terms of the free ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Eliminated {
    /// The unknowns left free, in order.
    pub free: Vec<usize>,
    /// For each unknown, its expression over positions in `free`.
    pub unknowns: Vec<Linear>,
    /// Relations no ±1 coefficient could solve, over positions in `free`.
    pub equalities: Vec<Linear>,
}

impl Eliminated {
    /// Splits the unknowns into parts that share no free unknown, so each
    /// part is a programme of its own: for each, its unknowns (sorted
    /// indices into these) and their elimination. Unknowns the relations
    /// pin down make one part with nothing free.
    pub(crate) fn split(self) -> Vec<(Vec<usize>, Eliminated)> {
        let mut parent: Vec<usize> = (0..self.free.len()).collect();
        fn root(parent: &mut [usize], mut k: usize) -> usize {
            while parent[k] != k {
                parent[k] = parent[parent[k]];
                k = parent[k];
            }
            k
        }
        for linear in self.unknowns.iter().chain(&self.equalities) {
            let mut terms = linear.terms.keys();
            if let Some(&first) = terms.next() {
                for &other in terms {
                    let (a, b) = (root(&mut parent, first), root(&mut parent, other));
                    parent[a] = b;
                }
            }
        }
        let mut part_of =
            |linear: &Linear| linear.terms.keys().next().map(|&k| root(&mut parent, k));
        let mut parts: BTreeMap<Option<usize>, (Vec<usize>, Vec<Linear>)> = BTreeMap::new();
        for (i, expression) in self.unknowns.iter().enumerate() {
            parts.entry(part_of(expression)).or_default().0.push(i);
        }
        for equality in self.equalities {
            parts
                .entry(part_of(&equality))
                .or_default()
                .1
                .push(equality);
        }
        parts
            .into_values()
            .map(|(unknowns, equalities)| {
                // The part's free unknowns, in order, and where each one's
                // position goes.
                let free: Vec<usize> = unknowns
                    .iter()
                    .copied()
                    .filter(|i| self.free.binary_search(i).is_ok())
                    .collect();
                let position: BTreeMap<usize, usize> = free
                    .iter()
                    .enumerate()
                    .filter_map(|(p, i)| self.free.binary_search(i).ok().map(|k| (k, p)))
                    .collect();
                let renumber = |linear: &Linear| Linear {
                    constant: linear.constant,
                    terms: linear
                        .terms
                        .iter()
                        .map(|(k, &a)| (position[k], a))
                        .collect(),
                };
                let part = Eliminated {
                    free: free
                        .iter()
                        .filter_map(|i| unknowns.binary_search(i).ok())
                        .collect(),
                    unknowns: unknowns
                        .iter()
                        .map(|&i| renumber(&self.unknowns[i]))
                        .collect(),
                    equalities: equalities.iter().map(renumber).collect(),
                };
                (unknowns, part)
            })
            .collect()
    }
}

/// Solves `relations` (each `Σ terms = constant` over unknowns
/// `0..unknowns`) for as many unknowns as it can.
pub(crate) fn eliminate(unknowns: usize, relations: Vec<Linear>) -> Eliminated {
    solve(unknowns, relations.clone()).unwrap_or_else(|_: Overflow| Eliminated {
        free: (0..unknowns).collect(),
        unknowns: (0..unknowns).map(|j| variable(j, 1)).collect(),
        equalities: relations,
    })
}

/// A coefficient outgrew `i64`.
#[derive(Debug)]
struct Overflow;

fn variable(position: usize, coefficient: i64) -> Linear {
    Linear {
        constant: 0,
        terms: BTreeMap::from([(position, coefficient)]),
    }
}

/// The relations as they are being solved: which are still to be, and in
/// which each unknown still appears.
struct System {
    rows: Vec<Linear>,
    alive: Vec<bool>,
    /// The live rows holding each unknown.
    rows_of: Vec<Vec<usize>>,
    /// The live rows with a ±1 coefficient, by length then index: the
    /// candidates for [`System::pivot`].
    solvable: BTreeSet<(usize, usize)>,
}

impl System {
    fn new(unknowns: usize, rows: Vec<Linear>) -> System {
        let mut rows_of = vec![Vec::new(); unknowns];
        for (r, row) in rows.iter().enumerate() {
            for &j in row.terms.keys() {
                rows_of[j].push(r);
            }
        }
        let alive = rows.iter().map(|r| !r.terms.is_empty()).collect();
        let mut system = System {
            rows,
            alive,
            rows_of,
            solvable: BTreeSet::new(),
        };
        for r in 0..system.rows.len() {
            system.enqueue(r);
        }
        system
    }

    /// `r`'s place among the candidates, once it is changed.
    fn enqueue(&mut self, r: usize) {
        let row = &self.rows[r];
        if self.alive[r] && row.terms.values().any(|a| a.abs() == 1) {
            self.solvable.insert((row.terms.len(), r));
        }
    }

    /// Takes `r` out of the candidates, before it is changed.
    fn dequeue(&mut self, r: usize) {
        self.solvable.remove(&(self.rows[r].terms.len(), r));
    }

    /// The next relation to solve and the unknown to solve it for: the
    /// shortest live relation with a ±1 coefficient, for its unknown in the
    /// fewest other relations, which keeps the expressions short.
    fn pivot(&self) -> Option<(usize, usize)> {
        let &(_, row) = self.solvable.first()?;
        let unknown = self.rows[row]
            .terms
            .iter()
            .filter(|(_, a)| a.abs() == 1)
            .map(|(&j, _)| j)
            .min_by_key(|&j| (self.rows_of[j].len(), j))?;
        Some((row, unknown))
    }

    /// Solves `row` for `unknown` and puts the answer in every other live
    /// relation.
    fn solve_for(&mut self, row: usize, unknown: usize) -> Result<Linear, Overflow> {
        self.kill(row);
        let relation = &self.rows[row];
        let sign = relation.terms[&unknown];
        // a·x + rest = c with a = ±1: x = a·c − a·rest.
        let expression = Linear {
            constant: sign * relation.constant,
            terms: relation
                .terms
                .iter()
                .filter(|&(&j, _)| j != unknown)
                .map(|(&j, &a)| (j, -sign * a))
                .collect(),
        };
        for other in self.rows_of[unknown].clone() {
            let coefficient = self.rows[other].terms[&unknown];
            self.substitute(other, unknown, coefficient, &expression)?;
        }
        Ok(expression)
    }

    /// Relation `r`'s `coefficient · unknown` becomes `coefficient ·
    /// expression`.
    fn substitute(
        &mut self,
        r: usize,
        unknown: usize,
        coefficient: i64,
        expression: &Linear,
    ) -> Result<(), Overflow> {
        self.dequeue(r);
        self.detach(r, unknown);
        let term = coefficient
            .checked_mul(expression.constant)
            .ok_or(Overflow)?;
        let row = &mut self.rows[r];
        row.constant = row.constant.checked_sub(term).ok_or(Overflow)?;
        for (&j, &a) in &expression.terms {
            let added = a.checked_mul(coefficient).ok_or(Overflow)?;
            let before = row.terms.get(&j).copied().unwrap_or(0);
            let after = before.checked_add(added).ok_or(Overflow)?;
            match (before, after) {
                (_, 0) => {
                    row.terms.remove(&j);
                    self.rows_of[j].retain(|&o| o != r);
                }
                (0, _) => {
                    row.terms.insert(j, after);
                    self.rows_of[j].push(r);
                }
                _ => {
                    row.terms.insert(j, after);
                }
            }
        }
        // A relation left with no unknowns holds (the true values satisfy
        // it), so it says nothing more.
        if self.rows[r].terms.is_empty() {
            self.kill(r);
        }
        self.enqueue(r);
        Ok(())
    }

    fn detach(&mut self, r: usize, unknown: usize) {
        self.rows[r].terms.remove(&unknown);
        self.rows_of[unknown].retain(|&o| o != r);
    }

    fn kill(&mut self, r: usize) {
        self.dequeue(r);
        self.alive[r] = false;
        for &j in self.rows[r].terms.keys() {
            self.rows_of[j].retain(|&o| o != r);
        }
    }
}

fn solve(unknowns: usize, relations: Vec<Linear>) -> Result<Eliminated, Overflow> {
    let mut system = System::new(unknowns, relations);
    let mut solved: Vec<Option<Linear>> = vec![None; unknowns];
    let mut order = Vec::new();
    while let Some((row, unknown)) = system.pivot() {
        solved[unknown] = Some(system.solve_for(row, unknown)?);
        order.push(unknown);
    }
    let free: Vec<usize> = (0..unknowns).filter(|&j| solved[j].is_none()).collect();
    let mut position = vec![usize::MAX; unknowns];
    for (p, &j) in free.iter().enumerate() {
        position[j] = p;
    }
    let mut expressions: Vec<Option<Linear>> = vec![None; unknowns];
    for (p, &j) in free.iter().enumerate() {
        expressions[j] = Some(variable(p, 1));
    }
    // An unknown solved later never depends on one solved earlier, so in
    // reverse order every unknown an expression names is already written in
    // terms of the free ones.
    for &unknown in order.iter().rev() {
        let Some(expression) = solved[unknown].take() else {
            continue;
        };
        expressions[unknown] = Some(in_terms_of_free(&expression, &expressions)?);
    }
    let equalities = system
        .rows
        .into_iter()
        .zip(system.alive)
        .filter(|(_, alive)| *alive)
        .map(|(row, _)| Linear {
            constant: row.constant,
            terms: row.terms.iter().map(|(&j, &a)| (position[j], a)).collect(),
        })
        .collect();
    Ok(Eliminated {
        free,
        unknowns: expressions.into_iter().flatten().collect(),
        equalities,
    })
}

fn in_terms_of_free(
    expression: &Linear,
    expressions: &[Option<Linear>],
) -> Result<Linear, Overflow> {
    let mut written = Linear {
        constant: expression.constant,
        terms: BTreeMap::new(),
    };
    for (&j, &a) in &expression.terms {
        // Free, or solved after the one naming it: always written.
        let known = expressions[j].as_ref().ok_or(Overflow)?;
        let term = a.checked_mul(known.constant).ok_or(Overflow)?;
        written.constant = written.constant.checked_add(term).ok_or(Overflow)?;
        for (&k, &b) in &known.terms {
            let added = a.checked_mul(b).ok_or(Overflow)?;
            let sum = written
                .terms
                .get(&k)
                .copied()
                .unwrap_or(0)
                .checked_add(added)
                .ok_or(Overflow)?;
            if sum == 0 {
                written.terms.remove(&k);
            } else {
                written.terms.insert(k, sum);
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(constant: i64, terms: &[(usize, i64)]) -> Linear {
        Linear {
            constant,
            terms: terms.iter().copied().collect(),
        }
    }

    #[test]
    fn a_rolling_sum_leaves_one_unknown_per_quarter_of_the_year() {
        // Singles s0..s5, published 12 months s0..s3 = 10, s1..s4 = 12,
        // s2..s5 = 9: s4 = s0 + 2 and s5 = s1 − 3 by hand, and s3 = 10 −
        // s0 − s1 − s2.
        let relations = vec![
            linear(10, &[(0, 1), (1, 1), (2, 1), (3, 1)]),
            linear(12, &[(1, 1), (2, 1), (3, 1), (4, 1)]),
            linear(9, &[(2, 1), (3, 1), (4, 1), (5, 1)]),
        ];
        let eliminated = eliminate(6, relations);
        assert_eq!(eliminated.free.len(), 3);
        assert!(eliminated.equalities.is_empty());
        // Any free values give values that satisfy every relation, and the
        // differences worked out by hand.
        let free = [1.0, 7.0, 2.0];
        let values: Vec<f64> = eliminated.unknowns.iter().map(|e| e.at(&free)).collect();
        assert_eq!(values[0] + values[1] + values[2] + values[3], 10.0);
        assert_eq!(values[1] + values[2] + values[3] + values[4], 12.0);
        assert_eq!(values[2] + values[3] + values[4] + values[5], 9.0);
        assert_eq!(values[4] - values[0], 2.0);
        assert_eq!(values[5] - values[1], -3.0);
    }

    #[test]
    fn unknowns_that_share_no_free_unknown_split_apart() {
        // x0 + x1 = 5 and x2 + x3 = 7 share nothing; x4 = 2 is pinned.
        let relations = vec![
            linear(5, &[(0, 1), (1, 1)]),
            linear(7, &[(2, 1), (3, 1)]),
            linear(2, &[(4, 1)]),
        ];
        let parts = eliminate(5, relations).split();
        let unknowns: Vec<&[usize]> = parts.iter().map(|(u, _)| u.as_slice()).collect();
        assert_eq!(unknowns, [&[4][..], &[0, 1], &[2, 3]]);
        let (_, pinned) = &parts[0];
        assert!(pinned.free.is_empty());
        assert_eq!(pinned.unknowns, [linear(2, &[])]);
        for (_, part) in &parts[1..] {
            assert_eq!(part.free.len(), 1);
            let values: Vec<f64> = part.unknowns.iter().map(|e| e.at(&[3.0])).collect();
            assert_eq!(values.len(), 2);
            assert!(values.contains(&3.0));
        }
        let sums: Vec<f64> = parts[1..]
            .iter()
            .map(|(_, p)| p.unknowns.iter().map(|e| e.at(&[3.0])).sum())
            .collect();
        assert_eq!(sums, [5.0, 7.0]);
    }

    #[test]
    fn a_relation_without_a_unit_coefficient_stays_an_equality() {
        // 2·x0 + 2·x1 = 6 cannot be solved in whole numbers for either.
        let eliminated = eliminate(2, vec![linear(6, &[(0, 2), (1, 2)])]);
        assert_eq!(eliminated.free, [0, 1]);
        assert_eq!(eliminated.equalities, [linear(6, &[(0, 2), (1, 2)])]);
    }

    #[test]
    fn relations_that_follow_from_others_leave_nothing_behind() {
        // x0 + x1 = 5, x1 + x2 = 7, x0 − x2 = −2 (the first minus the
        // second): one unknown is free.
        let relations = vec![
            linear(5, &[(0, 1), (1, 1)]),
            linear(7, &[(1, 1), (2, 1)]),
            linear(-2, &[(0, 1), (2, -1)]),
        ];
        let eliminated = eliminate(3, relations);
        assert_eq!(eliminated.free.len(), 1);
        assert!(eliminated.equalities.is_empty());
        let values: Vec<f64> = eliminated.unknowns.iter().map(|e| e.at(&[4.0])).collect();
        assert_eq!(values[0] + values[1], 5.0);
        assert_eq!(values[1] + values[2], 7.0);
    }

    #[test]
    fn coefficients_too_large_leave_the_relations_as_they_are() {
        // x0 = −huge·x1 makes the second relation −2·huge·x1 + x2 = 0.
        let huge = i64::MAX / 2 + 2;
        let relations = vec![
            linear(0, &[(0, 1), (1, huge)]),
            linear(0, &[(0, 1), (1, -huge), (2, 1)]),
        ];
        let eliminated = eliminate(3, relations.clone());
        assert_eq!(eliminated.free, [0, 1, 2]);
        assert_eq!(eliminated.equalities, relations);
    }
}
