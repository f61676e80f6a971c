//! The statisticians' space, `queries/`: one `.sql` file per published
//! table with a `.toml` of metadata beside it, views shared by the tables,
//! and reference lists. Adding a table is adding two files.
//!
//! ```text
//! queries/
//!   windows.toml             the windows tables count over, declared
//!   reference/<name>.csv     registered as table <name>
//!   views/<name>.sql         registered as view <name>, after the views it reads
//!   tables/<file>.sql        one published table; `$name` parameters
//!   tables/<file>.toml       its metadata
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::period::{EACH_QUARTER_SHOWN, Period};
use crate::table::{Figure, TableKind};
use crate::window::{self, Window, Windows, by_months};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMetadata {
    /// The table's id: its CSV file name and its key everywhere else.
    pub id: String,
    pub title: String,
    /// The measure (1 to 10 of the publication spec) it belongs to.
    pub measure: u8,
    pub kind: TableKind,
    /// Who or what the figures count, in a phrase captions, key points,
    /// alt text and sheet titles carry: `Orders commenced in {lagged}`.
    /// Each `{window}` it names (`year`, `lagged`, `reconviction_1y`,
    /// `reconviction_2y`) becomes the 12 months that window is for the
    /// quarter shown, `the year ending March 2005`; the query must count
    /// over exactly the windows named.
    pub cohort: String,
    /// What is counted, in full, naming the same windows as `cohort`.
    pub counted: String,
    /// For counts: what the count column counts, in a few words that
    /// head it (`Orders commenced`).
    pub count: Option<String>,
    /// For rates and means: the numerator (a mean's total) and the
    /// denominator, in words.
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    /// The breakdowns the table holds, national total included.
    pub breakdowns: Vec<String>,
    /// A headline measure: the spreadsheet gives its series a sheet of its
    /// own.
    #[serde(default)]
    pub headline: bool,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Columns that describe a row without identifying it, like an area's
    /// target: disclosure control does not treat them as dimensions.
    #[serde(default)]
    pub descriptive: Vec<String>,
    /// Figures this table repeats from another: disclosure control keeps
    /// their suppression consistent.
    #[serde(default)]
    pub links: Vec<Link>,
    pub chart: Chart,
    /// The declared windows its words name, found when the catalogue is
    /// loaded (none for metadata read on its own).
    #[serde(skip)]
    pub windows: Vec<Window>,
}

impl TableMetadata {
    /// The windows its words name, each once, in the order first named.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// The one window it counts over, if it counts over exactly one: its
    /// rows can then be labelled by the quarter that window ends with (the
    /// tables of financial years count over none, and the reoffences one
    /// over both reconviction cohorts, each named by its follow-up).
    pub fn single_window(&self) -> Option<&Window> {
        window::only(&self.windows)
    }

    /// Its cohort for the edition of `period`: `Orders commenced in the
    /// year ending March 2005`.
    pub fn cohort_in(&self, period: Period) -> String {
        with_windows(&self.cohort, &self.windows, |w| {
            w.ending(period).year_ending_words()
        })
    }

    /// What it counts, in full, for the edition of `period`.
    pub fn counted_in(&self, period: Period) -> String {
        with_windows(&self.counted, &self.windows, |w| {
            w.ending(period).year_ending_words()
        })
    }

    /// Its cohort as a series counts it, labelled by the quarter each
    /// cohort's months end with: `Orders commenced in the 12 months ending
    /// each quarter shown`.
    pub fn cohort_over_series(&self) -> String {
        with_windows(&self.cohort, &self.windows, |_| {
            EACH_QUARTER_SHOWN.to_string()
        })
    }

    /// What it counts, in full, as a series counts it.
    pub fn counted_over_series(&self) -> String {
        with_windows(&self.counted, &self.windows, |_| {
            EACH_QUARTER_SHOWN.to_string()
        })
    }
}

/// A table's words as written: text, and the windows named in braces.
enum Piece<'a> {
    Text(&'a str),
    Window(&'a Window),
}

/// Words naming in braces what is not a declared window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum WordsError {
    #[error("{words:?} opens a brace it does not close")]
    Unclosed { words: String },
    #[error(
        "{words:?} names {{{name}}}, which is not a window of {declaration}: use {known}",
        declaration = window::DECLARATION
    )]
    NotAWindow {
        words: String,
        name: String,
        known: String,
    },
}

