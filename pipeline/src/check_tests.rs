//! `dtto check --tests`: the statisticians' tests, kept as files beside
//! the SQL so that they can read, extend and run them without Rust.
//!
//! ```text
//! queries/tests/<test>/
//!   test.toml        the delivery (a folder, relative to this one) and the period
//!   <table id>.csv   the rows of that table the SQL must return, worked out by hand
//! ```
//!
//! Each test's delivery is ingested into a warehouse of its own, removed
//! afterwards, and each table with an expected file is run for the test's
//! period as a run would (its windows' parameters, `$as_at` the
//! delivery's). Every row of an expected file is compared with the row of
//! the same group the query returns: every figure it lists, or that there is
//! none (`no row`). Rows it does not list are not compared, unless the
//! test's `every_row` names the table: then a row it does not list is a
//! mismatch too.

use std::fmt;
use std::path::{Path, PathBuf};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use serde::Deserialize;

use dtto_ingest::{IngestError, IngestOptions, as_at_of, ingest};
use dtto_model::catalogue::{Catalogue, Problem, TableQuery};
use dtto_model::exit::Exit;
use dtto_model::period::Period;
use dtto_query::parameters::Parameters;
use dtto_query::session::Data;
use dtto_query::{QueryError, run_returning_columns};

use crate::config::Config;
use crate::diff::Group;
use crate::edition::{Opened, RunError};

/// The folder under `queries/` holding the tests, one folder each.
pub const TESTS: &str = "tests";

/// A test's own file: its delivery and period.
const TEST_FILE: &str = "test.toml";

/// What an expected file writes, in each figure it lists, for a group the
/// query must return no row for.
const NO_ROW: &str = "no row";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// What the test is about, in a sentence.
    about: String,
    /// The delivery's folder, relative to the test's own.
    delivery: PathBuf,
    /// The quarter whose edition's figures are expected.
    period: String,
    /// Tables whose expected file lists every row the query returns: a
    /// row it does not list is a mismatch too.
    #[serde(default)]
    every_row: Vec<String>,
}

/// One figure, or one row, that is not what the test expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The test's folder name.
    pub test: String,
    /// The table's id.
    pub table: String,
    /// The expected file and the line of its row.
    pub path: PathBuf,
    pub line: u64,
    /// The row's group, as `dtto diff` writes one: `breakdown=Sex;
    /// group=Female`.
    pub group: String,
    /// The figure's column, or `row` when the row itself is missing or
    /// should not be there.
    pub column: String,
    pub expected: String,
    pub got: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |value: &str| {
            if value.is_empty() {
                "(empty)".to_string()
            } else {
                value.to_string()
            }
        };
        write!(
            f,
            "{}:{}: test {}, table {}, {}: {} expected {}, got {}",
            self.path.display(),
            self.line,
            self.test,
            self.table,
            self.group,
            self.column,
            shown(&self.expected),
            shown(&self.got)
        )
    }
}

/// What the tests found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// How many tests, expected tables and expected rows were compared.
    pub tests: usize,
    pub tables: usize,
    pub rows: usize,
    pub mismatches: Vec<Mismatch>,
}

#[derive(Debug, thiserror::Error)]
pub enum TestsError {
    /// A test's files are not a test: each problem with its file and line.
    #[error("{} problem(s) in the tests:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Problems(Vec<Problem>),
    #[error("a test's delivery: {0}")]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("a test's warehouse could not be made: {0}")]
    Scratch(std::io::Error),
    #[error(transparent)]
    Run(#[from] RunError),
}

impl TestsError {
    pub fn exit(&self) -> Exit {
        match self {
            TestsError::Problems(_) | TestsError::Query(_) => Exit::Queries,
            TestsError::Ingest(e) => e.exit(),
            TestsError::Scratch(_) => Exit::Storage,
            TestsError::Run(e) => e.exit(),
        }
    }
}

/// Runs every test under `queries/tests/`, in the order of their folders'
/// names, and returns every mismatch. The catalogue must have loaded
/// without problems (`dtto check` reports those first).
pub async fn run_tests(queries: &Path, catalogue: &Catalogue) -> Result<Outcome, TestsError> {
    let dir = queries.join(TESTS);
    let mut folders: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => {
            return Err(TestsError::Problems(vec![Problem::in_file(
                &dir,
                format!("the tests cannot be read: {e}"),
            )]));
        }
    };
    folders.sort();
    let mut outcome = Outcome::default();
    // A test that is not one does not stop the others: every such problem
    // is reported at once, as `dtto check` reports the queries'.
    let mut problems = Vec::new();
    for folder in folders {
        match run_test(queries, catalogue, &folder, &mut outcome).await {
            Err(TestsError::Problems(found)) => problems.extend(found),
            other => other?,
        }
    }
    if problems.is_empty() {
        Ok(outcome)
    } else {
        Err(TestsError::Problems(problems))
    }
}

