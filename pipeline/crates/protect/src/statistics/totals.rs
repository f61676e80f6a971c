//! Do the groups of each breakdown add up to the national figure? Checked
//! before disclosure control, on the full figures, for the sign-off report;
//! the outcome carries no figure, only whether each breakdown adds up.

use std::collections::BTreeMap;

use serde::Serialize;

use super::StatTable;
use dtto_model::table::NATIONAL;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalCheck {
    pub table: String,
    pub breakdown: String,
    /// The other dimensions' values, e.g. `termination_reason=completed`.
    pub within: String,
    pub groups: usize,
    pub adds_up: bool,
}

/// One check per breakdown (other than `National`) and combination of the
/// table's other dimensions, for tables that have a `National` row.
pub fn check(table: &StatTable) -> Vec<TotalCheck> {
    let Some((breakdown, group)) = table.dimensions.breakdown_and_group() else {
        return Vec::new();
    };
    let within = |groups: &[String]| {
        table
            .dimensions
            .iter()
            .zip(groups)
            .enumerate()
            .filter(|(i, _)| *i != breakdown && *i != group)
            .map(|(_, (d, g))| format!("{d}={g}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut national: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut sums: BTreeMap<(String, String), (usize, Vec<u64>)> = BTreeMap::new();
    for row in &table.rows {
        let key = within(&row.groups);
        let figures: Vec<u64> = row.value.figures().into_iter().map(|(_, n)| n).collect();
        if row.groups[breakdown] == NATIONAL {
            national.insert(key, figures);
            continue;
        }
        let entry = sums
            .entry((row.groups[breakdown].clone(), key))
            .or_insert_with(|| (0, vec![0; figures.len()]));
        entry.0 += 1;
        for (sum, figure) in entry.1.iter_mut().zip(figures) {
            *sum += figure;
        }
    }
    sums.into_iter()
        .filter_map(|((breakdown, within), (groups, sum))| {
            let total = national.get(&within)?;
            Some(TotalCheck {
                table: table.metadata.id.clone(),
                breakdown,
                within,
                groups,
                adds_up: &sum == total,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::{StatRow, Value};
    use dtto_model::table::Dimensions;

    fn table(rows: &[(&str, &str, u64)]) -> StatTable {
        let metadata = toml::from_str(
            "id = \"orders\"\ntitle = \"Orders\"\nmeasure = 1\nkind = \"count\"\n\
             cohort = \"Orders\"\ncounted = \"Orders\"\nbreakdowns = [\"National\", \"Sex\", \"Age band\"]\n\
             [chart]\nkind = \"none\"\n",
        )
        .unwrap();
        StatTable {
            metadata,
            dimensions: Dimensions::new(vec!["breakdown".into(), "group".into()]),
            rows: rows
                .iter()
                .map(|(breakdown, group, n)| StatRow {
                    groups: vec![breakdown.to_string(), group.to_string()],
                    value: Value::Count(*n),
                })
                .collect(),
        }
    }

    #[test]
    fn a_breakdown_that_misses_the_national_figure_is_flagged() {
        let checks = check(&table(&[
            ("National", "All", 10),
            ("Sex", "Female", 4),
            ("Sex", "Male", 6),
            ("Age band", "16-17", 3),
            ("Age band", "18-21", 6),
        ]));
        let outcome: Vec<(&str, usize, bool)> = checks
            .iter()
            .map(|c| (c.breakdown.as_str(), c.groups, c.adds_up))
            .collect();
        assert_eq!(outcome, [("Age band", 2, false), ("Sex", 2, true)]);
    }
}
