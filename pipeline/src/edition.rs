//! An edition as one staged pipeline, the same for a run (`run.rs`) and
//! for the preview (`serve/preview.rs`), each stage's result a type of its
//! own: a delivery [`Opened`] for its period, its tables queried
//! ([`query`]), their statistics and disclosure control ([`Protection`]),
//! what the edition says ([`Draft`]), its files made in memory
//! ([`Rendered`]), and published ([`publish`]). A run composes all of them;
//! the preview stops at the bulletin's page ([`page`]), so it never shows a
//! figure a run would withhold.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Date32Type;
use datafusion::prelude::SessionContext;

use crate::config::Config;
use crate::diff::descriptive_columns;
use crate::manifest::Manifest;
use crate::revisions::{self, EarlierFigures, Previous, RevisionsError};
use dtto_ingest::IngestError;
use dtto_ingest::fields::date_from_days;
use dtto_ingest::report::IngestSummary;
use dtto_model::catalogue::{Catalogue, TableQuery};
use dtto_model::exit::Exit;
use dtto_model::period::{Period, PeriodError};
use dtto_model::reference::ReadingOrder;
use dtto_model::result::TableResult;
use dtto_model::window::Windows;
use dtto_protect::disclosure::answer::{ReleasedTable, protect_edition};
use dtto_protect::disclosure::{DisclosureError, Protected, audit};
use dtto_protect::statistics::totals::{self, TotalCheck};
use dtto_protect::statistics::{self, StatTable, StatisticsError, TableSeries};
use dtto_query::session::Data;
use dtto_query::{QueryError, adhoc, open_on, run_tables};
use dtto_render::bulletin::{self, Bulletin, EditionDetails, Quality, Release};
use dtto_render::charts::{self, Chart};
use dtto_render::revised::{Revision, Statement};
use dtto_render::{RenderError, html, ods, pdf, qa, tidy_csv};
use dtto_storage::layout::EditionLayout;
use dtto_storage::publish::{self, EditionError, Published};

/// The publication's name, on every output.
const TITLE: &str = "Drug Treatment and Testing Order statistics";