/// `words` in pieces, naming windows of `known`; an unknown name in braces
/// or an unclosed brace is an error in words.
fn pieces<'a>(words: &'a str, known: &'a [Window]) -> Result<Vec<Piece<'a>>, WordsError> {
    let mut pieces = Vec::new();
    let mut rest = words;
    while let Some(open) = rest.find('{') {
        pieces.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| WordsError::Unclosed {
            words: words.to_string(),
        })?;
        let name = &after[..close];
        let window =
            known
                .iter()
                .find(|w| w.name == name)
                .ok_or_else(|| WordsError::NotAWindow {
                    words: words.to_string(),
                    name: name.to_string(),
                    known: names(known),
                })?;
        pieces.push(Piece::Window(window));
        rest = &after[close + 1..];
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

/// `words` with each `{window}` of `known` replaced by `worded(window)`;
/// words the catalogue refuses are left as written.
fn with_windows(words: &str, known: &[Window], worded: impl Fn(&Window) -> String) -> String {
    match pieces(words, known) {
        Ok(pieces) => pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.to_string(),
                Piece::Window(window) => worded(window),
            })
            .collect(),
        Err(_) => words.to_string(),
    }
}

/// The `{window}`s of `known` that `words` name, each once, in the order
/// first named.
fn windows_named(words: &str, known: &[Window]) -> Result<Vec<Window>, WordsError> {
    let mut named: Vec<Window> = Vec::new();
    for piece in pieces(words, known)? {
        if let Piece::Window(window) = piece
            && !named.contains(window)
        {
            named.push(window.clone());
        }
    }
    Ok(named)
}

/// Each row's `figure` (of the rows matching `rows`) is the sum of
/// `table_figure` over the rows of `table` that match `where` and agree
/// with it on the dimensions they share (`match` pairs dimension names that
/// differ), or at most that sum (`at_most`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub figure: Figure,
    /// The id of a table of the catalogue, checked when it loads.
    pub table: String,
    pub table_figure: Figure,
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, Vec<Wanted>>,
    #[serde(default)]
    pub rows: BTreeMap<String, Vec<String>>,
    #[serde(default, rename = "match")]
    pub matching: BTreeMap<String, String>,
    /// The figure is at most that sum, not equal to it: people among the
    /// events that bring them in (people assessed among assessments), a
    /// cohort among the Orders it is drawn from.
    #[serde(default)]
    pub at_most: bool,
    /// How many quarters earlier the repeated rows' 12 months end than
    /// this row's (a cohort of Orders terminated a quarter before the
    /// period beside the Orders terminated in the period's year). Not
    /// written but worked out when the catalogue loads, from the windows
    /// the two tables count over ([`Catalogue::load`]), so that it follows
    /// a window moved in `windows.toml`.
    #[serde(skip)]
    pub lag: i32,
    /// A `lag` written by hand, as links had before lags were worked out:
    /// refused at its line, saying where lags come from now.
    #[serde(default, rename = "lag", deserialize_with = "no_longer_written")]
    written_lag: Option<std::convert::Infallible>,
}

fn no_longer_written<'de, D: serde::Deserializer<'de>>(
    _: D,
) -> Result<Option<std::convert::Infallible>, D::Error> {
    Err(serde::de::Error::custom(
        "a link's `lag` is no longer written: it is worked out from the windows the two \
         tables count over (windows.toml). Delete this line",
    ))
}

impl Link {
    /// It repeats the row of a financial year, whichever quarter's table
    /// it is in: the year names its own 12 months.
    pub fn by_financial_year(&self) -> bool {
        self.filter
            .values()
            .flatten()
            .any(|v| *v == Wanted::FinancialYear)
    }

    /// Its `where` for a row whose 12 months are the financial year
    /// `financial_year`, if they are one; none when it asks for the
    /// financial year and they are not: nothing repeats.
    pub fn filter_for(
        &self,
        financial_year: Option<&str>,
    ) -> Option<BTreeMap<String, Vec<String>>> {
        self.filter
            .iter()
            .map(|(dimension, wanted)| {
                let values = wanted
                    .iter()
                    .map(|w| match w {
                        Wanted::Value(value) => Some(value.clone()),
                        Wanted::FinancialYear => financial_year.map(str::to_string),
                    })
                    .collect::<Option<Vec<String>>>()?;
                Some((dimension.clone(), values))
            })
            .collect()
    }
}

