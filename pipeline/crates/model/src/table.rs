//! The model of a published table, in one place: which figures each kind
//! of table carries and in what order, the columns of its tidy CSV, the
//! dimensions that name a breakdown and its groups, the national row, the
//! `All …` totals, and the GSS status shorthand with its precedence.
//!
//! It stands at the crate's root, beneath every stage that reads a table,
//! and depends on none of them: the catalogue checks queries against it,
//! the statistics build rows by it, disclosure control finds the sums a
//! reader knows through it, and every renderer writes by it. A convention
//! changed here changes everywhere at once.

use std::fmt;

use serde::Deserialize;

/// What a table's query returns, and so which figures its rows carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// `numerator` and `denominator` per group: the statistics module adds
    /// the rate, its interval and the change on a year earlier.
    Rate,
    /// A `count` per group.
    Count,
    /// A `total` and a `denominator` per group: the statistics module adds
    /// the mean, total / denominator.
    Mean,
}

impl TableKind {
    /// Every kind.
    pub const ALL: [TableKind; 3] = [TableKind::Rate, TableKind::Count, TableKind::Mean];

    /// The counts a query of this kind returns, in the order every output
    /// gives them.
    pub fn counts(self) -> &'static [Figure] {
        match self {
            TableKind::Rate => &[Figure::Numerator, Figure::Denominator],
            TableKind::Count => &[Figure::Count],
            TableKind::Mean => &[Figure::Total, Figure::Denominator],
        }
    }

    /// The columns a query of this kind must return: its counts.
    pub fn required_columns(self) -> impl Iterator<Item = &'static str> {
        self.counts().iter().map(|figure| figure.name())
    }

    /// A row of this kind has `figure` among its counts.
    pub fn carries(self, figure: Figure) -> bool {
        self.counts().contains(&figure)
    }

    /// The columns of `data/<table>.csv` after the dimensions: the counts,
    /// what the statistics make of them, then the status.
    pub fn csv_columns(self) -> Vec<&'static str> {
        let derived: &[&str] = match self {
            TableKind::Rate => &["rate", INTERVAL_COLUMNS[0], INTERVAL_COLUMNS[1]],
            TableKind::Count => &[],
            TableKind::Mean => &["mean"],
        };
        self.required_columns()
            .chain(derived.iter().copied())
            .chain([STATUS])
            .collect()
    }
}

/// The CSV columns of a rate's 95 % interval: its bounds move with the
/// rate, so a reader counting revised figures does not count them again.
pub const INTERVAL_COLUMNS: [&str; 2] = ["ci_lower", "ci_upper"];

/// The CSV column carrying a row's shorthand.
pub const STATUS: &str = "status";

/// The CSV column beside a descriptive column (`target`) that carries the
/// shorthand for its missing value (`target_status`): a numeric column
/// holds numbers only, so machines read it without cleaning.
pub fn status_column(column: &str) -> String {
    format!("{column}_{STATUS}")
}

/// A column of shorthand, the row's or a descriptive column's: not a
/// figure, so never a revised one.
pub fn is_status_column(column: &str) -> bool {
    column == STATUS || column.ends_with(&format!("_{STATUS}"))
}

/// Which of a row's counts a figure is. Metadata names one by its column
/// (`count`, `numerator`, `denominator`, `total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum Figure {
    Count,
    Numerator,
    Denominator,
    /// Denominator − numerator: never printed, but known to a reader who
    /// sees both.
    Difference,
    /// A mean's total.
    Total,
}

impl Figure {
    /// The figure a table's column holds.
    pub fn from_name(name: &str) -> Option<Figure> {
        [
            Figure::Count,
            Figure::Numerator,
            Figure::Denominator,
            Figure::Total,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Figure::Count => "count",
            Figure::Numerator => "numerator",
            Figure::Denominator => "denominator",
            Figure::Difference => "denominator - numerator",
            Figure::Total => "total",
        }
    }
}

/// A name that is none of the figures a column holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("figures are count, numerator, denominator or total, not {0:?}")]
pub struct NotAFigure(String);

impl TryFrom<String> for Figure {
    type Error = NotAFigure;

    fn try_from(name: String) -> Result<Figure, NotAFigure> {
        Figure::from_name(&name).ok_or(NotAFigure(name))
    }
}