/// Why an edition could not be made, at whichever stage.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Statistics(#[from] StatisticsError),
    #[error(transparent)]
    Disclosure(#[from] DisclosureError),
    #[error(transparent)]
    Revisions(#[from] RevisionsError),
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The register's answers, which the edition is protected against,
    /// could not be worked out again.
    #[error("the released answers the edition is protected against: {0}")]
    Answers(Box<crate::answer::AnswerError>),
    /// A file of the edition that cannot be written.
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl RunError {
    pub fn exit(&self) -> Exit {
        match self {
            RunError::Ingest(e) => e.exit(),
            RunError::Period(_) => Exit::Period,
            RunError::Query(_) | RunError::Statistics(_) | RunError::Disclosure(_) => Exit::Queries,
            RunError::Revisions(e) => e.exit(),
            RunError::Render(e) => e.exit(),
            RunError::Answers(e) => e.exit(),
            RunError::Write { .. } => Exit::Storage,
        }
    }

    /// For `map_err` on a write of `path`.
    fn write_at(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| RunError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A delivery opened for querying, for the period of its edition.
pub struct Opened {
    pub ctx: SessionContext,
    pub period: Period,
    pub as_at: NaiveDate,
    /// The day the delivery's first Order commenced.
    pub begins: Option<NaiveDate>,
    /// How the delivery was ingested, for the data-quality section and the
    /// manifest.
    pub summary: IngestSummary,
    /// The windows the catalogue declares: every query is given them all.
    pub declared: Windows,
}

impl Opened {
    /// Opens `data` with every view registered, for `period` or else the
    /// latest complete quarter of the delivery, refusing a period the
    /// delivery cannot count.
    pub async fn open(
        data: Data<'_>,
        summary: IngestSummary,
        as_at: NaiveDate,
        catalogue: &Catalogue,
        period: Option<Period>,
    ) -> Result<Opened, RunError> {
        let period = period.unwrap_or_else(|| Period::latest_complete(as_at));
        let ctx = open_on(data, catalogue).await?;
        let begins = first_commencement(&ctx).await?;
        period.check_against(as_at, begins)?;
        Ok(Opened {
            ctx,
            period,
            as_at,
            begins,
            summary,
            declared: catalogue.windows.clone(),
        })
    }

    /// Stage: the rows of `tables` for every quarter the edition publishes.
    pub async fn query(&self, tables: &[&TableQuery]) -> Result<Vec<TableResult>, RunError> {
        let (period, as_at, begins) = (self.period, self.as_at, self.begins);
        Ok(run_tables(&self.ctx, &self.declared, tables, period, as_at, begins).await?)
    }
}

/// The day the delivery's first Order commenced: no measure has anything
/// to count in a period that ends before it.
async fn first_commencement(ctx: &SessionContext) -> Result<Option<NaiveDate>, RunError> {
    let batches = adhoc(ctx, "SELECT min(commencement_date) FROM orders").await?;
    Ok(batches
        .iter()
        .find(|batch| batch.num_rows() > 0)
        .and_then(|batch| batch.column(0).as_primitive_opt::<Date32Type>())
        .filter(|days| days.is_valid(0))
        .and_then(|days| date_from_days(days.value(0))))
}

/// The tables' statistics, and disclosure control over all of them.
#[derive(Clone)]
pub struct Protection {
    /// The period's tables before disclosure control (see
    /// [`crate::run::RunOutcome::tables`]).
    pub tables: Vec<StatTable>,
    pub protected: Protected,
    /// Wall time of disclosure control.
    pub seconds: f64,
}

/// Stage: each table's statistics for every quarter, then disclosure
/// control over the whole edition.
/// `released`: the answers released before the edition, whose figures
/// stay as they were released (see [`crate::answer::released_tables`]);
/// `earlier`: what the editions before it published, which readers hold.
pub fn protect(
    series: &[TableSeries],
    period: Period,
    config: &Config,
    released: &[ReleasedTable],
    earlier: &EarlierFigures,
) -> Result<Protection, RunError> {
    let started = Instant::now();
    let protected = protect_edition(
        series,
        period,
        config.disclosure.rules(),
        &config.disclosure.withhold_first,
        released,
        &|id, quarter, dimensions, figure| earlier.value(id, quarter, dimensions, figure),
    )?;
    Ok(Protection::of(series, protected, started))
}

/// Each table's statistics for every quarter.
pub fn series(results: &[TableResult], config: &Config) -> Result<Vec<TableSeries>, RunError> {
    let minimum = config.statistics.low_reliability_below;
    Ok(results
        .iter()
        .map(|r| statistics::series(r, minimum))
        .collect::<Result<Vec<_>, _>>()?)
}

impl Protection {
    /// The edition's protection of `series`, decided since `started`.
    pub fn of(series: &[TableSeries], protected: Protected, started: Instant) -> Protection {
        Protection {
            tables: series
                .iter()
                .filter_map(|s| s.published_at(protected.period))
                .collect(),
            protected,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// What the edition says, before any file of it is made.
pub struct Draft {
    /// The period's tables before disclosure control (see
    /// [`crate::run::RunOutcome::tables`]).
    pub tables: Vec<StatTable>,
    pub protected: Protected,
    pub edition: EditionDetails,
    /// Wall time of disclosure control.
    pub disclosure_seconds: f64,
}

/// Stage: what the edition says, before any file of it is made: the
/// revisions against the previous edition, rows in reading order, and the
/// edition's details.
pub async fn draft(
    opened: &Opened,
    catalogue: &Catalogue,
    protection: Protection,
    config: &Config,
    previous: Option<&Previous>,
) -> Result<Draft, RunError> {
    let Protection {
        tables,
        mut protected,
        seconds,
    } = protection;
    let period = opened.period;
    let descriptive = descriptive_columns(catalogue);
    let statement = match previous {
        Some(previous) => {
            Some(revisions::revise(&opened.ctx, &mut protected, previous, &descriptive).await?)
        }
        None => None,
    };
    let order = ReadingOrder::load(catalogue.reference.iter().map(|list| list.path.as_path()))
        .map_err(IngestError::from)?;
    for table in protected.tables.iter_mut().chain(&mut protected.series) {
        table.put_in_reading_order(&order);
    }
    Ok(Draft {
        tables,
        protected,
        edition: edition(config, period, opened.as_at, statement, &opened.summary),
        disclosure_seconds: seconds,
    })
}

/// What the templates are told about this edition.
fn edition(
    config: &Config,
    period: Period,
    as_at: NaiveDate,
    revisions: Option<Statement>,
    summary: &IngestSummary,
) -> EditionDetails {
    let long = dtto_model::format::long_date;
    let configured = config.release.as_ref();
    let release = configured.and_then(|release| {
        Some(Release {
            published: format!("{}, {}", long(release.published_date()?), release.time),
            next: release.next_date().map(long),
            producer: release.producer.clone(),
            contact: release.contact.clone(),
        })
    });
    EditionDetails {
        title: TITLE.to_string(),
        period,
        year_ending: period.year_ending_words(),
        year_earlier: period.earlier(4).year_ending_words(),
        period_end: long(period.end()),
        as_at: long(as_at),
        source: format!("DTTO national extract, as at {}", long(as_at)),
        threshold: config.disclosure.threshold,
        low_reliability_below: config.statistics.low_reliability_below,
        status: match configured {
            Some(release) => release.status.name().to_string(),
            None => "Draft".to_string(),
        },
        release,
        revisions,
        quality: Quality::of(summary),
    }
}

/// The files of an edition made in memory before any is written, so a
/// template that fails leaves the previous edition as it was.
pub struct Rendered {
    /// Not released: every output says DRAFT first.
    draft: bool,
    html: String,
    pdf: Vec<u8>,
    ods: Vec<u8>,
    qa: String,
    charts: Vec<Chart>,
}

/// Stage: every file of the edition made in memory, dated `date`.
pub fn render(
    draft: &Draft,
    templates: &Path,
    date: NaiveDate,
    summary: &IngestSummary,
) -> Result<Rendered, RunError> {
    let Draft {
        protected,
        edition,
        tables,
        ..
    } = draft;
    let totals: Vec<TotalCheck> = tables.iter().flat_map(totals::check).collect();
    let ods = ods::render(&protected.tables, &protected.series, edition, date)?;
    let qa = qa::render(templates, edition, summary, &totals, protected)?;
    let (bulletin, charts) = bulletin(templates, protected, edition.clone())?;
    Ok(Rendered {
        draft: bulletin.edition.release.is_none(),
        html: html::render(&bulletin, templates)?,
        pdf: pdf::render(&bulletin, templates, date)?,
        ods,
        qa,
        charts,
    })
}

/// The preview's stage in place of [`render`]: the bulletin's page alone.
pub fn page(draft: Draft, templates: &Path) -> Result<String, RunError> {
    let (bulletin, _) = bulletin(templates, &draft.protected, draft.edition)?;
    Ok(html::render(&bulletin, templates)?)
}

/// The bulletin's words and figures with its charts: of each table and
/// each series, marked DRAFT on every one of a draft.
fn bulletin(
    templates: &Path,
    protected: &Protected,
    edition: EditionDetails,
) -> Result<(Bulletin, Vec<Chart>), RenderError> {
    let mut charts: Vec<Chart> = Vec::new();
    for table in &protected.tables {
        let counted = dtto_model::format::lower_first(&table.metadata().cohort_in(edition.period));
        charts.extend(charts::chart(table, &counted)?);
    }
    for table in &protected.series {
        charts.extend(charts::trend(table)?);
    }
    if edition.release.is_none() {
        charts = charts.into_iter().map(Chart::marked_draft).collect();
    }
    let bulletin = bulletin::build(
        templates,
        edition,
        &protected.tables,
        &protected.series,
        &charts,
    )?;
    Ok((bulletin, charts))
}

/// The date the PDF and the spreadsheet carry: the release's, or for a
/// draft the period's end (never the time of the run, so the bytes do not
/// change from one run to the next).
pub fn dated(config: &Config, period: Period) -> NaiveDate {
    config
        .release
        .as_ref()
        .and_then(|release| release.published_date())
        .unwrap_or_else(|| period.end())
}

/// Stage: the edition's files written to `output` as one (see
/// [`publish::publish`]), with the manifest of each part.
pub fn publish(
    draft: &Draft,
    rendered: &Rendered,
    manifest: &Manifest,
    output: &Path,
) -> Result<Published, RunError> {
    // revisions.csv, written with the edition's other files.
    let revisions = draft
        .edition
        .revisions
        .as_ref()
        .map_or_else(Vec::new, |statement| statement.figures.clone());
    publish::publish(output, |staging| {
        write_edition(&draft.protected, &revisions, rendered, manifest, staging)
    })
    .map_err(edition_failed)
}

/// Why the edition could not be published: its files' own failure, or the
/// output folder's.
pub fn edition_failed(e: EditionError<RunError>) -> RunError {
    match e {
        EditionError::Write(e) => e,
        EditionError::Io { path, source } => RunError::Write { path, source },
    }
}

/// Every file of the edition, into `dir`: the public edition and the
/// sign-off material apart, each with its manifest, the sign-off one
/// covering both.
fn write_edition(
    protected: &Protected,
    revisions: &[Revision],
    rendered: &Rendered,
    manifest: &Manifest,
    dir: &Path,
) -> Result<(), RunError> {
    let draft = rendered.draft;
    let edition = EditionLayout::new(dir);
    for folder in [edition.series(), edition.charts(), edition.sign_off()] {
        std::fs::create_dir_all(&folder).map_err(RunError::write_at(&folder))?;
    }
    let csv_failed = |path: &Path| {
        let path = path.to_path_buf();
        move |e: csv::Error| RunError::write_at(&path)(e.into())
    };
    for table in &protected.tables {
        let path = edition.table_csv(&table.metadata().id);
        tidy_csv::write(table, protected.period, &path, draft).map_err(csv_failed(&path))?;
    }
    for table in &protected.series {
        let path = edition.series_csv(&table.metadata().id);
        tidy_csv::write(table, protected.period, &path, draft).map_err(csv_failed(&path))?;
    }
    let path = edition.revisions_csv();
    revisions::write_csv(revisions, &path, draft).map_err(csv_failed(&path))?;
    let path = edition.audit();
    audit::write(&protected.audit, &path).map_err(csv_failed(&path))?;
    let write = |path: PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes).map_err(RunError::write_at(&path))
    };
    for chart in &rendered.charts {
        write(edition.chart(&chart.id), chart.svg.as_bytes())?;
    }
    write(edition.bulletin_html(), rendered.html.as_bytes())?;
    write(edition.bulletin_pdf(), &rendered.pdf)?;
    write(edition.spreadsheet(), &rendered.ods)?;
    write(edition.qa(), rendered.qa.as_bytes())?;
    manifest.write(&edition.public(), &edition.public_manifest())?;
    Ok(manifest.write(dir, &edition.sign_off_manifest())?)
}
