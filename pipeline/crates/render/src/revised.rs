//! What an edition says of its revisions: the figures revised since the
//! previous edition, the records its delivery adds to earlier quarters,
//! and the earlier headlines whose message changed. Worked out by the
//! edition (`dtto::revisions`), written by the bulletin.

use serde::Serialize;

use dtto_model::contract::ExtractFile;
use dtto_model::format;

/// One revised figure, as each edition published it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub table: String,
    pub quarter: String,
    /// `breakdown=Sex; group=Female`.
    pub group: String,
    pub figure: String,
    pub previous: String,
    pub new: String,
}

/// Records of the delivery dated on or before the previous delivery's
/// as_at, beyond those that delivery held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateRecords {
    pub file: String,
    /// Negative when the delivery holds fewer: records withdrawn.
    pub added: i64,
    /// `drug tests: 1,234 more records`.
    pub words: String,
}

impl LateRecords {
    pub fn new(file: ExtractFile, added: i64) -> LateRecords {
        let amount = match added {
            0 => "the same number of records".to_string(),
            1 => "1 more record".to_string(),
            -1 => "1 fewer record".to_string(),
            n if n > 0 => format!("{} more records", format::thousands(n.unsigned_abs())),
            n => format!("{} fewer records", format::thousands(n.unsigned_abs())),
        };
        LateRecords {
            file: file.name().to_string(),
            added,
            words: format!("{}: {amount}", file.name().replace('_', " ")),
        }
    }
}

/// An earlier headline whose message the revised figures change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedMessage {
    pub table: String,
    pub title: String,
    /// `2005Q1`.
    pub quarter: String,
    /// `the year ending March 2005`.
    pub year_ending: String,
    /// `a significant rise`, `no significant change`.
    pub before: String,
    pub now: String,
}

/// What the edition says of its revisions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// `2005Q1`.
    pub previous_period: String,
    /// `the year ending March 2005`.
    pub previous_year_ending: String,
    /// `31 March 2005`.
    pub previous_as_at: String,
    /// Every revised figure.
    pub figures: Vec<Revision>,
    /// How many counts and rates were revised, as the statement writes it
    /// (`1,234`): a rate's interval bounds move with it and are not
    /// counted again.
    pub figures_changed: String,
    /// How many rows the revised figures are in, as written (`1,234`).
    pub rows_changed: String,
    /// The titles of the tables with a revised figure.
    pub tables: Vec<String>,
    /// The 12 months of the revised figures, from the first quarter with
    /// one to the last: `the 12 months ending each quarter from June 2001
    /// to March 2005`, or `the year ending March 2005`.
    pub months: Option<String>,
    pub late_records: Vec<LateRecords>,
    pub messages: Vec<ChangedMessage>,
}
