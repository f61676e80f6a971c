//! The statistics every rate carries: the value, its 95 % Wilson interval,
//! the change on a year earlier with Newcombe's hybrid score interval and a
//! significance flag, and the low-reliability flag. Queries return counts;
//! this module is the only place rates are made.

pub mod intervals;
pub mod totals;

use std::collections::HashMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type};

use crate::query::catalogue::TableMetadata;
use crate::table::{Figure, Layout, NO_DESCRIPTION, TableKind};
pub use intervals::{Interval, newcombe_difference, wilson};

/// A table with its statistics, before disclosure control.
#[derive(Debug, Clone, PartialEq)]
pub struct StatTable {
    pub metadata: TableMetadata,
    /// Names of the dimension columns, in query order.
    pub dimensions: Vec<String>,
    pub rows: Vec<StatRow>,
}

impl StatTable {
    pub fn layout(&self) -> Layout {
        Layout::of(&self.dimensions)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    /// The row's group in each dimension.
    pub groups: Vec<String>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Count(u64),
    Rate(Rate),
    Mean(Mean),
}

impl Value {
    /// The counts the row carries, in the order of its kind's
    /// [`TableKind::counts`].
    pub fn figures(&self) -> Vec<(Figure, u64)> {
        match self {
            Value::Count(count) => vec![(Figure::Count, *count)],
            Value::Rate(rate) => vec![
                (Figure::Numerator, rate.numerator),
                (Figure::Denominator, rate.denominator),
            ],
            Value::Mean(mean) => vec![
                (Figure::Total, mean.total),
                (Figure::Denominator, mean.denominator),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mean {
    pub total: u64,
    pub denominator: u64,
    /// `None` when the denominator is zero.
    pub mean: Option<f64>,
    /// The denominator is below the configured minimum.
    pub low_reliability: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    /// `None` when the denominator is zero.
    pub rate: Option<f64>,
    pub interval: Option<Interval>,
    /// Against the same groups a year earlier, where they had a
    /// denominator.
    pub change: Option<Change>,
    /// The denominator is below the configured minimum.
    pub low_reliability: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub previous_numerator: u64,
    pub previous_denominator: u64,
    /// Current minus previous, as a proportion (0.03 is 3 percentage points).
    pub difference: f64,
    pub interval: Interval,
    /// The interval excludes zero.
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("table {table}: {problem}")]
pub struct StatisticsError {
    pub table: String,
    pub problem: String,
}

/// The query's rows as counts, one `(groups, counts)` per row.
type Counted = Vec<(Vec<String>, Vec<u64>)>;

/// Builds the statistics of one table from its query's batches for the
/// reference year and for a year earlier.
pub fn compute(
    metadata: &TableMetadata,
    current: &[RecordBatch],
    previous: &[RecordBatch],
    low_reliability_below: u64,
) -> Result<StatTable, StatisticsError> {
    let fail = |problem: String| StatisticsError {
        table: metadata.id.clone(),
        problem,
    };
    let counts = metadata.kind.counts();
    let dimensions = dimension_names(current, counts);
    let descriptive = &metadata.descriptive;
    let current_rows = counted(current, counts, descriptive).map_err(fail)?;
    let previous_rows: HashMap<Vec<String>, Vec<u64>> = counted(previous, counts, descriptive)
        .map_err(fail)?
        .into_iter()
        .collect();
    let rows = current_rows
        .into_iter()
        .map(|(groups, values)| {
            let value = match metadata.kind {
                TableKind::Count => Value::Count(values[0]),
                TableKind::Rate => {
                    let before = previous_rows.get(&groups).map(|v| (v[0], v[1]));
                    Value::Rate(rate(values[0], values[1], before, low_reliability_below))
                }
                TableKind::Mean => Value::Mean(Mean {
                    total: values[0],
                    denominator: values[1],
                    mean: (values[1] > 0).then(|| values[0] as f64 / values[1] as f64),
                    low_reliability: values[1] < low_reliability_below,
                }),
            };
            StatRow { groups, value }
        })
        .collect();
    Ok(StatTable {
        metadata: metadata.clone(),
        dimensions,
        rows,
    })
}

/// One rate with its interval and change.
pub fn rate(
    numerator: u64,
    denominator: u64,
    previous: Option<(u64, u64)>,
    low_reliability_below: u64,
) -> Rate {
    let change = previous.and_then(|(pn, pd)| {
        let (difference, interval) = newcombe_difference(numerator, denominator, pn, pd)?;
        Some(Change {
            previous_numerator: pn,
            previous_denominator: pd,
            difference,
            interval,
            significant: interval.lower > 0.0 || interval.upper < 0.0,
        })
    });
    Rate {
        numerator,
        denominator,
        rate: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        interval: wilson(numerator, denominator),
        change,
        low_reliability: denominator < low_reliability_below,
    }
}

fn dimension_names(batches: &[RecordBatch], counts: &[Figure]) -> Vec<String> {
    batches.first().map_or_else(Vec::new, |b| {
        b.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| !counts.iter().any(|c| c.name() == n))
            .collect()
    })
}

/// Dimension values as text and the count columns as whole numbers. A
/// descriptive column without a value is [`NO_DESCRIPTION`].
fn counted(
    batches: &[RecordBatch],
    counts: &[Figure],
    descriptive: &[String],
) -> Result<Counted, String> {
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        let mut groups: Vec<Vec<String>> = vec![Vec::new(); batch.num_rows()];
        // In the order of `counts`, whatever the query's column order.
        let mut values: Vec<Vec<u64>> = vec![vec![0; counts.len()]; batch.num_rows()];
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            let count_index = counts.iter().position(|c| c.name() == field.name());
            let target = if count_index.is_some() {
                DataType::Int64
            } else {
                DataType::Utf8
            };
            let cast = datafusion::arrow::compute::cast(column, &target)
                .map_err(|e| format!("column {}: {e}", field.name()))?;
            for row in 0..batch.num_rows() {
                if let Some(index) = count_index {
                    let ints = cast.as_primitive::<Int64Type>();
                    let value = if ints.is_null(row) {
                        0
                    } else {
                        ints.value(row)
                    };
                    let value = u64::try_from(value).map_err(|_| {
                        format!("column {} holds a negative count {value}", field.name())
                    })?;
                    values[row][index] = value;
                } else {
                    let text = cast.as_string::<i32>();
                    groups[row].push(if !text.is_null(row) {
                        text.value(row).to_string()
                    } else if descriptive.contains(field.name()) {
                        NO_DESCRIPTION.mark().to_string()
                    } else {
                        String::new()
                    });
                }
            }
        }
        rows.extend(groups.into_iter().zip(values));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_carries_the_counts_of_its_kind_in_order() {
        let rate = Value::Rate(rate(3, 10, None, 20));
        let mean = Value::Mean(Mean {
            total: 7,
            denominator: 2,
            mean: Some(3.5),
            low_reliability: true,
        });
        assert_eq!(
            rate.figures(),
            [(Figure::Numerator, 3), (Figure::Denominator, 10)]
        );
        assert_eq!(
            mean.figures(),
            [(Figure::Total, 7), (Figure::Denominator, 2)]
        );
        assert_eq!(Value::Count(4).figures(), [(Figure::Count, 4)]);
        for (value, kind) in [
            (rate, TableKind::Rate),
            (mean, TableKind::Mean),
            (Value::Count(4), TableKind::Count),
        ] {
            let figures: Vec<Figure> = value.figures().into_iter().map(|(f, _)| f).collect();
            assert_eq!(figures, kind.counts());
        }
    }

    #[test]
    fn a_rate_carries_its_interval_change_and_flags() {
        let r = rate(56, 70, Some((48, 80)), 20);
        assert_eq!(r.rate, Some(0.8));
        let change = r.change.unwrap();
        assert!(change.significant);
        assert!((change.difference - 0.2).abs() < 1e-12);
        assert!(!r.low_reliability);
        let small = rate(3, 19, None, 20);
        assert!(small.low_reliability && small.change.is_none());
        let empty = rate(0, 0, Some((1, 2)), 20);
        assert_eq!(
            (empty.rate, empty.interval, empty.change),
            (None, None, None)
        );
    }
}
