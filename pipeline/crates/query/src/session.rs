//! One DataFusion `SessionContext` per run, with the warehouse's Parquet,
//! the reference lists and the views registered.

use std::fs::File;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool,
};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{
    CsvReadOptions, DataFrame, ParquetReadOptions, SessionConfig, SessionContext,
};
use futures::StreamExt;
use tempfile::TempDir;

use dtto_ingest::dataset_schema;
use dtto_model::catalogue::{Catalogue, Problem, View};
use dtto_model::contract::ExtractFile;

/// Where the extract's tables come from.
pub enum Data<'a> {
    /// An ingested delivery's folder in the warehouse.
    Warehouse(&'a Path),
    /// The same, read into memory once: for a session that runs its
    /// queries again and again (the preview), on a delivery that fits.
    InMemory(&'a Path),
    /// Empty tables with the warehouse's schemas: enough to plan every
    /// query without any data.
    SchemasOnly,
}

/// The memory DataFusion's operators may hold at once, over every query
/// of a session: a sort or an aggregation past its share spills to the
/// system's temporary folder instead of growing, and a query refused memory
/// runs again alone ([`super::run_tables`]). With the views kept in memory
/// and what DataFusion does not count (Parquet's read buffers, batches
/// passing between operators), a run at scale 100 peaked at 3.6 GiB.
const QUERY_MEMORY: usize = 3 << 29;

/// The most the views of a session keep in memory, together. A view that
/// would take the total past it is written to Parquet in the session's
/// scratch folder and read from there: slower to read, but the memory a
/// run needs no longer grows with the delivery. A scale-10 delivery's views
/// take about 470 MiB, all in memory.
const VIEWS_IN_MEMORY: usize = 1 << 29;

pub fn new_context() -> SessionContext {
    context_keeping(VIEWS_IN_MEMORY)
}

/// A session whose views keep at most `views_in_memory` bytes in memory.
fn context_keeping(views_in_memory: usize) -> SessionContext {
    let mut config = SessionConfig::new()
        .with_information_schema(true)
        .with_extension(Arc::new(ViewScratch::keeping(views_in_memory)));
    // Spans let an unknown column be reported at its line and column.
    config.options_mut().sql_parser.collect_spans = true;
    // A join's smaller side (the Orders of one window) is hashed whole,
    // and the larger side (a view of every Order in every group) read where
    // it lies. Under the defaults (1 MiB, 128 Ki rows) both sides were
    // hashed again into partitions for every query: the whole series at
    // scale 10 took 20.7 s instead of 14.7. At scale 100 a window holds
    // about a million Orders, and repartitioning the 18 million rows each
    // probed was most of the query stage.
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.hash_join_single_partition_threshold = 512 << 20;
    optimizer.hash_join_single_partition_threshold_rows = 8 << 20;
    // The five largest holders are named if a query still runs out.
    let pool = RepartitionNeverSpills(TrackConsumersPool::new(
        FairSpillPool::new(QUERY_MEMORY),
        NonZeroUsize::new(5).expect("five is not zero"),
    ));
    let runtime = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(pool));
    match runtime.build_arc() {
        Ok(runtime) => SessionContext::new_with_config_rt(config, runtime),
        // Only a temporary folder that cannot be made fails the build;
        // without one nothing can spill, and a query past its memory fails
        // with DataFusion's own message.
        Err(_) => SessionContext::new_with_config(config),
    }
}

/// A memory pool that never refuses a repartition's buffers. Refused,
/// DataFusion 55's `RepartitionExec` spills them, and its reader can then
/// wait for good on a batch in the wrong spill file: the query hangs with
/// every thread idle (apache/datafusion#24883, fixed after 55.2; seen here
/// at scale 100). Its buffers are few batches per partition whatever the
/// data, so they are counted but always granted, and the operators that
/// can spill safely (sorts, aggregations) spill the sooner for them.
#[derive(Debug)]
struct RepartitionNeverSpills<P>(P);

