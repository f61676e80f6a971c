//! `dtto answer`: a request answered from the delivery of the edition it
//! names, protected against everything already released from that
//! delivery (the edition, and the answers in the register), written to
//! `output/answers/<id>/` as a draft, or released into the register.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use crate::config::Config;
use crate::diff::{self, DiffError, PublishedFigures, descriptive_columns};
use crate::edition::{self, Opened, Protection, RunError};
use crate::register::{Held, Register, RegisterError};
use crate::revisions::{EarlierFigures, Previous};
use dtto_ingest::warehouse::Warehouse;
use dtto_ingest::{IngestError, as_at_of, read_summary};
use dtto_model::catalogue::{Catalogue, Problem, TableQuery};
use dtto_model::exit::Exit;
use dtto_model::period::Period;
use dtto_model::request::{AnswerQuery, RequestFiles};
use dtto_model::table::{Dimensions, Figure};
use dtto_protect::disclosure::answer::{
    AnswerTable, ProtectedAnswer, ReleasedTable, protect_answer,
};
use dtto_protect::disclosure::{DisclosureError, Protected, ProtectedTable, Withheld, audit};
use dtto_protect::statistics::cross::cross_classified;
use dtto_protect::statistics::{self, Earlier, TableSeries};
use dtto_query::parameters::Parameters;
use dtto_query::run_returning_columns;
use dtto_query::session::Data;
use dtto_render::RenderError;
use dtto_render::answer::{AnswerPage, AnswerShown};
use dtto_render::tidy_csv;
use dtto_storage::layout::{AnswerLayout, EditionLayout};
use dtto_storage::publish::{self, Published};

#[derive(Debug, Clone)]
pub struct AnswerOptions {
    /// The request's folder: `requests/<id>`.
    pub request: PathBuf,
    /// Where the requests are: an earlier released answer is worked out
    /// again from its folder here.
    pub requests: PathBuf,
    pub warehouse: PathBuf,
    pub queries: PathBuf,
    pub templates: PathBuf,
    /// Where the editions are; answers go under its `answers/`.
    pub output: PathBuf,
    pub config: Config,
    /// Released into the register on `date`, not a draft.
    pub release: Option<NaiveDate>,
}

