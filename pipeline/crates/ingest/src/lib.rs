//! Ingest: a delivery validated against the extract contract and stored as
//! typed Parquet, with nothing lost. Every row is loaded or quarantined,
//! and the two add up to the control file's count, or nothing is published.

// What other crates may use is `pub` and reachable from here; the rest
// is `pub(crate)`, so a surface grows only by a deliberate edit.
#![warn(unreachable_pub)]

mod as_at;
pub mod control;
mod digest;
mod error;
pub mod fields;
mod keys;
mod lines;
mod load;
mod quarantine;
pub mod report;
mod rows;
mod rules;
mod source;
mod table;
pub mod terminal;
mod violation;
pub mod warehouse;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use control::ControlFile;
use dtto_model::contract::ExtractFile;
pub use error::IngestError;
use fields::days_since_epoch;
pub use lines::{Breach, RecordLimits};
use load::{LoadContext, LoadedFile, Stopped, load_file};
use quarantine::Quarantine;
pub use report::{FileSummary, IngestSummary, over_share};
use source::Source;
use warehouse::{SUMMARY_FILE, Warehouse, delivery_key, digests_on_disk};

use dtto_model::reference::ReferenceLists;

pub const CONTROL_FILE: &str = "extract.toml";

/// The most `max_line_bytes` may be set to: one record in memory, and at
/// most 32 MiB of text plus one record in an Arrow batch, far below the
/// 2 GiB its 32-bit offsets allow.
pub const MAX_LINE_BYTES: u64 = 256 << 20;

/// How much of a hostile delivery ingest will hold or keep before it
/// refuses the delivery (`[ingest]` in `dtto.toml`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub record: RecordLimits,
    /// Bytes of rejected rows and their errors one delivery may leave.
    pub quarantine_bytes: u64,
}

impl Default for Limits {
    /// Generous for real extracts: their rows are a few hundred bytes of
    /// ids, codes and dates in at most 17 columns.
    fn default() -> Self {
        Limits {
            record: RecordLimits {
                line_bytes: 1 << 20,
                field_bytes: 4096,
                columns: 1000,
            },
            quarantine_bytes: 128 << 20,
        }
    }
}

/// The Arrow schema of a file's dataset in the warehouse.
pub fn dataset_schema(file: ExtractFile) -> arrow::datatypes::SchemaRef {
    table::schema(file.columns())
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The delivery folder.
    pub extract: PathBuf,
    pub warehouse: PathBuf,
    /// `queries/reference`, where the code lists live.
    pub reference: PathBuf,
    /// Ingest again even if this delivery is already in the warehouse.
    pub force: bool,
    /// Above this share of a file's rows quarantined, the delivery fails.
    pub max_quarantined_share: f64,
    /// A breach fails the delivery. Not part of the delivery's key: a
    /// delivery that loads, loads the same rows under any limits.
    pub limits: Limits,
    /// No line per file on standard error: for a caller that says what it
    /// loaded in its own words (`dtto check --tests`).
    pub quiet: bool,
}

/// A delivery in the warehouse, ready for the queries.
#[derive(Debug)]
pub struct Ingested {
    pub summary: IngestSummary,
    pub dir: PathBuf,
    /// True when the delivery had been ingested before and was not re-read.
    pub reused: bool,
}

