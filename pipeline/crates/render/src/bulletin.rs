//! The bulletin, ready to lay out: the words rendered and read into blocks,
//! each chart and table directive resolved into a numbered figure or table
//! with its caption and data. `html` and `pdf` lay out these parts.

use std::path::Path;

use serde::Serialize;

use crate::revised::Statement;
use tera::Context;

use super::RenderError;
use super::charts::Chart;
use super::display::{Detail, DisplayTable, lay_out};
use super::document::{Block, Inline, Prose, parse};
use super::words;
use dtto_ingest::report::IngestSummary;
use dtto_model::catalogue::ChartKind;
use dtto_model::format::{self, lower_first};
use dtto_model::period::Period;
use dtto_model::table::NATIONAL;
use dtto_protect::disclosure::{ProtectedRow, ProtectedTable};

/// The words' template, under the templates folder.
pub(crate) const WORDS: &str = "bulletin.md";

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Prose(Prose),
    /// A chart and, after it, its data.
    Figure {
        id: String,
        /// `Figure 3: ` and the chart's message, or what it shows.
        caption: String,
        /// What a chart titled by its message shows: its descriptive title.
        subtitle: Option<String>,
        chart: Chart,
        data: DisplayTable,
    },
    Table {
        id: String,
        caption: String,
        data: DisplayTable,
    },
}

/// What every template is given about the edition.
#[derive(Debug, Clone, Serialize)]
pub struct EditionDetails {
    pub title: String,
    /// `2003Q4`, from which every window's months are worded.
    pub period: Period,
    /// `the year ending December 2003`.
    pub year_ending: String,
    /// `the year ending December 2002`.
    pub year_earlier: String,
    /// `31 December 2003`.
    pub period_end: String,
    /// `31 March 2005`: the extract's as-at date.
    pub as_at: String,
    /// The line under every chart and table.
    pub source: String,
    pub threshold: u64,
    pub low_reliability_below: u64,
    /// `Official statistics`, `Official statistics in development`, or
    /// `Draft`.
    pub status: String,
    /// When and by whom it is released; none for a draft, which every
    /// output says first.
    pub release: Option<Release>,
    /// What changed since the previous edition; none for a first edition.
    pub revisions: Option<Statement>,
    /// What validation set aside, for the public data-quality section.
    pub quality: Quality,
}

/// The rows of the extract each file delivered and validation set aside,
/// with the rules that set them aside, in words for the bulletin.
#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub received: String,
    pub set_aside: String,
    /// The share set aside: `0.12%`.
    pub share: String,
    pub files: Vec<FileQuality>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileQuality {
    pub file: String,
    pub received: String,
    pub set_aside: String,
    pub share: String,
    /// `rule (rows)`, for each rule that set a row aside, most first.
    pub rules: Vec<String>,
}

impl Quality {
    pub fn of(summary: &IngestSummary) -> Quality {
        let files: Vec<FileQuality> = summary
            .files
            .iter()
            .map(|file| {
                let received = file.loaded + file.quarantined;
                let mut rules: Vec<(&String, &u64)> = file.quarantined_by_rule.iter().collect();
                rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                FileQuality {
                    file: file.file.clone(),
                    received: format::thousands(received),
                    set_aside: format::thousands(file.quarantined),
                    share: format::share(file.quarantined, received),
                    rules: rules
                        .into_iter()
                        .map(|(rule, rows)| format!("{rule} ({})", format::thousands(*rows)))
                        .collect(),
                }
            })
            .collect();
        let received: u64 = summary.files.iter().map(|f| f.loaded + f.quarantined).sum();
        let set_aside: u64 = summary.files.iter().map(|f| f.quarantined).sum();
        Quality {
            received: format::thousands(received),
            set_aside: format::thousands(set_aside),
            share: format::share(set_aside, received),
            files,
        }
    }
}

/// The release, in words.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// `12 May 2005, 09:30`.
    pub published: String,
    /// `11 August 2005`, when announced.
    pub next: Option<String>,
    pub producer: String,
    pub contact: String,
}

#[derive(Debug, Clone)]
pub struct Bulletin {
    pub edition: EditionDetails,
    pub parts: Vec<Part>,
}