impl<P: MemoryPool> MemoryPool for RepartitionNeverSpills<P> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.0.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.0.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.0.grow(reservation, additional);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.0.shrink(reservation, shrink);
    }

    fn try_grow(
        &self,
        reservation: &MemoryReservation,
        additional: usize,
    ) -> Result<(), DataFusionError> {
        if reservation.consumer().name().starts_with("RepartitionExec") {
            self.0.grow(reservation, additional);
            return Ok(());
        }
        self.0.try_grow(reservation, additional)
    }

    fn reserved(&self) -> usize {
        self.0.reserved()
    }

    fn memory_limit(&self) -> MemoryLimit {
        self.0.memory_limit()
    }
}

impl<P: MemoryPool> std::fmt::Display for RepartitionNeverSpills<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// Registers the extract's five tables, the reference lists and the
/// views. A view that fails to plan is a problem of `queries/`, returned
/// with the others; any other failure is an error.
pub async fn register(
    ctx: &SessionContext,
    data: Data<'_>,
    catalogue: &Catalogue,
) -> Result<Vec<Problem>, DataFusionError> {
    for file in ExtractFile::ALL {
        match data {
            Data::Warehouse(dir) | Data::InMemory(dir) => {
                let dataset = dir.join(file.name());
                ctx.register_parquet(
                    file.name(),
                    &dataset.to_string_lossy(),
                    ParquetReadOptions::default(),
                )
                .await?;
                if let Data::InMemory(_) = data {
                    let read = ctx.table(file.name()).await?.cache().await?;
                    ctx.deregister_table(file.name())?;
                    ctx.register_table(file.name(), read.into_view())?;
                }
            }
            Data::SchemasOnly => {
                let table = MemTable::try_new(dataset_schema(file), vec![vec![]])?;
                ctx.register_table(file.name(), Arc::new(table))?;
            }
        }
    }
    for reference in &catalogue.reference {
        ctx.register_csv(
            &reference.name,
            &reference.path.to_string_lossy(),
            CsvReadOptions::new(),
        )
        .await?;
    }
    let (ordered, mut problems) = in_reading_order(ctx, &catalogue.views);
    for view in ordered {
        if let Err(problem) = register_view(ctx, view).await {
            problems.push(problem);
        }
    }
    Ok(problems)
}

