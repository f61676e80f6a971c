//! Revisions: what an edition publishes differently from the previous one.
//!
//! Each delivery is a full refresh, so a later one can change figures of
//! quarters an earlier edition published: records recorded late, and
//! corrections. Every figure both editions publish for the same table,
//! quarter and group is compared as each edition published it (the cells
//! of its tidy CSV, through [`diff`]: the previous edition's read from its
//! files, this one's taken from its tables in memory, never written and
//! parsed back); a figure withheld in either edition is not
//! compared, so no value withheld in one is revealed through the other.
//! A row with a revised figure is marked `[r]` in every output.
//!
//! This stage runs after disclosure control and before rendering: it reads
//! only published figures, and adds only the marks and a statement.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::diff::{self, ChangeKind, DescriptiveColumns, DiffError, Group};
use dtto_model::contract::ExtractFile;
use dtto_model::exit::Exit;
use dtto_model::format;
use dtto_model::period::Period;
use dtto_model::table::{Figure, INTERVAL_COLUMNS, QUARTER, TableKind, is_status_column, national};
use dtto_protect::disclosure::answer::HeldFigure;
use dtto_protect::disclosure::{Protected, ProtectedTable};
use dtto_protect::statistics::{self, Change};
use dtto_query::{QueryError, adhoc};
use dtto_render::revised::{ChangedMessage, LateRecords, Revision, Statement};
use dtto_render::{csv_file, spreadsheet_safe};
use dtto_storage::layout::EditionLayout;

#[derive(Debug, thiserror::Error)]
pub enum RevisionsError {
    #[error(
        "the previous edition {}: {reason}; repair or move it, or name another with --previous",
        dir.display()
    )]
    Unreadable { dir: PathBuf, reason: String },
    #[error("the previous edition: {0}")]
    Figures(#[from] DiffError),
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl RevisionsError {
    pub fn exit(&self) -> Exit {
        match self {
            RevisionsError::Unreadable { .. } | RevisionsError::Figures(_) => Exit::PreviousEdition,
            RevisionsError::Query(_) => Exit::Queries,
        }
    }
}

/// The previous edition: what it covered and the figures it published.
#[derive(Debug)]
pub struct Previous {
    pub dir: PathBuf,
    pub period: Period,
    pub as_at: NaiveDate,
    /// The rows each file of its delivery loaded, by file; empty for an
    /// edition whose manifest does not say.
    records: BTreeMap<String, u64>,
    figures: diff::PublishedFigures,
}

/// What this stage reads of an edition's public manifest.
#[derive(Deserialize)]
struct ManifestFields {
    period: String,
    as_at: String,
    #[serde(default)]
    records: BTreeMap<String, u64>,
}

impl Previous {
    pub fn read(dir: &Path, descriptive: &DescriptiveColumns) -> Result<Previous, RevisionsError> {
        let unreadable = |reason: String| RevisionsError::Unreadable {
            dir: dir.to_path_buf(),
            reason,
        };
        let path = EditionLayout::new(dir).public_manifest();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| unreadable(format!("{}: {e}", path.display())))?;
        let fields: ManifestFields = serde_json::from_str(&text)
            .map_err(|e| unreadable(format!("{}: {e}", path.display())))?;
        let period: Period = fields
            .period
            .parse()
            .map_err(|e| unreadable(format!("its period {}: {e}", fields.period)))?;
        let as_at = NaiveDate::parse_from_str(&fields.as_at, "%Y-%m-%d")
            .map_err(|e| unreadable(format!("its as_at {}: {e}", fields.as_at)))?;
        let figures = diff::PublishedFigures::read(dir, descriptive)?.by_quarter(&fields.period);
        Ok(Previous {
            dir: dir.to_path_buf(),
            period,
            as_at,
            records: fields.records,
            figures,
        })
    }
}

