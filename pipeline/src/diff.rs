//! `dtto diff`: two editions compared figure by figure, from their tidy
//! CSVs alone (`data/<table>.csv` and `data/series/<table>.csv`), for a
//! statistician checking what a change to the SQL did, and as the ground
//! of revisions.
//!
//! A row is a group, keyed by its table, its quarter (series only) and its
//! dimension values; its figures are the kind's columns (`numerator` …
//! `status`) and any descriptive column its metadata declares (an area's
//! target) with its status column (`target_status`), which describe the
//! row without identifying it. A withheld
//! figure is an empty cell in a row whose status has `[c]`: its value is
//! not in the file, and a figure withheld in either edition is reported
//! without the other edition's value too, which could reveal it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use dtto_model::catalogue::Catalogue;
use dtto_model::exit::Exit;
use dtto_model::table::{QUARTER, STATUS, Shorthand, TableKind, WINDOW_ENDING, status_column};
use dtto_protect::disclosure::Protected;
use dtto_render::tidy_csv::{self, Tidy};
use dtto_storage::layout::{self, EditionLayout};

/// How a series' table is named among an edition's tables.
const SERIES_PREFIX: &str = "series/";

/// Descriptive columns by table id, as the tables' metadata declares them.
pub type DescriptiveColumns = BTreeMap<String, Vec<String>>;

/// The descriptive columns of every table in the catalogue.
pub fn descriptive_columns(catalogue: &Catalogue) -> DescriptiveColumns {
    catalogue
        .tables
        .iter()
        .map(|table| {
            (
                table.metadata.id.clone(),
                table.metadata.descriptive.clone(),
            )
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{} is not an edition: it holds neither public/data/ nor data/", .0.display())]
    NotAnEdition(PathBuf),
    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Table { path: PathBuf, reason: NotATable },
}

/// Why a CSV is not a table of an edition.
#[derive(Debug, thiserror::Error)]
pub enum NotATable {
    #[error(
        "its columns do not end as a rate, count or mean table's do \
         (numerator … status, count, status or total … status)"
    )]
    Columns,
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("line {line} repeats the group {group}")]
    RepeatedGroup { line: u64, group: Group },
}

impl DiffError {
    pub fn exit(&self) -> Exit {
        Exit::DiffFailed
    }
}

/// One figure of a row, as its CSV shows it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    /// A value as written: a number, or shorthand in a status column.
    Published(String),
    /// An empty count or estimate of a row whose status is `[c]`.
    Withheld,
    /// An empty cell of any other row, or a descriptive column's (its
    /// status column says why): the figure has no value (a rate without a
    /// denominator, `[z]`; a year without a target, `[x]`), or the table
    /// has no such column.
    Empty,
}

/// A row's identity: the quarter of a series, then each dimension's name
/// and value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    pub quarter: Option<String>,
    pub dimensions: Vec<(String, String)>,
}

impl fmt::Display for Group {
    /// `breakdown=Sex; group=Female`, the quarter apart.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self
            .dimensions
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        f.write_str(&pairs.join("; "))
    }
}

/// One table: its figure columns in order, and each group's cells in
/// that order.
#[derive(Debug)]
struct Table {
    figures: Vec<String>,
    rows: BTreeMap<Group, Vec<Cell>>,
}

impl Table {
    fn cell<'a>(&self, row: &'a [Cell], figure: &str) -> &'a Cell {
        static EMPTY: Cell = Cell::Empty;
        self.figures
            .iter()
            .position(|name| name == figure)
            .and_then(|index| row.get(index))
            .unwrap_or(&EMPTY)
    }
}

/// Every table of an edition, by name: `<table>`, or `series/<table>`.
#[derive(Debug)]
pub struct PublishedFigures {
    tables: BTreeMap<String, Table>,
}

