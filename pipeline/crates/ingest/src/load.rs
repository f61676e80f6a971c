//! Loading one data file: every row parsed and checked, good rows to
//! Parquet, bad rows to quarantine, and the counts to prove nothing was
//! lost.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use csv::StringRecord;
use indicatif::ProgressBar;

use super::Limits;
use super::error::IngestError;
use super::fields::{Field, FieldParser};
use super::keys::KeyIndex;
use super::lines::{Breach, LineCounter};
use super::quarantine::Quarantine;
use super::report::{FileSummary, over_share};
use super::rows::{Chunk, Rows};
use super::rules::{FileRules, OrderIndex, Row};
use super::source::Source;
use super::table::{BatchBuilder, ParquetSink, schema};
use super::violation::{Rule, Violation};
use crate::terminal::quoted;
use dtto_model::contract::ExtractFile;
use dtto_model::reference::ReferenceLists;

/// What the files of one delivery share while they load.
pub(crate) struct LoadContext<'a> {
    pub as_at: i32,
    pub reference: &'a ReferenceLists,
    /// Filled while orders load; read by drug tests.
    pub orders: OrderIndex,
    pub limits: Limits,
    /// Above this share of a file's rows quarantined, the file fails.
    pub max_quarantined_share: f64,
}

/// Why a file was not read to its end: it could no longer pass, and
/// reading on would only cost time and disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// A row beyond the control file's count, on this line.
    TooManyRows { line: u64 },
    /// More rows quarantined, by this line, than the share allowed of the
    /// control file's count.
    QuarantineLost { line: u64 },
}

/// Where each contract column sits in the file's header.
struct HeaderMap {
    positions: Vec<Option<usize>>,
    warnings: Vec<String>,
}

fn map_header(source: &Source, header: &StringRecord) -> Result<HeaderMap, IngestError> {
    let names: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if i == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                name
            }
        })
        .collect();
    let mut seen = HashSet::with_capacity(names.len());
    if let Some(doubled) = names.iter().find(|name| !seen.insert(**name)) {
        return Err(IngestError::DuplicateColumn {
            path: source.path.clone(),
            column: quoted(doubled),
        });
    }
    let columns = source.file.columns();
    let positions: Vec<Option<usize>> = columns
        .iter()
        .map(|c| names.iter().position(|n| *n == c.name))
        .collect();
    let missing: Vec<&str> = columns
        .iter()
        .zip(&positions)
        .filter(|(c, p)| c.required && p.is_none())
        .map(|(c, _)| c.name)
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::MissingColumns {
            path: source.path.clone(),
            columns: missing.join(", "),
        });
    }
    let mut warnings: Vec<String> = names
        .iter()
        .filter(|n| !columns.iter().any(|c| c.name == **n))
        .map(|n| {
            format!(
                "column {} is not in the contract and was not loaded",
                quoted(n)
            )
        })
        .collect();
    warnings.extend(
        columns
            .iter()
            .zip(&positions)
            .filter(|(_, p)| p.is_none())
            .map(|(c, _)| format!("optional column {} is absent; loaded as empty", c.name)),
    );
    Ok(HeaderMap {
        positions,
        warnings,
    })
}

pub(crate) fn csv_error(
    source: &Source,
    lines: &LineCounter,
    header: &StringRecord,
    error: csv::Error,
) -> IngestError {
    match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => IngestError::NotUtf8 {
            path: source.path.clone(),
            line: pos.as_ref().map_or(1, |p| lines.line_of(p.byte())),
            column: header
                .get(err.field())
                .map_or_else(|| format!("field {}", err.field() + 1), quoted),
        },
        csv::ErrorKind::Io(e) => match e.get_ref().and_then(|e| e.downcast_ref::<Breach>()) {
            Some(breach) => IngestError::TooLarge {
                path: source.path.clone(),
                breach: breach.clone().with_column_names(header),
            },
            // Where the text broke off, e.g. a truncated gzip.
            None => IngestError::Unreadable {
                path: source.path.clone(),
                line: lines.line_reached(),
                problem: e.to_string(),
            },
        },
        _ => IngestError::Unreadable {
            path: source.path.clone(),
            line: error
                .position()
                .map_or_else(|| lines.line_reached(), |p| lines.line_of(p.byte())),
            problem: error.to_string(),
        },
    }
}

/// One file loaded.
pub(crate) struct LoadedFile {
    pub summary: FileSummary,
    /// Why reading stopped before the file's end, if it did.
    pub stopped: Option<Stopped>,
    /// The SHA-256 of the bytes the rows were loaded from; `None` when
    /// reading stopped early.
    pub sha256: Option<String>,
}

