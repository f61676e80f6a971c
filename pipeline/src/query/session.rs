//! One DataFusion `SessionContext` per run, with the warehouse's Parquet,
//! the reference lists and the views registered.

use std::path::Path;
use std::sync::Arc;

use datafusion::catalog::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};

use super::catalogue::{Catalogue, Problem, View};
use crate::ingest::contract::ExtractFile;
use crate::ingest::dataset_schema;

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

pub fn new_context() -> SessionContext {
    let mut config = SessionConfig::new().with_information_schema(true);
    // Spans let an unknown column be reported at its line and column.
    config.options_mut().sql_parser.collect_spans = true;
    // A join's smaller side (the Orders of one window: tens of thousands of
    // rows) is hashed whole, and the larger side (a view of every Order in
    // every group, kept in memory) read where it lies. Under the defaults
    // (1 MiB, 128 Ki rows) both sides were hashed again into partitions for
    // every query; the whole series at scale 10 took 20.7 s instead of 14.7.
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.hash_join_single_partition_threshold = 64 << 20;
    optimizer.hash_join_single_partition_threshold_rows = 1 << 20;
    SessionContext::new_with_config(config)
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
    let mut problems = Vec::new();
    for view in &catalogue.views {
        if let Err(problem) = register_view(ctx, view).await {
            problems.push(problem);
        }
    }
    Ok(problems)
}

/// Views take no parameters, so each is computed once per run and kept in
/// memory: every table that reads it then reads the result, not the work.
async fn register_view(ctx: &SessionContext, view: &View) -> Result<(), Problem> {
    let problem = |e: DataFusionError| sql_problem(&view.path, &view.sql, &e);
    let frame = ctx.sql(&view.sql).await.map_err(problem)?;
    let computed = frame.cache().await.map_err(problem)?;
    ctx.register_table(&view.name, computed.into_view())
        .map_err(|e| Problem::in_file(&view.path, e.to_string()))?;
    Ok(())
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
