//! Disclosure control: the only way from the statistics to the renderers.
//!
//! [`protect`] takes the tables of the reference year and of a year earlier
//! and returns [`ProtectedTable`]s, which nothing outside this module can
//! build: every renderer (CSV, chart, spreadsheet, PDF, HTML, sentences)
//! takes a `ProtectedTable`, so no figure reaches a reader without passing
//! through here. A withheld figure is not carried at all: it is
//! [`Shown::Withheld`], with no value inside to leak.
//!
//! What is withheld, and how the choice is made, is in [`suppression`]; how
//! tables become cells and relations is in [`linked`].

pub mod audit;
pub mod linked;
pub mod suppression;

use crate::query::catalogue::TableMetadata;
use crate::statistics::{Change, Interval, StatTable, Value};
use crate::table::{Figure, Layout, RowStatus, Shorthand};
use linked::{CellRef, Linked};
use suppression::{Budget, Rule, suppress};

/// A figure as published: its value, or withheld (`[c]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown<T> {
    Value(T),
    Withheld,
}

impl<T: Copy> Shown<T> {
    pub fn value(&self) -> Option<T> {
        match self {
            Shown::Value(v) => Some(*v),
            Shown::Withheld => None,
        }
    }

    pub fn is_withheld(&self) -> bool {
        matches!(self, Shown::Withheld)
    }
}

/// A table that has been through disclosure control.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedTable {
    metadata: TableMetadata,
    dimensions: Vec<String>,
    rows: Vec<ProtectedRow>,
}

impl ProtectedTable {
    pub fn metadata(&self) -> &TableMetadata {
        &self.metadata
    }

    pub fn dimensions(&self) -> &[String] {
        &self.dimensions
    }

    pub fn layout(&self) -> Layout {
        Layout::of(&self.dimensions)
    }