/// The editions under `output` of periods before `period`, oldest first:
/// folders named by their period (`2005Q1`), each holding a public
/// manifest.
pub fn editions_before(output: &Path, period: Period) -> Result<Vec<PathBuf>, RevisionsError> {
    let entries = match std::fs::read_dir(output) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(RevisionsError::Unreadable {
                dir: output.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    let mut earlier: Vec<(Period, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let earlier: Period = entry.file_name().to_str()?.parse().ok()?;
            let dir = entry.path();
            (earlier < period && EditionLayout::new(&dir).public_manifest().is_file())
                .then_some((earlier, dir))
        })
        .collect();
    earlier.sort();
    Ok(earlier.into_iter().map(|(_, dir)| dir).collect())
}

/// What readers hold when an edition is published: every edition of an
/// earlier period, its figures by the quarter their 12 months end in.
/// Disclosure control keeps a figure the edition gives with the same value
/// published, and protects every withheld figure against all of them; the
/// last of them is the previous edition, which the edition revises.
pub struct EarlierFigures {
    /// Oldest first, the one named with `--previous` last.
    editions: Vec<Previous>,
}

impl EarlierFigures {
    /// The editions under `output` of periods before `period`, and the one
    /// named as the previous edition (`--previous`), if any, each read
    /// once.
    pub fn read(
        output: &Path,
        previous: Option<&Path>,
        period: Period,
        descriptive: &DescriptiveColumns,
    ) -> Result<EarlierFigures, RevisionsError> {
        let mut dirs = editions_before(output, period)?;
        dirs.extend(previous.map(Path::to_path_buf));
        let editions = dirs
            .iter()
            .map(|dir| Previous::read(dir, descriptive))
            .collect::<Result<_, RevisionsError>>()?;
        Ok(EarlierFigures { editions })
    }

    /// The edition this one revises: the one named, or the latest of an
    /// earlier period under the output folder, if any.
    pub fn previous(&self) -> Option<&Previous> {
        self.editions.last()
    }

    /// What the latest earlier edition with the row did with the figure
    /// of table `id` in the 12 months ending `quarter`, in the row of these
    /// dimensions (the quarter aside); `None` where none has the row.
    pub fn value(
        &self,
        id: &str,
        quarter: Period,
        dimensions: &[(String, String)],
        figure: Figure,
    ) -> Option<HeldFigure> {
        let group = Group {
            quarter: Some(quarter.to_string()),
            dimensions: dimensions.to_vec(),
        };
        self.editions.iter().rev().find_map(|edition| {
            let figures = &edition.figures;
            if figures.withheld(id, &group, figure.name()) {
                return Some(HeldFigure::Withheld);
            }
            figures
                .published(id, &group, figure.name())
                .and_then(|value| value.parse::<u64>().ok())
                .map(HeldFigure::Published)
        })
    }
}

/// Compares `protected` with the previous edition, marks `[r]` each row
/// with a revised figure, and says what was revised: with the records the
/// delivery adds to earlier quarters (counted on `ctx`) and the earlier
/// headlines whose message changed.
pub async fn revise(
    ctx: &SessionContext,
    protected: &mut Protected,
    previous: &Previous,
    descriptive: &DescriptiveColumns,
) -> Result<Statement, RevisionsError> {
    let current = published(protected, descriptive)?;
    let revisions = revised_figures(previous, &current);
    let rows: BTreeSet<(&str, &str, &str)> = revisions
        .iter()
        .map(|r| (r.table.as_str(), r.quarter.as_str(), r.group.as_str()))
        .collect();
    mark_revised(protected, &rows);
    let ids: BTreeSet<&str> = rows.iter().map(|(table, ..)| *table).collect();
    let tables = protected
        .tables
        .iter()
        .map(ProtectedTable::metadata)
        .filter(|metadata| ids.contains(metadata.id.as_str()))
        .map(|metadata| metadata.title.clone())
        .collect();
    let quarters: BTreeSet<Period> = rows.iter().filter_map(|(_, q, _)| q.parse().ok()).collect();
    Ok(Statement {
        previous_period: previous.period.to_string(),
        previous_year_ending: previous.period.year_ending_words(),
        previous_as_at: dtto_model::format::long_date(previous.as_at),
        figures_changed: format::thousands(counted_once(&revisions) as u64),
        rows_changed: format::thousands(rows.len() as u64),
        tables,
        months: quarters
            .first()
            .zip(quarters.last())
            .map(|(first, last)| first.through_words(*last)),
        late_records: late_records(ctx, previous).await?,
        messages: changed_messages(protected, previous, &current),
        figures: revisions,
    })
}

/// The revised figures a reader counts: the counts and the rates, not the
/// bounds of an interval, which move with its rate.
fn counted_once(revisions: &[Revision]) -> usize {
    revisions
        .iter()
        .filter(|r| !INTERVAL_COLUMNS.contains(&r.figure.as_str()))
        .count()
}

/// Every figure both editions publish, as each published it, that differs.
fn revised_figures(previous: &Previous, current: &diff::PublishedFigures) -> Vec<Revision> {
    diff::compare(&previous.figures, current)
        .into_iter()
        .filter(|change| change.kind == ChangeKind::Changed)
        .filter(|change| !change.figure.as_deref().is_some_and(is_status_column))
        .filter_map(|change| {
            let group = change.group?;
            Some(Revision {
                table: change.table,
                quarter: group.quarter.clone().unwrap_or_default(),
                group: group.to_string(),
                figure: change.figure.unwrap_or_default(),
                previous: change.old.unwrap_or_default(),
                new: change.new.unwrap_or_default(),
            })
        })
        .collect()
}

/// Marks `[r]` each row of the edition that is one of `rows` (table,
/// quarter, group).
fn mark_revised(protected: &mut Protected, rows: &BTreeSet<(&str, &str, &str)>) {
    let period = protected.period.to_string();
    for table in protected.tables.iter_mut().chain(&mut protected.series) {
        let id = table.metadata().id.clone();
        let key = RowKey::of(table, &period);
        table.mark_revised(|row| {
            let group = key.group(row.groups());
            let quarter = group.quarter.clone().unwrap_or_default();
            rows.contains(&(id.as_str(), quarter.as_str(), group.to_string().as_str()))
        });
    }
}

/// The edition's published figures as its CSVs give them (compared as
/// published, so a rate's last digit is what a reader sees), by quarter.
fn published(
    protected: &Protected,
    descriptive: &DescriptiveColumns,
) -> Result<diff::PublishedFigures, RevisionsError> {
    let edition = diff::PublishedFigures::of_edition(protected, descriptive)?;
    Ok(edition.by_quarter(&protected.period.to_string()))
}

/// How a table's rows are keyed for comparison, as [`diff`] keys a CSV's
/// rows: the quarter (the period's for a period table), then each
/// dimension that is not descriptive.
struct RowKey {
    dimensions: Vec<(usize, String)>,
    quarter: Option<usize>,
    period: String,
}

impl RowKey {
    fn of(table: &ProtectedTable, period: &str) -> RowKey {
        let descriptive = &table.metadata().descriptive;
        let names = table.dimensions().iter().enumerate();
        RowKey {
            quarter: table.dimensions().quarter(),
            dimensions: names
                .filter(|(_, name)| *name != QUARTER && !descriptive.contains(name))
                .map(|(index, name)| (index, name.clone()))
                .collect(),
            period: period.to_string(),
        }
    }

    fn group(&self, values: &[String]) -> Group {
        let value = |index: usize| values.get(index).cloned().unwrap_or_default();
        Group {
            quarter: Some(self.quarter.map_or_else(|| self.period.clone(), value)),
            dimensions: self
                .dimensions
                .iter()
                .map(|(index, name)| (name.clone(), value(*index)))
                .collect(),
        }
    }
}

/// Each data file's records dated on or before the previous delivery's
/// as_at, less those that delivery loaded.
async fn late_records(
    ctx: &SessionContext,
    previous: &Previous,
) -> Result<Vec<LateRecords>, RevisionsError> {
    let mut late = Vec::new();
    for file in ExtractFile::ALL {
        let Some(&before) = previous.records.get(file.name()) else {
            continue;
        };
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {} <= DATE '{}'",
            file.name(),
            file.event_date(),
            previous.as_at.format("%Y-%m-%d")
        );
        let batches = adhoc(ctx, &sql).await?;
        let now = batches
            .iter()
            .find(|batch| batch.num_rows() > 0)
            .and_then(|batch| batch.column(0).as_primitive_opt::<Int64Type>())
            .map_or(0, |counts| counts.value(0));
        late.push(LateRecords::new(
            file,
            now - i64::try_from(before).unwrap_or(i64::MAX),
        ));
    }
    Ok(late)
}