impl Bulletin {
    /// Headings of level 2: the contents.
    pub fn sections(&self) -> Vec<(String, String)> {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Prose(Prose::Heading {
                    level: 2,
                    id,
                    content,
                }) => Some((id.clone(), super::document::plain(content))),
                _ => None,
            })
            .collect()
    }

    pub fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.parts.iter().filter_map(|part| match part {
            Part::Figure { chart, .. } => Some(chart),
            _ => None,
        })
    }
}

/// Renders the words in `templates` against the protected tables and
/// resolves their figures (from `charts`, drawn from the same tables) and
/// tables.
/// `series`: the tables' quarterly series, for `trend(...)`.
pub fn build(
    templates: &Path,
    edition: EditionDetails,
    tables: &[ProtectedTable],
    series: &[ProtectedTable],
    charts: &[Chart],
) -> Result<Bulletin, RenderError> {
    let path = templates.join(WORDS);
    let failed = |reason: String| RenderError::template(&path, reason);
    let template = std::fs::read_to_string(&path).map_err(|e| failed(e.to_string()))?;
    let mut context = Context::new();
    context.insert("edition", &edition);
    let markdown = words::render(WORDS, &template, tables, edition.period, &context)
        .map_err(|e| failed(words::describe(&e)))?;
    let blocks = parse(&markdown).map_err(|e| failed(e.to_string()))?;
    let mut numbers = Numbers::default();
    let parts = blocks
        .into_iter()
        .map(|block| resolve(block, tables, series, charts, &edition, &mut numbers))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(e.to_string()))?;
    Ok(Bulletin { edition, parts })
}

#[derive(Default)]
struct Numbers {
    figures: usize,
    tables: usize,
}

impl Numbers {
    /// The next figure, `chart` with its data, or without a chart the next
    /// table, the data alone; `what` follows its number in the caption.
    /// `message`, when the words give one, titles a figure, with `what`
    /// under it.
    fn figure_or_table(
        &mut self,
        chart: Option<&Chart>,
        what: &str,
        message: Option<String>,
        data: DisplayTable,
    ) -> Part {
        match chart {
            Some(chart) => {
                self.figures += 1;
                let (title, subtitle) = match message {
                    Some(message) => (message, Some(what.to_string())),
                    None => (what.to_string(), None),
                };
                Part::Figure {
                    id: format!("figure-{}", self.figures),
                    caption: format!("Figure {}: {title}", self.figures),
                    subtitle,
                    chart: chart.clone(),
                    data,
                }
            }
            None => {
                self.tables += 1;
                Part::Table {
                    id: format!("table-{}", self.tables),
                    caption: format!("Table {}: {what}", self.tables),
                    data,
                }
            }
        }
    }
}

/// Words that ask for what the edition's tables do not have.
#[derive(Debug, thiserror::Error)]
enum NotInTables {
    #[error("no table has the id `{0}`")]
    Table(String),
    #[error("table `{0}` has no chart in its metadata")]
    Chart(String),
    #[error("table `{table}` has no dimension `{dimension}`")]
    Dimension { table: String, dimension: String },
}

