//! The exit codes of `dtto`, one per kind of failure, each telling the
//! operator what to do next (the README's table "Exit codes" lists the
//! same). Every stage's error says which of these it is; no other code
//! chooses a number. Code 2, a wrong command line, is clap's own. One
//! code is a verdict, not a failure: `dtto diff` exits 1 when the editions
//! differ, as diff(1) does, so that a script can tell "differ" from
//! "could not compare" (15).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The warehouse or an output folder could not be read or written
    /// (disk, permissions): fix the storage and run again.
    Storage,
    /// `extract.toml` does not parse, or is larger than 1 MiB: ask the
    /// supplier for a corrected one.
    ControlFile,
    /// `extract.toml`'s as_at is after today, or more than a quarter
    /// after the latest record of the delivery: ask the supplier for the
    /// date the extract was taken.
    AsAt,
    /// A file of the delivery changed while it was read (an upload still
    /// landing): wait until the delivery is complete and run again.
    DeliveryChanging,
    /// A file, or a required column, is missing, doubled or ambiguous: ask
    /// the supplier to resend the delivery.
    DeliveryIncomplete,
    /// A file is not UTF-8, cannot be read, or breaks a line, field or
    /// column limit of `dtto.toml`: ask for a re-export.
    Unreadable,
    /// A file's rows do not match `extract.toml` (reading stops at the
    /// first row too many): the delivery may be truncated or corrupt.
    RowCount,
    /// More than the allowed share of a file's rows was quarantined (reading
    /// stops once that is certain), or the quarantine outgrew its cap.
    TooManyQuarantined,
    /// A reference list or `dtto.toml` is invalid: fix the file named.
    Configuration,
    /// The period cannot be published from this extract: it ends after
    /// as_at, or before the first Order commenced.
    Period,
    /// A query failed, or `dtto check` found problems: fix the SQL or
    /// metadata named.
    Queries,
    /// A template did not render: fix the template named.
    Templates,
    /// The warehouse holds no delivery yet: run `dtto ingest` (or
    /// `dtto run`) first.
    NoDelivery,
    /// dtto could not make an output from good inputs (a chart, the
    /// spreadsheet): a fault in dtto; report it with the message.
    Fault,
    /// Another dtto is using the warehouse or the output folder: wait for
    /// it to finish, or run again with `--wait`.
    Busy,
    /// `dtto diff`: the two editions differ (not a failure; code 1 as
    /// diff(1), which no failure of `dtto diff` uses).
    EditionsDiffer,
    /// The previous edition, named with `--previous` or the latest earlier
    /// one under the output folder, cannot be read for revisions: repair
    /// or move it, or name another with `--previous`.
    PreviousEdition,
    /// `dtto diff` could not compare: an edition missing or without
    /// `data/`, a CSV unreadable or not a dtto table, or the report could
    /// not be written.
    DiffFailed,
    /// `dtto serve` could not listen on its port (another program has it,
    /// or it is not allowed): choose another with `--port`.
    Serve,
    /// `dtto check --tests`: a figure a test under `queries/tests/`
    /// expects is not the one the SQL gives: fix the SQL, or the
    /// expectation if it was worked out wrong.
    TestsFailed,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Storage => 1,
            Exit::ControlFile => 3,
            Exit::DeliveryIncomplete => 4,
            Exit::Unreadable => 5,
            Exit::RowCount => 6,
            Exit::TooManyQuarantined => 7,
            Exit::Configuration => 8,
            Exit::Period => 9,
            Exit::Queries => 10,
            Exit::Templates => 11,
            Exit::NoDelivery => 12,
            Exit::Fault => 13,
            Exit::Busy => 14,
            Exit::EditionsDiffer => 1,
            Exit::DiffFailed => 15,
            Exit::PreviousEdition => 16,
            Exit::Serve => 17,
            Exit::AsAt => 18,
            Exit::DeliveryChanging => 19,
            Exit::TestsFailed => 20,
        }
    }
}
