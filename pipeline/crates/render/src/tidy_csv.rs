//! `data/<table>.csv`: a table in tidy long form: the dimension columns,
//! `window_ending` (the quarter the 12 months each row counts end with,
//! for a table counting over one window: `2003Q4` for one-year
//! reconviction in the edition for 2005Q2), then numerator, denominator,
//! rate, ci_lower, ci_upper and status (count tables: count and status;
//! mean tables: total, denominator, mean and status). Rates are
//! proportions. A withheld figure is an empty cell with `[c]` in the status
//! column; a row revised since the previous edition has `[r]` there, after
//! any other shorthand (`[u] [r]`). A descriptive column (an area's
//! `target`) is followed by its own status column (`target_status`), which
//! says `[x]` where it has no value: no numeric column ever holds
//! shorthand.

use std::path::Path;

use super::{csv_file, spreadsheet_safe, window_ending};

use dtto_model::period::Period;
use dtto_model::table::{NO_DESCRIPTION, WINDOW_ENDING, status_column};
use dtto_protect::disclosure::{ProtectedTable, ProtectedValue, Shown};
use dtto_protect::statistics::Interval;

/// Writes the table of the edition for `period` to `path`, a draft's with
/// the DRAFT line first.
pub fn write(
    table: &ProtectedTable,
    period: Period,
    path: &Path,
    draft: bool,
) -> Result<(), csv::Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    write_to(table, period, csv_file(path, draft)?)
}

/// A table as its CSV publishes it: the header, then each row's cells,
/// text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tidy {
    pub header: Vec<String>,
    pub records: Vec<Vec<String>>,
}

fn write_to(
    table: &ProtectedTable,
    period: Period,
    writer: impl std::io::Write,
) -> Result<(), csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(writer);
    let tidy = tidy(table, period);
    out.write_record(&tidy.header)?;
    for record in &tidy.records {
        out.write_record(record)?;
    }
    out.flush()?;
    Ok(())
}

/// The cells of the table's CSV in the edition for `period`.
pub fn tidy(table: &ProtectedTable, period: Period) -> Tidy {
    let descriptive = |dimension: &String| table.metadata().descriptive.contains(dimension);
    let mut header: Vec<String> = Vec::new();
    for name in table.dimensions().iter() {
        header.push(spreadsheet_safe(name).into_owned());
        if descriptive(name) {
            header.push(status_column(name));
        }
    }
    let labelled = table.metadata().single_window().is_some();
    if labelled {
        header.push(WINDOW_ENDING.to_string());
    }
    header.extend(
        table
            .metadata()
            .kind
            .csv_columns()
            .into_iter()
            .map(String::from),
    );
    let mut records = Vec::with_capacity(table.rows().len());
    for row in table.rows() {
        let mut record: Vec<String> = Vec::new();
        for (name, label) in table.dimensions().iter().zip(row.groups()) {
            if !descriptive(name) {
                record.push(spreadsheet_safe(label).into_owned());
            } else if label == NO_DESCRIPTION.mark() {
                record.extend([String::new(), label.clone()]);
            } else {
                record.extend([spreadsheet_safe(label).into_owned(), String::new()]);
            }
        }
        if labelled {
            let ending = window_ending(table, row, Some(period));
            record.push(ending.map_or_else(String::new, |q| q.to_string()));
        }
        record.extend(figures(row.value()));
        record.push(row.status_text());
        records.push(record);
    }
    Tidy { header, records }
}

/// A row's figures, as the CSV shows them.
fn figures(value: &ProtectedValue) -> Vec<String> {
    match value {
        ProtectedValue::Count(count) => vec![whole(*count)],
        ProtectedValue::Rate(rate) => {
            let estimate = rate.estimate();
            let part = |pick: fn(&(f64, Interval)) -> f64| {
                proportion(estimate.value().flatten().map(|e| pick(&e)))
            };
            vec![
                whole(rate.numerator()),
                whole(rate.denominator()),
                part(|e| e.0),
                part(|e| e.1.lower),
                part(|e| e.1.upper),
            ]
        }
        ProtectedValue::Mean(mean) => vec![
            whole(mean.total()),
            whole(mean.denominator()),
            proportion(mean.mean().value().flatten()),
        ],
    }
}

fn whole(figure: Shown<u64>) -> String {
    figure.value().map_or_else(String::new, |v| v.to_string())
}

/// Four decimal places: a hundredth of a percentage point.
fn proportion(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.4}"))
}