    pub fn rows(&self) -> &[ProtectedRow] {
        &self.rows
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedRow {
    groups: Vec<String>,
    value: ProtectedValue,
}

impl ProtectedRow {
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    pub fn value(&self) -> &ProtectedValue {
        &self.value
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProtectedValue {
    Count(Shown<u64>),
    Rate(ProtectedRate),
    Mean(ProtectedMean),
}

impl ProtectedValue {
    /// The shorthand the row's status carries, if any.
    pub fn status(&self) -> Option<Shorthand> {
        let status = match self {
            ProtectedValue::Count(count) => RowStatus {
                withheld: count.is_withheld(),
                ..RowStatus::default()
            },
            ProtectedValue::Rate(rate) => RowStatus {
                withheld: rate.estimate.is_withheld(),
                no_denominator: rate.estimate.value().is_some_and(|e| e.is_none()),
                low_reliability: rate.low_reliability,
            },
            ProtectedValue::Mean(mean) => RowStatus {
                withheld: mean.mean.is_withheld(),
                no_denominator: mean.mean.value().is_some_and(|m| m.is_none()),
                low_reliability: mean.low_reliability,
            },
        };
        status.shorthand()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedRate {
    numerator: Shown<u64>,
    denominator: Shown<u64>,
    /// The rate and its interval: withheld when any of its counts is;
    /// `Value(None)` when the denominator is zero.
    estimate: Shown<Option<(f64, Interval)>>,
    /// Only when the rate is shown in both years.
    change: Option<Change>,
    low_reliability: bool,
}

impl ProtectedRate {
    pub fn numerator(&self) -> Shown<u64> {
        self.numerator
    }
    pub fn denominator(&self) -> Shown<u64> {
        self.denominator
    }
    pub fn estimate(&self) -> Shown<Option<(f64, Interval)>> {
        self.estimate
    }
    pub fn change(&self) -> Option<&Change> {
        self.change.as_ref()
    }
    pub fn low_reliability(&self) -> bool {
        self.low_reliability
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedMean {
    total: Shown<u64>,
    denominator: Shown<u64>,
    /// Withheld when either count is; `Value(None)` when the denominator is
    /// zero.
    mean: Shown<Option<f64>>,
    low_reliability: bool,
}

impl ProtectedMean {
    pub fn total(&self) -> Shown<u64> {
        self.total
    }
    pub fn denominator(&self) -> Shown<u64> {
        self.denominator
    }
    pub fn mean(&self) -> Shown<Option<f64>> {
        self.mean
    }
    pub fn low_reliability(&self) -> bool {
        self.low_reliability
    }
}

/// Which year a figure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Year {
    Reference,
    YearEarlier,
}

/// One withheld figure and why; never its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Withheld {
    pub table: String,
    pub year: Year,
    pub dimensions: Vec<(String, String)>,
    pub figure: Figure,
    /// `primary`, `unprinted`, `complement`, `range` or `budget`: see
    /// [`suppression`].
    pub rule: &'static str,
    /// The rule in words, with the relation that called for it.
    pub reason: String,
}

/// The outcome of disclosure control for a run.
#[derive(Debug, Clone)]
pub struct Protected {
    pub tables: Vec<ProtectedTable>,
    /// Every withheld figure of both years, in table order.
    pub audit: Vec<Withheld>,
    /// How many figures were tested in the reference year and a year
    /// earlier: the audit's share is of these.
    pub figures: [usize; 2],
}

/// Applies disclosure control to the tables of the reference year and of a
/// year earlier (the same tables, in the same order; the earlier year's
/// figures stand behind each change). `financial_years`: for each of the
/// two years, the financial year it is, if it is one.
pub fn protect(
    current: &[StatTable],
    previous: &[StatTable],
    financial_years: [Option<&str>; 2],
    threshold: u64,
) -> Result<Protected, DisclosureError> {
    // The two years are independent: decided side by side.
    let (now, before) = std::thread::scope(|scope| {
        let before = scope.spawn(|| Decided::new(previous, financial_years[1], threshold));
        let now = Decided::new(current, financial_years[0], threshold);
        (now, before.join())
    });
    let before = before.map_err(|_| DisclosureError {
        problems: vec!["deciding a year earlier's suppression failed".to_string()],
    })?;
    let problems: Vec<String> = now
        .linked
        .problems
        .iter()
        .chain(&before.linked.problems)
        .cloned()
        .collect();
    if !problems.is_empty() {
        return Err(DisclosureError { problems });
    }
    let tables = current
        .iter()
        .enumerate()
        .map(|(t, table)| {
            let earlier = previous
                .iter()
                .position(|p| p.metadata.id == table.metadata.id);
            protect_table(t, table, &now, earlier.map(|e| (e, &previous[e], &before)))
        })
        .collect();
    let mut audit = now.audit(current, Year::Reference);
    audit.extend(before.audit(previous, Year::YearEarlier));
    Ok(Protected {
        tables,
        audit,
        figures: [now.linked.cells.len(), before.linked.cells.len()],
    })
}

fn summarise(problems: &[String]) -> String {
    let mut text = problems
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > 5 {
        text.push_str(&format!("; and {} more", problems.len() - 5));
    }
    text
}

/// Links declared in the tables' metadata that do not hold: publishing
/// would risk inconsistent suppression between the tables.
#[derive(Debug, Clone, thiserror::Error)]
#[error("disclosure control: {}", summarise(problems))]
pub struct DisclosureError {
    pub problems: Vec<String>,
}

/// The solving disclosure control may do for one year's figures, as
/// unknowns summed over the linear programmes solved (see [`Budget`]): about
/// four times the most any generated delivery has needed (263,000 for the
/// year to March 2005 at scale 0.1), and about 10 s on a 2-core machine.
const LP_UNKNOWNS_PER_YEAR: u64 = 1_000_000;

/// The cells of one year's tables and which of them are withheld.
struct Decided {
    linked: Linked,
    withheld: Vec<Option<Rule>>,
}

impl Decided {
    fn new(tables: &[StatTable], financial_year: Option<&str>, threshold: u64) -> Decided {
        let linked = Linked::build(tables, financial_year);
        let withheld = suppress(
            &linked.values,
            &linked.relations,
            &linked.unprinted,
            threshold,
            &Budget::new(LP_UNKNOWNS_PER_YEAR),
        );
        Decided { linked, withheld }
    }

    fn is_withheld(&self, table: usize, row: usize, figure: Figure) -> bool {
        self.linked
            .cell(CellRef { table, row, figure })
            .is_none_or(|c| self.withheld[c].is_some())
    }

    fn shown<T>(&self, table: usize, row: usize, figure: Figure, value: T) -> Shown<T> {
        if self.is_withheld(table, row, figure) {
            Shown::Withheld
        } else {
            Shown::Value(value)
        }
    }

    /// The rate of a row can be shown: none of its counts is withheld.
    fn rate_shown(&self, table: usize, row: usize) -> bool {
        [Figure::Numerator, Figure::Denominator, Figure::Difference]
            .iter()
            .all(|&f| !self.is_withheld(table, row, f))
    }

    fn audit(&self, tables: &[StatTable], year: Year) -> Vec<Withheld> {
        self.linked
            .cells
            .iter()
            .zip(&self.withheld)
            .filter_map(|(cell, rule)| {
                let rule = (*rule)?;
                let table = &tables[cell.table];
                let row = &table.rows[cell.row];
                Some(Withheld {
                    table: table.metadata.id.clone(),
                    year,
                    dimensions: table
                        .dimensions
                        .iter()
                        .cloned()
                        .zip(row.groups.iter().cloned())
                        .collect(),
                    figure: cell.figure,
                    rule: match rule {
                        Rule::Primary => "primary",
                        Rule::Unprinted => "unprinted",
                        Rule::Complement { .. } => "complement",
                        Rule::Range { .. } => "range",
                        Rule::Budget => "budget",
                    },
                    reason: self.explain(rule),
                })
            })
            .collect()
    }

    fn explain(&self, rule: Rule) -> String {
        match rule {
            Rule::Primary => "primary: a count from 1 to threshold - 1".to_string(),
            Rule::Unprinted => {
                "the difference of a rate whose numerator and denominator are withheld".to_string()
            }
            Rule::Complement { relation } => format!(
                "secondary: so that no withheld figure can be found by subtraction in {}",
                self.linked.descriptions[relation]
            ),
            Rule::Range { relation } => format!(
                "secondary: a withheld figure could still be narrowed down through {}",
                self.linked.descriptions[relation]
            ),
            Rule::Budget => "secondary, in bulk: disclosure control reached its limit of work \
                for this year before it had shown every withheld figure safe, so every figure \
                linked to one not yet shown safe is withheld"
                .to_string(),
        }
    }
}

fn protect_table(
    t: usize,
    table: &StatTable,
    now: &Decided,
    earlier: Option<(usize, &StatTable, &Decided)>,
) -> ProtectedTable {
    let rows = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let value = match &row.value {
                Value::Count(count) => {
                    ProtectedValue::Count(now.shown(t, r, Figure::Count, *count))
                }
                Value::Rate(rate) => {
                    let shown = now.rate_shown(t, r);
                    let earlier_shown = earlier.is_some_and(|(e, previous, before)| {
                        previous
                            .rows
                            .iter()
                            .position(|p| p.groups == row.groups)
                            .is_some_and(|p| before.rate_shown(e, p))
                    });
                    ProtectedValue::Rate(ProtectedRate {
                        numerator: now.shown(t, r, Figure::Numerator, rate.numerator),
                        denominator: now.shown(t, r, Figure::Denominator, rate.denominator),
                        estimate: if shown {
                            Shown::Value(rate.rate.zip(rate.interval))
                        } else {
                            Shown::Withheld
                        },
                        change: rate.change.clone().filter(|_| shown && earlier_shown),
                        low_reliability: rate.low_reliability,
                    })
                }
                Value::Mean(mean) => {
                    let total = now.shown(t, r, Figure::Total, mean.total);
                    let denominator = now.shown(t, r, Figure::Denominator, mean.denominator);
                    ProtectedValue::Mean(ProtectedMean {
                        total,
                        denominator,
                        mean: if total.is_withheld() || denominator.is_withheld() {
                            Shown::Withheld
                        } else {
                            Shown::Value(mean.mean)
                        },
                        low_reliability: mean.low_reliability,
                    })
                }
            };
            ProtectedRow {
                groups: row.groups.clone(),
                value,
            }
        })
        .collect();
    ProtectedTable {
        metadata: table.metadata.clone(),
        dimensions: table.dimensions.clone(),
        rows,
    }
}
