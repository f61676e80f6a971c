//! A request answered between bulletins (a Parliamentary Question, a
//! Freedom of Information request, a minister's briefing), as files:
//! `requests/<id>/request.toml` says what was asked, by whom, when it is
//! due and which edition it is answered from; each `<table>.sql` beside it
//! is a table of the answer, written like the statisticians' queries, with
//! a `<table>.toml` saying which published table's measure it counts and
//! what its columns are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::catalogue::{Problem, files_with_extension, line_and_column, stem};
use crate::period::Period;

/// The request's own file in its folder.
pub const REQUEST: &str = "request.toml";

/// What kind of request: it says who the answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RequestKind {
    /// A Parliamentary Question.
    #[serde(rename = "PQ")]
    ParliamentaryQuestion,
    /// A Freedom of Information request.
    #[serde(rename = "FOI")]
    FreedomOfInformation,
    /// A minister's briefing.
    #[serde(rename = "briefing")]
    Briefing,
}

impl RequestKind {
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::ParliamentaryQuestion => "Parliamentary Question",
            RequestKind::FreedomOfInformation => "Freedom of Information request",
            RequestKind::Briefing => "Briefing request",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    question: String,
    asked_by: String,
    kind: RequestKind,
    due: toml::Spanned<String>,
    edition: toml::Spanned<String>,
}

/// `request.toml`, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The question as asked, in words.
    pub question: String,
    pub asked_by: String,
    pub kind: RequestKind,
    pub due: NaiveDate,
    /// The edition it is answered from: its delivery, and everything it
    /// published, which the answer is protected against.
    pub edition: Period,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    title: String,
    repeats: toml::Spanned<String>,
    quarter: Option<toml::Spanned<String>>,
    dimensions: BTreeMap<String, String>,
    #[serde(default)]
    show: BTreeMap<String, Vec<String>>,
}

/// A table of an answer: its SQL and what its rows are.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerQuery {
    /// Its file name without `.sql`: its CSV's name too.
    pub name: String,
    pub title: String,
    pub sql: String,
    pub sql_path: PathBuf,
    /// The published table whose measure it counts, with its definitions:
    /// its rows are that table's figures for other groups.
    pub repeats: String,
    /// The quarter whose 12 months it counts, as a series labels them:
    /// the query gets that quarter's parameters. The edition's period when
    /// not given.
    pub quarter: Option<Period>,
    /// Each column of groups the query returns, and the breakdown of the
    /// repeated table its values are groups of (`sex = "Sex"`).
    pub dimensions: BTreeMap<String, String>,
    /// The rows the answer publishes: those whose value in each named
    /// breakdown is one of those listed (`Sex = ["Female"]`); every row
    /// when empty. The others are worked out only to protect these.
    pub show: BTreeMap<String, Vec<String>>,
}

/// A request's folder, read.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFiles {
    /// The folder's name.
    pub id: String,
    pub dir: PathBuf,
    pub request: Request,
    pub tables: Vec<AnswerQuery>,
}

impl RequestFiles {
    /// Reads `dir`: every problem of shape, each at its file, line and
    /// column, or the request.
    pub fn load(dir: &Path) -> Result<RequestFiles, Vec<Problem>> {
        let mut problems = Vec::new();
        let request = read_request(&dir.join(REQUEST)).map_err(|p| vec![p]);
        let mut tables = Vec::new();
        for sql_path in files_with_extension(dir, "sql", &mut problems) {
            match read_table(&sql_path) {
                Ok(table) => tables.push(table),
                Err(problem) => problems.push(problem),
            }
        }
        if tables.is_empty() && problems.is_empty() {
            problems.push(Problem::in_file(
                dir,
                "a request needs one table or more: a .sql file with a .toml beside it",
            ));
        }
        match request {
            Ok(request) if problems.is_empty() => Ok(RequestFiles {
                id: dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                dir: dir.to_path_buf(),
                request,
                tables,
            }),
            Ok(_) => Err(problems),
            Err(mut first) => {
                first.extend(problems);
                Err(first)
            }
        }
    }
}

/// A value read with its place in `text`, refused there when `parse` fails.
fn parsed<T>(
    path: &Path,
    text: &str,
    value: &toml::Spanned<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, Problem> {
    parse(value.get_ref()).map_err(|message| {
        let (line, column) = line_and_column(text, value.span().start);
        Problem::at(path, text, line, column, message)
    })
}

fn read_request(path: &Path) -> Result<Request, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Problem::in_file(path, e.to_string()))?;
    let file: RequestFile =
        toml::from_str(&text).map_err(|e| Problem::from_toml(path, &text, &e))?;
    let due = parsed(path, &text, &file.due, |due| {
        NaiveDate::parse_from_str(due, "%Y-%m-%d")
            .map_err(|_| format!("due is a date, YYYY-MM-DD, not {due:?}"))
    })?;
    let edition = parsed(path, &text, &file.edition, period)?;
    Ok(Request {
        question: file.question,
        asked_by: file.asked_by,
        kind: file.kind,
        due,
        edition,
    })
}