/// Why an answer could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("{} problem(s) in the request:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Request(Vec<Problem>),
    #[error(
        "{}: no edition of {period} to answer from (run dtto run --period {period} first, or \
         name another edition in request.toml)",
        dir.display()
    )]
    NoEdition { dir: PathBuf, period: Period },
    #[error("{}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error(
        "the edition in {} is not what disclosure control decides today from its delivery, \
         queries and configuration ({} difference(s), the first: {}): an answer must be \
         protected against what was published, so answer from inputs that give that edition, \
         or run the edition again first",
        dir.display(), count, first
    )]
    EditionDiffers {
        dir: PathBuf,
        count: usize,
        first: String,
    },
    #[error("answer {id} was released on {date}: a released answer is not made again")]
    AlreadyReleased { id: String, date: String },
    #[error(
        "the edition of {later} is published: answer from it, the latest (edition = \
         \"{later}\" in request.toml), not from {period}. Answers are made from the latest \
         edition, so that every edition is protected against the answers released before it"
    )]
    NotLatest { period: Period, later: Period },
    #[error(
        "answers were released from the edition of {period} ({answers}), and this edition of \
         {period} differs from the one published ({count} difference(s), the first: {first}): \
         it would not be protected against them. Publish the new delivery as a later period"
    )]
    AnsweredEditionChanged {
        period: Period,
        answers: String,
        count: usize,
        first: String,
    },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Register(#[from] RegisterError),
    #[error(transparent)]
    Diff(#[from] DiffError),
}

impl AnswerError {
    pub fn exit(&self) -> Exit {
        match self {
            AnswerError::Request(_)
            | AnswerError::EditionDiffers { .. }
            | AnswerError::AlreadyReleased { .. }
            | AnswerError::NotLatest { .. }
            | AnswerError::AnsweredEditionChanged { .. } => Exit::Queries,
            AnswerError::NoEdition { .. } | AnswerError::Manifest { .. } => Exit::Storage,
            AnswerError::Run(e) => e.exit(),
            AnswerError::Register(e) => e.exit(),
            AnswerError::Diff(e) => e.exit(),
        }
    }
}

impl From<DisclosureError> for AnswerError {
    fn from(e: DisclosureError) -> Self {
        AnswerError::Run(e.into())
    }
}

impl From<IngestError> for AnswerError {
    fn from(e: IngestError) -> Self {
        AnswerError::Run(e.into())
    }
}

impl From<RenderError> for AnswerError {
    fn from(e: RenderError) -> Self {
        AnswerError::Run(e.into())
    }
}

/// What `dtto answer` made.
#[derive(Debug)]
pub struct AnswerOutcome {
    pub id: String,
    /// `output/answers/<id>`.
    pub dir: PathBuf,
    pub tables: Vec<ProtectedTable>,
    /// Every figure of a shown row withheld, and why.
    pub withheld: Vec<Withheld>,
    /// The answer in a sentence.
    pub sentence: String,
    pub released: bool,
    pub published: Published,
    /// Wall time of disclosure control, edition and answer together.
    pub disclosure_seconds: f64,
}

/// Answers the request in `options.request`.
pub async fn answer(options: &AnswerOptions) -> Result<AnswerOutcome, AnswerError> {
    let files = RequestFiles::load(&options.request).map_err(AnswerError::Request)?;
    let period = files.request.edition;
    let mut register = Register::read(&options.output)?;
    if let Some(date) = register.released_on(&files.id) {
        return Err(AnswerError::AlreadyReleased {
            id: files.id.clone(),
            date: date.to_string(),
        });
    }
    if let Some(later) = editions_under(&options.output)
        .into_iter()
        .find(|other| *other > period)
    {
        return Err(AnswerError::NotLatest { period, later });
    }
    let edition_dir = options.output.join(period.to_string());
    let delivery_key = edition_delivery(&edition_dir, period)?;
    let delivery = Warehouse::new(&options.warehouse).delivery_dir(&delivery_key);
    let summary = read_summary(&delivery)?;
    let as_at = as_at_of(&summary, &delivery)?;
    let (catalogue, problems) = Catalogue::load(&options.queries);
    if !problems.is_empty() {
        return Err(AnswerError::Request(problems));
    }
    let config = &options.config;
    let opened = Opened::open(
        Data::Warehouse(&delivery),
        summary,
        as_at,
        &catalogue,
        Some(period),
    )
    .await?;
    let results = opened
        .query(&catalogue.tables.iter().collect::<Vec<_>>())
        .await?;
    let series = edition::series(&results, config)?;
    let answer_tables = tables_of(
        &files,
        &opened,
        &catalogue,
        &series,
        config,
        Outside::Refused,
    )
    .await?
    .into_iter()
    .map(|(_, table)| table)
    .collect::<Vec<_>>();
    let released = released_tables(
        &register,
        Some(&delivery_key),
        &options.requests,
        &opened,
        &catalogue,
        &series,
        config,
    )
    .await?;

    let descriptive = descriptive_columns(&catalogue);
    // The edition answered from is the latest, so every other edition is
    // an earlier one.
    let earlier = EarlierFigures::read(&options.output, None, period, &descriptive)
        .map_err(RunError::from)?;
    let held = |id: &str, quarter: Period, dimensions: &[(String, String)], figure: Figure| {
        earlier.value(id, quarter, dimensions, figure)
    };
    let started = Instant::now();
    let protected = protect_answer(
        &series,
        period,
        config.disclosure.rules(),
        &config.disclosure.withhold_first,
        &answer_tables,
        &released,
        &held,
    )?;
    let disclosure_seconds = started.elapsed().as_secs_f64();
    let ProtectedAnswer {
        edition: released,
        tables,
        audit: withheld,
    } = protected;
    check_edition(
        &opened,
        &catalogue,
        Protection::of(&series, released, started),
        options,
        &edition_dir,
        earlier.previous(),
    )
    .await?;

    let page = AnswerPage {
        id: files.id.clone(),
        question: files.request.question.clone(),
        asked_by: files.request.asked_by.clone(),
        kind: files.request.kind.name().to_string(),
        due: dtto_model::format::long_date(files.request.due),
        edition: period,
        source: format!(
            "DTTO national extract, as at {}, from which the edition of {period} was made",
            dtto_model::format::long_date(as_at)
        ),
        released: options.release.map(dtto_model::format::long_date),
        threshold: config.disclosure.threshold,
        tables: tables
            .iter()
            .zip(&answer_tables)
            .map(|(table, made)| AnswerShown {
                table,
                quarter: made.quarter,
                repeats: catalogue
                    .tables
                    .iter()
                    .find(|t| t.metadata.id == made.repeats)
                    .map_or(made.repeats.as_str(), |t| t.metadata.title.as_str()),
            })
            .collect(),
    };
    let draft = options.release.is_none();
    let html = dtto_render::answer::html(&page, &options.templates)?;
    let pdf = dtto_render::answer::pdf(
        &page,
        &options.templates,
        options.release.unwrap_or(period.end()),
    )?;
    let sentence = page.sentence();
    let layout = AnswerLayout::of(&options.output, &files.id);
    let dir = layout.dir().to_path_buf();
    let published = publish::publish(&dir, |staging| {
        write_answer(
            staging,
            &tables,
            &answer_tables,
            &withheld,
            &html,
            &pdf,
            draft,
        )
    })
    .map_err(edition::edition_failed)?;
    if let Some(date) = options.release {
        register.record(
            &files,
            &delivery_key,
            date,
            &tables,
            &answer_tables,
            &layout,
        )?;
        register.write(&options.output)?;
    }
    Ok(AnswerOutcome {
        id: files.id,
        dir,
        tables,
        withheld,
        sentence,
        released: !draft,
        published,
        disclosure_seconds,
    })
}

/// The periods of the editions under `output`, oldest first.
fn editions_under(output: &Path) -> Vec<Period> {
    let Ok(entries) = std::fs::read_dir(output) else {
        return Vec::new();
    };
    let mut periods: Vec<Period> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<Period>().ok())
        .filter(|p| {
            EditionLayout::new(output.join(p.to_string()))
                .data()
                .is_dir()
        })
        .collect();
    periods.sort();
    periods
}

