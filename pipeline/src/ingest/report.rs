//! What an ingest did, kept as `ingest.json` beside the data and printed as
//! a table at the end of a run.

use std::collections::BTreeMap;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::{Deserialize, Serialize};

use super::source::Source;
use crate::format::thousands;

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

    /// Quarantined rows as a percentage of the rows read.
    pub fn quarantined_percent(&self) -> f64 {
        if self.rows() == 0 {
            0.0
        } else {
            100.0 * self.quarantined as f64 / self.rows() as f64
        }
    }
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
