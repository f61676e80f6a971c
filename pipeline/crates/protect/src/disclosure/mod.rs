//! Disclosure control: the only way from the statistics to the renderers.
//!
//! [`answer::protect_edition`] takes the tables of the reference year, of a
//! year earlier and of the series, and returns [`ProtectedTable`]s, which nothing outside this module can
//! build: every renderer (CSV, chart, spreadsheet, PDF, HTML, sentences)
//! takes a `ProtectedTable`, so no figure reaches a reader without passing
//! through here. A withheld figure is not carried at all: it is
//! [`Shown::Withheld`], with no value inside to leak.
//!
//! What is withheld, and how the choice is made, is in [`suppression`]; how
//! tables become cells and relations is in [`linked`].

pub mod answer;
pub mod audit;
mod elimination;
mod linked;
mod propagation;
mod supposed;
pub mod suppression;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::statistics::{Change, Interval, StatRow, StatTable, TableSeries, Value};
use dtto_model::catalogue::TableMetadata;
use dtto_model::period::Period;
use dtto_model::reference::ReadingOrder;
use dtto_model::table::{
    Dimensions, Figure, QUARTER, RowStatus, SERIES_BREAKDOWNS, Shorthand, is_all,
};
use linked::{CellRef, Linked, SLACK};
use suppression::{Budget, CellKinds, Reason, Rules, Suppression, suppress};

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

/// Where a value stands among its dimension's, for the reading order: a
/// total first (0), then a value of a list by its place there (1), then
/// any other by its text (2).
type Place = (u8, usize, String);

/// A table that has been through disclosure control.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedTable {
    metadata: TableMetadata,
    dimensions: Dimensions,
    rows: Vec<ProtectedRow>,
}

impl ProtectedTable {
    pub fn metadata(&self) -> &TableMetadata {
        &self.metadata
    }

    pub fn dimensions(&self) -> &Dimensions {
        &self.dimensions
    }

    pub fn rows(&self) -> &[ProtectedRow] {
        &self.rows
    }

