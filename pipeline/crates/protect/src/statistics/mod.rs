//! The statistics every rate carries: the value, its 95 % Wilson interval,
//! the change on a year earlier with Newcombe's hybrid score interval and a
//! significance flag, and the low-reliability flag. Queries return counts;
//! this module is the only place rates are made.

pub mod cross;
pub mod intervals;
pub mod totals;

use std::collections::{BTreeSet, HashMap};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};

use dtto_model::catalogue::TableMetadata;
use dtto_model::period::Period;
use dtto_model::result::TableResult;
use dtto_model::table::{Dimensions, Figure, NO_DESCRIPTION, TableKind};
pub use intervals::{Interval, newcombe_difference, wilson};

/// A table with its statistics, before disclosure control.
#[derive(Debug, Clone, PartialEq)]
pub struct StatTable {
    pub metadata: TableMetadata,
    pub dimensions: Dimensions,
    pub rows: Vec<StatRow>,
}

/// One table's statistics for every quarter an edition publishes it for
/// (see [`dtto_model::result::TableResult`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TableSeries {
    pub metadata: TableMetadata,
    /// The first quarter of the published series, if it has one.
    pub series_from: Option<Period>,
    /// Each quarter published, oldest first, its rates with their changes
    /// on a year and on a quarter earlier where those are published too.
    pub windows: Vec<(Period, StatTable)>,
    /// The single quarters making up those 12 months: never published.
    pub singles: Vec<(Period, StatTable)>,
    /// The rows of `windows` the query did not return, by quarter and
    /// groups: a group with no one in it that quarter. [`complete`] fills
    /// them with 0 for disclosure control, because a reader sees the 0;
    /// they are never published, because the 0 is not every figure's (a
    /// share's denominator is the whole population's).
    ///
    /// [`complete`]: TableSeries::complete
    pub absent: BTreeSet<(Period, Vec<String>)>,
}

impl TableSeries {
    pub fn at(&self, quarter: Period) -> Option<&StatTable> {
        self.windows
            .iter()
            .find(|(q, _)| *q == quarter)
            .map(|(_, table)| table)
    }

    /// The row of `groups` in `quarter` is one the query returned.
    pub fn returned(&self, quarter: Period, groups: &[String]) -> bool {
        !self.absent.contains(&(quarter, groups.to_vec()))
    }

    /// The statistics of `quarter` as published: the rows its query
    /// returned.
    pub fn published_at(&self, quarter: Period) -> Option<StatTable> {
        let mut table = self.at(quarter)?.clone();
        table.rows.retain(|row| self.returned(quarter, &row.groups));
        Some(table)
    }
}

/// The statistics of a table's every quarter.
pub fn series(
    result: &TableResult,
    low_reliability_below: u64,
) -> Result<TableSeries, StatisticsError> {
    let metadata = &result.table.metadata;
    let windows = result
        .windows
        .iter()
        .map(|(quarter, batches)| {
            let earlier = |back| result.window(quarter.earlier(back)).unwrap_or_default();
            let earlier = Earlier {
                year: earlier(4),
                quarter: earlier(1),
            };
            let table = compute(metadata, batches, earlier, low_reliability_below)?;
            Ok((*quarter, table))
        })
        .collect::<Result<_, StatisticsError>>()?;
    let singles = result
        .singles
        .iter()
        .map(|(quarter, batches)| {
            let table = compute(metadata, batches, Earlier::default(), low_reliability_below)?;
            Ok((*quarter, table))
        })
        .collect::<Result<_, StatisticsError>>()?;
    let mut series = TableSeries {
        metadata: metadata.clone(),
        series_from: result.series_from,
        windows,
        singles,
        absent: BTreeSet::new(),
    };
    series.complete(low_reliability_below);
    Ok(series)
}