/// The key of the delivery the edition in `dir` was made from, from its
/// manifest.
fn edition_delivery(dir: &Path, period: Period) -> Result<String, AnswerError> {
    let path = EditionLayout::new(dir).public_manifest();
    if !path.is_file() {
        return Err(AnswerError::NoEdition {
            dir: dir.to_path_buf(),
            period,
        });
    }
    let failed = |reason: String| AnswerError::Manifest {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| failed(e.to_string()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| failed(e.to_string()))?;
    manifest
        .get("delivery")
        .and_then(|key| key.as_str())
        .map(str::to_string)
        .ok_or_else(|| failed("it names no delivery".to_string()))
}

/// The edition as disclosure control decides it today must be the one
/// published: otherwise the answer would be protected against figures no
/// reader has, and not against those they have.
async fn check_edition(
    opened: &Opened,
    catalogue: &Catalogue,
    protection: Protection,
    options: &AnswerOptions,
    dir: &Path,
    previous: Option<&Previous>,
) -> Result<(), AnswerError> {
    let draft = edition::draft(opened, catalogue, protection, &options.config, previous).await?;
    let changes = differences(&draft.protected, catalogue, dir)?;
    match changes.first() {
        None => Ok(()),
        Some(first) => Err(AnswerError::EditionDiffers {
            dir: dir.to_path_buf(),
            count: changes.len(),
            first: first.describe(),
        }),
    }
}

/// Every figure in which `protected` differs from the edition published in
/// `dir`.
fn differences(
    protected: &Protected,
    catalogue: &Catalogue,
    dir: &Path,
) -> Result<Vec<diff::Change>, AnswerError> {
    let descriptive = descriptive_columns(catalogue);
    let made = PublishedFigures::of_edition(protected, &descriptive)?;
    let published = PublishedFigures::read(dir, &descriptive)?;
    Ok(diff::compare(&published, &made))
}

/// A new edition of a period answers were released from must be the one
/// they were protected against: figure for figure the one published in
/// `dir`.
pub fn check_answered_edition(
    register: &Register,
    protected: &Protected,
    catalogue: &Catalogue,
    dir: &Path,
) -> Result<(), AnswerError> {
    let period = protected.period;
    let answers: Vec<String> = register
        .answers()
        .into_iter()
        .filter(|a| a.edition == period)
        .map(|a| a.id)
        .collect();
    if answers.is_empty() || !EditionLayout::new(dir).data().is_dir() {
        return Ok(());
    }
    let changes = differences(protected, catalogue, dir)?;
    match changes.first() {
        None => Ok(()),
        Some(first) => Err(AnswerError::AnsweredEditionChanged {
            period,
            answers: answers.join(", "),
            count: changes.len(),
            first: first.describe(),
        }),
    }
}

/// What to do with a table counting 12 months the edition does not
/// publish its measure for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outside {
    /// A new answer's: it could not be protected against the edition.
    Refused,
    /// A released answer's, from another edition: no figure of this
    /// edition is linked to it, so there is nothing to protect it against.
    Left,
}

