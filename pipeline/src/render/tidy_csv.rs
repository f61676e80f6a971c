//! `data/<table>.csv`: a table in tidy long form: the dimension columns,
//! then numerator, denominator, rate, ci_lower, ci_upper and status (count
//! tables: count and status). Rates are proportions.

use std::path::Path;

use crate::query::catalogue::TableKind;
use crate::statistics::{StatTable, Value};

/// Shorthand for a rate on a denominator below the minimum.
pub const LOW_RELIABILITY: &str = "[u]";
/// Shorthand for a rate with no denominator.
pub const NOT_APPLICABLE: &str = "[z]";

const RATE_COLUMNS: [&str; 6] = [
    "numerator",
    "denominator",
    "rate",
    "ci_lower",
    "ci_upper",
    "status",
];
const COUNT_COLUMNS: [&str; 2] = ["count", "status"];
const MEAN_COLUMNS: [&str; 4] = ["total", "denominator", "mean", "status"];

pub fn write(table: &StatTable, path: &Path) -> Result<(), csv::Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)?;
    let mut header: Vec<&str> = table.dimensions.iter().map(String::as_str).collect();
    header.extend(match table.metadata.kind {
        TableKind::Rate => &RATE_COLUMNS[..],
        TableKind::Count => &COUNT_COLUMNS[..],
        TableKind::Mean => &MEAN_COLUMNS[..],
    });
    out.write_record(&header)?;
    for row in &table.rows {
        let mut record: Vec<String> = row.groups.clone();
        match &row.value {
            Value::Count(count) => record.extend([count.to_string(), String::new()]),
            Value::Rate(rate) => {
                let status = if rate.denominator == 0 {
                    NOT_APPLICABLE
                } else if rate.low_reliability {
                    LOW_RELIABILITY
                } else {
                    ""
                };
                record.extend([
                    rate.numerator.to_string(),
                    rate.denominator.to_string(),
                    proportion(rate.rate),
                    proportion(rate.interval.map(|i| i.lower)),
                    proportion(rate.interval.map(|i| i.upper)),
                    status.to_string(),
                ]);
            }
            Value::Mean(mean) => {
                let status = if mean.denominator == 0 {
                    NOT_APPLICABLE
                } else if mean.low_reliability {
                    LOW_RELIABILITY
                } else {
                    ""
                };
                record.extend([
                    mean.total.to_string(),
                    mean.denominator.to_string(),
                    proportion(mean.mean),
                    status.to_string(),
                ]);
            }
        }
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// Four decimal places: a hundredth of a percentage point.
fn proportion(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.4}"))
}