/// The dimension naming a row's breakdown: `Sex`, or [`NATIONAL`].
pub const BREAKDOWN: &str = "breakdown";
/// The dimension naming a row's group within its breakdown: `Female`.
pub const GROUP: &str = "group";
/// The breakdown of the national figure, whose only group is [`ALL`]: the
/// groups of every other breakdown add up to it.
pub const NATIONAL: &str = "National";
/// The national figure's group.
pub const ALL: &str = "All";
/// The dimension of a series naming the quarter of the edition a row is
/// the figure of: `2004Q3` (a table with a window a year back counts the
/// 12 months ending 2003Q3 there).
pub const QUARTER: &str = "quarter";
/// The column of a CSV naming the quarter the 12 months a row counts end
/// with, after the row's dimensions: a label, not a dimension (it follows
/// from the quarter), so that no one reads a lagged cohort as the edition's
/// year.
pub const WINDOW_ENDING: &str = "window_ending";
/// The breakdowns a series carries: the national figure, age band, sex and
/// ethnic group (not area: too thin).
pub const SERIES_BREAKDOWNS: [&str; 4] = [NATIONAL, "Age band", "Sex", "Ethnic group"];

/// A value naming the total of the other values of its dimension: `All`,
/// `All reasons`, `All areas`.
pub fn is_all(value: &str) -> bool {
    value == ALL || value.starts_with("All ")
}

/// The national row's value in `dimension`, where the conventions fix it.
pub fn national(dimension: &str) -> Option<&'static str> {
    match dimension {
        BREAKDOWN => Some(NATIONAL),
        GROUP => Some(ALL),
        _ => None,
    }
}

/// A table's dimensions, in query order, knowing where the conventions'
/// columns are: the breakdown, the group and a series' quarter. Rows are
/// read through it, so no stage looks a convention's column up by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dimensions {
    names: Vec<String>,
    breakdown: Option<usize>,
    group: Option<usize>,
    quarter: Option<usize>,
}

impl Dimensions {
    pub fn new(names: Vec<String>) -> Dimensions {
        let column = |name: &str| names.iter().position(|d| d == name);
        Dimensions {
            breakdown: column(BREAKDOWN),
            group: column(GROUP),
            quarter: column(QUARTER),
            names,
        }
    }

