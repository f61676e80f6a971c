//! A whole run: ingest if needed, then every table of the period computed
//! with its statistics and written out.

use std::path::PathBuf;
use std::time::Instant;

use crate::answer::{AnswerError, check_answered_edition, released_tables};
use crate::config::Config;
use crate::diff::descriptive_columns;
pub use crate::edition::RunError;
use crate::edition::{self, Opened};
use crate::manifest::Manifest;
use crate::register::Register;
use crate::revisions::EarlierFigures;
use dtto_ingest::{IngestOptions, Ingested, as_at_of, ingest};
use dtto_model::catalogue::Catalogue;
use dtto_model::period::Period;
use dtto_protect::disclosure::Protected;
use dtto_protect::statistics::StatTable;
use dtto_query::QueryError;
use dtto_query::session::Data;
use dtto_storage::layout::EditionLayout;
use dtto_storage::publish::{self, Published};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub extract: PathBuf,
    pub warehouse: PathBuf,
    pub queries: PathBuf,
    /// The requests: an answer in the register, released from an earlier
    /// edition, is worked out again from its folder here, and the edition
    /// is protected against what it published.
    pub requests: PathBuf,
    /// The bulletin's words and layouts.
    pub templates: PathBuf,
    pub output: PathBuf,
    /// The latest complete quarter of the extract when not given.
    pub period: Option<Period>,
    /// The edition to revise against; when not given, the latest edition
    /// of an earlier period under `output`.
    pub previous: Option<PathBuf>,
    pub config: Config,
}

#[derive(Debug)]
pub struct RunOutcome {
    pub ingested: Ingested,
    pub period: Period,
    /// The period's tables before disclosure control, with the rows their
    /// queries returned: for tests and checks, never for output.
    pub tables: Vec<StatTable>,
    pub protected: Protected,
    /// The edition's folder: `output/<period>`.
    pub output: PathBuf,
    /// Whether the edition was written, or its files were already in place.
    pub published: Published,
    /// Wall time of the query stage: every table planned and run for every
    /// quarter of the edition (its statistics come after, in
    /// [`edition::protect`]).
    pub query_seconds: f64,
    /// Wall time of disclosure control over the whole edition.
    pub disclosure_seconds: f64,
}

impl RunOutcome {
    /// Where each file of the edition is.
    pub fn layout(&self) -> EditionLayout {
        EditionLayout::new(&self.output)
    }

    pub fn public(&self) -> PathBuf {
        self.layout().public()
    }

    pub fn sign_off(&self) -> PathBuf {
        self.layout().sign_off()
    }
}

/// Ingest if needed, then the edition of the period through every stage
/// of [`crate::edition`], published under `options.output`.
pub async fn run(options: &RunOptions) -> Result<RunOutcome, RunError> {
    // Before anything that can fail: a run that stops early must still put
    // back an edition a killed run left half moved.
    publish::recover(&options.output).map_err(edition::edition_failed)?;
    let ingested = ingest(&IngestOptions {
        extract: options.extract.clone(),
        warehouse: options.warehouse.clone(),
        reference: options.queries.join("reference"),
        force: false,
        max_quarantined_share: options.config.ingest.max_quarantined_share,
        limits: options.config.ingest.limits(),
        quiet: false,
    })?;
    let as_at = as_at_of(&ingested.summary, &ingested.dir)?;
    let (catalogue, problems) = Catalogue::load(&options.queries);
    if !problems.is_empty() {
        return Err(QueryError::Catalogue(problems).into());
    }
    let config = &options.config;

    let started = Instant::now();
    let data = Data::Warehouse(&ingested.dir);
    let opened = Opened::open(
        data,
        ingested.summary.clone(),
        as_at,
        &catalogue,
        options.period,
    )
    .await?;
    let results = opened
        .query(&catalogue.tables.iter().collect::<Vec<_>>())
        .await?;
    let query_seconds = started.elapsed().as_secs_f64();
    let series = edition::series(&results, config)?;
    let in_answers = |e: AnswerError| RunError::Answers(Box::new(e));
    let register = Register::read(&options.output).map_err(|e| in_answers(e.into()))?;
    let released = released_tables(
        &register,
        None,
        &options.requests,
        &opened,
        &catalogue,
        &series,
        config,
    )
    .await
    .map_err(in_answers)?;
    let earlier = EarlierFigures::read(
        &options.output,
        options.previous.as_deref(),
        opened.period,
        &descriptive_columns(&catalogue),
    )?;
    let protection = edition::protect(&series, opened.period, config, &released, &earlier)?;
    let draft = edition::draft(&opened, &catalogue, protection, config, earlier.previous()).await?;
    let published_at = options.output.join(opened.period.to_string());
    check_answered_edition(&register, &draft.protected, &catalogue, &published_at)
        .map_err(in_answers)?;
    let period = opened.period;
    let date = edition::dated(config, period);
    let rendered = edition::render(&draft, &options.templates, date, &opened.summary)?;
    let manifest = Manifest::new(
        period.to_string(),
        &opened.summary,
        &options.queries,
        &options.templates,
        config,
    )?;
    let output = options.output.join(period.to_string());
    let published = edition::publish(&draft, &rendered, &manifest, &output)?;
    Ok(RunOutcome {
        ingested,
        period,
        tables: draft.tables,
        protected: draft.protected,
        output,
        published,
        query_seconds,
        disclosure_seconds: draft.disclosure_seconds,
    })
}