/// One test: its delivery ingested alone, each expected table run and
/// compared.
async fn run_test(
    queries: &Path,
    catalogue: &Catalogue,
    folder: &Path,
    outcome: &mut Outcome,
) -> Result<(), TestsError> {
    let test = folder
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let test_file = folder.join(TEST_FILE);
    let (file, period) = read_test_file(&test_file)?;
    let expected = expected_files(folder, catalogue)?;
    if let Some(unknown) = file
        .every_row
        .iter()
        .find(|id| !expected.iter().any(|(_, table)| table.metadata.id == **id))
    {
        return Err(TestsError::Problems(vec![Problem::in_file(
            &test_file,
            format!("`every_row` names {unknown:?}, which has no expected file in this test"),
        )]));
    }
    let scratch = tempfile::Builder::new()
        .prefix("dtto-test-")
        .tempdir()
        .map_err(TestsError::Scratch)?;
    let config = Config::default();
    let ingested = ingest(&IngestOptions {
        extract: folder.join(&file.delivery),
        warehouse: scratch.path().join("warehouse"),
        reference: queries.join("reference"),
        force: false,
        max_quarantined_share: config.ingest.max_quarantined_share,
        limits: config.ingest.limits(),
        quiet: true,
    })?;
    // Opened as a run opens its delivery, so a period it cannot count is
    // refused as a run would refuse it.
    let as_at = as_at_of(&ingested.summary, &ingested.dir)?;
    let data = Data::Warehouse(&ingested.dir);
    let opened = Opened::open(data, ingested.summary, as_at, catalogue, Some(period)).await?;
    let parameters = Parameters::new(&catalogue.windows, opened.period, opened.as_at);
    for (path, table) in expected {
        let (columns, batches) = run_returning_columns(&opened.ctx, table, &parameters).await?;
        let got = Returned::of(table, columns, &batches);
        let rows = read_expected(&path, table, &got)?;
        outcome.tables += 1;
        outcome.rows += rows.len();
        let dimensions = got_dimensions(&got);
        for row in &rows {
            let group = group_words(&dimensions, &row.key);
            let mut mismatch = |column: &str, expected: &str, value: String| {
                outcome.mismatches.push(Mismatch {
                    test: test.clone(),
                    table: table.metadata.id.clone(),
                    path: path.clone(),
                    line: row.line,
                    group: group.clone(),
                    column: column.to_string(),
                    expected: expected.to_string(),
                    got: value,
                })
            };
            match (got.row(&row.key), &row.figures) {
                (None, None) => {}
                (Some(found), None) => mismatch("row", NO_ROW, got.figures_in_words(found)),
                (None, Some(_)) => mismatch("row", "a row", NO_ROW.to_string()),
                (Some(found), Some(figures)) => {
                    for (column, expected) in figures {
                        let value = got.value(found, column);
                        if !same(expected, &value) {
                            mismatch(column, expected, value);
                        }
                    }
                }
            }
        }
        if file.every_row.contains(&table.metadata.id) {
            // Shown after the last row listed, where the row would go.
            let line = rows.iter().map(|r| r.line).max().unwrap_or(1) + 1;
            for found in got.rows_not_in(rows.iter().map(|r| r.key.as_slice())) {
                outcome.mismatches.push(Mismatch {
                    test: test.clone(),
                    table: table.metadata.id.clone(),
                    path: path.clone(),
                    line,
                    group: group_words(&dimensions, &got.key(found)),
                    column: "row".to_string(),
                    expected: NO_ROW.to_string(),
                    got: got.figures_in_words(found),
                });
            }
        }
    }
    outcome.tests += 1;
    Ok(())
}

