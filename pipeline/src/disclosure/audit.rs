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

/// For one year: how many figures each rule withheld, how many were
/// withheld in all, and of how many.
pub fn summary(protected: &Protected, year: Year) -> (Vec<(&'static str, usize)>, usize, usize) {
    let withheld: Vec<_> = protected.audit.iter().filter(|w| w.year == year).collect();
    let by_rule = ["primary", "unprinted", "complement", "range", "budget"]
        .into_iter()
        .map(|rule| (rule, withheld.iter().filter(|w| w.rule == rule).count()))
        .collect();
    let figures = protected.figures[match year {
        Year::Reference => 0,
        Year::YearEarlier => 1,
    }];
    (by_rule, withheld.len(), figures)
}
