//! The draft edition of one period as the preview shows it: the bulletin's
//! page, made again after each change. Only what a change touches is
//! computed again: the query session, with its views, is kept while the
//! delivery, the views and the reference lists stay the same, and each
//! table's rows while its SQL does too. Statistics, disclosure control and
//! revisions are a run's own stages ([`crate::edition`]), so the preview
//! never shows a figure a run would withhold.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::answer::{AnswerError, released_tables};
use crate::config::{Config, ConfigError};
use crate::diff::descriptive_columns;
use crate::edition::{self, Opened, Protection, RunError};
use crate::register::{Register, request_sha256};
use crate::revisions::{EarlierFigures, RevisionsError, editions_before};
use dtto_ingest::warehouse::{SUMMARY_FILE, Warehouse};
use dtto_ingest::{self, IngestError};
use dtto_model::catalogue::{Catalogue, TableQuery};
use dtto_model::period::Period;
use dtto_model::result::TableResult;
use dtto_protect::statistics::TableSeries;
use dtto_query::QueryError;
use dtto_query::session::Data;
use dtto_render::RenderError;
use dtto_storage::layout::EditionLayout;
use dtto_storage::lock::{Access, Lock, LockError};

/// Where the preview reads from.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub warehouse: PathBuf,
    pub queries: PathBuf,
    pub templates: PathBuf,
    pub config: PathBuf,
    /// Where editions are published: the preview revises against the
    /// latest of an earlier period, as a run would, and is protected
    /// against the answers its register lists.
    pub output: PathBuf,
    /// Where requests are: the answers released from earlier editions are
    /// worked out again from their folders here, as a run does.
    pub requests: PathBuf,
    /// The latest complete quarter of the current delivery when not given.
    pub period: Option<Period>,
}

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("{} holds no ingested delivery: run dtto ingest first", .0.display())]
    NoDelivery(PathBuf),
    #[error("{}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Run(#[from] RunError),
}

impl From<QueryError> for PreviewError {
    fn from(e: QueryError) -> Self {
        PreviewError::Run(e.into())
    }
}

impl From<RenderError> for PreviewError {
    fn from(e: RenderError) -> Self {
        PreviewError::Run(e.into())
    }
}

impl From<IngestError> for PreviewError {
    fn from(e: IngestError) -> Self {
        PreviewError::Run(e.into())
    }
}

/// The bulletin's page for one period.
pub struct Page {
    pub html: String,
    pub period: Period,
    /// How many tables were queried for it; the others' rows were kept.
    pub queried: usize,
    /// Disclosure control ran for it: false when nothing it reads changed
    /// (only the words or the layout did) and its last decision was kept.
    pub protected: bool,
}

/// The preview and what it keeps between pages.
pub struct Preview {
    options: PreviewOptions,
    session: Option<Session>,
    /// Each table's rows, by [`table_key`].
    rows: HashMap<u64, TableResult>,
    /// The last disclosure control, by [`protection_key`], and the earlier
    /// editions it was protected against: an edit to the words alone
    /// remakes the page in seconds, not in the time disclosure control
    /// takes on a thin delivery.
    protection: Option<(u64, Protection, EarlierFigures)>,
}

/// A query session on the current delivery, with the views computed.
struct Session {
    key: u64,
    opened: Opened,
}

impl Preview {
    pub fn new(options: PreviewOptions) -> Self {
        Preview {
            options,
            session: None,
            rows: HashMap::new(),
            protection: None,
        }
    }

    /// The page as the files read now would make it.
    pub async fn page(&mut self) -> Result<Page, PreviewError> {
        let options = &self.options;
        let config = Config::load(&options.config)?;
        let (catalogue, problems) = Catalogue::load(&options.queries);
        if !problems.is_empty() {
            return Err(QueryError::Catalogue(problems).into());
        }
        let session = {
            // Shared only while the delivery is read into memory: an
            // ingest meanwhile waits (or, without --wait, exits 14) for
            // that moment alone, not for every page.
            let _warehouse = Lock::warehouse(&options.warehouse, Access::Shared, true)?;
            let delivery = Warehouse::new(&options.warehouse)
                .current_dir()
                .ok_or_else(|| PreviewError::NoDelivery(options.warehouse.clone()))?;
            let key = session_key(&delivery, &catalogue, options.period)?;
            // The old session goes before the new one is read, so that two
            // deliveries are never in memory at once.
            match self.session.take().filter(|session| session.key == key) {
                Some(session) => session,
                None => {
                    self.rows.clear();
                    Session::open(key, &delivery, &catalogue, options.period).await?
                }
            }
        };
        let key = session.key;
        let session = self.session.insert(session);

        let keys: Vec<u64> = catalogue
            .tables
            .iter()
            .map(|table| table_key(key, table))
            .collect();
        let (unknown_keys, unknown): (Vec<u64>, Vec<&TableQuery>) = keys
            .iter()
            .zip(&catalogue.tables)
            .filter(|(key, _)| !self.rows.contains_key(key))
            .unzip();
        let queried = session.opened.query(&unknown).await?;
        self.rows.extend(unknown_keys.into_iter().zip(queried));
        // Only the tables as they are now: a preview open all day keeps
        // no rows of SQL since edited away.
        self.rows.retain(|key, _| keys.contains(key));
        let results: Vec<TableResult> = catalogue
            .tables
            .iter()
            .zip(&keys)
            .filter_map(|(table, key)| {
                // The metadata may have changed with the same SQL.
                let rows = self.rows.get(key)?;
                Some(TableResult {
                    table: table.clone(),
                    ..rows.clone()
                })
            })
            .collect();

        let opened = &session.opened;
        let in_answers = |e: AnswerError| PreviewError::Run(RunError::Answers(Box::new(e)));
        let register = Register::read(&options.output).map_err(|e| in_answers(e.into()))?;
        let series = edition::series(&results, &config)?;
        let protection_key = protection_key(&series, &config, opened.period)
            ^ released_key(&register, &options.requests, opened.period)?
            ^ earlier_key(&options.output, opened.period)?;
        let kept = self
            .protection
            .take()
            .filter(|(key, ..)| *key == protection_key);
        let protected = kept.is_none();
        let (protection, earlier) = match kept {
            Some((_, protection, earlier)) => (protection, earlier),
            None => {
                let released = released_tables(
                    &register,
                    None,
                    &options.requests,
                    opened,
                    &catalogue,
                    &series,
                    &config,
                )
                .await
                .map_err(in_answers)?;
                let earlier = EarlierFigures::read(
                    &options.output,
                    None,
                    opened.period,
                    &descriptive_columns(&catalogue),
                )
                .map_err(RunError::from)?;
                let protection =
                    edition::protect(&series, opened.period, &config, &released, &earlier)?;
                (protection, earlier)
            }
        };
        let (_, protection, earlier) =
            self.protection
                .insert((protection_key, protection, earlier));
        let draft = edition::draft(
            opened,
            &catalogue,
            protection.clone(),
            &config,
            earlier.previous(),
        )
        .await?;
        Ok(Page {
            html: edition::page(draft, &self.options.templates)?,
            period: opened.period,
            queried: unknown.len(),
            protected,
        })
    }
}