type Loaded = Result<LoadedFile, IngestError>;

/// Loads one file into `<staging>/<file>/` and its rejected rows into
/// quarantine. Returns the file's counts, why reading stopped early if it
/// did, and the hash of what was read; whether the counts reconcile with
/// the control file's `expected_rows` is the caller's check.
///
/// The file is read once with its keys recorded, not checked (see
/// [`KeyIndex`]). If some key may have repeated, what that reading wrote
/// is undone and the file is read again with those keys checked row by
/// row; rows never load on the second reading that did not on the first,
/// so it reads no further than the first did. The two readings must read
/// the same bytes: only the keys repeated in the first are checked.
pub(crate) fn load_file(
    source: &Source,
    expected_rows: u64,
    staging: &Path,
    context: &mut LoadContext,
    quarantine: &mut Quarantine,
    progress: &ProgressBar,
) -> Loaded {
    let dir = quarantine.dir().to_path_buf();
    let quarantine_error = |e: std::io::Error| IngestError::storage(&dir, e);
    quarantine.start_file().map_err(quarantine_error)?;
    let before = quarantine.mark().map_err(quarantine_error)?;
    // A row takes at least a few bytes, which caps what a wrong control
    // file can make us reserve.
    let plausible_rows = expected_rows.min(source.bytes / 4).min(1 << 30);
    let expected_keys = match source.file.unique_key() {
        Some(_) => usize::try_from(plausible_rows).unwrap_or(0),
        None => 0,
    };
    let read = |context: &mut LoadContext, quarantine: &mut Quarantine, keys: &mut KeyIndex| {
        read_file(
            source,
            expected_rows,
            staging,
            context,
            quarantine,
            progress,
            keys,
        )
    };
    let mut keys = KeyIndex::recording(expected_keys);
    let first = read(context, quarantine, &mut keys);
    let repeated = keys
        .repeated()
        .map_err(|e| IngestError::storage(staging.join(source.file.name()), e))?;
    if repeated.is_empty() {
        return first;
    }
    quarantine
        .rewind(before, source.file)
        .map_err(quarantine_error)?;
    if source.file == ExtractFile::Orders {
        // Only orders.csv fills the index, and it is read first.
        context.orders = OrderIndex::default();
    }
    progress.reset();
    let second = read(context, quarantine, &mut KeyIndex::checking(repeated))?;
    if let Ok(LoadedFile {
        sha256: Some(first),
        ..
    }) = &first
        && second.sha256.as_ref().is_some_and(|again| again != first)
    {
        return Err(IngestError::ChangedWhileRead {
            path: source.path.clone(),
            change: "it was read twice (a key repeated) and read differently".to_string(),
        });
    }
    Ok(second)
}

