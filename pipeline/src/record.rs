//! The run record: what a scheduler needs to know about a `dtto run`
//! without reading its output: when it started and ended, its exit code and
//! message, the delivery it read and the edition it wrote, or why none.
//! `output/last-run.json` holds the latest; every record is also appended
//! as one line to `output/runs.jsonl`, the history. Both live beside the
//! editions, not in them, so an edition's files depend on its inputs only.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::run::RunOutcome;
use dtto_model::exit::Exit;
use dtto_storage::durable::replace_file;
use dtto_storage::publish::Published;

#[derive(Debug, Serialize)]
pub struct RunRecord {
    pub program_version: &'static str,
    /// RFC 3339, UTC.
    pub started: String,
    pub ended: String,
    /// 0 when the edition is in place.
    pub exit_code: u8,
    /// What went wrong, as printed; absent on success.
    pub error: Option<String>,
    /// The period published; absent when the run failed before choosing it.
    pub period: Option<String>,
    /// The delivery's key in the warehouse, its as_at and the SHA-256 of
    /// each of its files.
    pub delivery: Option<String>,
    pub as_at: Option<String>,
    pub inputs: BTreeMap<String, String>,
    /// The edition's folder, when there is one.
    pub edition: Option<String>,
    /// `written`, `unchanged` (the same files were in place) or
    /// `not written`.
    pub edition_status: &'static str,
}

impl RunRecord {
    /// The record of a run that started at `started` and ended now.
    pub fn new(started: chrono::DateTime<Utc>, ended: Result<&RunOutcome, (Exit, &str)>) -> Self {
        let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut record = RunRecord {
            program_version: env!("CARGO_PKG_VERSION"),
            started: time(started),
            ended: time(Utc::now()),
            exit_code: 0,
            error: None,
            period: None,
            delivery: None,
            as_at: None,
            inputs: BTreeMap::new(),
            edition: None,
            edition_status: "not written",
        };
        match ended {
            Ok(outcome) => {
                let summary = &outcome.ingested.summary;
                record.period = Some(outcome.period.to_string());
                record.delivery = Some(summary.key.clone());
                record.as_at = Some(summary.as_at.clone());
                record.inputs = summary.inputs.clone();
                record.edition = Some(outcome.output.display().to_string());
                record.edition_status = match outcome.published {
                    Published::Written => "written",
                    Published::Unchanged => "unchanged",
                };
            }
            Err((exit, message)) => {
                record.exit_code = exit.code();
                record.error = Some(message.to_string());
            }
        }
        record
    }

    /// Into `output/last-run.json`, and one line more of `output/runs.jsonl`.
    /// The latest record replaces the one before whole (written beside it,
    /// then renamed), so a scheduler never reads half a record; the line is
    /// appended in one write.
    pub fn write(&self, output: &Path) -> io::Result<()> {
        std::fs::create_dir_all(output)?;
        let mut pretty = serde_json::to_string_pretty(self)?;
        pretty.push('\n');
        replace_file(&output.join("last-run.json"), pretty.as_bytes())
            .map_err(|e| io::Error::new(e.source.kind(), e.to_string()))?;
        let mut history = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(output.join("runs.jsonl"))?;
        let line = format!("{}\n", serde_json::to_string(self)?);
        history.write_all(line.as_bytes())?;
        history.sync_all()
    }
}
