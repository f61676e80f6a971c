//! `dtto`: the command line over the pipeline library. One function per
//! command; every failure leaves with the exit code of its kind
//! (`dtto_model::exit::Exit`, the README's table "Exit codes").

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use dtto::answer::{AnswerError, AnswerOptions, answer, request_queries};
use dtto::check_tests::{TESTS, run_tests};
use dtto::config::{Config, ConfigError};
use dtto::diff::{self, DiffError, PublishedFigures};
use dtto::record::RunRecord;
use dtto::register::Register;
use dtto::run::{RunError, RunOptions, RunOutcome, run};
use dtto::serve::preview::PreviewOptions;
use dtto::serve::{Event, serve};
use dtto_ingest::terminal::printable;
use dtto_ingest::warehouse::Warehouse;
use dtto_ingest::{IngestError, IngestOptions, ingest};
use dtto_model::catalogue::Catalogue;
use dtto_model::exit::Exit;
use dtto_model::period::Period;
use dtto_protect::disclosure::audit::{self, EditionPart};
use dtto_query::{adhoc, check, check_breakdowns, open};
use dtto_storage::layout::AnswerLayout;
use dtto_storage::lock::{Access, Lock, LockError};
use dtto_storage::publish::Published;

/// Quarterly official statistics on the Drug Treatment and Testing Order.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The publication's configuration file.
    #[arg(long, global = true, default_value = dtto::config::DEFAULT_FILE)]
    config: PathBuf,
    /// When another dtto is using the warehouse or the output folder, wait
    /// for it to finish instead of failing at once (exit 14).
    #[arg(long, global = true)]
    wait: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a delivery and load it into the warehouse as Parquet.
    Ingest(IngestArgs),
    /// Ingest if needed, then compute every table of the period.
    Run(RunArgs),
    /// Plan every query against the warehouse schemas, without data, and
    /// report each problem with its file, line and column; with
    /// --warehouse, also run every table on its current delivery and check
    /// the breakdowns it returns against its metadata.
    Check(CheckArgs),
    /// Run a read-only SQL query on the current delivery.
    Query(QueryArgs),
    /// Show the draft edition of a period on a local web page that is made
    /// again, and reloads itself, whenever queries/, templates/, the
    /// configuration or the current delivery change.
    Serve(ServeArgs),
    /// Compare two editions figure by figure: exit 0 when they are the
    /// same, 1 when they differ, 15 when they cannot be compared.
    Diff(DiffArgs),
    /// Answer a request (requests/<id>/) from the delivery of the edition
    /// it names, protected against that edition and every answer released
    /// from it: a draft in output/answers/<id>/, or with --release, also
    /// recorded in the register.
    Answer(AnswerArgs),
    /// List the register of released answers.
    Answers(AnswersArgs),
}

#[derive(Args)]
struct ExtractArg {
    /// The delivery folder: extract.toml and the five CSV files.
    #[arg(long)]
    extract: PathBuf,
}

#[derive(Args)]
struct WarehouseArg {
    /// Where ingested deliveries are kept.
    #[arg(long, default_value = "warehouse")]
    warehouse: PathBuf,
}

#[derive(Args)]
struct QueriesArg {
    /// The statisticians' folder: tables, views and reference lists.
    #[arg(long, default_value = "queries")]
    queries: PathBuf,
}

/// What an edition is made from and where it is published: a run's and
/// the preview's alike.
#[derive(Args)]
struct EditionArgs {
    /// The quarter, e.g. 2003Q4; the delivery's latest complete quarter
    /// when not given.
    #[arg(long)]
    period: Option<Period>,
    #[command(flatten)]
    warehouse: WarehouseArg,
    #[command(flatten)]
    queries: QueriesArg,
    /// The bulletin's words and page designs.
    #[arg(long, default_value = "templates")]
    templates: PathBuf,
    /// Where editions are published, one folder per period; an edition
    /// marks revisions against the latest earlier one there.
    #[arg(long, default_value = "output")]
    output: PathBuf,
}