impl TableSeries {
    /// Gives every quarter a row for every group any quarter has, with 0
    /// where it has none: a group missing from one quarter of a series is a
    /// count of 0 a reader can see, so disclosure control must count it.
    /// Each such row of a published quarter is [`TableSeries::absent`].
    /// Rows keep the query's order, a group new to the period's table going
    /// after the one before it in the quarter that has it.
    fn complete(&mut self, low_reliability_below: u64) {
        let tables = || {
            self.windows
                .iter()
                .rev()
                .chain(self.singles.iter().rev())
                .map(|(_, table)| table)
        };
        let Some(dimensions) = tables()
            .map(|table| table.dimensions.clone())
            .find(|dimensions| !dimensions.is_empty())
        else {
            return;
        };
        let mut order: Vec<Vec<String>> = Vec::new();
        for table in tables() {
            let mut after = 0;
            for row in &table.rows {
                match order.iter().position(|g| *g == row.groups) {
                    Some(at) => after = at + 1,
                    None => {
                        order.insert(after, row.groups.clone());
                        after += 1;
                    }
                }
            }
        }
        let zero = Value::zero(self.metadata.kind, low_reliability_below);
        let windows = self.windows.iter_mut().map(|(q, table)| (Some(*q), table));
        let singles = self.singles.iter_mut().map(|(_, table)| (None, table));
        for (window, table) in windows.chain(singles) {
            let mut rows: HashMap<Vec<String>, StatRow> = std::mem::take(&mut table.rows)
                .into_iter()
                .map(|row| (row.groups.clone(), row))
                .collect();
            table.rows = order
                .iter()
                .map(|groups| {
                    rows.remove(groups).unwrap_or_else(|| {
                        if let Some(quarter) = window {
                            self.absent.insert((quarter, groups.clone()));
                        }
                        StatRow {
                            groups: groups.clone(),
                            value: zero.clone(),
                        }
                    })
                })
                .collect();
            table.dimensions = dimensions.clone();
        }
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
    /// A row of `kind` counting nothing.
    pub fn zero(kind: TableKind, low_reliability_below: u64) -> Value {
        match kind {
            TableKind::Count => Value::Count(0),
            TableKind::Rate => Value::Rate(rate(0, 0, None, low_reliability_below)),
            TableKind::Mean => Value::Mean(Mean {
                total: 0,
                denominator: 0,
                mean: None,
                low_reliability: 0 < low_reliability_below,
            }),
        }
    }

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
    /// Against the same groups in the 12 months ending a quarter earlier.
    pub change_on_quarter: Option<Change>,
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
    pub problem: Unusable,
}

/// Why a query's rows cannot be made into statistics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// A column that is not text, nor whole numbers for a count.
    #[error("column {column}: {reason}")]
    Column { column: String, reason: String },
    #[error("column {column} holds a negative count {value}")]
    NegativeCount { column: String, value: i64 },
    #[error(
        "its query returned the breakdown {breakdown:?}, which `breakdowns` in its \
         metadata does not list ({listed}): add it there, or leave it out of the SQL"
    )]
    UnlistedBreakdown { breakdown: String, listed: String },
}

/// The query's rows as counts, one `(groups, counts)` per row.
type Counted = Vec<(Vec<String>, Vec<u64>)>;

/// The rows a table's figures are compared with: a year earlier and a
/// quarter earlier (empty where there is nothing to compare with).
#[derive(Debug, Clone, Copy, Default)]
pub struct Earlier<'a> {
    pub year: &'a [RecordBatch],
    pub quarter: &'a [RecordBatch],
}

