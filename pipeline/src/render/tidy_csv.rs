//! `data/<table>.csv`: a table in tidy long form: the dimension columns,
//! then numerator, denominator, rate, ci_lower, ci_upper and status (count
//! tables: count and status; mean tables: total, denominator, mean and
//! status). Rates are proportions. A withheld figure is an empty cell with
//! `[c]` in the status column.

use std::path::Path;

use crate::disclosure::{ProtectedTable, ProtectedValue, Shown};
use crate::query::catalogue::TableKind;

/// Shorthand for a withheld figure.
pub const CONFIDENTIAL: &str = "[c]";
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

pub fn write(table: &ProtectedTable, path: &Path) -> Result<(), csv::Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)?;
    let mut header: Vec<&str> = table.dimensions().iter().map(String::as_str).collect();
    header.extend(match table.metadata().kind {
        TableKind::Rate => &RATE_COLUMNS[..],
        TableKind::Count => &COUNT_COLUMNS[..],
        TableKind::Mean => &MEAN_COLUMNS[..],
    });
    out.write_record(&header)?;
    for row in table.rows() {
        let mut record: Vec<String> = row.groups().to_vec();
        record.extend(figures(row.value()));
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// A row's figures and status, as the CSV shows them.
fn figures(value: &ProtectedValue) -> Vec<String> {
    match value {
        ProtectedValue::Count(count) => {
            let status = if count.is_withheld() {
                CONFIDENTIAL
            } else {
                ""
            };
            vec![whole(*count), status.to_string()]
        }
        ProtectedValue::Rate(rate) => {
            let estimate = rate.estimate();
            let status = status(
                estimate.is_withheld(),
                estimate.value().is_some_and(|e| e.is_none()),
                rate.low_reliability(),
            );
            let part = |pick: fn(&(f64, crate::statistics::Interval)) -> f64| {
                proportion(estimate.value().flatten().map(|e| pick(&e)))
            };
            vec![
                whole(rate.numerator()),
                whole(rate.denominator()),
                part(|e| e.0),
                part(|e| e.1.lower),
                part(|e| e.1.upper),
                status.to_string(),
            ]
        }
        ProtectedValue::Mean(mean) => {
            let status = status(
                mean.mean().is_withheld(),
                mean.mean().value().is_some_and(|m| m.is_none()),
                mean.low_reliability(),
            );
            vec![
                whole(mean.total()),
                whole(mean.denominator()),
                proportion(mean.mean().value().flatten()),
                status.to_string(),
            ]
        }
    }
}

/// One shorthand per row, the strongest first: a withheld figure, then no
/// denominator, then low reliability.
fn status(withheld: bool, no_denominator: bool, low_reliability: bool) -> &'static str {
    if withheld {
        CONFIDENTIAL
    } else if no_denominator {
        NOT_APPLICABLE
    } else if low_reliability {
        LOW_RELIABILITY
    } else {
        ""
    }
}

fn whole(figure: Shown<u64>) -> String {
    figure.value().map_or_else(String::new, |v| v.to_string())
}

/// Four decimal places: a hundredth of a percentage point.
fn proportion(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.4}"))
}