/// A value a link's `where` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum Wanted {
    Value(String),
    /// `$financial_year`: the financial year that is the row's 12 months,
    /// when they are one.
    FinancialYear,
}

impl From<String> for Wanted {
    fn from(value: String) -> Wanted {
        if value == "$financial_year" {
            Wanted::FinancialYear
        } else {
            Wanted::Value(value)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub kind: ChartKind,
    /// Which breakdown the chart shows.
    pub breakdown: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// The period's figures by the chart's breakdown, as bars.
    Bar,
    /// No chart of the period: the table alone. (A rate's trend over the
    /// quarters is a line the bulletin places with `trend()`.)
    None,
}

#[derive(Debug, Clone)]
pub struct TableQuery {
    pub sql: String,
    pub sql_path: PathBuf,
    pub metadata: TableMetadata,
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub sql: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ReferenceTable {
    pub name: String,
    pub path: PathBuf,
}

/// Everything under `queries/`, read and checked for shape (not yet
/// planned: that needs the warehouse schemas).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// The windows of `windows.toml` (none when it is missing or wrong:
    /// that is a problem of the load).
    pub windows: Windows,
    pub reference: Vec<ReferenceTable>,
    pub views: Vec<View>,
    pub tables: Vec<TableQuery>,
}

/// One thing wrong in `queries/`, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
    /// The offending line of the file, to show beneath the message.
    pub source_line: Option<String>,
}

impl Problem {
    pub fn in_file(path: &Path, message: impl Into<String>) -> Self {
        Problem {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }

    /// Why `text`, the TOML file at `path`, does not read as what was
    /// asked of it, at the line and column the parser names.
    pub fn from_toml(path: &Path, text: &str, error: &toml::de::Error) -> Self {
        let message = error.message().trim().to_string();
        match error.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                Problem::at(path, text, line, column, message)
            }
            None => Problem::in_file(path, message),
        }
    }

    /// Located at a 1-based line and column of `text`, the file's content.
    pub fn at(path: &Path, text: &str, line: u64, column: u64, message: impl Into<String>) -> Self {
        let source_line = usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| text.lines().nth(l))
            .map(str::to_string);
        Problem {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
            source_line,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let (Some(source), Some(column)) = (&self.source_line, self.column) {
            let pad = " ".repeat(usize::try_from(column.saturating_sub(1)).unwrap_or(0));
            write!(f, "\n    {source}\n    {pad}^")?;
        }
        Ok(())
    }
}

impl Catalogue {
    /// Reads `queries/`. Problems of shape (unreadable files, metadata
    /// missing or wrong, duplicate ids) are returned, not raised, so that
    /// `dtto check` can report them all at once; a declaration of windows
    /// that does not read is reported alone, with nothing else loaded.
    pub fn load(dir: &Path) -> (Catalogue, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut catalogue = Catalogue::default();
        // Every table's words and parameters are read against the windows:
        // without them, each would be reported again as naming an unknown
        // window, burying the one problem under a dozen.
        match Windows::load(&dir.join(window::DECLARATION)) {
            Ok(windows) => catalogue.windows = windows,
            Err(problem) => return (catalogue, vec![problem]),
        }
        for path in files_with_extension(&dir.join("reference"), "csv", &mut problems) {
            catalogue.reference.push(ReferenceTable {
                name: stem(&path),
                path,
            });
        }
        for path in files_with_extension(&dir.join("views"), "sql", &mut problems) {
            match std::fs::read_to_string(&path) {
                Ok(sql) => catalogue.views.push(View {
                    name: stem(&path)
                        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
                        .to_string(),
                    sql,
                    path,
                }),
                Err(e) => problems.push(Problem::in_file(&path, e.to_string())),
            }
        }
        for sql_path in files_with_extension(&dir.join("tables"), "sql", &mut problems) {
            match read_table(&sql_path, &catalogue.windows) {
                Ok(table) => catalogue.tables.push(table),
                Err(problem) => problems.push(problem),
            }
        }
        let mut ids: Vec<(&str, &Path)> = Vec::new();
        for table in &catalogue.tables {
            let id = table.metadata.id.as_str();
            if let Some((_, first)) = ids.iter().find(|(seen, _)| *seen == id) {
                problems.push(Problem::in_file(
                    &table.sql_path,
                    format!("table id {id:?} is already used by {}", first.display()),
                ));
            }
            ids.push((id, &table.sql_path));
        }
        problems.extend(catalogue.link_problems());
        catalogue.work_out_lags();
        (catalogue, problems)
    }

