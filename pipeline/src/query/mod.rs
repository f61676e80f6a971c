//! The measures: the statisticians' SQL (`queries/`) planned and run by
//! DataFusion over the warehouse's Parquet.

pub mod catalogue;
pub mod parameters;
pub mod session;

use std::path::Path;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::future::try_join_all;

use catalogue::{Catalogue, Problem, TableQuery};
use parameters::Parameters;
use session::{Data, register, sql_problem};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{} problem(s) in queries/:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Catalogue(Vec<Problem>),
    #[error("{0}")]
    DataFusion(#[from] DataFusionError),
    #[error("only reading queries are allowed here: {0}")]
    NotReadOnly(String),
}

/// Plans every view and table against the warehouse's schemas, with no
/// data, and returns every problem found.
pub async fn check(
    queries: &Path,
    parameters: &Parameters,
) -> Result<Vec<Problem>, DataFusionError> {
    let (catalogue, mut problems) = Catalogue::load(queries);
    let ctx = session::new_context();
    problems.extend(register(&ctx, Data::SchemasOnly, &catalogue).await?);
    for table in &catalogue.tables {
        if let Err(problem) = plan(&ctx, table, parameters).await {
            problems.push(problem);
        }
    }
    Ok(problems)
}

/// A table's query planned with its parameters, and its output checked
/// against the table's kind.
async fn plan(
    ctx: &SessionContext,
    table: &TableQuery,
    parameters: &Parameters,
) -> Result<DataFrame, Problem> {
    let problem = |e: DataFusionError| sql_problem(&table.sql_path, &table.sql, &e);
    let frame = ctx.sql(&table.sql).await.map_err(problem)?;
    let frame = frame
        .with_param_values(parameters.param_values())
        .map_err(problem)?;
    let columns: Vec<&str> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let missing: Vec<&str> = table
        .metadata
        .kind
        .required_columns()
        .filter(|c| !columns.contains(c))
        .collect();
    if !missing.is_empty() {
        return Err(Problem::in_file(
            &table.sql_path,
            format!(
                "a {:?} table must return column(s) {}; it returns {}",
                table.metadata.kind,
                missing.join(", "),
                columns.join(", ")
            ),
        ));
    }
    Ok(frame)
}

/// A table's rows for the reference year and for a year earlier.
pub struct TableResult {
    pub table: TableQuery,
    pub current: Vec<RecordBatch>,
    pub previous: Vec<RecordBatch>,
}

/// Opens a session on an ingested delivery with everything registered.
pub async fn open(delivery: &Path, catalogue: &Catalogue) -> Result<SessionContext, QueryError> {
    let ctx = session::new_context();
    let problems = register(&ctx, Data::Warehouse(delivery), catalogue).await?;
    if !problems.is_empty() {
        return Err(QueryError::Catalogue(problems));
    }
    Ok(ctx)
}

/// Runs every table, concurrently, for the period and a year earlier.
pub async fn run_tables(
    ctx: &SessionContext,
    catalogue: &Catalogue,
    parameters: &Parameters,
) -> Result<Vec<TableResult>, QueryError> {
    let earlier = parameters.year_earlier();
    let runs = catalogue.tables.iter().map(|table| {
        let earlier = &earlier;
        async move {
            let current = plan(ctx, table, parameters)
                .await
                .map_err(|p| QueryError::Catalogue(vec![p]))?;
            let previous = plan(ctx, table, earlier)
                .await
                .map_err(|p| QueryError::Catalogue(vec![p]))?;
            let (current, previous) = futures::try_join!(current.collect(), previous.collect())?;
            Ok::<_, QueryError>(TableResult {
                table: table.clone(),
                current,
                previous,
            })
        }
    });
    try_join_all(runs).await
}

/// An ad-hoc query for a statistician: reading only.
pub async fn adhoc(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
    let read_only = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    // Planned first and checked separately, so that only the read-only
    // check's own refusal is reported as one.
    let plan = ctx.state().create_logical_plan(sql).await?;
    read_only
        .verify_plan(&plan)
        .map_err(|e| QueryError::NotReadOnly(e.message().to_string()))?;
    let frame = ctx.execute_logical_plan(plan).await?;
    Ok(frame.collect().await?)
}