/// The views in an order they can be computed in: each after every view
/// its SQL reads (the tables its statements name, found by DataFusion's
/// parser, common table expressions aside), and otherwise in file-name
/// order. Views that read each other in a circle are left out, each named
/// in a problem with those it waits for. A view whose SQL does not parse
/// is taken to read none: registering it reports the error at its line.
fn in_reading_order<'a>(ctx: &SessionContext, views: &'a [View]) -> (Vec<&'a View>, Vec<Problem>) {
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let reads: Vec<Vec<usize>> = views
        .iter()
        .map(|view| {
            let named = state
                .sql_to_statement(&view.sql, &dialect)
                .and_then(|statement| state.resolve_table_references(&statement))
                .unwrap_or_default();
            views
                .iter()
                .enumerate()
                .filter(|(_, other)| {
                    named
                        .iter()
                        .any(|t| t.schema().is_none() && t.table() == other.name)
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut placed = vec![false; views.len()];
    let mut ordered = Vec::with_capacity(views.len());
    while let Some(next) =
        (0..views.len()).find(|&i| !placed[i] && reads[i].iter().all(|&j| placed[j]))
    {
        placed[next] = true;
        ordered.push(&views[next]);
    }
    let problems = (0..views.len())
        .filter(|&i| !placed[i])
        .map(|i| {
            let waits: Vec<&str> = reads[i]
                .iter()
                .filter(|&&j| !placed[j])
                .map(|&j| views[j].name.as_str())
                .collect();
            Problem::in_file(
                &views[i].path,
                format!(
                    "view {} reads {}, which read it in turn (through one another): views \
                     cannot read each other in a circle",
                    views[i].name,
                    waits.join(", ")
                ),
            )
        })
        .collect();
    (ordered, problems)
}

/// Views take no parameters, so each is computed once per run and kept:
/// every table that reads it then reads the result, not the work. In
/// memory while the session's views fit [`VIEWS_IN_MEMORY`], otherwise in
/// the scratch folder.
async fn register_view(ctx: &SessionContext, view: &View) -> Result<(), Problem> {
    let problem = |e: DataFusionError| sql_problem(&view.path, &view.sql, &e);
    let frame = ctx.sql(&view.sql).await.map_err(problem)?;
    let state = ctx.state();
    // A scratch made here instead would take its folder, and a view
    // written to it, away when this function returns.
    let scratch = state
        .config()
        .get_extension::<ViewScratch>()
        .ok_or_else(|| {
            DataFusionError::Internal("a session made without new_context has no scratch".into())
        })
        .map_err(problem)?;
    let partitions = state.config().target_partitions();
    match computed(frame, &scratch, &view.name, partitions)
        .await
        .map_err(problem)?
    {
        Computed::InMemory(table) => ctx.register_table(&view.name, Arc::new(table)),
        Computed::Written(path) => ctx
            .register_parquet(
                &view.name,
                &path.to_string_lossy(),
                ParquetReadOptions::default(),
            )
            .await
            .map(|_| None),
    }
    .map_err(|e| Problem::in_file(&view.path, e.to_string()))?;
    Ok(())
}

/// Where a session keeps its views: the bytes held in memory so far, and
/// the folder for those that did not fit, made on first need and removed
/// with the session.
struct ViewScratch {
    budget: usize,
    in_memory: AtomicUsize,
    folder: Mutex<Option<TempDir>>,
}

impl ViewScratch {
    fn keeping(budget: usize) -> Self {
        ViewScratch {
            budget,
            in_memory: AtomicUsize::new(0),
            folder: Mutex::new(None),
        }
    }

    /// `<scratch>/<name>.parquet`, making the folder the first time.
    fn path_for(&self, name: &str) -> std::io::Result<PathBuf> {
        let mut folder = self.folder.lock().unwrap_or_else(PoisonError::into_inner);
        let folder = match folder.as_mut() {
            Some(made) => made,
            None => folder.insert(tempfile::Builder::new().prefix("dtto-views-").tempdir()?),
        };
        Ok(folder.path().join(format!("{name}.parquet")))
    }
}

/// The bytes of a batch's rows. Not `get_array_memory_size`: an
/// aggregation's output batches are slices of one large buffer, and that
/// counts the whole buffer for each slice (reconviction_cohort's 300,000
/// rows at scale 10 as 400 MB).
fn held_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|column| {
            column
                .to_data()
                .get_slice_memory_size()
                .unwrap_or_else(|_| column.get_array_memory_size())
        })
        .sum()
}

enum Computed {
    InMemory(MemTable),
    Written(PathBuf),
}

/// A view's rows, read batch by batch: kept in memory unless they would
/// take the session's views past the scratch's budget, then written with
/// the rest to the scratch folder.
async fn computed(
    frame: DataFrame,
    scratch: &ViewScratch,
    name: &str,
    partitions: usize,
) -> Result<Computed, DataFusionError> {
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let mut stream = frame.execute_stream().await?;
    let mut batches = Vec::new();
    let mut bytes = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        bytes += held_bytes(&batch);
        batches.push(batch);
        if scratch.in_memory.load(Ordering::Relaxed) + bytes > scratch.budget {
            let path = scratch.path_for(name)?;
            let mut writer = ArrowWriter::try_new(File::create(&path)?, schema, None)?;
            for kept in batches {
                writer.write(&kept)?;
            }
            while let Some(batch) = stream.next().await {
                writer.write(&batch?)?;
            }
            writer.close()?;
            return Ok(Computed::Written(path));
        }
    }
    scratch.in_memory.fetch_add(bytes, Ordering::Relaxed);
    // Dealt into partitions, so that a scan of the view runs on every core.
    let partitions = partitions.max(1);
    let mut dealt = vec![Vec::new(); partitions];
    for (i, batch) in batches.into_iter().enumerate() {
        dealt[i % partitions].push(batch);
    }
    Ok(Computed::InMemory(MemTable::try_new(schema, dealt)?))
}

/// A DataFusion error about a file's SQL, at its line and column when
/// DataFusion knows them.
pub fn sql_problem(path: &Path, sql: &str, error: &DataFusionError) -> Problem {
    let message = error.message().to_string();
    let span = error.diagnostic().and_then(|d| d.span);
    match span {
        Some(span) if span.start.line > 0 => {
            Problem::at(path, sql, span.start.line, span.start.column, message)
        }
        _ => match parser_location(&message) {
            Some((line, column)) => Problem::at(path, sql, line, column, message),
            None => Problem::in_file(path, message),
        },
    }
}

/// The SQL parser reports positions in its message: "... at Line: 3, Column: 9".
fn parser_location(message: &str) -> Option<(u64, u64)> {
    let rest = &message[message.find("Line: ")? + "Line: ".len()..];
    let (line, rest) = rest.split_once(',')?;
    let column = rest.trim_start().strip_prefix("Column: ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of `SELECT * FROM name`, sorted, as text.
    async fn rows(ctx: &SessionContext, name: &str) -> String {
        let batches = ctx
            .sql(&format!("SELECT * FROM {name} ORDER BY 1"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string()
    }

    /// A view past the memory budget is read from the scratch folder, with
    /// the same rows; the folder goes with the session.
    #[test]
    fn a_view_past_the_budget_is_kept_on_disk_with_the_same_rows() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let view = View {
                name: "numbers".to_string(),
                sql: "SELECT n, n * 2 AS twice FROM (VALUES (3), (1), (2)) AS t(n)".to_string(),
                path: PathBuf::from("views/numbers.sql"),
            };
            let in_memory = context_keeping(1 << 20);
            register_view(&in_memory, &view).await.unwrap();
            let on_disk = context_keeping(0);
            register_view(&on_disk, &view).await.unwrap();
            let scratch_of =
                |ctx: &SessionContext| ctx.state().config().get_extension::<ViewScratch>().unwrap();
            let kept_in_memory = scratch_of(&in_memory);
            assert!(kept_in_memory.folder.lock().unwrap().is_none());
            assert!(kept_in_memory.in_memory.load(Ordering::Relaxed) > 0);

            let scratch = scratch_of(&on_disk);
            let folder = scratch.path_for("numbers").unwrap();
            assert!(folder.is_file(), "{folder:?} was not written");
            let expected = "+---+-------+\n| n | twice |\n+---+-------+\n| 1 | 2     |\n\
                            | 2 | 4     |\n| 3 | 6     |\n+---+-------+";
            assert_eq!(rows(&in_memory, "numbers").await, expected);
            assert_eq!(rows(&on_disk, "numbers").await, expected);
            drop(scratch);
            drop(on_disk);
            assert!(!folder.exists(), "{folder:?} outlived its session");
        });
    }

    /// A view is registered after the views it reads, whatever its file's
    /// name; two views reading each other are refused, each named.
    #[test]
    fn views_are_registered_after_those_they_read() {
        let view = |name: &str, sql: &str| View {
            name: name.to_string(),
            sql: sql.to_string(),
            path: PathBuf::from(format!("views/{name}.sql")),
        };
        let views = [
            view("a_doubled", "SELECT n * 2 AS n FROM z_numbers"),
            view(
                "b_tripled",
                "WITH z_numbers AS (SELECT 1 AS n) SELECT n * 3 AS n FROM z_numbers",
            ),
            view("z_numbers", "SELECT 1 AS n UNION ALL SELECT 2"),
        ];
        let ctx = new_context();
        let (ordered, problems) = in_reading_order(&ctx, &views);
        let names: Vec<&str> = ordered.iter().map(|v| v.name.as_str()).collect();
        // b_tripled reads its own z_numbers, not the view: first free.
        assert_eq!(names, ["b_tripled", "z_numbers", "a_doubled"]);
        assert!(problems.is_empty(), "{problems:?}");

        let circle = [
            view("p", "SELECT n FROM q"),
            view("q", "SELECT n FROM p"),
            view("r", "SELECT 1 AS n"),
        ];
        let (ordered, problems) = in_reading_order(&ctx, &circle);
        let names: Vec<&str> = ordered.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["r"]);
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "views/p.sql: view p reads q, which read it in turn (through one another): \
                 views cannot read each other in a circle",
                "views/q.sql: view q reads p, which read it in turn (through one another): \
                 views cannot read each other in a circle",
            ]
        );
    }

    #[test]
    fn parser_positions_are_read_from_the_message() {
        assert_eq!(
            parser_location(
                "sql parser error: Expected: an expression, found: FROM at Line: 3, Column: 9"
            ),
            Some((3, 9))
        );
        assert_eq!(parser_location("no position here"), None);
    }
}
