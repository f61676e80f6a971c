//! `dtto`: the command line over the pipeline library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use dtto::config::Config;
use dtto::disclosure::{Year, audit};
use dtto::ingest::warehouse::Warehouse;
use dtto::ingest::{IngestOptions, ingest};
use dtto::period::Period;
use dtto::query::catalogue::Catalogue;
use dtto::query::parameters::Parameters;
use dtto::query::{adhoc, check, open};
use dtto::run::{RunOptions, run};
use dtto::synth::{GeneratorOptions, generate};

/// Quarterly official statistics on the Drug Treatment and Testing Order.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The publication's configuration file.
    #[arg(long, global = true, default_value = "dtto.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a delivery and load it into the warehouse as Parquet.
    Ingest {
        /// The delivery folder: extract.toml and the five CSV files.
        #[arg(long)]
        extract: PathBuf,
        #[arg(long, default_value = "warehouse")]
        warehouse: PathBuf,
        /// Where the reference lists live.
        #[arg(long, default_value = "queries/reference")]
        reference: PathBuf,
        /// Ingest again even if this delivery is already in the warehouse.
        #[arg(long)]
        force: bool,
    },
    /// Ingest if needed, then compute every table of the period.
    Run {
        /// The delivery folder: extract.toml and the five CSV files.
        #[arg(long)]
        extract: PathBuf,
        /// The quarter to publish, e.g. 2003Q4; the extract's latest
        /// complete quarter when not given.
        #[arg(long)]
        period: Option<Period>,
        #[arg(long, default_value = "warehouse")]
        warehouse: PathBuf,
        #[arg(long, default_value = "queries")]
        queries: PathBuf,
        #[arg(long, default_value = "templates")]
        templates: PathBuf,
        #[arg(long, default_value = "output")]
        output: PathBuf,
    },
    /// Plan every query against the warehouse schemas, without data, and
    /// report each problem with its file, line and column.
    Check {
        #[arg(long, default_value = "queries")]
        queries: PathBuf,
    },
    /// Run a read-only SQL query on the current delivery.
    Query {
        sql: String,
        /// Print CSV instead of a table.
        #[arg(long)]
        csv: bool,
        #[arg(long, default_value = "warehouse")]
        warehouse: PathBuf,
        #[arg(long, default_value = "queries")]
        queries: PathBuf,
    },
    /// Synthetic deliveries for development, tests and benchmarks.
    Fixtures {
        #[command(subcommand)]
        command: FixturesCommand,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Write a synthetic delivery in the contract's exact format.
    Generate {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 1 gives about 30,000 Orders; 10 about 300,000.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// The extract's as_at date: no event is later.
        #[arg(long, default_value = "2005-03-31")]
        as_at: NaiveDate,
        /// The folder to write the delivery into.
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

/// A failure: the exit code and the message for the user.
type Failure = (u8, String);

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run {
            extract,
            period,
            warehouse,
            queries,
            templates,
            output,
        } => {
            let options = RunOptions {
                extract,
                warehouse,
                queries,
                templates,
                output,
                period,
                config: load_config(&cli.config)?,
            };
            let outcome = runtime()?
                .block_on(run(&options))
                .map_err(|e| (e.exit_code(), e.to_string()))?;
            println!("{}", outcome.ingested.summary.table());
            println!(
                "Period {}: {} tables computed in {:.2} s",
                outcome.period,
                outcome.tables.len(),
                outcome.query_seconds,
            );
            for (year, name) in [
                (Year::Reference, "reference year"),
                (Year::YearEarlier, "a year earlier"),
            ] {
                let (by_rule, withheld, figures) = audit::summary(&outcome.protected, year);
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
            let at = |file: &str| outcome.output.join(file).display().to_string();
            println!("Bulletin: {} and {}", at("index.html"), at("bulletin.pdf"));
            println!("Tables: {} and {}", at("tables.ods"), at("data"));
            println!(
                "For sign-off: {} and {}",
                at("qa.html"),
                at("disclosure_audit.csv")
            );
            Ok(())
        }
        Command::Check { queries } => {
            let today = chrono::Local::now().date_naive();
            let parameters = Parameters::new(Period::latest_complete(today), today);
            let started = std::time::Instant::now();
            let problems = runtime()?
                .block_on(check(&queries, &parameters))
                .map_err(|e| (10, e.to_string()))?;
            for problem in &problems {
                eprintln!("{problem}\n");
            }
            if problems.is_empty() {
                println!(
                    "queries/ is fine: every query planned in {:.2} s",
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            } else {
                Err((
                    10,
                    format!("{} problem(s) in {}", problems.len(), queries.display()),
                ))
            }
        }
        Command::Query {
            sql,
            csv,
            warehouse,
            queries,
        } => {
            let delivery = Warehouse::new(&warehouse).current_dir().ok_or_else(|| {
                (
                    4,
                    format!(
                        "{} holds no ingested delivery: run dtto ingest first",
                        warehouse.display()
                    ),
                )
            })?;
            let (catalogue, _) = Catalogue::load(&queries);
            let batches = runtime()?
                .block_on(async {
                    let ctx = open(&delivery, &catalogue).await?;
                    adhoc(&ctx, &sql).await
                })
                .map_err(|e| (10, e.to_string()))?;
            if csv {
                let mut writer = datafusion::arrow::csv::Writer::new(std::io::stdout());
                for batch in &batches {
                    writer.write(batch).map_err(|e| (1, e.to_string()))?;
                }
            } else {
                let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                    .map_err(|e| (1, e.to_string()))?;
                println!("{table}");
            }
            Ok(())
        }
        Command::Ingest {
            extract,
            warehouse,
            reference,
            force,
        } => {
            let config = load_config(&cli.config)?;
            let options = IngestOptions {
                extract,
                warehouse,
                reference,
                force,
                max_quarantined_share: config.ingest.max_quarantined_share,
            };
            let ingested = ingest(&options).map_err(|e| (e.exit_code(), e.to_string()))?;
            if ingested.reused {
                println!(
                    "This delivery was ingested before; using {} (--force ingests it again).",
                    ingested.dir.display()
                );
            }
            println!("{}", ingested.summary.table());
            for file in &ingested.summary.files {
                for warning in &file.warnings {
                    println!("warning: {}: {warning}", file.source);
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
        Command::Fixtures {
            command:
                FixturesCommand::Generate {
                    seed,
                    scale,
                    as_at,
                    out,
                },
        } => {
            let options = GeneratorOptions { seed, scale, as_at };
            let control = generate(&options, &out).map_err(|e| (1, e.to_string()))?;
            println!(
                "Wrote a synthetic delivery to {}: {} Orders, {} drug tests",
                out.display(),
                control.rows_of(dtto::ingest::contract::ExtractFile::Orders),
                control.rows_of(dtto::ingest::contract::ExtractFile::DrugTests)
            );
            Ok(())
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (1, format!("could not start the query runtime: {e}")))
}

/// The configuration, or its defaults when the default file is absent.
fn load_config(path: &Path) -> Result<Config, Failure> {
    if !path.exists() && path == Path::new("dtto.toml") {
        return Ok(Config::default());
    }
    Config::read(path).map_err(|e| (8, format!("configuration {e}")))
}
