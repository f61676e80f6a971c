//! What an ingest did, kept as `ingest.json` beside the data and printed as
//! a table at the end of a run.

use std::collections::BTreeMap;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::{Deserialize, Serialize};

use super::source::Source;
use dtto_model::format::thousands;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub file: String,
    /// The file as delivered, e.g. `orders.csv.gz`.
    pub source: String,
    /// Data rows promised by `extract.toml`.
    pub expected: u64,
    pub loaded: u64,
    pub quarantined: u64,
    /// Rows quarantined under each rule; a row breaking several rules
    /// counts under each.
    pub quarantined_by_rule: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
}

impl FileSummary {
    pub fn new(source: &Source) -> Self {
        FileSummary {
            file: source.file.name().to_string(),
            source: source.file_name(),
            expected: 0,
            loaded: 0,
            quarantined: 0,
            quarantined_by_rule: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    pub fn rows(&self) -> u64 {
        self.loaded + self.quarantined
    }

    /// Quarantined rows as a percentage of the rows read (the share
    /// [`over_share`] compares).
    pub fn quarantined_percent(&self) -> f64 {
        if self.rows() == 0 {
            0.0
        } else {
            100.0 * self.quarantined as f64 / self.rows() as f64
        }
    }
}

/// Whether `quarantined` of `rows` is more than `max_share` (0.01 is 1 %):
/// one comparison for the end of a file and for stopping early.
pub fn over_share(quarantined: u64, rows: u64, max_share: f64) -> bool {
    // One correctly rounded division, compared with the share as written:
    // scaling both sides by 100 would refuse 29 of 100 at 0.29.
    quarantined > 0 && (rows == 0 || quarantined as f64 / rows as f64 > max_share)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// The delivery's content key, also its folder in the warehouse.
    pub key: String,
    pub as_at: String,
    pub supplier: String,
    pub program_version: String,
    pub files: Vec<FileSummary>,
    /// The SHA-256 of each file of the delivery, control file included, by
    /// name.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
}

impl IngestSummary {
    /// The end-of-run table: rows loaded and quarantined per file and rule.
    pub fn table(&self) -> Table {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(["file", "rule", "expected", "loaded", "quarantined", "share"]);
        for f in &self.files {
            table.add_row(vec![
                Cell::new(&f.source),
                Cell::new("all rules"),
                number(f.expected),
                number(f.loaded),
                number(f.quarantined),
                Cell::new(format!("{:.3} %", f.quarantined_percent()))
                    .set_alignment(CellAlignment::Right),
            ]);
            for (rule, rows) in &f.quarantined_by_rule {
                table.add_row(vec![
                    Cell::new(""),
                    Cell::new(rule),
                    Cell::new(""),
                    Cell::new(""),
                    number(*rows),
                    Cell::new(""),
                ]);
            }
        }
        table
    }
}

fn number(n: u64) -> Cell {
    Cell::new(thousands(n)).set_alignment(CellAlignment::Right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_over_only_above_the_limit() {
        // 1 of 100 is 1 %, allowed; 2 of 100 is not; none is never over.
        assert!(!over_share(1, 100, 0.01));
        assert!(over_share(2, 100, 0.01));
        assert!(!over_share(0, 0, 0.0));
        assert!(over_share(1, 0, 1.0));
        assert!(!over_share(17, 17, 1.0));
        // Exactly at shares that scaled by 100 do not come out whole.
        assert!(!over_share(29, 100, 0.29));
        assert!(!over_share(57, 100, 0.57));
        assert!(over_share(30, 100, 0.29));
    }
}