#[derive(Args)]
struct IngestArgs {
    #[command(flatten)]
    extract: ExtractArg,
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Where the reference lists live.
    #[arg(long, default_value = "queries/reference")]
    reference: PathBuf,
    /// Ingest again even if this delivery is already in the warehouse.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    extract: ExtractArg,
    #[command(flatten)]
    edition: EditionArgs,
    /// The edition to mark revisions against (a folder such as
    /// output/2005Q1); the latest earlier period under --output when not
    /// given.
    #[arg(long, value_name = "DIR")]
    previous: Option<PathBuf>,
    /// Where requests are: the edition is protected against every answer
    /// the register lists as released from an earlier edition, worked out
    /// again from its folder here.
    #[arg(long, default_value = "requests")]
    requests: PathBuf,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    edition: EditionArgs,
    /// The port on 127.0.0.1 to serve on; 0 takes any free one.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Where requests are: the answers the register lists as released
    /// from earlier editions are worked out again from here, as a run
    /// does.
    #[arg(long, default_value = "requests")]
    requests: PathBuf,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    queries: QueriesArg,
    /// Also run every table on this warehouse's current delivery, for its
    /// latest complete quarter, and check each table's `breakdowns`
    /// against the breakdowns its rows carry.
    #[arg(long)]
    warehouse: Option<PathBuf>,
    /// Also run the tests under `queries/tests/`: each test's delivery,
    /// the tables it expects, and every figure compared with the one worked
    /// out by hand (exit 20 naming each that differs).
    #[arg(long)]
    tests: bool,
    /// The requests, each a folder: every table of each is planned too.
    #[arg(long, default_value = "requests")]
    requests: PathBuf,
}

#[derive(Args)]
struct QueryArgs {
    sql: String,
    /// Print CSV instead of a table.
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    warehouse: WarehouseArg,
    #[command(flatten)]
    queries: QueriesArg,
}

#[derive(Args)]
struct DiffArgs {
    /// The earlier edition: an output folder such as output/2005Q1 (its
    /// public/data/ is read), or a folder holding data/.
    old: PathBuf,
    /// The later edition, likewise.
    new: PathBuf,
    /// Also write every difference as CSV into FILE; `-` writes it to
    /// standard output in place of the summary.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    // The tables' metadata, for the columns that describe a row without
    // identifying it (an area's target): compared as figures.
    #[command(flatten)]
    queries: QueriesArg,
}

#[derive(Args)]
struct AnswerArgs {
    /// The request's id: its folder's name under --requests.
    id: String,
    /// Where requests are, one folder each.
    #[arg(long, default_value = "requests")]
    requests: PathBuf,
    #[command(flatten)]
    warehouse: WarehouseArg,
    #[command(flatten)]
    queries: QueriesArg,
    /// The answer's words and page designs.
    #[arg(long, default_value = "templates")]
    templates: PathBuf,
    /// Where the editions are; answers go under its answers/.
    #[arg(long, default_value = "output")]
    output: PathBuf,
    /// Release it: no longer a draft, and recorded in the register, which
    /// every later answer is protected against.
    #[arg(long)]
    release: bool,
}

#[derive(Args)]
struct AnswersArgs {
    /// Where the editions are; the register is its answers/register.csv.
    #[arg(long, default_value = "output")]
    output: PathBuf,
}

/// A failure as the user sees it: what went wrong, and the exit code that
/// says what to do about it.
struct Failure {
    exit: Exit,
    message: String,
}

