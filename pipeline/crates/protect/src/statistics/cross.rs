//! An answer's table as a whole cross-classification: every combination of
//! its groups, and every total over any of its breakdowns (`All`), so that
//! disclosure control sees each way its rows add up, to each other and to
//! the published tables.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Mean, StatRow, StatTable, Value, rate};
use dtto_model::table::{ALL, TableKind, is_all};

/// The most rows a cross-classification may have, totals included: an
/// answer is a few figures, not a table of every area by every group.
pub const MOST_ROWS: usize = 20_000;

/// Why a table's rows cannot be cross-classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotCrossClassified {
    #[error(
        "its query returns a total ({column} = {value:?}): leave totals out, the pipeline adds \
         every one"
    )]
    Total { column: String, value: String },
    #[error("its query returns the row {groups} twice")]
    Twice { groups: String },
    #[error(
        "its groups make more than {MOST_ROWS} rows with their totals: ask for fewer \
         breakdowns or fewer groups"
    )]
    TooMany,
}

/// `table` with a row for every combination of the groups its rows have in
/// each dimension (0 where it returned none: nobody in the group) and for
/// every total over any of its dimensions, totals first in each.
pub fn cross_classified(
    table: &StatTable,
    low_reliability_below: u64,
) -> Result<StatTable, NotCrossClassified> {
    let dimensions = table.dimensions.len();
    let mut values: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); dimensions];
    let mut counts: HashMap<Vec<String>, Vec<u64>> = HashMap::new();
    for row in &table.rows {
        for (d, value) in row.groups.iter().enumerate() {
            if is_all(value) {
                return Err(NotCrossClassified::Total {
                    column: table.dimensions[d].clone(),
                    value: value.clone(),
                });
            }
            values[d].insert(value);
        }
        let figures: Vec<u64> = row.value.figures().into_iter().map(|(_, n)| n).collect();
        if counts.insert(row.groups.clone(), figures).is_some() {
            return Err(NotCrossClassified::Twice {
                groups: row.groups.join(" / "),
            });
        }
    }
    let choices: Vec<Vec<String>> = values
        .iter()
        .map(|seen| {
            std::iter::once(ALL.to_string())
                .chain(seen.iter().map(|v| v.to_string()))
                .collect()
        })
        .collect();
    // Counted without overflow: past the limit, the count stops there.
    let rows = choices.iter().try_fold(1usize, |rows, values| {
        rows.checked_mul(values.len()).filter(|&n| n <= MOST_ROWS)
    });
    let Some(rows) = rows else {
        return Err(NotCrossClassified::TooMany);
    };
    let width = table.metadata.kind.counts().len();
    let mut sums: BTreeMap<Vec<String>, Vec<u64>> = BTreeMap::new();
    for (groups, figures) in &counts {
        // The row adds to every total its groups fall in: each of its
        // dimensions kept, or made a total. Each dimension has two choices
        // or more (a total and this row's group), so there are at most
        // log2(MOST_ROWS) of them: the shift cannot overflow.
        for totals in 0..(1usize << dimensions) {
            let key: Vec<String> = groups
                .iter()
                .enumerate()
                .map(|(d, g)| {
                    if totals & (1 << d) != 0 {
                        ALL.to_string()
                    } else {
                        g.clone()
                    }
                })
                .collect();
            let sum = sums.entry(key).or_insert_with(|| vec![0; width]);
            for (s, n) in sum.iter_mut().zip(figures) {
                *s += n;
            }
        }
    }
    let mut out = Vec::with_capacity(rows);
    for groups in product(&choices) {
        let figures = sums.get(&groups).cloned().unwrap_or_else(|| vec![0; width]);
        out.push(StatRow {
            value: value_of(table.metadata.kind, &figures, low_reliability_below),
            groups,
        });
    }
    Ok(StatTable {
        metadata: table.metadata.clone(),
        dimensions: table.dimensions.clone(),
        rows: out,
    })
}