/// The tables of a request, worked out on the edition's delivery: each
/// the repeated table's measure, cross-classified with every total, with
/// its name.
async fn tables_of(
    files: &RequestFiles,
    opened: &Opened,
    catalogue: &Catalogue,
    series: &[TableSeries],
    config: &Config,
    outside: Outside,
) -> Result<Vec<(String, AnswerTable)>, AnswerError> {
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    for query in &files.tables {
        let quarter = query.quarter.unwrap_or(files.request.edition);
        let published = published_quarters(series, &query.repeats).contains(&quarter);
        if !published && outside == Outside::Left {
            continue;
        }
        match table_of(query, quarter, opened, catalogue, series, config).await {
            Ok(table) => tables.push((query.name.clone(), table)),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(tables)
    } else {
        Err(AnswerError::Request(problems))
    }
}

/// Every answer of the register, worked out again on the delivery opened:
/// those released from the edition of the same period and delivery
/// (`delivery`, for a new answer) must give what they published; those
/// from other editions give what a reader still holds (figures since
/// revised are left out), and those from earlier editions were protected
/// against by the edition. For a run (`delivery` `None`), the answers
/// from earlier editions alone.
pub async fn released_tables(
    register: &Register,
    delivery: Option<&str>,
    requests: &Path,
    opened: &Opened,
    catalogue: &Catalogue,
    series: &[TableSeries],
    config: &Config,
) -> Result<Vec<ReleasedTable>, AnswerError> {
    let period = opened.period;
    let mut released = Vec::new();
    for answer in register.answers() {
        let same = delivery.is_some_and(|d| answer.edition == period && answer.delivery == d);
        let before = answer.edition < period;
        if !(same || before || delivery.is_some()) {
            continue;
        }
        let dir = requests.join(&answer.id);
        answer.check_request(&dir)?;
        let files = RequestFiles::load(&dir).map_err(AnswerError::Request)?;
        let outside = if same {
            Outside::Refused
        } else {
            Outside::Left
        };
        let tables = tables_of(&files, opened, catalogue, series, config, outside).await?;
        let held = if same { Held::Exactly } else { Held::Unrevised };
        released.extend(answer.tables(tables, held, before)?);
    }
    Ok(released)
}

async fn table_of(
    query: &AnswerQuery,
    quarter: Period,
    opened: &Opened,
    catalogue: &Catalogue,
    series: &[TableSeries],
    config: &Config,
) -> Result<AnswerTable, Problem> {
    let table = answer_query(query, catalogue)?;
    let metadata_path = query.sql_path.with_extension("toml");
    let wrong = |message: String| Problem::in_file(&metadata_path, message);
    let published = published_quarters(series, &query.repeats);
    if !published.contains(&quarter) {
        return Err(wrong(format!(
            "quarter: the edition of {} publishes {} for {}; not for {quarter}",
            opened.period,
            query.repeats,
            quarters_in_words(&published)
        )));
    }
    let parameters = Parameters::new(&opened.declared, quarter, opened.as_at);
    let (_, batches) = run_returning_columns(&opened.ctx, &table, &parameters)
        .await
        .map_err(|e| match e {
            dtto_query::QueryError::Catalogue(mut problems) if !problems.is_empty() => {
                problems.remove(0)
            }
            other => Problem::in_file(&query.sql_path, other.to_string()),
        })?;
    let minimum = config.statistics.low_reliability_below;
    let computed = statistics::compute(&table.metadata, &batches, Earlier::default(), minimum)
        .map_err(|e| Problem::in_file(&query.sql_path, e.problem.to_string()))?;
    let mut names = Vec::new();
    for column in computed.dimensions.iter() {
        match query.dimensions.get(column) {
            Some(breakdown) => names.push(breakdown.clone()),
            None => {
                return Err(wrong(format!(
                    "dimensions: the query returns the column {column:?}, which is not named \
                     here: name the breakdown its values are groups of ({column} = \"...\")"
                )));
            }
        }
    }
    if let Some(missing) = query
        .dimensions
        .keys()
        .find(|c| computed.dimensions.position(c).is_none())
    {
        return Err(wrong(format!(
            "dimensions: the query returns no column {missing:?}"
        )));
    }
    let known = known_dimensions(series, &query.repeats);
    if let Some(unknown) = names.iter().find(|n| !known.contains(n)) {
        return Err(wrong(format!(
            "dimensions: {unknown:?} is not a breakdown of {} ({})",
            query.repeats,
            known.join(", ")
        )));
    }
    let renamed = statistics::StatTable {
        dimensions: Dimensions::new(names),
        ..computed
    };
    let crossed = cross_classified(&renamed, minimum)
        .map_err(|e| Problem::in_file(&query.sql_path, e.to_string()))?;
    let shown = crossed
        .rows
        .iter()
        .map(|row| {
            query.show.iter().all(|(breakdown, wanted)| {
                crossed
                    .dimensions
                    .position(breakdown)
                    .is_some_and(|d| wanted.contains(&row.groups[d]))
            })
        })
        .collect();
    for (breakdown, wanted) in &query.show {
        let column = crossed.dimensions.position(breakdown);
        let has = |value: &String| {
            column.is_some_and(|d| crossed.rows.iter().any(|row| row.groups[d] == *value))
        };
        if let Some(value) = wanted.iter().find(|value| !has(value)) {
            return Err(wrong(format!(
                "show: no row has {breakdown} = {value:?}: spell it as the query returns it"
            )));
        }
    }
    Ok(AnswerTable {
        table: crossed,
        repeats: query.repeats.clone(),
        quarter,
        shown,
    })
}

/// An answer's table as a query like the catalogue's: the repeated
/// table's metadata (its kind, words and windows), named and titled as
/// the answer's, breaking down by the answer's breakdowns, repeating no
/// other table.
pub fn answer_query(query: &AnswerQuery, catalogue: &Catalogue) -> Result<TableQuery, Problem> {
    let Some(repeated) = catalogue
        .tables
        .iter()
        .find(|t| t.metadata.id == query.repeats)
    else {
        return Err(Problem::in_file(
            &query.sql_path.with_extension("toml"),
            format!("repeats: there is no published table {:?}", query.repeats),
        ));
    };
    let mut metadata = repeated.metadata.clone();
    metadata.id = query.name.clone();
    metadata.title = query.title.clone();
    metadata.breakdowns = query.dimensions.values().cloned().collect();
    metadata.links.clear();
    metadata.descriptive.clear();
    metadata.headline = false;
    Ok(TableQuery {
        sql: query.sql.clone(),
        sql_path: query.sql_path.clone(),
        metadata,
    })
}

/// Every request under `requests` (a folder per request; none when it is
/// missing) as queries to plan, and every problem of reading them.
pub fn request_queries(requests: &Path, catalogue: &Catalogue) -> (Vec<TableQuery>, Vec<Problem>) {
    let mut queries = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(requests) else {
        return (queries, problems);
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        match RequestFiles::load(&dir) {
            Ok(files) => {
                for query in &files.tables {
                    match answer_query(query, catalogue) {
                        Ok(table) => queries.push(table),
                        Err(problem) => problems.push(problem),
                    }
                }
            }
            Err(found) => problems.extend(found),
        }
    }
    (queries, problems)
}

/// The breakdowns of a published table, and its other dimensions (a
/// termination reason): what an answer's columns may be.
fn known_dimensions(series: &[TableSeries], id: &str) -> Vec<String> {
    let Some(table) = series.iter().find(|s| s.metadata.id == id) else {
        return Vec::new();
    };
    let mut known: Vec<String> = table
        .metadata
        .breakdowns
        .iter()
        .filter(|b| *b != dtto_model::table::NATIONAL)
        .cloned()
        .collect();
    if let Some((_, stats)) = table.windows.last() {
        let dimensions = &stats.dimensions;
        for (d, name) in dimensions.iter().enumerate() {
            if !dimensions.is_breakdown_or_group(d) && !table.metadata.descriptive.contains(name) {
                known.push(name.clone());
            }
        }
    }
    known
}

/// The quarters the edition publishes table `id` for.
fn published_quarters(series: &[TableSeries], id: &str) -> Vec<Period> {
    series
        .iter()
        .find(|s| s.metadata.id == id)
        .map(|s| s.windows.iter().map(|(q, _)| *q).collect())
        .unwrap_or_default()
}

fn quarters_in_words(quarters: &[Period]) -> String {
    match (quarters.first(), quarters.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(only), _) => only.to_string(),
        _ => "no quarter".to_string(),
    }
}