pub fn ingest(options: &IngestOptions) -> Result<Ingested, IngestError> {
    let warehouse = Warehouse::new(&options.warehouse);
    // Before anything that can fail: a delivery a killed ingest left half
    // moved is put back even when this delivery is refused.
    warehouse.recover()?;
    let control_path = options.extract.join(CONTROL_FILE);
    if !control_path.is_file() {
        return Err(IngestError::MissingFile {
            path: control_path,
            expected: format!("the control file {CONTROL_FILE}"),
        });
    }
    let (control, control_sha256) =
        ControlFile::read(&control_path).map_err(|problem| IngestError::Control {
            path: control_path.clone(),
            problem,
        })?;
    as_at::refuse_future(
        &control_path,
        control.as_at,
        chrono::Local::now().date_naive(),
    )?;
    let reference = ReferenceLists::load(&options.reference)?;
    let sources = ExtractFile::ALL
        .iter()
        .map(|&file| Source::locate(&options.extract, file))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = format!(
        "{};max_quarantined_share={}",
        reference.fingerprint(),
        options.max_quarantined_share
    );
    let with_control = |mut files: BTreeMap<String, String>| {
        files.insert(CONTROL_FILE.to_string(), control_sha256.clone());
        files
    };
    // Re-running on a delivery ingested before must stay quick: one with
    // the control file of a delivery in the warehouse may well be that
    // delivery again, and is hashed, not loaded, to find out. Its rows were
    // loaded from bytes of the same hashes, or its key would differ.
    if !options.force
        && warehouse.has_control_file(&control_sha256)
        && let Ok(on_disk) = digests_on_disk(&sources)
    {
        let inputs = with_control(on_disk);
        let key = delivery_key(&settings, &inputs);
        if warehouse.has(&key) {
            return reuse(&warehouse, key, inputs);
        }
    }

    let loaded = warehouse.start().and_then(|staging| {
        let context = LoadContext {
            as_at: days_since_epoch(control.as_at),
            reference: &reference,
            orders: Default::default(),
            limits: options.limits,
            max_quarantined_share: options.max_quarantined_share,
        };
        let delivery = load_delivery(&control, &sources, &staging, context, options.quiet)?;
        let latest = as_at::latest_date(&staging)?;
        as_at::refuse_after_data(&control_path, control.as_at, latest).map(|()| delivery)
    });
    let (files, digests) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            // Named by the files as they are now: what was read of them
            // may be only a part.
            let inputs = with_control(digests_on_disk(&sources).unwrap_or_default());
            let key = delivery_key(&settings, &inputs);
            let error = error.kept_in(&warehouse.rejected_dir(&key).join("quarantine"));
            // The error is what the user needs; failing to keep the partial
            // output for inspection must not hide it.
            let _ = warehouse.reject(&key);
            return Err(error);
        }
    };
    let inputs = with_control(digests);
    let key = delivery_key(&settings, &inputs);
    if !options.force && warehouse.has(&key) {
        warehouse.discard_staging()?;
        return reuse(&warehouse, key, inputs);
    }
    let summary = IngestSummary {
        key: key.clone(),
        as_at: control.as_at.format("%Y-%m-%d").to_string(),
        supplier: control.supplier.clone(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        files,
        inputs,
    };
    write_summary(&warehouse.staging_dir(), &summary)?;
    let dir = warehouse.commit(&key)?;
    Ok(Ingested {
        summary,
        dir,
        reused: false,
    })
}

/// The delivery ingested before under `key`, made current again.
fn reuse(
    warehouse: &Warehouse,
    key: String,
    inputs: BTreeMap<String, String>,
) -> Result<Ingested, IngestError> {
    let dir = warehouse.delivery_dir(&key);
    let mut summary = read_summary(&dir)?;
    // The same key: the same files.
    summary.inputs = inputs;
    warehouse.make_current(&key)?;
    Ok(Ingested {
        summary,
        dir,
        reused: true,
    })
}

/// `last`, or all the failures when there were earlier ones.
fn all_of(mut earlier: Vec<IngestError>, last: IngestError) -> IngestError {
    if earlier.is_empty() {
        last
    } else {
        earlier.push(last);
        IngestError::Several(earlier)
    }
}