/// What a headline says of a change on a year earlier.
fn message(change: &Change) -> &'static str {
    match (change.significant, change.difference > 0.0) {
        (false, _) => "no significant change",
        (true, true) => "a significant rise",
        (true, false) => "a significant fall",
    }
}

/// The headline rates whose change on a year earlier, for the previous
/// edition's period, reads differently on the revised figures.
fn changed_messages(
    protected: &Protected,
    previous: &Previous,
    current: &diff::PublishedFigures,
) -> Vec<ChangedMessage> {
    let (quarter, year_earlier) = (previous.period, previous.period.earlier(4));
    protected
        .series
        .iter()
        .filter(|table| table.metadata().headline && table.metadata().kind == TableKind::Rate)
        .filter_map(|table| {
            let id = &table.metadata().id;
            let at = |q: Period| national_group(table, q);
            let (now, then) = (at(quarter)?, at(year_earlier)?);
            let (before, revised) = changed_message(&previous.figures, current, id, &now, &then)?;
            Some(ChangedMessage {
                table: id.clone(),
                title: table.metadata().title.clone(),
                quarter: quarter.to_string(),
                year_ending: quarter.year_ending_words(),
                before: before.to_string(),
                now: revised.to_string(),
            })
        })
        .collect()
}

/// What `before` and `after` say of the change in `table` from `then` to
/// `now`, where both publish its counts and say different things.
fn changed_message(
    before: &diff::PublishedFigures,
    after: &diff::PublishedFigures,
    table: &str,
    now: &Group,
    then: &Group,
) -> Option<(&'static str, &'static str)> {
    let said = message(&change_in(before, table, now, then)?);
    let says = message(&change_in(after, table, now, then)?);
    (said != says).then_some((said, says))
}