    /// Its rows as readers meet them: the national row first, then each
    /// breakdown in the order the metadata lists them, and within a
    /// dimension a total (`All reasons`) first and the other values in
    /// the order of the reference list that holds them (age bands
    /// youngest first), values of no list after, as text. Only the order
    /// changes.
    pub fn put_in_reading_order(&mut self, order: &ReadingOrder) {
        let layout = &self.dimensions;
        let descriptive = |d: &String| self.metadata.descriptive.contains(d);
        // A group's place is within its breakdown; any other value's
        // within its dimension.
        let within = |row: &ProtectedRow, column: usize| match layout.breakdown() {
            Some(b) if Some(column) == layout.group() => row.groups[b].clone(),
            _ => String::new(),
        };
        // The place of each value of each dimension, within its breakdown.
        let mut places: HashMap<(usize, String, String), Option<usize>> = HashMap::new();
        for (column, dimension) in self.dimensions.iter().enumerate() {
            if descriptive(dimension) || Some(column) == layout.breakdown() {
                continue;
            }
            let mut values: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
            for row in &self.rows {
                values
                    .entry(within(row, column))
                    .or_default()
                    .insert(row.groups[column].as_str());
            }
            for (breakdown, words) in values {
                for (word, place) in order.places(&words) {
                    places.insert((column, breakdown.clone(), word.to_string()), place);
                }
            }
        }
        let breakdowns = &self.metadata.breakdowns;
        let keys: Vec<Vec<Place>> = self
            .rows
            .iter()
            .map(|row| {
                self.dimensions
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| !descriptive(d))
                    .map(|(column, _)| {
                        let value = &row.groups[column];
                        if Some(column) == layout.breakdown() {
                            let place = breakdowns.iter().position(|b| b == value);
                            return (u8::from(place.is_none()), place.unwrap_or(0), value.clone());
                        }
                        if is_all(value) {
                            return (0, 0, String::new());
                        }
                        let key = (column, within(row, column), value.clone());
                        match places.get(&key).copied().flatten() {
                            Some(place) => (1, place, String::new()),
                            None => (2, 0, value.clone()),
                        }
                    })
                    .collect()
            })
            .collect();
        let mut ordered: Vec<(Vec<Place>, ProtectedRow)> = keys
            .into_iter()
            .zip(std::mem::take(&mut self.rows))
            .collect();
        ordered.sort_by(|a, b| a.0.cmp(&b.0));
        self.rows = ordered.into_iter().map(|(_, row)| row).collect();
    }

    /// Marks `[r]` each row that `revised` picks: a flag on figures already
    /// protected, which adds or reveals no figure.
    pub fn mark_revised(&mut self, revised: impl Fn(&ProtectedRow) -> bool) {
        for row in &mut self.rows {
            row.revised = revised(row);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedRow {
    groups: Vec<String>,
    value: ProtectedValue,
    /// A figure of the row differs from the previous edition's.
    revised: bool,
}

impl ProtectedRow {
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    pub fn value(&self) -> &ProtectedValue {
        &self.value
    }

    /// The row's shorthand: its figures' status, then `[r]` if revised.
    pub fn marks(&self) -> Vec<Shorthand> {
        let revised = self.revised.then_some(Shorthand::Revised);
        self.value.status().into_iter().chain(revised).collect()
    }

    /// The marks as a status column or a note shows them: `[u] [r]`.
    pub fn status_text(&self) -> String {
        let marks: Vec<&str> = self.marks().into_iter().map(Shorthand::mark).collect();
        marks.join(" ")
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
    /// On the 12 months ending a quarter earlier: only when the rate is
    /// shown in both.
    change_on_quarter: Option<Change>,
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
    pub fn change_on_quarter(&self) -> Option<&Change> {
        self.change_on_quarter.as_ref()
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

/// One withheld figure and why; never its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Withheld {
    pub table: String,
    /// The quarter its 12 months end in.
    pub quarter: Period,
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
    pub period: Period,
    /// The period's tables.
    pub tables: Vec<ProtectedTable>,
    /// The series of every table that has one: its figures for each quarter
    /// from the first the delivery covers, national and the
    /// [`SERIES_BREAKDOWNS`], with a [`QUARTER`] dimension first.
    pub series: Vec<ProtectedTable>,
    /// Every withheld figure of every quarter, in table order.
    pub audit: Vec<Withheld>,
    /// Withheld figures, and single quarters, that figures released before
    /// (earlier editions, answers) give away, which nothing this edition
    /// could withhold would hide: for sign-off to know. Empty unless those
    /// releases disagree (different deliveries, say).
    pub unmended: Vec<Withheld>,
    /// How many figures were tested for each quarter: the audit's share is
    /// of these.
    pub figures: BTreeMap<Period, usize>,
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

/// The solving disclosure control may do for each quarter an edition
/// publishes, as unknowns summed over the linear programmes solved (see
/// [`Budget`]).
const LP_UNKNOWNS_PER_QUARTER: u64 = 1_000_000;

/// Everything an edition publishes as tables disclosure control links: for
/// each table, its published rows of every quarter in one table (with a
/// [`QUARTER`] dimension first when it has a series), then for each table
/// with a series its single quarters.
struct Edition<'a> {
    series: &'a [TableSeries],
    period: Period,
    /// The published tables, then the single-quarter ones.
    tables: Vec<StatTable>,
    /// For each published table, where each quarter's rows are: (quarter,
    /// groups) to row.
    rows: Vec<HashMap<(Period, Vec<String>), usize>>,
}

impl<'a> Edition<'a> {
    fn new(series: &'a [TableSeries], period: Period) -> Edition<'a> {
        let mut tables = Vec::new();
        let mut rows = Vec::new();
        for table in series {
            let (combined, at) = published(table, period);
            tables.push(combined);
            rows.push(at);
        }
        let with_singles: Vec<&str> = series
            .iter()
            .filter(|s| !s.singles.is_empty())
            .map(|s| s.metadata.id.as_str())
            .collect();
        for table in series.iter().filter(|s| !s.singles.is_empty()) {
            tables.push(singles(table, &with_singles));
        }
        Edition {
            series,
            period,
            tables,
            rows,
        }
    }

    /// Which cells of `linked` to withhold, within the edition's budget.
    fn suppress(&self, linked: Linked, kinds: &CellKinds, rules: Rules) -> Decided {
        let Suppression { withheld, unmended } = suppress(
            &linked.values,
            &linked.relations,
            &linked.unprinted,
            kinds,
            rules,
            &self.budget(),
        );
        Decided {
            linked,
            withheld,
            unmended,
        }
    }

    /// The work disclosure control may do: so much for each quarter.
    fn budget(&self) -> Budget {
        let quarters: BTreeSet<Period> = self
            .series
            .iter()
            .flat_map(|s| s.windows.iter().map(|(q, _)| *q))
            .collect();
        Budget::new(LP_UNKNOWNS_PER_QUARTER * quarters.len() as u64)
    }

    /// The edition's tables, series and audit as `decided`.
    fn protected(&self, decided: &Decided) -> Protected {
        let published = self.series.len();
        let mut figures: BTreeMap<Period, usize> = BTreeMap::new();
        for cell in decided.linked.cells.iter().filter(|c| c.table < published) {
            *figures.entry(self.quarter_of(*cell)).or_default() += 1;
        }
        Protected {
            period: self.period,
            tables: (0..published)
                .map(|t| self.protect_period(t, decided))
                .collect(),
            series: (0..published)
                .filter_map(|t| self.protect_series(t, decided))
                .collect(),
            audit: self.audit(decided),
            unmended: self.unmended(decided),
            figures,
        }
    }

    /// The cells and relations of the edition's tables and of `more`,
    /// tables placed after the edition's own.
    fn link(&self, more: &[StatTable]) -> Linked {
        let tables: Vec<StatTable> = self.tables.iter().chain(more).cloned().collect();
        let mut linked = Linked::build(&tables);
        let with_singles = self
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.singles.is_empty());
        for (n, (t, _)) in with_singles.enumerate() {
            linked.roll(&tables, t, self.series.len() + n);
        }
        for (t, series) in self.series.iter().enumerate() {
            for (quarter, groups) in &series.absent {
                if let Some(r) = self.row(t, *quarter, groups) {
                    linked.absent(&tables, t, r);
                }
            }
        }
        linked
    }

    /// What each cell of `linked` is: unpublished (a single quarter), of a
    /// group in `withhold_first`, or of a headline table (or a table one
    /// repeats figures from).
    fn kinds(&self, linked: &Linked, withhold_first: &[String]) -> CellKinds {
        let repeated: Vec<&str> = self
            .series
            .iter()
            .filter(|s| s.metadata.headline)
            .flat_map(|s| &s.metadata.links)
            .map(|l| l.table.as_str())
            .collect();
        let headline: Vec<bool> = self
            .series
            .iter()
            .map(|s| s.metadata.headline || repeated.contains(&s.metadata.id.as_str()))
            .collect();
        let of_cells = |f: &dyn Fn(CellRef) -> bool| linked.cells.iter().map(|&c| f(c)).collect();
        CellKinds {
            unpublished: of_cells(&|cell| cell.table >= self.series.len()),
            slack: of_cells(&|cell| cell.table == SLACK),
            withhold_first: of_cells(&|cell| {
                self.tables.get(cell.table).is_some_and(|table| {
                    let groups = &table.rows[cell.row].groups;
                    groups.iter().any(|g| withhold_first.contains(g))
                })
            }),
            headline: of_cells(&|cell| headline.get(cell.table).is_some_and(|&h| h)),
            released: vec![None; linked.cells.len()],
            settled: vec![false; linked.cells.len()],
        }
    }

    fn quarter_of(&self, cell: CellRef) -> Period {
        let table = &self.tables[cell.table];
        table
            .dimensions
            .quarter()
            .and_then(|q| table.rows[cell.row].groups[q].parse().ok())
            .unwrap_or(self.period)
    }

    /// The row of published table `t` for `groups` (without the quarter) in
    /// `quarter`.
    fn row(&self, t: usize, quarter: Period, groups: &[String]) -> Option<usize> {
        self.rows[t].get(&(quarter, groups.to_vec())).copied()
    }

    fn protect_period(&self, t: usize, decided: &Decided) -> ProtectedTable {
        let table = &self.series[t];
        let period = table.at(self.period);
        let rows = period.map(|p| p.rows.as_slice()).unwrap_or_default();
        let rows = rows
            .iter()
            .filter(|row| table.returned(self.period, &row.groups))
            .filter_map(|row| {
                let r = self.row(t, self.period, &row.groups)?;
                let shown_at = |back: i32| {
                    self.row(t, self.period.earlier(back), &row.groups)
                        .is_some_and(|e| decided.rate_shown(t, e))
                };
                let value = decided.protect_value(t, r, &row.value, [shown_at(4), shown_at(1)]);
                Some(ProtectedRow {
                    groups: row.groups.clone(),
                    value,
                    revised: false,
                })
            })
            .collect();
        ProtectedTable {
            metadata: table.metadata.clone(),
            dimensions: period.map(|p| p.dimensions.clone()).unwrap_or_default(),
            rows,
        }
    }

    fn protect_series(&self, t: usize, decided: &Decided) -> Option<ProtectedTable> {
        let table = &self.series[t];
        let from = table.series_from?;
        let in_published = || table.windows.iter().filter(|(q, _)| *q >= from);
        // Every quarter's table has the same dimensions (TableSeries::complete).
        let dimensions = in_published()
            .next_back()
            .map(|(_, stats)| stats.dimensions.with_quarter())
            .unwrap_or_default();
        let mut rows = Vec::new();
        for (quarter, stats) in in_published() {
            let in_series = in_series(stats);
            let published =
                |row: &&StatRow| in_series(row) && table.returned(*quarter, &row.groups);
            for row in stats.rows.iter().filter(published) {
                let Some(r) = self.row(t, *quarter, &row.groups) else {
                    continue;
                };
                let mut groups = vec![quarter.to_string()];
                groups.extend(row.groups.iter().cloned());
                rows.push(ProtectedRow {
                    groups,
                    value: decided.protect_value(t, r, &row.value, [false, false]),
                    revised: false,
                });
            }
        }
        Some(ProtectedTable {
            metadata: table.metadata.clone(),
            dimensions,
            rows,
        })
    }

    fn audit(&self, decided: &Decided) -> Vec<Withheld> {
        let mut audit: Vec<Withheld> = decided
            .linked
            .cells
            .iter()
            .zip(&decided.withheld)
            .filter(|(cell, _)| cell.table < self.series.len())
            .filter_map(|(cell, rule)| Some(self.withheld(decided, *cell, (*rule)?)))
            .collect();
        // The period first, then back through the series, each in table
        // order.
        audit.sort_by_key(|w| std::cmp::Reverse(w.quarter));
        audit
    }

    /// The edition's withheld figures and single quarters that figures
    /// released before give away (see [`Suppression::unmended`]).
    fn unmended(&self, decided: &Decided) -> Vec<Withheld> {
        decided
            .unmended
            .iter()
            .filter_map(|&c| {
                let cell = decided.linked.cells[c];
                let rule = decided.withheld[c].filter(|_| cell.table < self.tables.len())?;
                Some(self.withheld(decided, cell, rule))
            })
            .collect()
    }

    /// `cell`, withheld by `rule`, as the audit describes it.
    fn withheld(&self, decided: &Decided, cell: CellRef, rule: Reason) -> Withheld {
        let table = &self.tables[cell.table];
        let row = &table.rows[cell.row];
        Withheld {
            table: table.metadata.id.clone(),
            quarter: self.quarter_of(cell),
            dimensions: table
                .dimensions
                .iter()
                .cloned()
                .zip(row.groups.iter().cloned())
                .filter(|(d, _)| d != QUARTER)
                .collect(),
            figure: cell.figure,
            rule: rule.name(),
            reason: decided.explain(rule),
        }
    }
}

/// The rows of a series a quarter that is not the period or a year earlier
/// publishes: the national figure and the [`SERIES_BREAKDOWNS`].
fn in_series(table: &StatTable) -> impl Fn(&StatRow) -> bool + '_ {
    let breakdown = table.dimensions.breakdown();
    move |row: &StatRow| {
        breakdown.is_none_or(|b| SERIES_BREAKDOWNS.contains(&row.groups[b].as_str()))
    }
}

/// A table's published rows of every quarter as one table, and where each
/// (quarter, groups) is. A table with one quarter keeps its dimensions.
fn published(
    table: &TableSeries,
    period: Period,
) -> (StatTable, HashMap<(Period, Vec<String>), usize>) {
    let several = table.windows.len() > 1;
    let dimensions = table.windows.last().map(|(_, stats)| &stats.dimensions);
    let mut combined = StatTable {
        metadata: table.metadata.clone(),
        dimensions: match dimensions {
            Some(dimensions) if several => dimensions.with_quarter(),
            Some(dimensions) => dimensions.clone(),
            None => Dimensions::default(),
        },
        rows: Vec::new(),
    };
    let mut at = HashMap::new();
    for (quarter, stats) in &table.windows {
        let whole = *quarter == period || *quarter == period.earlier(4);
        let in_series = in_series(stats);
        for row in stats.rows.iter().filter(|row| whole || in_series(row)) {
            at.insert((*quarter, row.groups.clone()), combined.rows.len());
            combined
                .rows
                .push(with_quarter(row, several.then_some(*quarter)));
        }
    }
    (combined, at)
}

/// A table's single quarters as one table: the rows of its series. Those of
/// the other breakdowns, published for the period and a year earlier only,
/// make up 12 months that share no quarter: whatever those 12 months
/// publish, their quarters can be shared out among the groups in as many
/// ways as without them, so they tell a reader nothing a quarter at a time.
/// Its links are to the other tables' single quarters (`with_singles`), the
/// only figures its figures can repeat.
fn singles(table: &TableSeries, with_singles: &[&str]) -> StatTable {
    let mut metadata = table.metadata.clone();
    metadata.id = single_quarters(&metadata.id);
    metadata
        .links
        .retain(|l| with_singles.contains(&l.table.as_str()));
    for link in &mut metadata.links {
        link.table = single_quarters(&link.table);
    }
    let mut combined = StatTable {
        metadata,
        dimensions: table
            .singles
            .last()
            .map(|(_, stats)| stats.dimensions.with_quarter())
            .unwrap_or_default(),
        rows: Vec::new(),
    };
    for (quarter, stats) in &table.singles {
        let in_series = in_series(stats);
        combined.rows.extend(
            stats
                .rows
                .iter()
                .filter(|row| in_series(row))
                .map(|row| with_quarter(row, Some(*quarter))),
        );
    }
    combined
}

fn single_quarters(id: &str) -> String {
    format!("{id} (single quarters)")
}

fn with_quarter(row: &StatRow, quarter: Option<Period>) -> StatRow {
    let mut groups: Vec<String> = quarter.map(|q| q.to_string()).into_iter().collect();
    groups.extend(row.groups.iter().cloned());
    StatRow {
        groups,
        value: row.value.clone(),
    }
}

/// The cells of an edition and which of them are withheld.
struct Decided {
    linked: Linked,
    withheld: Vec<Option<Reason>>,
    /// See [`Suppression::unmended`].
    unmended: Vec<usize>,
}

impl Decided {
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

    /// A row's value as published; `earlier_shown`: whether its rate is
    /// shown a year and a quarter earlier, so its changes can be.
    fn protect_value(
        &self,
        t: usize,
        r: usize,
        value: &Value,
        [year_earlier, quarter_earlier]: [bool; 2],
    ) -> ProtectedValue {
        match value {
            Value::Count(count) => ProtectedValue::Count(self.shown(t, r, Figure::Count, *count)),
            Value::Rate(rate) => {
                let shown = self.rate_shown(t, r);
                ProtectedValue::Rate(ProtectedRate {
                    numerator: self.shown(t, r, Figure::Numerator, rate.numerator),
                    denominator: self.shown(t, r, Figure::Denominator, rate.denominator),
                    estimate: if shown {
                        Shown::Value(rate.rate.zip(rate.interval))
                    } else {
                        Shown::Withheld
                    },
                    change: rate.change.clone().filter(|_| shown && year_earlier),
                    change_on_quarter: rate
                        .change_on_quarter
                        .clone()
                        .filter(|_| shown && quarter_earlier),
                    low_reliability: rate.low_reliability,
                })
            }
            Value::Mean(mean) => {
                let total = self.shown(t, r, Figure::Total, mean.total);
                let denominator = self.shown(t, r, Figure::Denominator, mean.denominator);
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
        }
    }

    fn explain(&self, rule: Reason) -> String {
        match rule {
            Reason::Primary => "primary: a count from 1 to threshold - 1".to_string(),
            Reason::Unprinted => {
                "the difference of a rate whose numerator and denominator are withheld".to_string()
            }
            Reason::Complement { relation } => format!(
                "secondary: so that no withheld figure can be found by subtraction in {}",
                self.linked.descriptions[relation]
            ),
            Reason::Range { relation } => format!(
                "secondary: a withheld figure, or a single quarter's count, could still be \
                 narrowed down through {}",
                self.linked.descriptions[relation]
            ),
            Reason::Budget => "secondary, in bulk: disclosure control reached its limit of work \
                before it had shown every withheld figure safe, so every figure linked to one \
                not yet shown safe is withheld"
                .to_string(),
            Reason::Unpublished => "never published: a single quarter".to_string(),
            Reason::Released => "withheld when it was released".to_string(),
        }
    }
}
