//! `disclosure_audit.csv` (and an answer's `withheld.csv`): every withheld
//! figure and the rule that withheld it, never its value.

use std::path::Path;

use super::suppression::Reason;
use super::{Protected, Withheld};
use dtto_model::period::Period;

pub fn write(audit: &[Withheld], path: &Path) -> Result<(), csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)?;
    // `quarter`: the figure is of the 12 months ending with that quarter.
    out.write_record(["table", "quarter", "row", "figure", "rule", "reason"])?;
    for withheld in audit {
        let row = withheld
            .dimensions
            .iter()
            .map(|(dimension, value)| format!("{dimension}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        out.write_record([
            withheld.table.as_str(),
            &withheld.quarter.to_string(),
            &row,
            withheld.figure.name(),
            withheld.rule,
            &withheld.reason,
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// The parts of an edition its summaries count apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditionPart {
    ReferenceYear,
    YearEarlier,
    /// Every other quarter of the series.
    Series,
}

impl EditionPart {
    pub const ALL: [EditionPart; 3] = [
        EditionPart::ReferenceYear,
        EditionPart::YearEarlier,
        EditionPart::Series,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EditionPart::ReferenceYear => "reference year",
            EditionPart::YearEarlier => "a year earlier",
            EditionPart::Series => "other quarters of the series",
        }
    }

    fn holds(self, quarter: Period, period: Period) -> bool {
        match self {
            EditionPart::ReferenceYear => quarter == period,
            EditionPart::YearEarlier => quarter == period.earlier(4),
            EditionPart::Series => quarter != period && quarter != period.earlier(4),
        }
    }
}

/// For one part of the edition: how many figures each rule withheld, how
/// many were withheld in all, and of how many.
pub fn summary(
    protected: &Protected,
    part: EditionPart,
) -> (Vec<(&'static str, usize)>, usize, usize) {
    let of = |quarter| part.holds(quarter, protected.period);
    let withheld: Vec<_> = protected.audit.iter().filter(|w| of(w.quarter)).collect();
    let by_rule = Reason::PUBLISHED
        .into_iter()
        .map(|rule| (rule, withheld.iter().filter(|w| w.rule == rule).count()))
        .collect();
    let figures = protected
        .figures
        .iter()
        .filter(|(quarter, _)| of(**quarter))
        .map(|(_, n)| n)
        .sum();
    (by_rule, withheld.len(), figures)
}