/// The national row of a series in `quarter`, keyed as [`diff`] keys it;
/// none for a table whose dimensions have no national value.
fn national_group(table: &ProtectedTable, quarter: Period) -> Option<Group> {
    let descriptive = &table.metadata().descriptive;
    let dimensions = table
        .dimensions()
        .iter()
        .filter(|d| *d != QUARTER && !descriptive.contains(d))
        .map(|d| Some((d.clone(), national(d)?.to_string())))
        .collect::<Option<Vec<_>>>()?;
    Some(Group {
        quarter: Some(quarter.to_string()),
        dimensions,
    })
}

/// The change from `then` to `now` as the edition published their counts.
fn change_in(
    edition: &diff::PublishedFigures,
    table: &str,
    now: &Group,
    then: &Group,
) -> Option<Change> {
    let count = |group: &Group, figure: &str| -> Option<u64> {
        edition.published(table, group, figure)?.parse().ok()
    };
    statistics::change(
        count(now, "numerator")?,
        count(now, "denominator")?,
        count(then, "numerator")?,
        count(then, "denominator")?,
    )
}

/// `revisions.csv`: every revised figure with its previous and new value;
/// a draft's with the DRAFT line first.
pub fn write_csv(revisions: &[Revision], path: &Path, draft: bool) -> Result<(), csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(csv_file(path, draft)?);
    out.write_record(["table", "quarter", "group", "figure", "previous", "new"])?;
    for r in revisions {
        let text = [&r.table, &r.quarter, &r.group, &r.figure].map(|t| spreadsheet_safe(t));
        // The figures are numbers, or empty where withheld.
        let figures = [&r.previous, &r.new];
        out.write_record(
            text.iter()
                .map(|t| t.as_bytes())
                .chain(figures.map(|f| f.as_bytes())),
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtto_render::tidy_csv::Tidy;

    fn series(rows: &str) -> diff::PublishedFigures {
        let csv = format!(
            "quarter,breakdown,group,numerator,denominator,rate,ci_lower,ci_upper,status\n{rows}"
        );
        let cells = |line: &str| line.split(',').map(String::from).collect::<Vec<_>>();
        let mut lines = csv.lines();
        let tidy = Tidy {
            header: lines.next().map(cells).unwrap_or_default(),
            records: lines.map(cells).collect(),
        };
        diff::PublishedFigures::from_tidy(
            [("series/rate".to_string(), tidy)],
            &DescriptiveColumns::new(),
        )
        .unwrap()
        .by_quarter("2005Q1")
    }

    fn national(quarter: &str) -> Group {
        Group {
            quarter: Some(quarter.to_string()),
            dimensions: vec![
                ("breakdown".to_string(), "National".to_string()),
                ("group".to_string(), "All".to_string()),
            ],
        }
    }

    #[test]
    fn a_significant_rise_that_revised_figures_no_longer_show_is_a_changed_message() {
        // 30% of 1000 against 25% of 1000: a difference of 5 points, with
        // a 95% interval of about ±3.9 points, is a significant rise; 27%
        // against 25% (±3.9) is not.
        let before = series("2004Q1,National,All,250,1000,,,,\n2005Q1,National,All,300,1000,,,,\n");
        let after = series("2004Q1,National,All,250,1000,,,,\n2005Q1,National,All,270,1000,,,,\n");
        let (now, then) = (national("2005Q1"), national("2004Q1"));
        assert_eq!(
            changed_message(&before, &after, "rate", &now, &then),
            Some(("a significant rise", "no significant change"))
        );
        assert_eq!(changed_message(&before, &before, "rate", &now, &then), None);
        // 20% against 25%: the direction flipped.
        let fell = series("2004Q1,National,All,250,1000,,,,\n2005Q1,National,All,200,1000,,,,\n");
        assert_eq!(
            changed_message(&before, &fell, "rate", &now, &then),
            Some(("a significant rise", "a significant fall"))
        );
    }

    #[test]
    fn a_count_withheld_in_either_edition_says_nothing_of_a_message() {
        let before = series("2004Q1,National,All,250,1000,,,,\n2005Q1,National,All,300,1000,,,,\n");
        let withheld =
            series("2004Q1,National,All,250,1000,,,,\n2005Q1,National,All,,1000,,,,[c]\n");
        let (now, then) = (national("2005Q1"), national("2004Q1"));
        assert_eq!(
            changed_message(&before, &withheld, "rate", &now, &then),
            None
        );
    }

    #[test]
    fn the_previous_edition_is_the_latest_earlier_period_with_a_manifest() {
        let output = tempfile::tempdir().unwrap();
        let edition = |name: &str, manifest: bool| {
            let layout = EditionLayout::new(output.path().join(name));
            std::fs::create_dir_all(layout.public()).unwrap();
            if manifest {
                std::fs::write(layout.public_manifest(), "{}").unwrap();
            }
        };
        let period: Period = "2005Q1".parse().unwrap();
        let latest_before = |output: &Path, period| editions_before(output, period).unwrap().pop();
        assert_eq!(latest_before(output.path(), period), None);
        edition("2004Q2", true);
        edition("2004Q3", true);
        edition("2004Q4", false);
        edition("2005Q1", true);
        edition("2005Q2", true);
        edition(".staging-2004Q4", true);
        edition("2004Q4-copy", true);
        assert_eq!(
            latest_before(output.path(), period),
            Some(output.path().join("2004Q3"))
        );
        let missing = output.path().join("nothing here");
        assert_eq!(latest_before(&missing, period), None);
    }
}