impl PublishedFigures {
    /// Reads the edition in `dir`: an output folder (`output/2005Q1`, its
    /// `public/data/` read) or a folder holding `data/`.
    pub fn read(
        dir: &Path,
        descriptive: &DescriptiveColumns,
    ) -> Result<PublishedFigures, DiffError> {
        let data = [EditionLayout::new(dir).data(), layout::bare_data(dir)]
            .into_iter()
            .find(|data| data.is_dir())
            .ok_or_else(|| DiffError::NotAnEdition(dir.to_path_buf()))?;
        let mut tables = read_tables(&data, "", descriptive)?;
        let series = layout::series_in(&data);
        if series.is_dir() {
            tables.extend(read_tables(&series, SERIES_PREFIX, descriptive)?);
        }
        Ok(PublishedFigures { tables })
    }

    /// An edition from its tables' cells in memory, as their CSVs would
    /// publish them, each named as [`PublishedFigures::read`] names them
    /// (`<table>`, `series/<table>`); a failure names the table.
    pub fn from_tidy(
        tables: impl IntoIterator<Item = (String, Tidy)>,
        descriptive: &DescriptiveColumns,
    ) -> Result<PublishedFigures, DiffError> {
        let mut read = BTreeMap::new();
        for (name, tidy) in tables {
            let id = name.strip_prefix(SERIES_PREFIX).unwrap_or(&name);
            let columns = descriptive.get(id).map_or(&[][..], Vec::as_slice);
            // Line 1 is the header.
            let records = (2..)
                .zip(tidy.records)
                .map(|(line, record)| Ok((line, record.into())));
            let table =
                table_of(tidy.header, records, columns).map_err(|reason| DiffError::Table {
                    path: PathBuf::from(format!("{name}.csv")),
                    reason,
                })?;
            read.insert(name, table);
        }
        Ok(PublishedFigures { tables: read })
    }

    /// An edition's figures as its CSVs publish them, from its protected
    /// tables in memory: `<table>` and `series/<table>`.
    pub fn of_edition(
        protected: &Protected,
        descriptive: &DescriptiveColumns,
    ) -> Result<PublishedFigures, DiffError> {
        let mut tidy = Vec::new();
        for (prefix, tables) in [("", &protected.tables), (SERIES_PREFIX, &protected.series)] {
            for table in tables {
                let name = format!("{prefix}{}", table.metadata().id);
                tidy.push((name, tidy_csv::tidy(table, protected.period)));
            }
        }
        PublishedFigures::from_tidy(tidy, descriptive)
    }

    /// Every figure under its table id and the quarter its 12 months end
    /// in: a series row under its own quarter, a row of the period's table
    /// under `period`. Editions of different periods publish the same
    /// quarter in different files; this is where they meet.
    pub fn by_quarter(self, period: &str) -> PublishedFigures {
        let mut merged: BTreeMap<String, Table> = BTreeMap::new();
        // Series first: a period's row that a series also carries is the
        // same figure.
        let (series, periods): (Vec<_>, Vec<_>) = self
            .tables
            .into_iter()
            .partition(|(name, _)| name.starts_with(SERIES_PREFIX));
        for (name, mut table) in series.into_iter().chain(periods) {
            let id = name
                .strip_prefix(SERIES_PREFIX)
                .unwrap_or(&name)
                .to_string();
            table.rows = std::mem::take(&mut table.rows)
                .into_iter()
                .map(|(group, cells)| {
                    let quarter = group.quarter.or_else(|| Some(period.to_string()));
                    (Group { quarter, ..group }, cells)
                })
                .collect();
            match merged.get_mut(&id) {
                Some(existing) if existing.figures == table.figures => {
                    for (group, cells) in table.rows {
                        existing.rows.entry(group).or_insert(cells);
                    }
                }
                _ => {
                    merged.entry(id).or_insert(table);
                }
            }
        }
        PublishedFigures { tables: merged }
    }