/// Every combination of one choice from each list, the first list's
/// choices slowest.
fn product(choices: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut combinations: Vec<Vec<String>> = vec![Vec::new()];
    for options in choices {
        combinations = combinations
            .into_iter()
            .flat_map(|prefix| {
                options.iter().map(move |option| {
                    let mut next = prefix.clone();
                    next.push(option.clone());
                    next
                })
            })
            .collect();
    }
    combinations
}

/// A row's statistics from its counts, in the order of its kind's
/// [`TableKind::counts`].
fn value_of(kind: TableKind, figures: &[u64], low_reliability_below: u64) -> Value {
    let at = |i: usize| figures.get(i).copied().unwrap_or(0);
    match kind {
        TableKind::Count => Value::Count(at(0)),
        TableKind::Rate => Value::Rate(rate(at(0), at(1), None, low_reliability_below)),
        TableKind::Mean => Value::Mean(Mean {
            total: at(0),
            denominator: at(1),
            mean: (at(1) > 0).then(|| at(0) as f64 / at(1) as f64),
            low_reliability: at(1) < low_reliability_below,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtto_model::table::Dimensions;

    fn rates(rows: &[(&[&str], u64, u64)]) -> StatTable {
        StatTable {
            metadata: toml::from_str(
                r#"
                id = "t"
                title = "T"
                measure = 3
                kind = "rate"
                cohort = "Orders"
                counted = "Orders"
                breakdowns = ["Sex", "Age band"]
                chart = { kind = "none" }
                "#,
            )
            .expect("metadata"),
            dimensions: Dimensions::new(vec!["Sex".into(), "Age band".into()]),
            rows: rows
                .iter()
                .map(|(groups, n, d)| StatRow {
                    groups: groups.iter().map(|g| g.to_string()).collect(),
                    value: Value::Rate(rate(*n, *d, None, 20)),
                })
                .collect(),
        }
    }

    fn counts(table: &StatTable) -> Vec<(Vec<String>, u64, u64)> {
        table
            .rows
            .iter()
            .map(|row| match &row.value {
                Value::Rate(r) => (row.groups.clone(), r.numerator, r.denominator),
                _ => (row.groups.clone(), u64::MAX, u64::MAX),
            })
            .collect()
    }

    fn row(groups: &[&str], n: u64, d: u64) -> (Vec<String>, u64, u64) {
        (groups.iter().map(|g| g.to_string()).collect(), n, d)
    }

    #[test]
    fn every_combination_and_every_total_is_a_row() {
        // Women 18-20: 3 of 10; women 21-24: 5 of 12; men 18-20: 7 of 30;
        // men 21-24 returned no row (nobody).
        let table = rates(&[
            (&["Female", "18-20"], 3, 10),
            (&["Female", "21-24"], 5, 12),
            (&["Male", "18-20"], 7, 30),
        ]);
        let crossed = cross_classified(&table, 20).expect("crossed");
        assert_eq!(
            counts(&crossed),
            [
                row(&["All", "All"], 15, 52),
                row(&["All", "18-20"], 10, 40),
                row(&["All", "21-24"], 5, 12),
                row(&["Female", "All"], 8, 22),
                row(&["Female", "18-20"], 3, 10),
                row(&["Female", "21-24"], 5, 12),
                row(&["Male", "All"], 7, 30),
                row(&["Male", "18-20"], 7, 30),
                row(&["Male", "21-24"], 0, 0),
            ]
        );
    }

    #[test]
    fn a_total_or_a_repeated_row_from_the_query_is_refused() {
        let total = rates(&[(&["All", "18-20"], 3, 10)]);
        assert_eq!(
            cross_classified(&total, 20),
            Err(NotCrossClassified::Total {
                column: "Sex".into(),
                value: "All".into()
            })
        );
        let twice = rates(&[(&["Female", "18-20"], 3, 10), (&["Female", "18-20"], 1, 2)]);
        assert!(matches!(
            cross_classified(&twice, 20),
            Err(NotCrossClassified::Twice { .. })
        ));
    }
}