impl Session {
    async fn open(
        key: u64,
        delivery: &Path,
        catalogue: &Catalogue,
        period: Option<Period>,
    ) -> Result<Session, PreviewError> {
        let summary = dtto_ingest::read_summary(delivery)?;
        let as_at = dtto_ingest::as_at_of(&summary, delivery)?;
        let data = Data::InMemory(delivery);
        let opened = Opened::open(data, summary, as_at, catalogue, period).await?;
        Ok(Session { key, opened })
    }
}

/// What a query session is made from: the delivery and how it was
/// ingested (its summary changes with an ingest again, `--force`), the
/// period asked for, the views' SQL, the reference lists' bytes and the
/// declared windows (each table's rows depend on its windows' dates).
fn session_key(
    delivery: &Path,
    catalogue: &Catalogue,
    period: Option<Period>,
) -> Result<u64, PreviewError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| PreviewError::Unreadable {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut hasher = Xxh3::new();
    let mut add = |part: &[u8]| {
        // Each part's length first, so no two lists of parts run together.
        hasher.update(&part.len().to_le_bytes());
        hasher.update(part);
    };
    add(delivery.as_os_str().as_encoded_bytes());
    add(&read(&delivery.join(SUMMARY_FILE))?);
    add(period.map(|p| p.to_string()).unwrap_or_default().as_bytes());
    for view in &catalogue.views {
        add(view.name.as_bytes());
        add(view.sql.as_bytes());
    }
    for reference in &catalogue.reference {
        add(reference.name.as_bytes());
        add(&read(&reference.path)?);
    }
    // A window moved in windows.toml moves every table counting over it.
    for window in catalogue.windows.all() {
        add(window.name.as_bytes());
        add(&window.quarters_back.to_le_bytes());
    }
    Ok(hasher.digest())
}

/// What disclosure control reads: every table's figures and metadata (its
/// links, breakdowns and kind), the configuration and the period. Anything
/// else may change and the decision stand: the words, the layout, and SQL
/// edited without changing a figure (a comment, a clause written another
/// way).
fn protection_key(series: &[TableSeries], config: &Config, period: Period) -> u64 {
    let mut hasher = HashWriter(Xxh3::new());
    // Written straight into the hash: a large delivery's series runs to
    // megabytes of text.
    let _ = write!(hasher, "{series:?}{config:?}{period}");
    hasher.0.digest()
}

/// Text written into a hash rather than a string.
struct HashWriter(Xxh3);

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.update(text.as_bytes());
        Ok(())
    }
}

/// What the answers an edition of `period` is protected against are
/// made from: the register's figures, and the files of each answer it
/// lists as released from an earlier edition.
fn released_key(register: &Register, requests: &Path, period: Period) -> Result<u64, PreviewError> {
    let mut hasher = Xxh3::new();
    for answer in register.answers().iter().filter(|a| a.edition < period) {
        hasher.update(answer.id.as_bytes());
        hasher.update(answer.fingerprint().as_bytes());
        let request = request_sha256(&requests.join(&answer.id))
            .map_err(|e| PreviewError::Run(RunError::Answers(Box::new(e.into()))))?;
        hasher.update(request.as_bytes());
    }
    Ok(hasher.digest())
}

/// What the editions before `period` published, which the edition is
/// protected against: their public manifests, which hold each file's hash.
fn earlier_key(output: &Path, period: Period) -> Result<u64, PreviewError> {
    let mut hasher = Xxh3::new();
    for dir in editions_before(output, period).map_err(RunError::from)? {
        let path = EditionLayout::new(&dir).public_manifest();
        let manifest = std::fs::read(&path).map_err(|e| {
            RunError::from(RevisionsError::Unreadable {
                dir: dir.clone(),
                reason: format!("{}: {e}", path.display()),
            })
        })?;
        hasher.update(&manifest.len().to_le_bytes());
        hasher.update(&manifest);
    }
    Ok(hasher.digest())
}

/// A table's rows are what its SQL returns in a session, checked against
/// the columns its kind requires.
fn table_key(session: u64, table: &TableQuery) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(&session.to_le_bytes());
    hasher.update(format!("{:?}", table.metadata.kind).as_bytes());
    hasher.update(table.sql.as_bytes());
    hasher.digest()
}