/// Builds the statistics of one table from its query's batches for the
/// reference year and for the years it is compared with.
pub fn compute(
    metadata: &TableMetadata,
    current: &[RecordBatch],
    earlier: Earlier,
    low_reliability_below: u64,
) -> Result<StatTable, StatisticsError> {
    let fail = |problem: Unusable| StatisticsError {
        table: metadata.id.clone(),
        problem,
    };
    let counts = metadata.kind.counts();
    let dimensions = Dimensions::new(dimension_names(current, counts));
    let descriptive = &metadata.descriptive;
    let current_rows = counted(current, counts, descriptive).map_err(fail)?;
    if let Some(unlisted) = unlisted_breakdown(metadata, &dimensions, &current_rows) {
        return Err(fail(Unusable::UnlistedBreakdown {
            breakdown: unlisted.to_string(),
            listed: metadata.breakdowns.join(", "),
        }));
    }
    let by_groups = |batches| -> Result<HashMap<Vec<String>, Vec<u64>>, StatisticsError> {
        Ok(counted(batches, counts, descriptive)
            .map_err(fail)?
            .into_iter()
            .collect())
    };
    let year_earlier = by_groups(earlier.year)?;
    let quarter_earlier = by_groups(earlier.quarter)?;
    let rows = current_rows
        .into_iter()
        .map(|(groups, values)| {
            let value = match metadata.kind {
                TableKind::Count => Value::Count(values[0]),
                TableKind::Rate => {
                    let before = |rows: &HashMap<Vec<String>, Vec<u64>>| {
                        rows.get(&groups).map(|v| (v[0], v[1]))
                    };
                    let mut rate = rate(
                        values[0],
                        values[1],
                        before(&year_earlier),
                        low_reliability_below,
                    );
                    rate.change_on_quarter = before(&quarter_earlier)
                        .and_then(|(pn, pd)| change(values[0], values[1], pn, pd));
                    Value::Rate(rate)
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

/// A breakdown the rows carry that the metadata does not list: every
/// output names a table's breakdowns from its metadata, so one it does not
/// list would be published unannounced, or missed by checks that go by
/// the list.
fn unlisted_breakdown<'a>(
    metadata: &TableMetadata,
    dimensions: &Dimensions,
    rows: &'a Counted,
) -> Option<&'a str> {
    let column = dimensions.breakdown()?;
    rows.iter()
        .filter_map(|(groups, _)| groups.get(column))
        .find(|breakdown| !metadata.breakdowns.contains(breakdown))
        .map(String::as_str)
}

/// One rate with its interval and change.
pub fn rate(
    numerator: u64,
    denominator: u64,
    previous: Option<(u64, u64)>,
    low_reliability_below: u64,
) -> Rate {
    Rate {
        numerator,
        denominator,
        rate: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        interval: wilson(numerator, denominator),
        change: previous.and_then(|(pn, pd)| change(numerator, denominator, pn, pd)),
        change_on_quarter: None,
        low_reliability: denominator < low_reliability_below,
    }
}

/// The change from `pn` of `pd` to `numerator` of `denominator`, where
/// both have a denominator.
pub fn change(numerator: u64, denominator: u64, pn: u64, pd: u64) -> Option<Change> {
    let (difference, interval) = newcombe_difference(numerator, denominator, pn, pd)?;
    Some(Change {
        previous_numerator: pn,
        previous_denominator: pd,
        difference,
        interval,
        significant: interval.lower > 0.0 || interval.upper < 0.0,
    })
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
) -> Result<Counted, Unusable> {
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
            let cast = arrow::compute::cast(column, &target).map_err(|e| Unusable::Column {
                column: field.name().clone(),
                reason: e.to_string(),
            })?;
            for row in 0..batch.num_rows() {
                if let Some(index) = count_index {
                    let ints = cast.as_primitive::<Int64Type>();
                    let value = if ints.is_null(row) {
                        0
                    } else {
                        ints.value(row)
                    };
                    let value = u64::try_from(value).map_err(|_| Unusable::NegativeCount {
                        column: field.name().clone(),
                        value,
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

    #[test]
    fn a_breakdown_the_metadata_does_not_list_is_found() {
        let metadata: TableMetadata = toml::from_str(
            "id = \"orders\"\ntitle = \"Orders\"\nmeasure = 1\nkind = \"count\"\n\
             cohort = \"Orders\"\ncounted = \"Orders\"\nbreakdowns = [\"National\", \"Sex\"]\n\
             [chart]\nkind = \"none\"\n",
        )
        .unwrap();
        let dimensions = Dimensions::new(vec!["breakdown".to_string(), "group".to_string()]);
        let row = |breakdown: &str, group: &str| {
            (vec![breakdown.to_string(), group.to_string()], vec![5])
        };
        let listed = vec![row("National", "All"), row("Sex", "Female")];
        assert_eq!(unlisted_breakdown(&metadata, &dimensions, &listed), None);
        let unlisted = vec![row("Sex", "Male"), row("Age band", "18-20")];
        assert_eq!(
            unlisted_breakdown(&metadata, &dimensions, &unlisted),
            Some("Age band")
        );
        // A table without a breakdown column has nothing to check.
        assert_eq!(
            unlisted_breakdown(
                &metadata,
                &Dimensions::new(vec!["reason".to_string()]),
                &unlisted
            ),
            None
        );
    }
}