/// One reading of a file, its keys claimed in `loaded_keys`.
fn read_file(
    source: &Source,
    expected_rows: u64,
    staging: &Path,
    context: &mut LoadContext,
    quarantine: &mut Quarantine,
    progress: &ProgressBar,
    loaded_keys: &mut KeyIndex,
) -> Loaded {
    let file = source.file;
    let mut rows = Rows::open(source, context.limits.record, progress)?;
    let header = rows.header.clone();
    let header_map = map_header(source, &header)?;
    let parsers: Vec<FieldParser> = file
        .columns()
        .iter()
        .map(|c| FieldParser::new(*c, context.reference))
        .collect();
    let rules = FileRules::for_file(file);
    let key_column = file.unique_key().map(|k| file.column_index(k));
    let storage_error =
        |e: &dyn std::fmt::Display| IngestError::storage(staging.join(file.name()), e);

    let mut sink = ParquetSink::create(staging, file, schema(file.columns()))
        .map_err(|e| storage_error(&e))?;
    let mut batch = BatchBuilder::new(file, &parsers);
    let mut summary = FileSummary::new(source);

    let mut found = Vec::new();
    let mut fields = vec![Field::Null; parsers.len()];
    let mut violations: Vec<Violation> = Vec::new();
    let mut stopped = None;
    let mut ended = None;
    let mut chunk = Chunk::new();
    while stopped.is_none() && ended.is_none() {
        rows.next(&mut chunk);
        ended = chunk.ended.take();
        rules.find_orders(
            chunk.records(),
            &header_map.positions,
            &context.orders,
            &mut found,
        );
        for (i, (record, line)) in chunk.rows().enumerate() {
            violations.clear();
            fields.fill(Field::Null);
            let complete = record.len() == header.len();
            if !complete {
                violations.push(Violation::new(
                    "",
                    Rule::FieldCount,
                    format!(
                        "the row has {} fields; the header has {}",
                        record.len(),
                        header.len()
                    ),
                ));
            } else {
                for ((parser, position), field) in parsers
                    .iter()
                    .zip(&header_map.positions)
                    .zip(fields.iter_mut())
                {
                    let raw = position.and_then(|p| record.get(p)).unwrap_or("");
                    match parser.parse(raw) {
                        Ok(parsed) => *field = parsed,
                        Err(violation) => violations.push(violation),
                    }
                }
            }
            let row = Row {
                fields: &fields,
                record,
                positions: &header_map.positions,
            };
            if complete {
                let order = found.get(i).copied();
                rules.check(&row, context.as_at, &context.orders, order, &mut violations);
            }
            // Checked last, so that only a row that otherwise loads claims its
            // key.
            if let Some(k) = key_column.filter(|&k| fields[k] == Field::Text) {
                let key = row.text(k);
                let earlier = if violations.is_empty() {
                    loaded_keys.claim(key, line).map(Result::err)
                } else {
                    loaded_keys.earlier_line(key)
                }
                .map_err(|e| storage_error(&e))?;
                if let Some(first) = earlier {
                    violations.push(Violation::new(
                        file.columns()[k].name,
                        Rule::Duplicate,
                        format!("{key:?} was already loaded from line {first}"),
                    ));
                }
            }
            let loaded = violations.is_empty();
            rules.remember_order(&row, context.as_at, loaded, line, &mut context.orders);
            if loaded {
                batch.append(&row);
                summary.loaded += 1;
                if batch.is_full() {
                    let full = batch.finish().map_err(|e| storage_error(&e))?;
                    sink.write(full).map_err(|e| storage_error(&e))?;
                }
            } else {
                quarantine
                    .reject(
                        file,
                        &source.file_name(),
                        &header,
                        record,
                        line,
                        &violations,
                    )
                    .map_err(|e| IngestError::storage(quarantine.dir(), e))?;
                summary.count_rejection(&violations);
                if quarantine.bytes() > context.limits.quarantine_bytes {
                    return Err(IngestError::QuarantineFull {
                        path: source.path.clone(),
                        rows: summary.rows(),
                        line,
                        limit: context.limits.quarantine_bytes,
                        // Named once the delivery's key is known.
                        kept: PathBuf::new(),
                    });
                }
            }
            stopped = cannot_pass(&summary, expected_rows, context.max_quarantined_share, line);
            if stopped.is_some() {
                break;
            }
        }
    }
    if let (None, Some(Err(error))) = (stopped, ended) {
        return Err(error);
    }
    if !batch.is_empty() {
        let rest = batch.finish().map_err(|e| storage_error(&e))?;
        sink.write(rest).map_err(|e| storage_error(&e))?;
    }
    sink.finish().map_err(|e| storage_error(&e))?;
    summary.warnings = header_map.warnings;
    Ok(LoadedFile {
        summary,
        stopped,
        sha256: rows.finish()?,
    })
}

/// Whether the rows read so far already fail the file, whatever follows:
/// one row too many, or more quarantined than the share allows of the
/// count the file must have.
fn cannot_pass(
    summary: &FileSummary,
    expected_rows: u64,
    max_quarantined_share: f64,
    line: u64,
) -> Option<Stopped> {
    if summary.rows() > expected_rows {
        Some(Stopped::TooManyRows { line })
    } else if over_share(summary.quarantined, expected_rows, max_quarantined_share) {
        Some(Stopped::QuarantineLost { line })
    } else {
        None
    }
}

/// Rows quarantined per rule: a row breaking two rules counts under each.
pub(crate) fn count_rules(violations: &[Violation], counts: &mut BTreeMap<String, u64>) {
    let mut rules: Vec<Rule> = violations.iter().map(|v| v.rule).collect();
    rules.sort_unstable();
    rules.dedup();
    for rule in rules {
        *counts.entry(rule.id().to_string()).or_default() += 1;
    }
}

impl FileSummary {
    fn count_rejection(&mut self, violations: &[Violation]) {
        self.quarantined += 1;
        count_rules(violations, &mut self.quarantined_by_rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_breaking_a_rule_twice_counts_once_under_it() {
        let mut counts = BTreeMap::new();
        let v = |rule| Violation::new("x", rule, "");
        count_rules(
            &[v(Rule::Required), v(Rule::Required), v(Rule::DateFormat)],
            &mut counts,
        );
        assert_eq!(counts.get("required"), Some(&1));
        assert_eq!(counts.get("date_format"), Some(&1));
    }
}
