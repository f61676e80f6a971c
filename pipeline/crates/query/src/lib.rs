//! The measures: the statisticians' SQL (`queries/`) planned and run by
//! DataFusion over the warehouse's Parquet.

// What other crates may use is `pub` and reachable from here; the rest
// is `pub(crate)`, so a surface grows only by a deliberate edit.
#![warn(unreachable_pub)]

pub mod parameters;
pub mod session;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::StreamExt;

use dtto_model::catalogue::{Catalogue, Problem, TableQuery};
use dtto_model::period::Period;
use dtto_model::result::TableResult;
use dtto_model::table::BREAKDOWN;
use dtto_model::window::{self, Window, Windows, by_months};
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

/// Plans every view and table of `catalogue`, and the tables `more` (an
/// answer's), against the warehouse's schemas, with no data, for the
/// parameters of `period` and `as_at`, and returns every problem found
/// (those of loading it are the caller's).
pub async fn check(
    catalogue: &Catalogue,
    more: &[TableQuery],
    period: Period,
    as_at: NaiveDate,
) -> Result<Vec<Problem>, DataFusionError> {
    let parameters = &Parameters::new(&catalogue.windows, period, as_at);
    let ctx = session::new_context();
    let mut problems = register(&ctx, Data::SchemasOnly, catalogue).await?;
    for table in catalogue.tables.iter().chain(more) {
        let planned = match unbound(&ctx, table).await {
            Ok(frame) => windows_in(&catalogue.windows, table, &frame)
                .and_then(|_| bind(table, frame, parameters)),
            Err(problem) => Err(problem),
        };
        if let Err(problem) = planned {
            problems.push(problem);
        }
    }
    Ok(problems)
}