fn got_dimensions(got: &Returned) -> Vec<String> {
    got.dimensions
        .iter()
        .map(|&c| got.columns[c].clone())
        .collect()
}

/// `breakdown=Sex; group=Female`, as `dtto diff` names a row.
fn group_words(dimensions: &[String], key: &[String]) -> String {
    let dimensions = dimensions.iter().cloned().zip(key.iter().cloned());
    Group {
        quarter: None,
        dimensions: dimensions.collect(),
    }
    .to_string()
}

/// Numbers are compared as numbers (`4` is `4.0`), everything else as
/// written.
fn same(expected: &str, got: &str) -> bool {
    match (expected.parse::<f64>(), got.parse::<f64>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => expected == got,
    }
}

fn read_test_file(path: &Path) -> Result<(TestFile, Period), TestsError> {
    let problem = |p: Problem| TestsError::Problems(vec![p]);
    let text = std::fs::read_to_string(path)
        .map_err(|e| problem(Problem::in_file(path, format!("cannot be read: {e}"))))?;
    let file: TestFile =
        toml::from_str(&text).map_err(|e| problem(Problem::from_toml(path, &text, &e)))?;
    let period = file.period.parse::<Period>().map_err(|e| {
        let (line, column) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.trim_start().starts_with("period"))
            .map_or((1, 1), |(n, _)| (n as u64 + 1, 1));
        problem(Problem::at(
            path,
            &text,
            line,
            column,
            format!("period {:?}: {e}", file.period),
        ))
    })?;
    Ok((file, period))
}

/// The test's expected files, each with its table: every `.csv` directly
/// in the folder, named by the table's id.
fn expected_files<'a>(
    folder: &Path,
    catalogue: &'a Catalogue,
) -> Result<Vec<(PathBuf, &'a TableQuery)>, TestsError> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| TestsError::Problems(vec![Problem::in_file(folder, e.to_string())]))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let id = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        match catalogue.tables.iter().find(|t| t.metadata.id == id) {
            Some(table) => found.push((path, table)),
            None => problems.push(Problem::in_file(
                &path,
                format!("there is no table {id:?}: an expected file is named by a table's id"),
            )),
        }
    }
    if found.is_empty() && problems.is_empty() {
        problems.push(Problem::in_file(
            folder,
            "expects nothing: add a <table id>.csv of the rows the table must return",
        ));
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(TestsError::Problems(problems))
    }
}

/// What a table's query returned, as text: its columns, which of them
/// are dimensions, and its rows.
struct Returned {
    columns: Vec<String>,
    /// Indices of the dimension columns: every column but the kind's
    /// figures and the metadata's descriptive ones.
    dimensions: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl Returned {
    fn of(table: &TableQuery, columns: Vec<String>, batches: &[RecordBatch]) -> Returned {
        let dimensions = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !figure(table, c))
            .map(|(i, _)| i)
            .collect();
        let mut rows = Vec::new();
        for batch in batches {
            for row in 0..batch.num_rows() {
                rows.push(
                    batch
                        .columns()
                        .iter()
                        // A value arrow cannot write as text is no value a
                        // table returns (dates, numbers and text are).
                        .map(|c| array_value_to_string(c, row).unwrap_or_default())
                        .collect(),
                );
            }
        }
        Returned {
            columns,
            dimensions,
            rows,
        }
    }

    /// The row of the group `key` (the dimensions' values in the query's
    /// order).
    fn row(&self, key: &[String]) -> Option<usize> {
        self.rows
            .iter()
            .position(|row| self.dimensions.iter().zip(key).all(|(&c, v)| row[c] == *v))
    }

    /// The group of row `row`: its dimensions' values.
    fn key(&self, row: usize) -> Vec<String> {
        self.dimensions
            .iter()
            .map(|&c| self.rows[row][c].clone())
            .collect()
    }

