//! `disclosure_audit.csv`: every withheld figure of a run and the rule that
//! withheld it, never its value.

use std::path::Path;

use super::{Protected, Year};

pub fn write(protected: &Protected, path: &Path) -> Result<(), csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)?;
    out.write_record(["table", "year", "row", "figure", "rule", "reason"])?;
    for withheld in &protected.audit {
        let row = withheld
            .dimensions
            .iter()
            .map(|(dimension, value)| format!("{dimension}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        out.write_record([
            withheld.table.as_str(),
            match withheld.year {
                Year::Reference => "reference year",
                Year::YearEarlier => "a year earlier",
            },
            &row,
            withheld.figure.name(),
            withheld.rule,
            &withheld.reason,
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// How many figures each rule withheld, in the reference year and a year
/// earlier together, and the share of all figures withheld.
pub fn summary(protected: &Protected) -> (Vec<(&'static str, usize)>, f64) {
    let by_rule = ["primary", "complement", "range"]
        .into_iter()
        .map(|rule| {
            let count = protected.audit.iter().filter(|w| w.rule == rule).count();
            (rule, count)
        })
        .collect();
    let share = if protected.figures == 0 {
        0.0
    } else {
        protected.audit.len() as f64 / protected.figures as f64
    };
    (by_rule, share)
}