    /// Whether the edition withheld the figure in `table` for `group`
    /// (`[c]`).
    pub fn withheld(&self, table: &str, group: &Group, figure: &str) -> bool {
        self.tables.get(table).is_some_and(|t| {
            t.rows
                .get(group)
                .is_some_and(|row| matches!(t.cell(row, figure), Cell::Withheld))
        })
    }

    /// A figure as published in `table` for `group`: `None` when the
    /// edition has no such row, or the figure is withheld or empty.
    pub fn published(&self, table: &str, group: &Group, figure: &str) -> Option<&str> {
        let table = self.tables.get(table)?;
        published(table.cell(table.rows.get(group)?, figure))
    }
}

/// The tables of `folder`, each named `<prefix><table id>`.
fn read_tables(
    folder: &Path,
    prefix: &str,
    descriptive: &DescriptiveColumns,
) -> Result<BTreeMap<String, Table>, DiffError> {
    let mut tables = BTreeMap::new();
    for path in csv_files(folder)? {
        let id = path
            .file_stem()
            .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned());
        let columns = descriptive.get(&id).map_or(&[][..], Vec::as_slice);
        tables.insert(format!("{prefix}{id}"), read_table(&path, columns)?);
    }
    Ok(tables)
}

fn csv_files(folder: &Path) -> Result<Vec<PathBuf>, DiffError> {
    let io = |source| DiffError::Io {
        path: folder.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "csv") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn read_table(path: &Path, descriptive: &[String]) -> Result<Table, DiffError> {
    let file = std::fs::File::open(path).map_err(|source| DiffError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_table(file, descriptive).map_err(|reason| DiffError::Table {
        path: path.to_path_buf(),
        reason,
    })
}

/// Where a table's CSV keeps its quarter, dimensions and figures.
struct Columns {
    header: Vec<String>,
    quarter: bool,
    dimensions: Vec<usize>,
    /// The descriptive columns, then the kind's, the status last.
    figures: Vec<usize>,
    /// Where the kind's columns start: only they are ever withheld.
    first_kind_column: usize,
}

impl Columns {
    fn of(header: Vec<String>, descriptive: &[String]) -> Result<Columns, NotATable> {
        let kind_columns = TableKind::ALL
            .into_iter()
            .map(TableKind::csv_columns)
            .find(|columns| ends_with(&header, columns))
            .ok_or(NotATable::Columns)?;
        let first_figure = header.len() - kind_columns.len();
        let quarter = first_figure > 0 && header[0] == QUARTER;
        let describes = |name: &String| {
            descriptive
                .iter()
                .any(|column| column == name || status_column(column) == *name)
        };
        // The window's label follows from the quarter: neither a dimension
        // nor a figure.
        let (described, dimensions): (Vec<usize>, Vec<usize>) = (usize::from(quarter)
            ..first_figure)
            .filter(|&index| header[index] != WINDOW_ENDING)
            .partition(|&index| describes(&header[index]));
        let figures = described.into_iter().chain(first_figure..header.len());
        Ok(Columns {
            quarter,
            dimensions,
            figures: figures.collect(),
            first_kind_column: first_figure,
            header,
        })
    }

    fn figure_names(&self) -> Vec<String> {
        self.figures
            .iter()
            .map(|&i| self.header[i].clone())
            .collect()
    }

    fn group(&self, record: &csv::StringRecord) -> Group {
        let field = |index: usize| record.get(index).unwrap_or_default().to_string();
        Group {
            quarter: self.quarter.then(|| field(0)),
            dimensions: self
                .dimensions
                .iter()
                .map(|&index| (self.header[index].clone(), field(index)))
                .collect(),
        }
    }

    fn cells(&self, record: &csv::StringRecord) -> Vec<Cell> {
        let withheld = record.get(self.header.len() - 1).is_some_and(|status| {
            status
                .split(' ')
                .any(|mark| mark == Shorthand::Confidential.mark())
        });
        self.figures
            .iter()
            .map(|&index| match record.get(index).unwrap_or_default() {
                "" if withheld
                    && index >= self.first_kind_column
                    && self.header[index] != STATUS =>
                {
                    Cell::Withheld
                }
                "" => Cell::Empty,
                text => Cell::Published(text.to_string()),
            })
            .collect()
    }
}

fn ends_with(header: &[String], tail: &[&str]) -> bool {
    header.len() >= tail.len()
        && header[header.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(name, expected)| name == expected)
}

fn parse_table(reader: impl Read, descriptive: &[String]) -> Result<Table, NotATable> {
    // A draft's files start with a `#` line saying so.
    let mut csv = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(reader);
    let header = csv.headers()?.iter().map(String::from).collect();
    let records = csv.into_records().map(|record| {
        let record = record?;
        Ok((record.position().map_or(0, csv::Position::line), record))
    });
    table_of(header, records, descriptive)
}

/// A table from its header and its records, each with its line.
fn table_of(
    header: Vec<String>,
    records: impl Iterator<Item = Result<(u64, csv::StringRecord), NotATable>>,
    descriptive: &[String],
) -> Result<Table, NotATable> {
    let columns = Columns::of(header, descriptive)?;
    let mut rows = BTreeMap::new();
    for record in records {
        let (line, record) = record?;
        let group = columns.group(&record);
        if rows.contains_key(&group) {
            return Err(NotATable::RepeatedGroup { line, group });
        }
        rows.insert(group, columns.cells(&record));
    }
    Ok(Table {
        figures: columns.figure_names(),
        rows,
    })
}

/// What differs between the two editions at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    TableAdded,
    TableRemoved,
    GroupAdded,
    GroupRemoved,
    Changed,
    NewlyWithheld,
    NewlyReleased,
}

impl ChangeKind {
    /// The kind as the report names it.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::TableAdded => "table added",
            ChangeKind::TableRemoved => "table removed",
            ChangeKind::GroupAdded => "group added",
            ChangeKind::GroupRemoved => "group removed",
            ChangeKind::Changed => "changed",
            ChangeKind::NewlyWithheld => "newly withheld",
            ChangeKind::NewlyReleased => "newly released",
        }
    }
}

