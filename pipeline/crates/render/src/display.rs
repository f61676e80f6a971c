//! A protected table laid out for readers: headings with their units, and
//! cells that are a number with its printed form, text, or shorthand. The
//! HTML, PDF and spreadsheet all draw from this, so a figure reads the same
//! in each.

use super::window_ending;
use dtto_model::format;
use dtto_model::period::COUNTED_ENDING;
use dtto_model::table::{NO_DESCRIPTION, Shorthand, TableKind};
use dtto_protect::disclosure::{
    ProtectedRate, ProtectedRow, ProtectedTable, ProtectedValue, Shown,
};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number {
        value: f64,
        text: String,
        /// The decimal places `text` shows, for a spreadsheet's number
        /// format: 0 for a count, 1 for a percentage, 2 for a mean.
        places: u8,
    },
    /// `[c]`, `[z]` or `[x]` in place of a number (the spreadsheet and the
    /// bulletin's tables; the CSVs leave the cell empty).
    Shorthand(Shorthand),
    Empty,
}

impl Cell {
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(text) | Cell::Number { text, .. } => text,
            Cell::Shorthand(shorthand) => shorthand.mark(),
            Cell::Empty => "",
        }
    }

    fn count(figure: Shown<u64>) -> Cell {
        match figure {
            Shown::Value(n) => Cell::Number {
                value: n as f64,
                text: format::thousands(n),
                places: 0,
            },
            Shown::Withheld => Cell::Shorthand(Shorthand::Confidential),
        }
    }

    fn percent(proportion: f64) -> Cell {
        let value = format::percent_value(proportion);
        Cell::Number {
            value,
            text: format!("{value:.1}"),
            places: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DisplayTable {
    pub id: String,
    pub title: String,
    /// The first `dimensions` columns name the row; the rest are figures.
    pub dimensions: usize,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// How much of a table a reader is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// The bulletin: the rate, its interval, its counts and the change.
    Bulletin,
    /// The spreadsheet: every figure, the change's interval and
    /// significance as separate columns.
    Full,
    /// A series: every figure but the change on a year earlier, which a
    /// series has none of (its rows are the trend).
    Series,
}

impl Detail {
    fn shows_change(self) -> bool {
        self != Detail::Series
    }

    fn shows_change_interval(self) -> bool {
        self == Detail::Full
    }
}

/// Readers see `termination_reason` as `Termination reason`.
pub(crate) fn heading(dimension: &str) -> String {
    let spaced = dimension.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// The rows of `table` that `keep` accepts, laid out at `detail`. A
/// descriptive column (a target, say) is a figure, not part of the row's
/// name, and where it has none, the shorthand that says so.
pub(crate) fn lay_out(
    table: &ProtectedTable,
    detail: Detail,
    keep: impl Fn(&ProtectedRow) -> bool,
) -> DisplayTable {
    let metadata = table.metadata();
    let descriptive = |d: &String| metadata.descriptive.contains(d);
    let mut headings: Vec<String> = table
        .dimensions()
        .iter()
        .map(|d| {
            if descriptive(d) {
                format!("{} (number)", heading(d))
            } else {
                heading(d)
            }
        })
        .collect();
    // A series row is labelled by the months it counts as well as by the
    // edition's quarter it is the figure of: they differ for a lagged
    // cohort.
    let counted_ending = |row: &ProtectedRow| -> Option<Cell> {
        let ending = window_ending(table, row, None).filter(|_| detail == Detail::Series)?;
        Some(Cell::Text(ending.to_string()))
    };
    let labelled = table.rows().first().and_then(counted_ending).is_some();
    if labelled {
        headings.push(COUNTED_ENDING.to_string());
    }
    headings.extend(figure_headings(table, detail));
    let rows = table
        .rows()
        .iter()
        .filter(|row| keep(row))
        .map(|row| {
            let mut cells: Vec<Cell> = table
                .dimensions()
                .iter()
                .zip(row.groups())
                .map(|(d, group)| match group.parse::<u64>() {
                    Ok(n) if descriptive(d) => Cell::count(Shown::Value(n)),
                    _ if descriptive(d) && group == NO_DESCRIPTION.mark() => {
                        Cell::Shorthand(NO_DESCRIPTION)
                    }
                    _ => Cell::Text(group.clone()),
                })
                .collect();
            if labelled {
                cells.push(counted_ending(row).unwrap_or(Cell::Empty));
            }
            cells.extend(figure_cells(row.value(), detail));
            cells.push(notes(row));
            cells
        })
        .collect();
    DisplayTable {
        id: metadata.id.clone(),
        title: metadata.title.clone(),
        dimensions: table
            .dimensions()
            .iter()
            .filter(|d| !descriptive(d))
            .count(),
        headings,
        rows,
    }
}

fn figure_headings(table: &ProtectedTable, detail: Detail) -> Vec<String> {
    let metadata = table.metadata();
    let label = |text: &Option<String>, fallback: &str| {
        format!("{} (number)", text.as_deref().unwrap_or(fallback))
    };
    let mut headings = Vec::new();
    match metadata.kind {
        TableKind::Count => headings.push(label(&metadata.count, "Count")),
        TableKind::Mean => {
            headings.push(label(&metadata.numerator, "Total"));
            headings.push(label(&metadata.denominator, "People"));
            headings.push("Mean per person".to_string());
        }
        TableKind::Rate => {
            headings.push("Rate (%)".to_string());
            headings.push("95% interval, lower (%)".to_string());
            headings.push("95% interval, upper (%)".to_string());
            headings.push(label(&metadata.numerator, "Numerator"));
            headings.push(label(&metadata.denominator, "Denominator"));
            if detail.shows_change() {
                headings.extend(change_headings(detail));
            }
        }
    }
    headings.push("Notes".to_string());
    headings
}

fn change_headings(detail: Detail) -> Vec<String> {
    let mut headings = vec!["Change on a year earlier (percentage points)".to_string()];
    if detail.shows_change_interval() {
        headings.push("Change, 95% interval lower (percentage points)".to_string());
        headings.push("Change, 95% interval upper (percentage points)".to_string());
    }
    headings.push("Change significant".to_string());
    headings
}

fn figure_cells(value: &ProtectedValue, detail: Detail) -> Vec<Cell> {
    match value {
        ProtectedValue::Count(count) => vec![Cell::count(*count)],
        ProtectedValue::Mean(mean) => {
            let shown = mean.mean();
            let value = match shown {
                Shown::Value(Some(m)) => Cell::Number {
                    value: (m * 100.0).round() / 100.0,
                    text: format::mean(m),
                    places: 2,
                },
                Shown::Value(None) => Cell::Shorthand(Shorthand::NotApplicable),
                Shown::Withheld => Cell::Shorthand(Shorthand::Confidential),
            };
            vec![
                Cell::count(mean.total()),
                Cell::count(mean.denominator()),
                value,
            ]
        }
        ProtectedValue::Rate(rate) => rate_cells(rate, detail),
    }
}

fn rate_cells(rate: &ProtectedRate, detail: Detail) -> Vec<Cell> {
    let estimate = rate.estimate();
    let unavailable = match estimate {
        Shown::Withheld => Cell::Shorthand(Shorthand::Confidential),
        Shown::Value(_) => Cell::Shorthand(Shorthand::NotApplicable),
    };
    let mut cells = match estimate.value().flatten() {
        Some((value, interval)) => vec![
            Cell::percent(value),
            Cell::percent(interval.lower),
            Cell::percent(interval.upper),
        ],
        None => vec![unavailable.clone(), unavailable.clone(), unavailable],
    };
    cells.push(Cell::count(rate.numerator()));
    cells.push(Cell::count(rate.denominator()));
    if detail.shows_change() {
        cells.extend(change_cells(rate, detail));
    }
    cells
}

fn change_cells(rate: &ProtectedRate, detail: Detail) -> Vec<Cell> {
    let Some(change) = rate.change() else {
        return vec![Cell::Shorthand(no_change(rate)); change_headings(detail).len()];
    };
    let mut cells = vec![Cell::Number {
        value: format::percent_value(change.difference),
        text: format::points(change.difference),
        places: 1,
    }];
    if detail.shows_change_interval() {
        cells.push(Cell::percent(change.interval.lower));
        cells.push(Cell::percent(change.interval.upper));
    }
    let significant = if change.significant { "Yes" } else { "No" };
    cells.push(Cell::Text(significant.to_string()));
    cells
}

/// What stands in a change's cells where it is not shown. Without a rate
/// now (no denominator) there is nothing to compare: `[z]`. Otherwise the
/// rate is withheld now or a year earlier: `[c]`. A year-earlier group
/// with no one in it has no rate either, and is marked `[c]` too, since
/// telling the two apart would show that a withheld group was not empty.
fn no_change(rate: &ProtectedRate) -> Shorthand {
    match rate.estimate() {
        Shown::Value(None) => Shorthand::NotApplicable,
        Shown::Value(Some(_)) | Shown::Withheld => Shorthand::Confidential,
    }
}

/// The shorthand that explains a row, in its notes column.
fn notes(row: &ProtectedRow) -> Cell {
    match row.status_text() {
        text if text.is_empty() => Cell::Empty,
        text => Cell::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::heading;

    #[test]
    fn dimension_names_read_as_headings() {
        assert_eq!(heading("termination_reason"), "Termination reason");
        assert_eq!(heading("group"), "Group");
        assert_eq!(heading(""), "");
    }
}