impl Failure {
    fn new(exit: Exit, message: impl std::fmt::Display) -> Self {
        Failure {
            exit,
            message: message.to_string(),
        }
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Self {
        Failure::new(e.exit(), e)
    }
}

impl From<IngestError> for Failure {
    fn from(e: IngestError) -> Self {
        Failure::new(e.exit(), e)
    }
}

impl From<LockError> for Failure {
    fn from(e: LockError) -> Self {
        Failure::new(e.exit(), e)
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::new(e.exit(), e)
    }
}

impl From<AnswerError> for Failure {
    fn from(e: AnswerError) -> Self {
        Failure::new(e.exit(), e)
    }
}

impl From<DiffError> for Failure {
    fn from(e: DiffError) -> Self {
        Failure::new(e.exit(), e)
    }
}

/// `f64::hypot` and `f32::hypot` (the charts' and the PDF's geometry)
/// would otherwise bind to glibc's `hypot@GLIBC_2.35` and
/// `hypotf@GLIBC_2.35`, the only symbols that kept the binary off glibc
/// 2.34 (RHEL 9). Defined here, in the binary's own object, the linker
/// resolves the standard library's calls to them and the binary asks glibc
/// for neither. `libm` is musl's, within an ulp as glibc's are.
/// `make check-glibc` reads the binary's needs.
#[unsafe(no_mangle)]
pub extern "C" fn hypot(x: f64, y: f64) -> f64 {
    libm::hypot(x, y)
}

#[unsafe(no_mangle)]
pub extern "C" fn hypotf(x: f32, y: f32) -> f32 {
    libm::hypotf(x, y)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match cli.command {
        Command::Ingest(args) => ingest_command(args, &cli.config, cli.wait),
        Command::Run(args) => run_command(args, &cli.config, cli.wait),
        Command::Check(args) => check_command(args, cli.wait),
        Command::Query(args) => query_command(args, cli.wait),
        Command::Serve(args) => serve_command(args, &cli.config),
        Command::Answer(args) => answer_command(args, &cli.config, cli.wait),
        Command::Answers(args) => answers_command(args),
        // The one command whose success has two outcomes.
        Command::Diff(args) => {
            return match diff_command(args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(Exit::EditionsDiffer.code()),
                Err(failure) => failed(failure),
            };
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failed(failure),
    }
}

fn failed(failure: Failure) -> ExitCode {
    eprintln!("error: {}", printable(&failure.message));
    ExitCode::from(failure.exit.code())
}

fn ingest_command(args: IngestArgs, config: &Path, wait: bool) -> Result<(), Failure> {
    let config = Config::load(config)?;
    let _warehouse = Lock::warehouse(&args.warehouse.warehouse, Access::Exclusive, wait)?;
    let ingested = ingest(&IngestOptions {
        extract: args.extract.extract,
        warehouse: args.warehouse.warehouse,
        reference: args.reference,
        force: args.force,
        max_quarantined_share: config.ingest.max_quarantined_share,
        limits: config.ingest.limits(),
        quiet: false,
    })?;
    if ingested.reused {
        println!(
            "This delivery was ingested before; using {} (--force ingests it again).",
            ingested.dir.display()
        );
    }
    println!("{}", ingested.summary.table());
    for file in &ingested.summary.files {
        for warning in &file.warnings {
            println!("warning: {}: {}", file.source, printable(warning));
        }
    }
    let quarantined: u64 = ingested.summary.files.iter().map(|f| f.quarantined).sum();
    if quarantined > 0 {
        println!(
            "{quarantined} rows quarantined: see {}",
            ingested.dir.join("quarantine").display()
        );
    }
    println!("Loaded into {}", ingested.dir.display());
    Ok(())
}

fn run_command(args: RunArgs, config: &Path, wait: bool) -> Result<(), Failure> {
    let edition = &args.edition;
    let _warehouse = Lock::warehouse(&edition.warehouse.warehouse, Access::Exclusive, wait)?;
    let _output = Lock::output(&edition.output, wait)?;
    let started = chrono::Utc::now();
    let output = edition.output.clone();
    let done = publish(args, config);
    let record = RunRecord::new(
        started,
        done.as_ref().map_err(|f| (f.exit, f.message.as_str())),
    );
    if let Err(e) = record.write(&output) {
        let message = format!("writing the run record into {}: {e}", output.display());
        // A failed run's own message matters more than its record's.
        match &done {
            Ok(_) => return Err(Failure::new(Exit::Storage, message)),
            Err(_) => eprintln!("warning: {message}"),
        }
    }
    print_run_summary(&done?);
    Ok(())
}

fn publish(args: RunArgs, config: &Path) -> Result<RunOutcome, Failure> {
    let edition = args.edition;
    let options = RunOptions {
        extract: args.extract.extract,
        warehouse: edition.warehouse.warehouse,
        queries: edition.queries.queries,
        requests: args.requests,
        templates: edition.templates,
        output: edition.output,
        period: edition.period,
        previous: args.previous,
        config: Config::load(config)?,
    };
    Ok(runtime()?.block_on(run(&options))?)
}

/// What a run did and where its files are.
fn print_run_summary(outcome: &RunOutcome) {
    println!("{}", outcome.ingested.summary.table());
    println!(
        "Period {}: {} tables computed in {:.2} s",
        outcome.period,
        outcome.tables.len(),
        outcome.query_seconds,
    );
    for part in EditionPart::ALL {
        let name = part.name();
        let (by_rule, withheld, figures) = audit::summary(&outcome.protected, part);
        let counts: Vec<String> = by_rule
            .iter()
            .map(|(rule, count)| format!("{rule} {count}"))
            .collect();
        println!(
            "Disclosure control, {name}: {withheld} of {figures} figures withheld ({:.1} %): {}",
            withheld as f64 * 100.0 / figures.max(1) as f64,
            counts.join(", "),
        );
    }
    println!(
        "Disclosure control decided in {:.2} s",
        outcome.disclosure_seconds
    );
    let unmended = &outcome.protected.unmended;
    if let Some(first) = unmended.first() {
        eprintln!(
            "warning: {} withheld figure(s) can be worked out from what earlier editions and \
             released answers published, and nothing this edition could withhold would hide \
             them (the first: {}, 12 months ending {}, {}); qa.html lists them for sign-off",
            unmended.len(),
            first.table,
            first.quarter,
            first.figure.name(),
        );
    }
    if outcome.published == Published::Unchanged {
        println!(
            "Edition {} unchanged: the same inputs gave the same files, so nothing was rewritten",
            outcome.output.display()
        );
    }
    let edition = outcome.layout();
    let shown = |path: PathBuf| path.display().to_string();
    println!(
        "Public edition, to publish whole: {}",
        shown(edition.public())
    );
    println!(
        "Bulletin: {} and {}",
        shown(edition.bulletin_html()),
        shown(edition.bulletin_pdf())
    );
    println!(
        "Tables: {} and {}",
        shown(edition.spreadsheet()),
        shown(edition.data())
    );
    println!(
        "For sign-off only, never to publish: {} and {}",
        shown(edition.qa()),
        shown(edition.audit())
    );
}

fn answer_command(args: AnswerArgs, config: &Path, wait: bool) -> Result<(), Failure> {
    let _warehouse = Lock::warehouse(&args.warehouse.warehouse, Access::Shared, wait)?;
    let _output = Lock::output(&args.output, wait)?;
    let options = AnswerOptions {
        request: args.requests.join(&args.id),
        requests: args.requests,
        warehouse: args.warehouse.warehouse,
        queries: args.queries.queries,
        templates: args.templates,
        output: args.output,
        config: Config::load(config)?,
        release: args.release.then(|| chrono::Local::now().date_naive()),
    };
    let outcome = runtime()?.block_on(answer(&options))?;
    let layout = AnswerLayout::new(&outcome.dir);
    println!("{}", outcome.sentence);
    println!(
        "Disclosure control decided in {:.2} s: {} figure(s) of the answer withheld",
        outcome.disclosure_seconds,
        outcome.withheld.len()
    );
    for withheld in &outcome.withheld {
        let groups: Vec<String> = withheld
            .dimensions
            .iter()
            .map(|(d, g)| format!("{d}: {g}"))
            .collect();
        println!(
            "  {}, {}, {}: {}",
            withheld.table,
            groups.join(", "),
            withheld.figure.name(),
            withheld.reason
        );
    }
    if outcome.published == Published::Unchanged {
        println!(
            "Answer {} unchanged: nothing was rewritten",
            outcome.dir.display()
        );
    }
    println!(
        "{}: {} and {}, tables in {}",
        if outcome.released {
            "Released"
        } else {
            "Draft, not released"
        },
        layout.html().display(),
        layout.pdf().display(),
        layout.data().display()
    );
    println!(
        "For sign-off only, never to publish: {}",
        layout.withheld().display()
    );
    Ok(())
}

fn answers_command(args: AnswersArgs) -> Result<(), Failure> {
    let register = Register::read(&args.output).map_err(|e| Failure::new(e.exit(), e))?;
    let entries = register.entries();
    if entries.is_empty() {
        println!(
            "No answer released yet ({})",
            Register::path(&args.output).display()
        );
    }
    for entry in entries {
        println!(
            "{}  released {}  {}, from the edition of {}, {} figure(s): {}",
            entry.id,
            entry.released,
            entry.kind,
            entry.edition,
            entry.figures,
            printable(&entry.question)
        );
    }
    Ok(())
}

fn check_command(args: CheckArgs, wait: bool) -> Result<(), Failure> {
    let queries = &args.queries.queries;
    let today = chrono::Local::now().date_naive();
    let started = std::time::Instant::now();
    // Loaded once, for every check below.
    let (catalogue, mut problems) = Catalogue::load(queries);
    let (requests, found) = request_queries(&args.requests, &catalogue);
    problems.extend(found);
    problems.extend(
        runtime()?
            .block_on(check(
                &catalogue,
                &requests,
                Period::latest_complete(today),
                today,
            ))
            .map_err(|e| Failure::new(Exit::Queries, e))?,
    );
    let mut checked = format!(
        "every query planned, and the {} table(s) of {}",
        requests.len(),
        args.requests.display()
    );
    if let (Some(warehouse), true) = (&args.warehouse, problems.is_empty()) {
        let (_warehouse, delivery) = current_delivery(warehouse, wait)?;
        let summary = dtto_ingest::read_summary(&delivery)?;
        let as_at = dtto_ingest::as_at_of(&summary, &delivery)?;
        let period = Period::latest_complete(as_at);
        problems = runtime()?
            .block_on(check_breakdowns(&catalogue, &delivery, period, as_at))
            .map_err(|e| Failure::new(Exit::Queries, e))?;
        checked = format!("every table's breakdowns agree with its rows for {period}");
    }
    for problem in &problems {
        eprintln!("{problem}\n");
    }
    if !problems.is_empty() {
        return Err(Failure::new(
            Exit::Queries,
            format!(
                "{} problem(s) in {} and {}",
                problems.len(),
                queries.display(),
                args.requests.display()
            ),
        ));
    }
    if args.tests {
        let outcome = runtime()?
            .block_on(run_tests(queries, &catalogue))
            .map_err(|e| Failure::new(e.exit(), e))?;
        for mismatch in &outcome.mismatches {
            eprintln!("{mismatch}");
        }
        if !outcome.mismatches.is_empty() {
            return Err(Failure::new(
                Exit::TestsFailed,
                format!(
                    "{} figure(s) of the tests in {} differ from those expected",
                    outcome.mismatches.len(),
                    queries.join(TESTS).display()
                ),
            ));
        }
        checked = format!(
            "{checked}; {} test(s) gave the {} row(s) of {} table(s) they expect",
            outcome.tests, outcome.rows, outcome.tables
        );
    }
    println!(
        "{} is fine: {checked} in {:.2} s",
        queries.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The warehouse's current delivery, read under a shared lock kept while
/// the lock lives.
fn current_delivery(warehouse: &Path, wait: bool) -> Result<(Lock, PathBuf), Failure> {
    let no_delivery = || {
        Failure::new(
            Exit::NoDelivery,
            format!(
                "{} holds no ingested delivery: run dtto ingest first",
                warehouse.display()
            ),
        )
    };
    if !warehouse.is_dir() {
        return Err(no_delivery());
    }
    let lock = Lock::warehouse(warehouse, Access::Shared, wait)?;
    let delivery = Warehouse::new(warehouse)
        .current_dir()
        .ok_or_else(no_delivery)?;
    Ok((lock, delivery))
}

fn query_command(args: QueryArgs, wait: bool) -> Result<(), Failure> {
    let (_warehouse, delivery) = current_delivery(&args.warehouse.warehouse, wait)?;
    let (catalogue, _) = Catalogue::load(&args.queries.queries);
    let batches = runtime()?
        .block_on(async {
            let ctx = open(&delivery, &catalogue).await?;
            adhoc(&ctx, &args.sql).await
        })
        .map_err(|e| Failure::new(Exit::Queries, e))?;
    // The values come from the supplier's files: on a terminal they are
    // escaped; into a pipe or a file, CSV goes as it is.
    let on_terminal = std::io::stdout().is_terminal();
    let printed = if args.csv && !on_terminal {
        let mut writer = datafusion::arrow::csv::Writer::new(std::io::stdout());
        batches.iter().try_for_each(|batch| writer.write(batch))
    } else if args.csv {
        let mut writer = datafusion::arrow::csv::Writer::new(Vec::new());
        batches
            .iter()
            .try_for_each(|batch| writer.write(batch))
            .map(|()| {
                let text = String::from_utf8_lossy(&writer.into_inner()).into_owned();
                print!("{}", printable(&text));
            })
    } else {
        datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .map(|table| println!("{}", printable(&table.to_string())))
    };
    printed.map_err(|e| Failure::new(Exit::Storage, format!("printing the result: {e}")))
}

fn serve_command(args: ServeArgs, config: &Path) -> Result<(), Failure> {
    let edition = args.edition;
    let options = PreviewOptions {
        warehouse: edition.warehouse.warehouse,
        queries: edition.queries.queries,
        templates: edition.templates,
        config: config.to_path_buf(),
        output: edition.output,
        requests: args.requests,
        period: edition.period,
    };
    // Written, not printed: a terminal closed or a pipe no longer read
    // must not stop the preview.
    let tell = |event: Event| {
        let _ = match event {
            Event::Listening(address) => writeln!(
                std::io::stdout(),
                "The draft edition is at http://{address}/ (Ctrl-C stops the preview)"
            ),
            Event::Made { page, seconds } => writeln!(
                std::io::stdout(),
                "{}: made in {seconds:.2} s ({} table(s) queried, the others kept; {})",
                page.period,
                page.queried,
                if page.protected {
                    "disclosure control run"
                } else {
                    "no figure changed, disclosure control's decision kept"
                }
            ),
            Event::Failed(e) => writeln!(std::io::stderr(), "error: {}", printable(e)),
        };
    };
    serve(options, args.port, &runtime()?, &tell).map_err(|e| Failure::new(Exit::Serve, e))
}

/// Whether the two editions are the same; the summary, the CSV or both
/// printed or written on the way.
fn diff_command(args: DiffArgs) -> Result<bool, Failure> {
    // As for `dtto query`, a table whose metadata does not load simply has
    // no descriptive columns: its target would be part of the group.
    let (catalogue, _) = Catalogue::load(&args.queries.queries);
    let descriptive = diff::descriptive_columns(&catalogue);
    let old = PublishedFigures::read(&args.old, &descriptive)?;
    let new = PublishedFigures::read(&args.new, &descriptive)?;
    let changes = diff::compare(&old, &new);
    let to_stdout = args.csv.as_deref() == Some(Path::new("-"));
    if let Some(path) = &args.csv {
        let fail = |e: &dyn std::fmt::Display| {
            Failure::new(
                Exit::DiffFailed,
                format!("writing the differences to {}: {e}", path.display()),
            )
        };
        let mut csv = Vec::new();
        diff::write_csv(&changes, &mut csv).map_err(|e| fail(&e))?;
        if to_stdout {
            print_csv(&csv).map_err(|e| fail(&e))?;
        } else {
            std::fs::write(path, csv).map_err(|e| fail(&e))?;
        }
    }
    if !to_stdout {
        print!("{}", printable(&diff::summary(&changes)));
    }
    Ok(changes.is_empty())
}

/// CSV as it is into a pipe or a file; on a terminal, escaped, since an
/// edition's folder may hold anything.
fn print_csv(csv: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if std::io::stdout().is_terminal() {
        print!("{}", printable(&String::from_utf8_lossy(csv)));
        Ok(())
    } else {
        std::io::stdout().write_all(csv)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Exit::Storage,
                format!("could not start the query runtime: {e}"),
            )
        })
}