/// Loads every file of the delivery into `staging`, saying what each
/// loaded on standard error unless `quiet` (or a progress bar shows it).
/// Returns the summary of each, and the SHA-256 of the bytes each was
/// loaded from, by name.
fn load_delivery(
    control: &ControlFile,
    sources: &[Source],
    staging: &Path,
    mut context: LoadContext,
    quiet: bool,
) -> Result<(Vec<FileSummary>, BTreeMap<String, String>), IngestError> {
    let mut quarantine = Quarantine::new(&staging.join("quarantine"));
    let mut files = Vec::new();
    let mut digests = BTreeMap::new();
    // Files are all read even when one fails its counts, so the quarantine
    // shows every problem of the delivery at once.
    let mut failures = Vec::new();
    let interactive = std::io::stderr().is_terminal();
    for source in sources {
        let progress = progress_bar(source, interactive);
        let expected = control.rows_of(source.file);
        let loaded = load_file(
            source,
            expected,
            staging,
            &mut context,
            &mut quarantine,
            &progress,
        );
        let LoadedFile {
            mut summary,
            stopped,
            sha256,
        } = match loaded {
            Ok(loaded) => loaded,
            // The problems found before this one are reported with it.
            Err(error) => return Err(all_of(failures, error)),
        };
        progress.finish_and_clear();
        summary.expected = expected;
        if !interactive && !quiet {
            eprintln!(
                "ingest: {}: {} rows read, {} loaded, {} quarantined",
                summary.source,
                summary.rows(),
                summary.loaded,
                summary.quarantined
            );
        }
        if source.file == ExtractFile::Orders && stopped.is_some() {
            context.orders.cut_short();
        }
        if let Err(failure) = reconcile(source, &summary, stopped, &context) {
            failures.push(failure);
        }
        if let Some(sha256) = sha256 {
            digests.insert(source.file_name(), sha256);
        }
        files.push(summary);
    }
    quarantine
        .finish()
        .map_err(|e| IngestError::storage(quarantine.dir(), e))?;
    if let Some(last) = failures.pop() {
        return Err(all_of(failures, last));
    }
    // Every file that passed its counts was read to its end.
    if let Some(unread) = sources
        .iter()
        .find(|s| !digests.contains_key(&s.file_name()))
    {
        return Err(IngestError::storage(
            &unread.path,
            "loaded but not read to its end: a fault in dtto, please report it",
        ));
    }
    Ok((files, digests))
}

/// The proof that nothing was lost, and the guard against publishing from
/// a broken extract.
fn reconcile(
    source: &Source,
    summary: &FileSummary,
    stopped: Option<Stopped>,
    context: &LoadContext,
) -> Result<(), IngestError> {
    let max_share = context.max_quarantined_share;
    match stopped {
        Some(Stopped::TooManyRows { line }) => Err(IngestError::TooManyRows {
            path: source.path.clone(),
            expected: summary.expected,
            rows: summary.rows(),
            line,
        }),
        Some(Stopped::QuarantineLost { line }) => Err(IngestError::QuarantineLost {
            path: source.path.clone(),
            quarantined: summary.quarantined,
            rows: summary.rows(),
            line,
            expected: summary.expected,
            limit: 100.0 * max_share,
            kept: PathBuf::new(),
        }),
        None if summary.rows() != summary.expected => Err(IngestError::CountMismatch {
            path: source.path.clone(),
            expected: summary.expected,
            found: summary.rows(),
        }),
        None if over_share(summary.quarantined, summary.rows(), max_share) => {
            Err(IngestError::TooManyQuarantined {
                path: source.path.clone(),
                quarantined: summary.quarantined,
                rows: summary.rows(),
                share: summary.quarantined_percent(),
                limit: 100.0 * max_share,
                kept: PathBuf::new(),
            })
        }
        None => Ok(()),
    }
}

fn progress_bar(source: &Source, interactive: bool) -> ProgressBar {
    if !interactive {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{prefix:>24} [{bar:32}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bar = ProgressBar::new(source.bytes)
        .with_style(style)
        .with_prefix(source.file_name());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn write_summary(dir: &Path, summary: &IngestSummary) -> Result<(), IngestError> {
    let path = dir.join(SUMMARY_FILE);
    let text = serde_json::to_string_pretty(summary).map_err(|e| IngestError::storage(&path, e))?;
    std::fs::write(&path, text).map_err(|e| IngestError::storage(&path, e))
}

/// What the ingest of the delivery in `dir` (a folder of the warehouse) did.
pub fn read_summary(dir: &Path) -> Result<IngestSummary, IngestError> {
    let path = dir.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| IngestError::storage(&path, e))?;
    serde_json::from_str(&text).map_err(|e| IngestError::storage(&path, e))
}

/// The as_at date of the delivery ingested into `dir`, from its summary.
pub fn as_at_of(summary: &IngestSummary, dir: &Path) -> Result<chrono::NaiveDate, IngestError> {
    chrono::NaiveDate::parse_from_str(&summary.as_at, "%Y-%m-%d")
        .map_err(|e| IngestError::storage(dir, format!("as_at in the ingest summary: {e}")))
}
