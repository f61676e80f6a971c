//! The rules a row can break, named as they appear in the quarantine and
//! the ingest summary.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The row has more or fewer fields than the header.
    FieldCount,
    Required,
    DateFormat,
    IntegerFormat,
    OutOfRange,
    NotAllowed,
    NotInReference,
    Duplicate,
    AfterAsAt,
    SentenceAfterCommencement,
    TerminationBeforeCommencement,
    TerminationPair,
    LowIntensityTooEarly,
    ConvictionBeforeOffence,
    UnknownOrder,
    OrderQuarantined,
    TestOutsideOrder,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::FieldCount => "field_count",
            Rule::Required => "required",
            Rule::DateFormat => "date_format",
            Rule::IntegerFormat => "integer_format",
            Rule::OutOfRange => "out_of_range",
            Rule::NotAllowed => "not_allowed",
            Rule::NotInReference => "not_in_reference",
            Rule::Duplicate => "duplicate",
            Rule::AfterAsAt => "after_as_at",
            Rule::SentenceAfterCommencement => "sentence_after_commencement",
            Rule::TerminationBeforeCommencement => "termination_before_commencement",
            Rule::TerminationPair => "termination_pair",
            Rule::LowIntensityTooEarly => "low_intensity_too_early",
            Rule::ConvictionBeforeOffence => "conviction_before_offence",
            Rule::UnknownOrder => "unknown_order",
            Rule::OrderQuarantined => "order_quarantined",
            Rule::TestOutsideOrder => "test_outside_order",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One broken rule in one row: which column, which rule, and what a person
/// fixing the row needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The column at fault; empty when the whole row is.
    pub column: &'static str,
    pub rule: Rule,
    pub detail: String,
}

impl Violation {
    pub fn new(column: &'static str, rule: Rule, detail: impl Into<String>) -> Self {
        Violation {
            column,
            rule,
            detail: detail.into(),
        }
    }
}