/// One difference: a table, a group or a figure. Only a changed figure
/// carries values, both published (`None` an empty cell).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub table: String,
    pub group: Option<Group>,
    pub figure: Option<String>,
    pub kind: ChangeKind,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Change {
    fn of_table(table: &str, kind: ChangeKind) -> Change {
        Change {
            table: table.to_string(),
            group: None,
            figure: None,
            kind,
            old: None,
            new: None,
        }
    }

    fn of_group(table: &str, group: &Group, kind: ChangeKind) -> Change {
        Change {
            group: Some(group.clone()),
            ..Change::of_table(table, kind)
        }
    }

    /// The old and new values as reported: a changed figure's values, and
    /// `[c]` on the withheld side of a figure newly withheld or released.
    fn shown(&self) -> (&str, &str) {
        let withheld = Shorthand::Confidential.mark();
        match self.kind {
            ChangeKind::Changed => (
                self.old.as_deref().unwrap_or_default(),
                self.new.as_deref().unwrap_or_default(),
            ),
            ChangeKind::NewlyWithheld => ("", withheld),
            ChangeKind::NewlyReleased => (withheld, ""),
            _ => ("", ""),
        }
    }

    /// The difference in a line: `completion_rate, quarter 2005Q2,
    /// breakdown=Sex; group=Female, numerator: changed 12 to 13`.
    pub fn describe(&self) -> String {
        let mut words = vec![self.table.clone()];
        if let Some(quarter) = self.group.as_ref().and_then(|g| g.quarter.clone()) {
            words.push(format!("quarter {quarter}"));
        }
        let group = self.group_text();
        if !group.is_empty() {
            words.push(group);
        }
        if let Some(figure) = &self.figure {
            words.push(figure.clone());
        }
        let (old, new) = self.shown();
        let change = if old.is_empty() && new.is_empty() {
            self.kind.label().to_string()
        } else {
            format!("{} {old:?} to {new:?}", self.kind.label())
        };
        format!("{}: {change}", words.join(", "))
    }

    fn group_text(&self) -> String {
        self.group
            .as_ref()
            .map_or_else(String::new, Group::to_string)
    }
}

