//! `dtto`: the command line over the pipeline library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use dtto::config::Config;
use dtto::ingest::{IngestOptions, ingest};
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
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

/// A failure: the exit code and the message for the user.
type Failure = (u8, String);

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
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

/// The configuration, or its defaults when the default file is absent.
fn load_config(path: &Path) -> Result<Config, Failure> {
    if !path.exists() && path == Path::new("dtto.toml") {
        return Ok(Config::default());
    }
    Config::read(path).map_err(|e| (8, format!("configuration {e}")))
}