/// The answer's files, into `dir`: the public part (the page, the PDF, a
/// tidy CSV per table) and the sign-off part (what was withheld, why).
fn write_answer(
    dir: &Path,
    tables: &[ProtectedTable],
    made: &[AnswerTable],
    withheld: &[Withheld],
    html: &str,
    pdf: &[u8],
    draft: bool,
) -> Result<(), RunError> {
    let layout = AnswerLayout::new(dir);
    for folder in [layout.data(), layout.sign_off()] {
        std::fs::create_dir_all(&folder).map_err(|e| write_failed(&folder, e))?;
    }
    for (table, made) in tables.iter().zip(made) {
        let path = layout.table_csv(&table.metadata().id);
        tidy_csv::write(table, made.quarter, &path, draft)
            .map_err(|e| write_failed(&path, e.into()))?;
    }
    let path = layout.withheld();
    audit::write(withheld, &path).map_err(|e| write_failed(&path, e.into()))?;
    let path = layout.html();
    std::fs::write(&path, html).map_err(|e| write_failed(&path, e))?;
    let path = layout.pdf();
    std::fs::write(&path, pdf).map_err(|e| write_failed(&path, e))
}

fn write_failed(path: &Path, source: std::io::Error) -> RunError {
    RunError::Write {
        path: path.to_path_buf(),
        source,
    }
}