/// Runs every table of `catalogue`, loaded without problems, on an
/// ingested delivery (`delivery`, a folder of the warehouse) for `period`, and compares the breakdowns its rows
/// carry with its metadata's `breakdowns`: one the rows carry that the list
/// lacks would be published unannounced; one the list names that no row
/// carries is misspelt, or lost from the SQL. A table that does not plan is
/// left to [`check`].
pub async fn check_breakdowns(
    catalogue: &Catalogue,
    delivery: &Path,
    period: Period,
    as_at: NaiveDate,
) -> Result<Vec<Problem>, QueryError> {
    let parameters = &Parameters::new(&catalogue.windows, period, as_at);
    let ctx = open(delivery, catalogue).await?;
    let mut problems = Vec::new();
    for table in &catalogue.tables {
        let Ok(frame) = plan(&ctx, table, parameters).await else {
            continue;
        };
        let Some(returned) = breakdowns_of(&frame.collect().await?) else {
            continue;
        };
        let listed = &table.metadata.breakdowns;
        let metadata = table.sql_path.with_extension("toml");
        for unlisted in returned.iter().filter(|b| !listed.contains(b)) {
            problems.push(Problem::in_file(
                &metadata,
                format!(
                    "the query returns the breakdown {unlisted:?}, which `breakdowns` does \
                     not list ({}): add it there, or leave it out of the SQL",
                    listed.join(", ")
                ),
            ));
        }
        for missing in listed.iter().filter(|b| !returned.contains(*b)) {
            problems.push(Problem::in_file(
                &metadata,
                format!(
                    "`breakdowns` lists {missing:?}, but no row the query returns for {} \
                     carries it (it returns {}): correct the name, or the SQL",
                    parameters.period,
                    returned.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(problems)
}

/// The values of the `breakdown` column, if the batches have one.
fn breakdowns_of(batches: &[RecordBatch]) -> Option<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    for batch in batches {
        let column = batch.column_by_name(BREAKDOWN)?;
        let text = datafusion::arrow::compute::cast(column, &DataType::Utf8).ok()?;
        let text = text.as_string_opt::<i32>()?;
        found.extend(text.iter().flatten().map(String::from));
    }
    Some(found)
}

/// A table's query planned with its parameters, and its output checked
/// against the table's kind.
async fn plan(
    ctx: &SessionContext,
    table: &TableQuery,
    parameters: &Parameters,
) -> Result<DataFrame, Problem> {
    bind(table, unbound(ctx, table).await?, parameters)
}

/// A table's query planned with its parameters still open.
async fn unbound(ctx: &SessionContext, table: &TableQuery) -> Result<DataFrame, Problem> {
    let problem = |e: DataFusionError| sql_problem(&table.sql_path, &table.sql, &e);
    ctx.sql(&table.sql).await.map_err(problem)
}

/// `frame`, the table's query planned, given its parameters' values, and
/// its output checked against the table's kind.
fn bind(
    table: &TableQuery,
    frame: DataFrame,
    parameters: &Parameters,
) -> Result<DataFrame, Problem> {
    let problem = |e: DataFusionError| sql_problem(&table.sql_path, &table.sql, &e);
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

/// The windows a table's words name are the windows its query counts
/// over, so no label can name months the figures do not count.
fn check_windows_named(table: &TableQuery, used: &[Window]) -> Result<(), Problem> {
    let named = by_months(table.metadata.windows().to_vec());
    if named == used {
        return Ok(());
    }
    let window_words = |windows: &[Window]| {
        windows
            .iter()
            .map(|w| format!("${0}_start..${0}_end", w.name))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    Err(Problem::in_file(
        &table.sql_path.with_extension("toml"),
        format!(
            "`cohort` names {}, but the query counts over {}: name in `cohort` and `counted` \
             the windows {} uses ({})",
            dtto_model::catalogue::names(&named),
            dtto_model::catalogue::names(used),
            table.sql_path.display(),
            if used.is_empty() {
                "none".to_string()
            } else {
                window_words(used)
            }
        ),
    ))
}

/// Opens a session on an ingested delivery with everything registered.
pub async fn open(delivery: &Path, catalogue: &Catalogue) -> Result<SessionContext, QueryError> {
    open_on(Data::Warehouse(delivery), catalogue).await
}

/// Opens a session on `data`, a delivery in the warehouse or in memory,
/// with everything registered.
pub async fn open_on(data: Data<'_>, catalogue: &Catalogue) -> Result<SessionContext, QueryError> {
    let ctx = session::new_context();
    let problems = register(&ctx, data, catalogue).await?;
    if !problems.is_empty() {
        return Err(QueryError::Catalogue(problems));
    }
    Ok(ctx)
}

/// Which quarters a table is run for.
struct Quarters {
    series_from: Option<Period>,
    windows: Vec<Period>,
    singles: Vec<Period>,
}

/// The series of a table counting over `window`: every quarter from the
/// first whose window the delivery covers (its first Order commenced on
/// `begins`) to the period; then the period and a year earlier, published
/// whatever the cover; and the single quarters that make them up.
fn quarters(period: Period, window: Option<&Window>, begins: Option<NaiveDate>) -> Quarters {
    let series_from = window
        .zip(begins)
        .map(|(window, begins)| Period::first_covering(begins, window.quarters_back))
        .filter(|from| *from <= period);
    let mut windows: Vec<Period> = series_from
        .map(|from| from.through(period).collect())
        .unwrap_or_default();
    windows.extend([period.earlier(4), period]);
    windows.sort();
    windows.dedup();
    let mut singles: Vec<Period> = match window {
        Some(_) => windows
            .iter()
            .flat_map(|q| q.earlier(3).through(*q))
            .collect(),
        None => Vec::new(),
    };
    singles.sort();
    singles.dedup();
    Quarters {
        series_from,
        windows,
        singles,
    }
}

/// How many queries run at once: enough to keep every core busy, few
/// enough that their working memory stays small.
const QUERIES_AT_ONCE: usize = 8;

/// Runs each table for every quarter of its series, the period and a year
/// earlier, and every single quarter those are made of (see
/// [`TableResult`]), in the order given, with the parameters of every
/// window `declared`. `begins`: the day the delivery's first Order
/// commenced.
pub async fn run_tables(
    ctx: &SessionContext,
    declared: &Windows,
    tables: &[&TableQuery],
    period: Period,
    as_at: NaiveDate,
    begins: Option<NaiveDate>,
) -> Result<Vec<TableResult>, QueryError> {
    let catalogue_problem = |p| QueryError::Catalogue(vec![p]);
    let mut plans = Vec::new();
    for table in tables.iter().copied() {
        let windows = windows_of(ctx, declared, table)
            .await
            .map_err(catalogue_problem)?;
        plans.push((table, quarters(period, window::only(&windows), begins)));
    }
    let runs = plans.iter().flat_map(|(table, quarters)| {
        let windows = quarters
            .windows
            .iter()
            .map(|q| (*table, Parameters::new(declared, *q, as_at)));
        let singles = quarters
            .singles
            .iter()
            .map(|q| (*table, Parameters::single_quarter(declared, *q, as_at)));
        windows.chain(singles)
    });
    let attempts: Vec<_> = futures::stream::iter(runs)
        .map(|(table, parameters)| async move {
            let attempt = run_one(ctx, table, &parameters).await;
            (table, parameters, attempt)
        })
        .buffered(QUERIES_AT_ONCE)
        .collect()
        .await;
    // A query refused memory while others held theirs runs again alone,
    // with the whole memory pool to itself.
    let mut results = Vec::with_capacity(attempts.len());
    for (table, parameters, attempt) in attempts {
        results.push(match attempt {
            Err(QueryError::DataFusion(e)) if out_of_memory(&e) => {
                run_one(ctx, table, &parameters).await?
            }
            other => other?,
        });
    }
    let mut results = results.into_iter();
    Ok(plans
        .into_iter()
        .map(|(table, quarters)| {
            let mut take = |qs: Vec<Period>| -> Vec<(Period, Vec<RecordBatch>)> {
                qs.into_iter().zip(results.by_ref()).collect()
            };
            let windows = take(quarters.windows);
            let singles = take(quarters.singles);
            TableResult {
                table: table.clone(),
                series_from: quarters.series_from,
                windows,
                singles,
            }
        })
        .collect())
}

/// One table's query for one quarter's parameters, its rows collected.
async fn run_one(
    ctx: &SessionContext,
    table: &TableQuery,
    parameters: &Parameters,
) -> Result<Vec<RecordBatch>, QueryError> {
    Ok(run_returning_columns(ctx, table, parameters).await?.1)
}

/// As [`run_one`], with the names of the columns the query returns, named
/// even when it returns no row.
pub async fn run_returning_columns(
    ctx: &SessionContext,
    table: &TableQuery,
    parameters: &Parameters,
) -> Result<(Vec<String>, Vec<RecordBatch>), QueryError> {
    let frame = plan(ctx, table, parameters)
        .await
        .map_err(|p| QueryError::Catalogue(vec![p]))?;
    let columns = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = frame.collect().await.map_err(|e| {
        QueryError::DataFusion(e.context(format!(
            "running {} for {}",
            table.sql_path.display(),
            parameters.period
        )))
    })?;
    Ok((columns, batches))
}

/// Whether a query failed for want of memory (and could pass alone).
fn out_of_memory(error: &DataFusionError) -> bool {
    matches!(error.find_root(), DataFusionError::ResourcesExhausted(_))
}

/// The rolling windows a table's query counts over, which its words must
/// name.
async fn windows_of(
    ctx: &SessionContext,
    declared: &Windows,
    table: &TableQuery,
) -> Result<Vec<Window>, Problem> {
    windows_in(declared, table, &unbound(ctx, table).await?)
}

/// The rolling windows of `declared` that `frame`, the table's query
/// planned with its parameters open, counts over, checked against its
/// words.
fn windows_in(
    declared: &Windows,
    table: &TableQuery,
    frame: &DataFrame,
) -> Result<Vec<Window>, Problem> {
    let problem = |e: DataFusionError| sql_problem(&table.sql_path, &table.sql, &e);
    let names = frame
        .logical_plan()
        .get_parameter_names()
        .map_err(problem)?;
    let used = declared.used_by(names.iter().map(String::as_str));
    check_windows_named(table, &used)?;
    Ok(used)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_refused_memory_is_told_from_other_failures() {
        let refused = DataFusionError::ResourcesExhausted("HashJoinInput".to_string());
        assert!(out_of_memory(&refused.context("while joining")));
        assert!(!out_of_memory(&DataFusionError::Plan(
            "no such column".to_string()
        )));
    }
}