/// Every difference between `old` and `new`: by table name, then group,
/// then figure in column order.
pub fn compare(old: &PublishedFigures, new: &PublishedFigures) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, pair) in paired(&old.tables, &new.tables) {
        match pair {
            Pair::Removed => changes.push(Change::of_table(name, ChangeKind::TableRemoved)),
            Pair::Added => changes.push(Change::of_table(name, ChangeKind::TableAdded)),
            Pair::Both(old, new) => compare_tables(name, old, new, &mut changes),
        }
    }
    changes
}

/// A key of one map or both: with both values where both have it.
enum Pair<'a, V> {
    Removed,
    Added,
    Both(&'a V, &'a V),
}

fn paired<'a, K: Ord, V>(
    old: &'a BTreeMap<K, V>,
    new: &'a BTreeMap<K, V>,
) -> impl Iterator<Item = (&'a K, Pair<'a, V>)> {
    let keys: BTreeSet<&K> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|key| match (old.get(key), new.get(key)) {
            (Some(o), Some(n)) => Some((key, Pair::Both(o, n))),
            (Some(_), None) => Some((key, Pair::Removed)),
            (None, Some(_)) => Some((key, Pair::Added)),
            (None, None) => None,
        })
}

fn compare_tables(name: &str, old: &Table, new: &Table, changes: &mut Vec<Change>) {
    // The old columns in their order, then any the new edition adds.
    let mut figures = old.figures.clone();
    figures.extend(
        new.figures
            .iter()
            .filter(|figure| !old.figures.contains(figure))
            .cloned(),
    );
    for (group, pair) in paired(&old.rows, &new.rows) {
        match pair {
            Pair::Removed => changes.push(Change::of_group(name, group, ChangeKind::GroupRemoved)),
            Pair::Added => changes.push(Change::of_group(name, group, ChangeKind::GroupAdded)),
            Pair::Both(old_row, new_row) => {
                for figure in &figures {
                    let cells = (old.cell(old_row, figure), new.cell(new_row, figure));
                    if let Some((kind, old, new)) = compare_cells(cells) {
                        changes.push(Change {
                            figure: Some(figure.clone()),
                            old,
                            new,
                            ..Change::of_group(name, group, kind)
                        });
                    }
                }
            }
        }
    }
}

type CellChange = (ChangeKind, Option<String>, Option<String>);

/// How a figure differs, with its values only when both are published.
fn compare_cells(cells: (&Cell, &Cell)) -> Option<CellChange> {
    let text = |cell| published(cell).map(String::from);
    match cells {
        (Cell::Withheld, Cell::Withheld) | (Cell::Empty, Cell::Empty) => None,
        (Cell::Withheld, _) => Some((ChangeKind::NewlyReleased, None, None)),
        (_, Cell::Withheld) => Some((ChangeKind::NewlyWithheld, None, None)),
        (Cell::Published(old), Cell::Published(new)) if same_value(old, new) => None,
        (old, new) => Some((ChangeKind::Changed, text(old), text(new))),
    }
}

fn published(cell: &Cell) -> Option<&str> {
    match cell {
        Cell::Published(text) => Some(text),
        Cell::Withheld | Cell::Empty => None,
    }
}

/// Numbers are compared as numbers (`0.28` is `0.2800`), anything else
/// as text.
fn same_value(old: &str, new: &str) -> bool {
    old == new
        || matches!(
            (old.parse::<f64>(), new.parse::<f64>()),
            (Ok(a), Ok(b)) if a == b
        )
}