    /// Each link's `lag`: how many more quarters back this table's window
    /// ends than the other table's, where each counts over one window
    /// (`{lagged}` beside `{year}`: 1). Tables over several windows, or
    /// none (financial years), repeat rows of the same quarter.
    fn work_out_lags(&mut self) {
        let back: BTreeMap<String, i32> = self
            .tables
            .iter()
            .filter_map(|t| {
                let window = window::only(&t.metadata.windows)?;
                Some((t.metadata.id.clone(), window.quarters_back))
            })
            .collect();
        for table in &mut self.tables {
            let own = back.get(&table.metadata.id);
            for link in &mut table.metadata.links {
                link.lag = own
                    .zip(back.get(&link.table))
                    .map_or(0, |(own, other)| own - other);
            }
        }
    }

    /// Links to a table that does not exist, or to a figure a table does
    /// not have.
    fn link_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for table in &self.tables {
            let metadata_path = table.sql_path.with_extension("toml");
            for link in &table.metadata.links {
                let mut wrong = |message: String| {
                    problems.push(Problem::in_file(
                        &metadata_path,
                        format!("links: {message}"),
                    ))
                };
                if !table.metadata.kind.carries(link.figure) {
                    wrong(format!("this table has no figure {:?}", link.figure.name()));
                }
                match self.tables.iter().find(|t| t.metadata.id == link.table) {
                    None => wrong(format!("there is no table {:?}", link.table)),
                    Some(other) if !other.metadata.kind.carries(link.table_figure) => {
                        wrong(format!(
                            "table {:?} has no figure {:?}",
                            link.table,
                            link.table_figure.name()
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        problems
    }
}

fn read_table(sql_path: &Path, declared: &Windows) -> Result<TableQuery, Problem> {
    let sql =
        std::fs::read_to_string(sql_path).map_err(|e| Problem::in_file(sql_path, e.to_string()))?;
    let metadata_path = sql_path.with_extension("toml");
    let text = std::fs::read_to_string(&metadata_path).map_err(|_| {
        Problem::in_file(
            sql_path,
            format!("its metadata {} is missing", metadata_path.display()),
        )
    })?;
    let mut metadata: TableMetadata =
        toml::from_str(&text).map_err(|e| Problem::from_toml(&metadata_path, &text, &e))?;
    metadata.windows = check_metadata(&metadata, &metadata_path, declared)?;
    Ok(TableQuery {
        sql,
        sql_path: sql_path.to_path_buf(),
        metadata,
    })
}

/// Checks metadata against the declared windows, and returns the windows
/// its words name.
fn check_metadata(
    metadata: &TableMetadata,
    path: &Path,
    declared: &Windows,
) -> Result<Vec<Window>, Problem> {
    let wrong = |message: String| Err(Problem::in_file(path, message));
    if metadata.id.is_empty()
        || !metadata
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return wrong(format!(
            "id {:?} must be lower-case letters, digits and _",
            metadata.id
        ));
    }
    if !(1..=10).contains(&metadata.measure) {
        return wrong(format!(
            "measure {} is not one of the publication's measures 1 to 10",
            metadata.measure
        ));
    }
    if metadata.kind != TableKind::Count
        && (metadata.numerator.is_none() || metadata.denominator.is_none())
    {
        return wrong(
            "a rate or mean table needs `numerator` and `denominator` in words".to_string(),
        );
    }
    let named = |field: &str, words: &str| {
        windows_named(words, declared.all())
            .map_err(|e| Problem::in_file(path, format!("`{field}`: {e}")))
    };
    let cohort = named("cohort", &metadata.cohort)?;
    let counted = named("counted", &metadata.counted)?;
    if by_months(cohort.clone()) != by_months(counted.clone()) {
        return wrong(format!(
            "`cohort` and `counted` must name the same windows: `cohort` names {}, `counted` {}",
            names(&cohort),
            names(&counted)
        ));
    }
    if metadata.kind == TableKind::Count && metadata.count.is_none() {
        return wrong(
            "a count table needs `count`, a few words heading its count column".to_string(),
        );
    }
    if metadata.breakdowns.is_empty() {
        return wrong("`breakdowns` lists none; the national total at least".to_string());
    }
    if let Some(breakdown) = &metadata.chart.breakdown
        && !metadata.breakdowns.contains(breakdown)
    {
        return wrong(format!(
            "the chart's breakdown {breakdown:?} is not one of `breakdowns`"
        ));
    }
    Ok(cohort)
}

/// `{year} and {lagged}`, or `no window`.
pub fn names(windows: &[Window]) -> String {
    if windows.is_empty() {
        return "no window".to_string();
    }
    let named: Vec<String> = windows.iter().map(|w| format!("{{{}}}", w.name)).collect();
    named.join(" and ")
}

/// 1-based line and column of a byte offset.
pub fn line_and_column(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

pub(crate) fn files_with_extension(
    dir: &Path,
    extension: &str,
    problems: &mut Vec<Problem>,
) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem::in_file(dir, e.to_string()));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    paths
}

pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one() {
        assert_eq!(line_and_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn a_problem_points_at_its_column() {
        let problem = Problem::at(
            Path::new("t.sql"),
            "SELECT\n  x FROM y",
            2,
            3,
            "no column x",
        );
        assert_eq!(
            problem.to_string(),
            "t.sql:2:3: no column x\n      x FROM y\n      ^"
        );
    }

    /// The windows the bundled `queries/` declares.
    fn bundled() -> Windows {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../queries/windows.toml");
        Windows::load(&path).unwrap()
    }

    #[test]
    fn windows_in_braces_become_the_months_of_the_edition() {
        let declared = bundled();
        let known = declared.all();
        let period: Period = "2005Q2".parse().unwrap();
        let words = |w: &Window| w.ending(period).year_ending_words();
        assert_eq!(
            with_windows("Orders commenced in {lagged}", known, words),
            "Orders commenced in the year ending March 2005"
        );
        assert_eq!(
            with_windows("{reconviction_1y} and {reconviction_2y}", known, words),
            "the year ending December 2003 and the year ending December 2002"
        );
        let named: Vec<String> = windows_named("{year}, then {lagged} and {year}", known)
            .unwrap()
            .into_iter()
            .map(|w| w.name)
            .collect();
        assert_eq!(named, ["year", "lagged"]);
        let unknown = windows_named("Orders in {reference_year}", known)
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains(
                "{reference_year}, which is not a window of windows.toml: use {year} and \
                 {lagged} and {reconviction_1y} and {reconviction_2y}"
            ),
            "{unknown}"
        );
        assert!(windows_named("Orders in {year", known).is_err());
        assert_eq!(
            with_windows("Orders in {year", known, words),
            "Orders in {year"
        );
    }

    /// A table's metadata with `links` after it, on its ninth line on.
    fn with_links(links: &str) -> String {
        format!(
            "id = \"t\"\ntitle = \"T\"\nmeasure = 1\nkind = \"count\"\ncohort = \"Orders\"\n\
             counted = \"Orders\"\nbreakdowns = [\"National\"]\nchart = {{ kind = \"none\" }}\n\
             {links}"
        )
    }

    #[test]
    fn a_link_is_read_into_figures_and_wanted_values() {
        let metadata: TableMetadata = toml::from_str(&with_links(
            "[[links]]\nfigure = \"count\"\ntable = \"by_year\"\ntable_figure = \"total\"\n\
             where = { financial_year = [\"$financial_year\"], area = [\"All areas\"] }\n",
        ))
        .unwrap();
        let link = &metadata.links[0];
        assert_eq!(
            (link.figure, link.table_figure),
            (Figure::Count, Figure::Total)
        );
        assert!(link.by_financial_year());
        let filter = |year: Option<&str>| link.filter_for(year);
        assert_eq!(
            filter(Some("2004-05")).unwrap(),
            BTreeMap::from([
                ("area".to_string(), vec!["All areas".to_string()]),
                ("financial_year".to_string(), vec!["2004-05".to_string()]),
            ])
        );
        assert_eq!(filter(None), None, "12 months that are no financial year");
    }

    #[test]
    fn a_link_to_a_figure_no_column_holds_is_refused_at_its_line() {
        let text =
            with_links("[[links]]\nfigure = \"rate\"\ntable = \"t\"\ntable_figure = \"count\"\n");
        let error = toml::from_str::<TableMetadata>(&text).unwrap_err();
        let problem = Problem::from_toml(Path::new("t.toml"), &text, &error).to_string();
        assert!(
            problem.starts_with(
                "t.toml:10:10: figures are count, numerator, denominator or total, not \"rate\""
            ),
            "{problem}"
        );
    }

    #[test]
    fn a_lag_written_by_hand_is_told_where_lags_come_from() {
        let text = with_links(
            "[[links]]\nfigure = \"count\"\ntable = \"t\"\ntable_figure = \"count\"\nlag = 1\n",
        );
        let error = toml::from_str::<TableMetadata>(&text).unwrap_err();
        let problem = Problem::from_toml(Path::new("t.toml"), &text, &error).to_string();
        assert!(
            problem.starts_with(
                "t.toml:13:7: a link's `lag` is no longer written: it is worked out from the \
                 windows the two tables count over (windows.toml). Delete this line"
            ),
            "{problem}"
        );
    }

    #[test]
    fn a_line_chart_of_the_period_is_refused_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let sql = dir.path().join("t.sql");
        std::fs::write(&sql, "SELECT 1 AS count").unwrap();
        std::fs::write(
            sql.with_extension("toml"),
            "id = \"t\"\ntitle = \"T\"\nmeasure = 1\nkind = \"count\"\n\
             cohort = \"Orders\"\ncounted = \"Orders\"\nbreakdowns = [\"National\"]\n\
             [chart]\nkind = \"line\"\n",
        )
        .unwrap();
        let problem = read_table(&sql, &bundled()).unwrap_err().to_string();
        assert!(problem.contains("t.toml:9:"), "{problem}");
        assert!(problem.contains("unknown variant `line`"), "{problem}");
    }

    /// A table over `{lagged}` linked to one over `{year}` repeats its rows
    /// of a quarter earlier, and as many more as `lagged` is moved back.
    #[test]
    fn a_link_lags_by_as_many_quarters_as_its_windows_end_apart() {
        let dir = tempfile::tempdir().unwrap();
        let tables = dir.path().join("tables");
        std::fs::create_dir_all(&tables).unwrap();
        let table = |id: &str, window: &str, link: &str| {
            std::fs::write(tables.join(format!("{id}.sql")), "SELECT 1 AS count").unwrap();
            std::fs::write(
                tables.join(format!("{id}.toml")),
                format!(
                    "id = \"{id}\"\ntitle = \"T\"\nmeasure = 1\nkind = \"count\"\n\
                     cohort = \"Orders in {{{window}}}\"\ncounted = \"Orders in {{{window}}}\"\n\
                     count = \"Orders\"\nbreakdowns = [\"National\"]\n\
                     chart = {{ kind = \"none\" }}\n{link}"
                ),
            )
            .unwrap();
        };
        let link =
            "[[links]]\nfigure = \"count\"\ntable = \"terminated\"\ntable_figure = \"count\"\n";
        table("terminated", "year", "");
        table("cohort", "lagged", link);
        table("same_year", "year", link);
        let lags = |lagged_back: i32| {
            std::fs::write(
                dir.path().join(window::DECLARATION),
                format!(
                    "[[window]]\nname = \"year\"\nquarters_back = 0\nmeaning = \"y\"\n\
                     [[window]]\nname = \"lagged\"\nquarters_back = {lagged_back}\nmeaning = \"l\"\n"
                ),
            )
            .unwrap();
            let (catalogue, _) = Catalogue::load(dir.path());
            let mut lags: Vec<(String, i32)> = catalogue
                .tables
                .iter()
                .flat_map(|t| {
                    t.metadata
                        .links
                        .iter()
                        .map(|l| (t.metadata.id.clone(), l.lag))
                })
                .collect();
            lags.sort();
            lags
        };
        let expected =
            |cohort: i32| vec![("cohort".to_string(), cohort), ("same_year".to_string(), 0)];
        assert_eq!(lags(1), expected(1));
        assert_eq!(lags(2), expected(2));
    }
}
