//! Whole-delivery problems: each stops the ingest with a message naming the
//! file and what to do, and its own exit code (documented in the README).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::lines::Breach;
use dtto_model::exit::Exit;
use dtto_model::reference::ReferenceError;
use dtto_storage::durable::DiskError;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(
        "{path}: the control file does not parse: {problem}. Ask the supplier for a corrected extract.toml"
    )]
    Control {
        path: PathBuf,
        problem: crate::control::ControlError,
    },

    #[error(
        "{path}: as_at is {as_at}, after today ({today}): no extract is taken in the future. \
         Ask the supplier for the date the extract was taken"
    )]
    AsAtInFuture {
        path: PathBuf,
        as_at: NaiveDate,
        today: NaiveDate,
    },

    /// Nothing happened for more than a quarter before as_at: a wrong
    /// date would publish empty periods as if they were true zeros.
    #[error(
        "{path}: as_at is {as_at}, but the latest date of any record in the delivery is {latest}, \
         more than a quarter earlier. Ask the supplier for the date the extract was taken \
         (or for the records of the months since {latest})"
    )]
    AsAtAfterData {
        path: PathBuf,
        as_at: NaiveDate,
        latest: NaiveDate,
    },

    /// What was loaded is not what the file holds now.
    #[error(
        "{path}: changed while it was read: {change}. The delivery may still be arriving: \
         wait until it is complete and run again"
    )]
    ChangedWhileRead { path: PathBuf, change: String },

    #[error("{path}: missing; every delivery must hold {expected}")]
    MissingFile { path: PathBuf, expected: String },

    #[error("{path}: both {name}.csv and {name}.csv.gz are present; remove one and run again")]
    AmbiguousFile { path: PathBuf, name: &'static str },

    #[error("{path}: required column(s) missing from the header: {columns}")]
    MissingColumns { path: PathBuf, columns: String },

    /// `column` is quoted: it comes from the supplier's file.
    #[error("{path}: column {column} appears more than once in the header")]
    DuplicateColumn { path: PathBuf, column: String },

    #[error(
        "{path}: line {line}, column {column}: not UTF-8. The contract requires UTF-8; ask the supplier to re-export the file"
    )]
    NotUtf8 {
        path: PathBuf,
        line: u64,
        column: String,
    },

    #[error(
        "{path}: {breach}. The file is refused whole: ask the supplier to re-export it, or raise the limit in dtto.toml if the file is genuine"
    )]
    TooLarge { path: PathBuf, breach: Breach },

    #[error(
        "{path}: unreadable{}: {problem}. Ask the supplier to re-export the file",
        at_line(*line)
    )]
    Unreadable {
        path: PathBuf,
        line: u64,
        problem: String,
    },

    #[error(
        "{path}: extract.toml says {expected} data rows but the file holds {found}; the delivery may be truncated. Ask the supplier to resend it"
    )]
    CountMismatch {
        path: PathBuf,
        expected: u64,
        found: u64,
    },

    /// Reading stopped at the first row beyond the control file's count.
    #[error(
        "{path}: extract.toml says {expected} data rows but the file holds more: reading stopped at line {line}, \
         data row {rows}, as the counts can no longer match. The delivery may be corrupt: ask the supplier to resend it"
    )]
    TooManyRows {
        path: PathBuf,
        expected: u64,
        rows: u64,
        line: u64,
    },

    /// Reading stopped once the quarantined rows were over the share of
    /// the control file's count.
    #[error(
        "{path}: {quarantined} of the first {rows} rows quarantined by line {line}, more than the {limit:.2} % \
         allowed of the {expected} rows extract.toml promises: the file cannot pass, so reading stopped there. \
         The rejected rows read so far and their errors are in {kept}"
    )]
    QuarantineLost {
        path: PathBuf,
        quarantined: u64,
        rows: u64,
        line: u64,
        expected: u64,
        limit: f64,
        kept: PathBuf,
    },

    /// The delivery's rejected rows outgrew what may be kept of them.
    #[error(
        "{path}: the rejected rows and their errors passed {} bytes (ingest.max_quarantine_bytes) at line {line}, \
         after {rows} rows read: reading stopped there. What was kept is in {kept}; \
         ask the supplier to correct the file",
        dtto_model::format::thousands(*limit)
    )]
    QuarantineFull {
        path: PathBuf,
        rows: u64,
        line: u64,
        limit: u64,
        kept: PathBuf,
    },

    #[error(
        "{path}: {quarantined} of {rows} rows quarantined ({share:.2} %), above the {limit:.2} % allowed: \
         publishing from a broken extract is worse than not publishing. The rejected rows and their \
         errors are in {kept}"
    )]
    TooManyQuarantined {
        path: PathBuf,
        quarantined: u64,
        rows: u64,
        share: f64,
        limit: f64,
        kept: PathBuf,
    },

    /// Several files failed their checks; all are reported at once so the
    /// supplier can fix everything in one resubmission.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<IngestError>),

    #[error(transparent)]
    Reference(#[from] ReferenceError),

    #[error("{path}: {problem}")]
    Storage { path: PathBuf, problem: String },
}

impl IngestError {
    /// The error, with `dir` as where it says the rejected rows are kept.
    /// A failed delivery's quarantine is moved under its key, and the key
    /// is known only once the delivery has been read.
    pub fn kept_in(mut self, dir: &Path) -> Self {
        self.set_kept(dir);
        self
    }

    fn set_kept(&mut self, dir: &Path) {
        match self {
            IngestError::QuarantineLost { kept, .. }
            | IngestError::QuarantineFull { kept, .. }
            | IngestError::TooManyQuarantined { kept, .. } => *kept = dir.to_path_buf(),
            IngestError::Several(errors) => errors.iter_mut().for_each(|e| e.set_kept(dir)),
            _ => {}
        }
    }

    /// What the operator should do about this problem.
    pub fn exit(&self) -> Exit {
        match self {
            IngestError::Storage { .. } => Exit::Storage,
            IngestError::Control { .. } => Exit::ControlFile,
            IngestError::AsAtInFuture { .. } | IngestError::AsAtAfterData { .. } => Exit::AsAt,
            IngestError::ChangedWhileRead { .. } => Exit::DeliveryChanging,
            IngestError::MissingFile { .. }
            | IngestError::AmbiguousFile { .. }
            | IngestError::MissingColumns { .. }
            | IngestError::DuplicateColumn { .. } => Exit::DeliveryIncomplete,
            IngestError::NotUtf8 { .. }
            | IngestError::TooLarge { .. }
            | IngestError::Unreadable { .. } => Exit::Unreadable,
            IngestError::CountMismatch { .. } | IngestError::TooManyRows { .. } => Exit::RowCount,
            IngestError::TooManyQuarantined { .. }
            | IngestError::QuarantineLost { .. }
            | IngestError::QuarantineFull { .. } => Exit::TooManyQuarantined,
            IngestError::Reference(_) => Exit::Configuration,
            IngestError::Several(errors) => errors.first().map_or(Exit::Storage, IngestError::exit),
        }
    }

    pub fn storage(path: impl Into<PathBuf>, problem: impl std::fmt::Display) -> Self {
        IngestError::Storage {
            path: path.into(),
            problem: problem.to_string(),
        }
    }
}

/// A delivery that could not be moved, removed or synced.
impl From<DiskError> for IngestError {
    fn from(DiskError { path, source }: DiskError) -> Self {
        IngestError::storage(path, source)
    }
}

/// ` at line N`, or nothing when the line is not known (0).
fn at_line(line: u64) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" at line {line}")
    }
}