fn count(changes: &[Change], kind: ChangeKind) -> usize {
    changes.iter().filter(|change| change.kind == kind).count()
}

/// The readable report: the counts, then each difference under its table.
pub fn summary(changes: &[Change]) -> String {
    let n = |kind| count(changes, kind);
    let mut out = format!(
        "Tables: {} added, {} removed\n\
         Groups: {} added, {} removed\n\
         Figures: {} changed, {} newly withheld, {} newly released\n",
        n(ChangeKind::TableAdded),
        n(ChangeKind::TableRemoved),
        n(ChangeKind::GroupAdded),
        n(ChangeKind::GroupRemoved),
        n(ChangeKind::Changed),
        n(ChangeKind::NewlyWithheld),
        n(ChangeKind::NewlyReleased),
    );
    if changes.is_empty() {
        out.push_str("The editions are identical.\n");
        return out;
    }
    let mut heading = None;
    for change in changes {
        if change.group.is_none() {
            let _ = writeln!(out, "\n{}: {}", change.table, change.kind.label());
            heading = None;
            continue;
        }
        if heading != Some(&change.table) {
            let _ = write!(out, "\n{}\n", change.table);
            heading = Some(&change.table);
        }
        let _ = writeln!(out, "  {}", detail(change));
    }
    if changes.iter().any(|c| {
        matches!(
            c.kind,
            ChangeKind::NewlyWithheld | ChangeKind::NewlyReleased
        )
    }) {
        out.push_str(
            "\nA figure withheld in either edition is shown without values: the other \
             edition's value could reveal it.\n",
        );
    }
    out
}

/// One line of the summary for a group or a figure of a table.
fn detail(change: &Change) -> String {
    let place = match &change.group {
        Some(Group {
            quarter: Some(quarter),
            ..
        }) => format!("{quarter}, {}", change.group_text()),
        _ => change.group_text(),
    };
    let figure = change.figure.as_deref().unwrap_or_default();
    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "(empty)".to_string());
    match change.kind {
        ChangeKind::Changed => format!(
            "{place}: {figure} {} → {}",
            value(&change.old),
            value(&change.new)
        ),
        ChangeKind::NewlyWithheld | ChangeKind::NewlyReleased => {
            format!("{place}: {figure} {}", change.kind.label())
        }
        _ => format!("{place}: {}", change.kind.label()),
    }
}

