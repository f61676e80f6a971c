//! The fields a later delivery corrects in the Orders an earlier one held:
//! a sex, an ethnicity, which revocation ended an Order. Each is one cell
//! of `orders.csv`: the Order's record is corrected, not the person's, so
//! other Orders and the assessments of the same person keep what they
//! had, and the count of corrected cells is exactly the count asked for.

use std::collections::BTreeMap;

use rand::Rng;

use super::calibration as cal;
use super::population::Population;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Sex,
    Ethnicity,
    TerminationReason,
}

/// What the earlier delivery held that can be corrected.
pub struct Correctable {
    /// Its Orders are the first `orders` of the population.
    pub orders: usize,
    /// Those of its Orders whose termination it held, ended by a
    /// revocation (a slip between revocations is the plausible one).
    pub revoked: Vec<usize>,
}

impl Correctable {
    fn cells(&self) -> usize {
        2 * self.orders + self.revoked.len()
    }

    /// The cell numbered `i`: the sexes first, then the ethnicities, then
    /// the revocations' reasons.
    fn cell(&self, i: usize) -> (usize, Field) {
        if i < self.orders {
            (i, Field::Sex)
        } else if i < 2 * self.orders {
            (i - self.orders, Field::Ethnicity)
        } else {
            (self.revoked[i - 2 * self.orders], Field::TerminationReason)
        }
    }
}

/// Per Order, its corrected fields and their new values.
#[derive(Default)]
pub struct Corrections(BTreeMap<usize, Vec<(Field, &'static str)>>);

impl Corrections {
    /// `count` distinct cells, each given a value other than the one the
    /// earlier delivery held.
    pub fn choose(
        rng: &mut impl Rng,
        population: &Population,
        correctable: &Correctable,
        count: usize,
    ) -> Result<Self, String> {
        let cells = correctable.cells();
        if count > cells {
            return Err(format!(
                "{count} corrections asked for, but the earlier delivery has only {cells} \
                 fields that can be corrected (the sex and ethnicity of each of its {} Orders, \
                 the reason of each of its {} revocations)",
                correctable.orders,
                correctable.revoked.len()
            ));
        }
        let mut chosen = rand::seq::index::sample(rng, cells, count).into_vec();
        chosen.sort_unstable();
        let mut corrections = Corrections::default();
        for i in chosen {
            let (order, field) = correctable.cell(i);
            let value = corrected(rng, population, order, field)
                .ok_or_else(|| format!("no value to correct {field:?} of an Order to"))?;
            corrections.0.entry(order).or_default().push((field, value));
        }
        Ok(corrections)
    }

    /// The value of `field` of `order`: corrected, or `held`.
    pub fn value(&self, order: usize, field: Field, held: &'static str) -> &'static str {
        self.0
            .get(&order)
            .and_then(|fields| fields.iter().find(|(f, _)| *f == field))
            .map_or(held, |(_, value)| value)
    }
}

fn corrected(
    rng: &mut impl Rng,
    population: &Population,
    order: usize,
    field: Field,
) -> Option<&'static str> {
    let o = &population.orders[order];
    let person = &population.people[o.person];
    match field {
        Field::Sex => another(rng, cal::SEX, person.sex),
        Field::Ethnicity => another(rng, cal::ETHNICITY, person.ethnicity),
        Field::TerminationReason => another(rng, REVOCATIONS, o.reason),
    }
}

const REVOCATIONS: &[(&str, f64)] = &[
    ("revoked_breach", 1.0),
    ("revoked_new_offence", 1.0),
    ("revoked_other", 1.0),
];

/// A value of `table` by weight, other than `current` and other than
/// "not known" (empty, `U`, `NS`): a correction records what is known.
/// Every table here has two known values at least (the test below), so
/// there is always one.
fn another(
    rng: &mut impl Rng,
    table: &[(&'static str, f64)],
    current: &str,
) -> Option<&'static str> {
    let candidates: Vec<&(&'static str, f64)> = table
        .iter()
        .filter(|(value, _)| *value != current && !matches!(*value, "" | "U" | "NS"))
        .collect();
    let total: f64 = candidates.iter().map(|(_, weight)| weight).sum();
    let mut left = rng.random::<f64>() * total;
    let found = candidates.iter().find(|(_, weight)| {
        let here = left < *weight;
        left -= weight;
        here
    });
    // Rounding may carry `left` past the last weight: the last one.
    found.or(candidates.last()).map(|(value, _)| *value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::streams::{Purpose, stream};

    #[test]
    fn a_corrected_value_always_differs_and_is_known() {
        let mut rng = stream(1, Purpose::Corrections, 0);
        for table in [cal::SEX, cal::ETHNICITY, REVOCATIONS] {
            for (current, _) in table {
                for _ in 0..50 {
                    let value = another(&mut rng, table, current).unwrap();
                    assert_ne!(value, *current);
                    assert!(!matches!(value, "" | "U" | "NS"), "{value}");
                }
            }
        }
    }
}