    /// The rows whose group is none of `keys`, in the query's order.
    fn rows_not_in<'k>(&self, keys: impl Iterator<Item = &'k [String]>) -> Vec<usize> {
        let listed: std::collections::BTreeSet<&[String]> = keys.collect();
        (0..self.rows.len())
            .filter(|&row| !listed.contains(self.key(row).as_slice()))
            .collect()
    }

    fn value(&self, row: usize, column: &str) -> String {
        self.columns
            .iter()
            .position(|c| c == column)
            .map_or_else(String::new, |c| self.rows[row][c].clone())
    }

    /// A row's figures, `numerator=3, denominator=7`.
    fn figures_in_words(&self, row: usize) -> String {
        (0..self.columns.len())
            .filter(|c| !self.dimensions.contains(c))
            .map(|c| format!("{}={}", self.columns[c], self.rows[row][c]))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether `column` holds a figure of the table, not a dimension.
fn figure(table: &TableQuery, column: &str) -> bool {
    table.metadata.kind.required_columns().any(|c| c == column)
        || table.metadata.descriptive.iter().any(|d| d == column)
}

/// One row of an expected file: its group and its figures by column, or
/// `None` for a group that must have no row.
struct ExpectedRow {
    line: u64,
    key: Vec<String>,
    figures: Option<Vec<(String, String)>>,
}

/// The rows of an expected file, read against the columns the query
/// returned: its header must name every dimension and only columns the
/// query returns.
fn read_expected(
    path: &Path,
    table: &TableQuery,
    got: &Returned,
) -> Result<Vec<ExpectedRow>, TestsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| TestsError::Problems(vec![Problem::in_file(path, e.to_string())]))?;
    let wrong = |line: u64, message: String| {
        TestsError::Problems(vec![Problem::at(path, &text, line, 1, message)])
    };
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // The header is the first line that is not a comment.
    let header_line = text
        .lines()
        .position(|l| !l.starts_with('#'))
        .map_or(1, |n| n as u64 + 1);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| wrong(header_line, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let returned = got.columns.join(", ");
    if let Some(unknown) = header.iter().find(|c| !got.columns.contains(c)) {
        return Err(wrong(
            header_line,
            format!(
                "column {unknown:?} is not one {} returns ({returned})",
                table.metadata.id
            ),
        ));
    }
    let dimensions = got_dimensions(got);
    if let Some(missing) = dimensions.iter().find(|d| !header.contains(d)) {
        return Err(wrong(
            header_line,
            format!(
                "the header must name every column that tells {}'s rows apart; {missing:?} is \
                 missing (it returns {returned})",
                table.metadata.id
            ),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(1, |p| p.line());
            wrong(line, e.to_string())
        })?;
        let line = record.position().map_or(1, |p| p.line());
        let cell = |column: &str| {
            header
                .iter()
                .position(|h| h == column)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_string()
        };
        let key: Vec<String> = dimensions.iter().map(|d| cell(d)).collect();
        let figures: Vec<(String, String)> = header
            .iter()
            .filter(|c| !dimensions.contains(c))
            .map(|c| (c.clone(), cell(c)))
            .collect();
        let absent = figures.iter().filter(|(_, v)| v == NO_ROW).count();
        let figures = match absent {
            0 => Some(figures),
            n if n == figures.len() => None,
            _ => {
                return Err(wrong(
                    line,
                    format!(
                        "`{NO_ROW}` says a group has no row: write it in every figure of the row"
                    ),
                ));
            }
        };
        rows.push(ExpectedRow { line, key, figures });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compared_as_numbers_and_words_as_written() {
        assert!(same("4", "4"));
        assert!(same("0.5", "0.50"));
        assert!(!same("4", "5"));
        assert!(same("", ""));
        assert!(!same("", "0"));
        assert!(!same("Kent", "kent"));
    }

    #[test]
    fn a_mismatch_names_its_test_table_group_and_figure() {
        let mismatch = Mismatch {
            test: "hand-made".to_string(),
            table: "completion_rate".to_string(),
            path: PathBuf::from("queries/tests/hand-made/completion_rate.csv"),
            line: 4,
            group: group_words(
                &["breakdown".to_string(), "group".to_string()],
                &["National".to_string(), "All".to_string()],
            ),
            column: "numerator".to_string(),
            expected: "2".to_string(),
            got: String::new(),
        };
        assert_eq!(
            mismatch.to_string(),
            "queries/tests/hand-made/completion_rate.csv:4: test hand-made, table \
             completion_rate, breakdown=National; group=All: numerator expected 2, got (empty)"
        );
    }
}