fn resolve(
    block: Block,
    tables: &[ProtectedTable],
    series: &[ProtectedTable],
    charts: &[Chart],
    edition: &EditionDetails,
    numbers: &mut Numbers,
) -> Result<Part, NotInTables> {
    let find = |id: &str| {
        tables
            .iter()
            .find(|t| t.metadata().id == id)
            .ok_or_else(|| NotInTables::Table(id.to_string()))
    };
    Ok(match block {
        Block::Prose(prose) => Part::Prose(prose),
        Block::Chart { table: id, message } => {
            let table = find(&id)?;
            if table.metadata().chart.kind == ChartKind::None {
                return Err(NotInTables::Chart(id));
            }
            let breakdowns: Vec<String> =
                table.metadata().chart.breakdown.iter().cloned().collect();
            let data = lay_out(table, Detail::Bulletin, in_breakdowns(table, &breakdowns));
            let what = format!(
                "{}{}, {}",
                table.metadata().title,
                by(&breakdowns),
                lower_first(&table.metadata().cohort_in(edition.period))
            );
            // Nothing to draw (no rows this period): the data table alone.
            numbers.figure_or_table(charts.iter().find(|c| c.id == id), &what, message, data)
        }
        Block::Trend { table: id, message } => {
            let Some(table) = series.iter().find(|t| t.metadata().id == id) else {
                find(&id)?;
                return Ok(Part::Prose(Prose::Paragraph(vec![Inline::Text(
                    "The extract does not yet cover a whole 12 months of this measure before \
                     the period: it has no quarterly series."
                        .to_string(),
                )])));
            };
            let what = format!(
                "{}, {}",
                table.metadata().title,
                lower_first(&table.metadata().cohort_over_series())
            );
            // The national line the chart draws; the breakdowns' series are
            // in the spreadsheet and data/series.
            let national = [NATIONAL.to_string()];
            let mut data = lay_out(table, Detail::Series, in_breakdowns(table, &national));
            // Named after its file, data/series/<id>.csv.
            data.id = format!("series/{id}");
            // Fewer than two rates shown: the data table alone.
            let chart = charts.iter().find(|c| c.id == format!("{id}-series"));
            numbers.figure_or_table(chart, &what, message, data)
        }
        Block::Table {
            table: id,
            breakdowns,
            rows,
        } => {
            let table = find(&id)?;
            let in_rows = with_values(table, &rows)?;
            let in_breakdowns = in_breakdowns(table, &breakdowns);
            let mut data = lay_out(table, Detail::Bulletin, |row| {
                in_breakdowns(row) && in_rows(row)
            });
            in_order_named(table, &breakdowns, &mut data);
            numbers.tables += 1;
            // The title names the whole table; the caption says which
            // rows of it are shown.
            let only: Vec<&str> = rows.iter().map(|(_, value)| value.as_str()).collect();
            let only = if only.is_empty() {
                String::new()
            } else {
                format!(" ({})", only.join(", "))
            };
            Part::Table {
                id: format!("table-{}", numbers.tables),
                caption: format!(
                    "Table {}: {}{}{only}, {}",
                    numbers.tables,
                    table.metadata().title,
                    by(&breakdowns),
                    lower_first(&table.metadata().cohort_in(edition.period))
                ),
                data,
            }
        }
    })
}

/// ` by age band, sex and ethnic group`; nothing for the national figure.
fn by(breakdowns: &[String]) -> String {
    let named: Vec<String> = breakdowns
        .iter()
        .filter(|b| *b != NATIONAL)
        .map(|b| lower_first(b))
        .collect();
    match named.as_slice() {
        [] => String::new(),
        [one] => format!(" by {one}"),
        [first @ .., last] => format!(" by {} and {last}", first.join(", ")),
    }
}

/// Rows in the order their breakdowns were named (`National` first, if it
/// was named first), each breakdown's groups in the table's order.
fn in_order_named(table: &ProtectedTable, breakdowns: &[String], data: &mut DisplayTable) {
    if let Some(column) = table.dimensions().breakdown() {
        data.rows.sort_by_key(|row| {
            breakdowns
                .iter()
                .position(|b| row[column].text() == b)
                .unwrap_or(breakdowns.len())
        });
    }
}

/// Keeps the rows with `value` in each `(dimension, value)`; a dimension
/// the table does not have is an error.
fn with_values(
    table: &ProtectedTable,
    wanted: &[(String, String)],
) -> Result<impl Fn(&ProtectedRow) -> bool, NotInTables> {
    let mut columns = Vec::new();
    for (dimension, value) in wanted {
        match table.dimensions().position(dimension) {
            Some(column) => columns.push((column, value.clone())),
            // An empty table has no columns to check, nor rows to keep.
            None if table.rows().is_empty() => {}
            None => {
                return Err(NotInTables::Dimension {
                    table: table.metadata().id.clone(),
                    dimension: dimension.clone(),
                });
            }
        }
    }
    Ok(move |row: &ProtectedRow| {
        columns
            .iter()
            .all(|(column, value)| &row.groups()[*column] == value)
    })
}

/// Keeps the rows of the named breakdowns; every row when none are named
/// or the table has no breakdowns.
fn in_breakdowns<'a>(
    table: &ProtectedTable,
    breakdowns: &'a [String],
) -> impl Fn(&ProtectedRow) -> bool + 'a {
    let column = table.dimensions().breakdown();
    move |row| match column {
        Some(column) if !breakdowns.is_empty() => breakdowns.contains(&row.groups()[column]),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::by;

    #[test]
    fn captions_name_the_breakdowns() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(by(&names(&["National"])), "");
        assert_eq!(by(&names(&["Sex"])), " by sex");
        assert_eq!(
            by(&names(&["National", "Age band", "Sex", "Ethnic group"])),
            " by age band, sex and ethnic group"
        );
    }
}