    /// The same dimensions with a series' [`QUARTER`] before them.
    pub fn with_quarter(&self) -> Dimensions {
        let mut names = vec![QUARTER.to_string()];
        names.extend(self.names.iter().cloned());
        Dimensions::new(names)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The column of the dimension `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|d| d == name)
    }

    pub fn breakdown(&self) -> Option<usize> {
        self.breakdown
    }

    pub fn group(&self) -> Option<usize> {
        self.group
    }

    /// The column of a series' quarter: none in a table of one period.
    pub fn quarter(&self) -> Option<usize> {
        self.quarter
    }

    /// Both columns, for a table broken down into groups.
    pub fn breakdown_and_group(&self) -> Option<(usize, usize)> {
        self.breakdown.zip(self.group)
    }

    pub fn is_breakdown_or_group(&self, column: usize) -> bool {
        Some(column) == self.breakdown || Some(column) == self.group
    }

    /// A row of the national figure, or of a table with no breakdown.
    pub fn is_national(&self, groups: &[String]) -> bool {
        self.breakdown.is_none_or(|b| groups[b] == NATIONAL)
    }

    /// A row that is the `All …` total of a dimension other than its
    /// breakdown and group (the national group `All` totals a breakdown,
    /// not a dimension).
    pub fn totals_a_dimension(&self, groups: &[String]) -> bool {
        groups
            .iter()
            .enumerate()
            .any(|(column, value)| !self.is_breakdown_or_group(column) && is_all(value))
    }
}

impl std::ops::Deref for Dimensions {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.names
    }
}

/// The GSS shorthand that stands in for a figure, or flags a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shorthand {
    Confidential,
    LowReliability,
    NotAvailable,
    NotApplicable,
    /// A row with a figure that differs from the previous edition's: it
    /// follows any other shorthand of the row (`[u] [r]`).
    Revised,
}

impl Shorthand {
    /// Every shorthand, in the order readers are told about them.
    pub const ALL: [Shorthand; 5] = [
        Shorthand::Confidential,
        Shorthand::LowReliability,
        Shorthand::NotAvailable,
        Shorthand::NotApplicable,
        Shorthand::Revised,
    ];

    pub const fn mark(self) -> &'static str {
        self.text().0
    }

    pub const fn meaning(self) -> &'static str {
        self.text().1
    }

    /// The shorthand as written, and what it means.
    const fn text(self) -> (&'static str, &'static str) {
        match self {
            Shorthand::Confidential => (
                "[c]",
                "Confidential: withheld to protect the people it describes",
            ),
            Shorthand::LowReliability => (
                "[u]",
                "Low reliability: the rate rests on a small denominator",
            ),
            Shorthand::NotAvailable => ("[x]", "Not available"),
            Shorthand::NotApplicable => ("[z]", "Not applicable: there is no denominator"),
            Shorthand::Revised => ("[r]", "Revised since the previous edition"),
        }
    }
}

impl fmt::Display for Shorthand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mark())
    }
}

/// What a descriptive column (an area's target) shows where its query has
/// no value, as for a financial year without targets: the value is not
/// available, and every output says so in the same words.
pub const NO_DESCRIPTION: Shorthand = Shorthand::NotAvailable;

/// What can be said of a row's figures, for its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowStatus {
    /// A figure of the row is withheld.
    pub withheld: bool,
    /// Its denominator is zero.
    pub no_denominator: bool,
    /// Its denominator is below the minimum for a reliable figure.
    pub low_reliability: bool,
}

impl RowStatus {
    /// One shorthand per row, the strongest: a withheld figure, then no
    /// denominator, then low reliability.
    pub fn shorthand(self) -> Option<Shorthand> {
        if self.withheld {
            Some(Shorthand::Confidential)
        } else if self.no_denominator {
            Some(Shorthand::NotApplicable)
        } else if self.low_reliability {
            Some(Shorthand::LowReliability)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_carries_its_counts_in_order() {
        assert_eq!(
            TableKind::Rate.required_columns().collect::<Vec<_>>(),
            ["numerator", "denominator"]
        );
        assert_eq!(
            TableKind::Mean.required_columns().collect::<Vec<_>>(),
            ["total", "denominator"]
        );
        assert!(TableKind::Count.carries(Figure::Count));
        assert!(!TableKind::Count.carries(Figure::Denominator));
        assert!(!TableKind::Rate.carries(Figure::Difference));
    }

    #[test]
    fn the_csv_gives_counts_then_estimates_then_status() {
        assert_eq!(
            TableKind::Rate.csv_columns(),
            [
                "numerator",
                "denominator",
                "rate",
                "ci_lower",
                "ci_upper",
                "status"
            ]
        );
        assert_eq!(TableKind::Count.csv_columns(), ["count", "status"]);
        assert_eq!(
            TableKind::Mean.csv_columns(),
            ["total", "denominator", "mean", "status"]
        );
    }

    #[test]
    fn figures_are_found_by_their_column_name_only() {
        assert_eq!(Figure::from_name("total"), Some(Figure::Total));
        assert_eq!(Figure::from_name("denominator - numerator"), None);
        assert_eq!(Figure::from_name("rate"), None);
    }

    #[test]
    fn all_and_all_something_are_totals() {
        assert!(is_all("All"));
        assert!(is_all("All reasons"));
        assert!(!is_all("Allerdale"));
        assert!(!is_all("all"));
        assert!(!is_all("Not All"));
    }

    #[test]
    fn the_national_row_is_national_all() {
        assert_eq!(national("breakdown"), Some("National"));
        assert_eq!(national("group"), Some("All"));
        assert_eq!(national("termination_reason"), None);
    }

    #[test]
    fn dimensions_find_the_breakdown_group_and_quarter_columns() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let dimensions = Dimensions::new(names(&["period", "breakdown", "group", "reason"]));
        assert_eq!(dimensions.breakdown_and_group(), Some((1, 2)));
        assert!(dimensions.is_breakdown_or_group(2) && !dimensions.is_breakdown_or_group(3));
        assert_eq!(dimensions.quarter(), None);
        assert_eq!(dimensions.with_quarter().quarter(), Some(0));
        assert_eq!(dimensions.with_quarter().breakdown(), Some(2));
        assert_eq!(
            Dimensions::new(names(&["group"])).breakdown_and_group(),
            None
        );
        assert!(!dimensions.totals_a_dimension(&names(&["2004", "National", "All", "died"])));
        assert!(dimensions.totals_a_dimension(&names(&["2004", "Sex", "Male", "All reasons"])));
        assert!(dimensions.is_national(&names(&["2004", "National", "All", "died"])));
        assert!(!dimensions.is_national(&names(&["2004", "Sex", "Male", "died"])));
        assert!(Dimensions::new(names(&["reason"])).is_national(&names(&["died"])));
    }

    #[test]
    fn a_withheld_figure_outranks_no_denominator_which_outranks_low_reliability() {
        let status = |withheld, no_denominator, low_reliability| {
            RowStatus {
                withheld,
                no_denominator,
                low_reliability,
            }
            .shorthand()
            .map(Shorthand::mark)
        };
        assert_eq!(status(true, true, true), Some("[c]"));
        assert_eq!(status(false, true, true), Some("[z]"));
        assert_eq!(status(false, false, true), Some("[u]"));
        assert_eq!(status(false, false, false), None);
    }

    #[test]
    fn shorthand_is_written_in_square_brackets() {
        let marks: Vec<String> = Shorthand::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(marks, ["[c]", "[u]", "[x]", "[z]", "[r]"]);
    }
}