/// Every difference as CSV: table, quarter, group, figure, old, new,
/// change.
pub fn write_csv(changes: &[Change], out: impl Write) -> Result<(), csv::Error> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    csv.write_record([
        "table", "quarter", "group", "figure", "old", "new", "change",
    ])?;
    for change in changes {
        let (old, new) = change.shown();
        let group = change.group_text();
        let quarter = change
            .group
            .as_ref()
            .and_then(|group| group.quarter.as_deref());
        csv.write_record([
            change.table.as_str(),
            quarter.unwrap_or_default(),
            group.as_str(),
            change.figure.as_deref().unwrap_or_default(),
            old,
            new,
            change.kind.label(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An edition of tables given as CSV text, with `target` descriptive.
    fn edition(tables: &[(&str, &str)]) -> PublishedFigures {
        let descriptive = ["target".to_string()];
        PublishedFigures {
            tables: tables
                .iter()
                .map(|(name, text)| {
                    let table = parse_table(text.as_bytes(), &descriptive).unwrap();
                    (name.to_string(), table)
                })
                .collect(),
        }
    }

    fn csv_of(changes: &[Change]) -> String {
        let mut out = Vec::new();
        write_csv(changes, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const RATE: &str = "breakdown,group,numerator,denominator,rate,ci_lower,ci_upper,status\n\
        Sex,Female,40,100,0.4000,0.3094,0.4980,\n\
        Sex,Male,9,12,0.7500,0.4677,0.9111,[u]\n";

    #[test]
    fn identical_editions_have_no_changes() {
        let a = edition(&[("completion_rate", RATE)]);
        let b = edition(&[("completion_rate", RATE)]);
        let changes = compare(&a, &b);
        assert!(changes.is_empty());
        assert_eq!(
            summary(&changes),
            "Tables: 0 added, 0 removed\n\
             Groups: 0 added, 0 removed\n\
             Figures: 0 changed, 0 newly withheld, 0 newly released\n\
             The editions are identical.\n"
        );
    }

    #[test]
    fn a_changed_figure_has_both_values_and_numbers_compare_as_numbers() {
        let a = edition(&[("completion_rate", RATE)]);
        // 41 / 100 = 0.41; the Male rate written 0.75 is the same number.
        let edited = RATE
            .replace("40,100,0.4000", "41,100,0.4100")
            .replace("0.7500", "0.75");
        let b = edition(&[("completion_rate", &edited)]);
        assert_eq!(
            csv_of(&compare(&a, &b)),
            "table,quarter,group,figure,old,new,change\n\
             completion_rate,,breakdown=Sex; group=Female,numerator,40,41,changed\n\
             completion_rate,,breakdown=Sex; group=Female,rate,0.4000,0.4100,changed\n"
        );
    }

    #[test]
    fn a_figure_withheld_in_either_edition_is_reported_without_values() {
        let a = edition(&[("completion_rate", RATE)]);
        let edited = RATE.replace("40,100,0.4000,0.3094,0.4980,", ",100,,,,[c]");
        let b = edition(&[("completion_rate", &edited)]);
        let withheld = compare(&a, &b);
        let expected = "table,quarter,group,figure,old,new,change\n\
             completion_rate,,breakdown=Sex; group=Female,numerator,,[c],newly withheld\n\
             completion_rate,,breakdown=Sex; group=Female,rate,,[c],newly withheld\n\
             completion_rate,,breakdown=Sex; group=Female,ci_lower,,[c],newly withheld\n\
             completion_rate,,breakdown=Sex; group=Female,ci_upper,,[c],newly withheld\n\
             completion_rate,,breakdown=Sex; group=Female,status,,[c],changed\n";
        assert_eq!(csv_of(&withheld), expected);
        let text = summary(&withheld);
        assert!(text.contains("Figures: 1 changed, 4 newly withheld, 0 newly released\n"));
        assert!(text.contains("  breakdown=Sex; group=Female: numerator newly withheld\n"));
        for published in ["40", "0.4000", "0.3094", "0.4980"] {
            assert!(!text.contains(published), "{published} in\n{text}");
        }

        // The other way round, the figures released carry no values either.
        let released = csv_of(&compare(&b, &a));
        assert!(released.contains("breakdown=Sex; group=Female,numerator,[c],,newly released\n"));
        assert!(!released.contains(",40,"), "{released}");
    }

    #[test]
    fn tables_and_groups_added_or_removed_are_listed_once_each() {
        let a = edition(&[
            ("completion_rate", RATE),
            (
                "retention",
                "breakdown,group,count,status\nNational,All,5,\n",
            ),
        ]);
        let b = edition(&[
            (
                "completion_rate",
                "breakdown,group,numerator,denominator,rate,ci_lower,ci_upper,status\n\
                 Sex,Female,40,100,0.4000,0.3094,0.4980,\n\
                 Sex,Other,,0,,,,[z]\n",
            ),
            (
                "suitability",
                "breakdown,group,count,status\nNational,All,7,\n",
            ),
        ]);
        let changes = compare(&a, &b);
        assert_eq!(
            csv_of(&changes),
            "table,quarter,group,figure,old,new,change\n\
             completion_rate,,breakdown=Sex; group=Male,,,,group removed\n\
             completion_rate,,breakdown=Sex; group=Other,,,,group added\n\
             retention,,,,,,table removed\n\
             suitability,,,,,,table added\n"
        );
        assert_eq!(
            summary(&changes),
            "Tables: 1 added, 1 removed\n\
             Groups: 1 added, 1 removed\n\
             Figures: 0 changed, 0 newly withheld, 0 newly released\n\
             \n\
             completion_rate\n  \
               breakdown=Sex; group=Male: group removed\n  \
               breakdown=Sex; group=Other: group added\n\
             \n\
             retention: table removed\n\
             \n\
             suitability: table added\n"
        );
    }

    #[test]
    fn a_series_row_is_keyed_by_its_quarter_and_a_target_is_a_figure() {
        let series = "quarter,breakdown,group,count,status\n\
                      2004Q4,National,All,120,\n\
                      2005Q1,National,All,130,\n";
        // A target without a value is empty, with its shorthand beside it,
        // and never withheld, even in a row whose count is.
        let targets = "financial_year,area,target,target_status,count,status\n\
                       2004-05,Dorset,,[x],,[c]\n\
                       2004-05,Kent,,[x],12,\n";
        let a = edition(&[
            ("series/commencements", series),
            ("commencements_against_target", targets),
        ]);
        let b = edition(&[
            ("series/commencements", &series.replace(",120,", ",121,")),
            (
                "commencements_against_target",
                &targets.replace("Kent,,[x]", "Kent,15,"),
            ),
        ]);
        let changes = compare(&a, &b);
        assert_eq!(
            csv_of(&changes),
            "table,quarter,group,figure,old,new,change\n\
             commencements_against_target,,financial_year=2004-05; area=Kent,target,,15,changed\n\
             commencements_against_target,,financial_year=2004-05; area=Kent,target_status,[x],,changed\n\
             series/commencements,2004Q4,breakdown=National; group=All,count,120,121,changed\n"
        );
        assert!(summary(&changes).contains(
            "\nseries/commencements\n  2004Q4, breakdown=National; group=All: count 120 → 121\n"
        ));
    }

    #[test]
    fn a_figure_without_a_value_changes_to_and_from_empty() {
        let a = edition(&[(
            "t",
            "breakdown,group,total,denominator,mean,status\nNational,All,0,0,,[z]\n",
        )]);
        let b = edition(&[(
            "t",
            "breakdown,group,total,denominator,mean,status\nNational,All,3,2,1.5000,\n",
        )]);
        let changes = compare(&a, &b);
        assert_eq!(count(&changes, ChangeKind::Changed), 4);
        assert!(
            summary(&changes).contains("  breakdown=National; group=All: mean (empty) → 1.5000\n")
        );
        assert!(
            summary(&changes).contains("  breakdown=National; group=All: status [z] → (empty)\n")
        );
    }

    #[test]
    fn a_csv_that_is_not_a_dtto_table_is_refused_with_the_reason() {
        let not_a_table = parse_table("a,b\n1,2\n".as_bytes(), &[])
            .unwrap_err()
            .to_string();
        assert!(not_a_table.contains("do not end as a rate, count or mean table's"));
        let repeated = parse_table(
            "breakdown,group,count,status\nNational,All,1,\nNational,All,2,\n".as_bytes(),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            repeated,
            "line 3 repeats the group breakdown=National; group=All"
        );
        let ragged = parse_table(
            "breakdown,group,count,status\nNational,All,1\n".as_bytes(),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(ragged.contains("found record with 3 fields"), "{ragged}");
        let not_utf8 = parse_table(
            &b"breakdown,group,count,status\nNational,\xff,1,\n"[..],
            &[],
        );
        assert!(not_utf8.is_err());
    }

    #[test]
    fn a_folder_without_data_is_not_an_edition() {
        let empty = std::env::temp_dir().join("dtto-diff-no-edition-here");
        let error = PublishedFigures::read(&empty, &DescriptiveColumns::new()).unwrap_err();
        assert!(matches!(error, DiffError::NotAnEdition(_)));
        assert_eq!(error.exit().code(), 15);
    }
}