fn period(text: &str) -> Result<Period, String> {
    text.parse::<Period>()
        .map_err(|_| format!("a quarter is written YYYYQn (2005Q2), not {text:?}"))
}

fn read_table(sql_path: &Path) -> Result<AnswerQuery, Problem> {
    let sql =
        std::fs::read_to_string(sql_path).map_err(|e| Problem::in_file(sql_path, e.to_string()))?;
    let path = sql_path.with_extension("toml");
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Problem::in_file(
            sql_path,
            format!("its metadata {} is missing", path.display()),
        )
    })?;
    let file: TableFile =
        toml::from_str(&text).map_err(|e| Problem::from_toml(&path, &text, &e))?;
    let quarter = file
        .quarter
        .as_ref()
        .map(|quarter| parsed(&path, &text, quarter, period))
        .transpose()?;
    if file.dimensions.is_empty() {
        return Err(Problem::in_file(
            &path,
            "dimensions: name each column of groups the query returns and the breakdown its \
             values belong to (sex = \"Sex\")",
        ));
    }
    let breakdowns: Vec<&String> = file.dimensions.values().collect();
    if let Some(unknown) = file.show.keys().find(|b| !breakdowns.contains(b)) {
        return Err(Problem::in_file(
            &path,
            format!(
                "show: {unknown:?} is none of this table's breakdowns ({})",
                breakdowns
                    .iter()
                    .map(|b| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(AnswerQuery {
        name: stem(sql_path),
        title: file.title,
        sql,
        sql_path: sql_path.to_path_buf(),
        repeats: file.repeats.into_inner(),
        quarter,
        dimensions: file.dimensions,
        show: file.show,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    const REQUEST_TEXT: &str = "question = \"How many women completed?\"\n\
        asked_by = \"A Member\"\nkind = \"PQ\"\ndue = \"2005-07-14\"\nedition = \"2005Q2\"\n";

    #[test]
    fn a_request_reads_with_its_tables() {
        let dir = folder(&[
            (REQUEST, REQUEST_TEXT),
            ("women.sql", "SELECT 1"),
            (
                "women.toml",
                "title = \"Women\"\nrepeats = \"completion_rate\"\nquarter = \"2004Q4\"\n\
                 [dimensions]\nsex = \"Sex\"\n[show]\nSex = [\"Female\"]\n",
            ),
        ]);
        let files = RequestFiles::load(dir.path()).expect("reads");
        assert_eq!(files.request.kind, RequestKind::ParliamentaryQuestion);
        assert_eq!(
            files.request.due,
            NaiveDate::from_ymd_opt(2005, 7, 14).unwrap()
        );
        assert_eq!(files.request.edition, "2005Q2".parse().unwrap());
        let table = &files.tables[0];
        assert_eq!(table.name, "women");
        assert_eq!(table.quarter, Some("2004Q4".parse().unwrap()));
        assert_eq!(table.dimensions["sex"], "Sex");
        assert_eq!(table.show["Sex"], ["Female"]);
    }

    #[test]
    fn a_wrong_quarter_is_refused_at_its_line_and_column() {
        let dir = folder(&[
            (REQUEST, &REQUEST_TEXT.replace("2005Q2", "2005-06")),
            ("women.sql", "SELECT 1"),
            (
                "women.toml",
                "title = \"Women\"\nrepeats = \"completion_rate\"\n[dimensions]\nsex = \"Sex\"\n\
                 [show]\nAge = [\"18-20\"]\n",
            ),
        ]);
        let problems = RequestFiles::load(dir.path()).expect_err("refused");
        let shown: Vec<String> = problems
            .iter()
            .map(|p| p.to_string().lines().next().unwrap_or_default().to_string())
            .collect();
        let request = dir.path().join(REQUEST);
        let table = dir.path().join("women.toml");
        assert_eq!(
            shown,
            [
                format!(
                    "{}:5:11: a quarter is written YYYYQn (2005Q2), not \"2005-06\"",
                    request.display()
                ),
                format!(
                    "{}: show: \"Age\" is none of this table's breakdowns (Sex)",
                    table.display()
                ),
            ]
        );
    }
}
