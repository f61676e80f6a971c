//! The publication as cells and relations: every count a table publishes
//! becomes a cell, and every way a reader could add them up a relation.
//!
//! - A rate's numerator and the difference (denominator − numerator) add up
//!   to its denominator.
//! - The groups of a breakdown add up to the national figure, for every
//!   value of the table's other dimensions: one national figure shared by
//!   every breakdown of the table.
//! - A row whose value in another dimension starts with `All` (`All
//!   reasons`, `All areas`) is the total of the rows that differ from it in
//!   that dimension only: rows, columns and totals of two-way tables.
//!
//! - A figure a table repeats from another (its metadata's `links`) is the
//!   sum of the figures it repeats, of the same 12 months or (`lag`,
//!   from the windows the two count over) of those ending some quarters
//!   earlier.
//! - In a table with no national row whose groups share one denominator
//!   (who is on the Order), the groups' numerators add up to it.
//! - Inequalities, each as a sum with a [`SLACK`] cell that is no secret:
//!   a figure a declared link says is `at_most` the sum it repeats (people
//!   among the Orders they commence), and people counted once in 12 months
//!   at most the sum of its quarters and, counting everyone, at least each.
//!
//! A relation is recorded only where the figures really add up, so that a
//! breakdown whose groups do not sum to the total (people counted in more
//! than one group) does not mislead the suppression. A declared link whose
//! figures do not add up is a problem: the declaration or a query is wrong.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::statistics::{StatRow, StatTable, Value};
use dtto_model::catalogue::Link;
use dtto_model::period::Period;
use dtto_model::table::{Figure, NATIONAL, QUARTER, is_all};

use super::supposed;
use super::suppression::{Relation, Unprinted};

/// A row's counts as cells, with a rate's difference, which a reader can
/// work out.
pub(crate) fn cells_of(value: &Value) -> Vec<(Figure, u64)> {
    let mut cells = value.figures();
    if let Value::Rate(rate) = value {
        cells.push((
            Figure::Difference,
            rate.denominator.saturating_sub(rate.numerator),
        ));
    }
    cells
}

/// One 12 months of a figure of a row of a series, and the four single
/// quarters making it up.
struct Window {
    quarters: Vec<CellRef>,
    total: CellRef,
    /// The table, the row and the 12 months, as the relations' words name
    /// them.
    name: String,
    key: SeriesFigure,
    /// The figure counts everyone the table counts ([`counts_everyone`]).
    everyone: bool,
}

/// A figure of a row of a series: the row's groups without the quarter.
type SeriesFigure = (Vec<String>, Figure);

/// The other table's rows a row of a declared link agrees with, in one
/// quarter: those it repeats (`parts`), the `All` row of the dimensions
/// its `where` selects on, and the rest.
#[derive(Default)]
struct Repeated {
    parts: Vec<CellRef>,
    all: Option<CellRef>,
    rest: Vec<CellRef>,
}

/// Where a cell comes from: a figure of a row of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CellRef {
    pub table: usize,
    pub row: usize,
    pub figure: Figure,
}

/// Every cell of a set of tables and the relations between them, each
/// relation with a description a person can read in the audit.
#[derive(Debug, Default)]
pub(crate) struct Linked {
    pub cells: Vec<CellRef>,
    pub values: Vec<u64>,
    pub relations: Vec<Relation>,
    pub descriptions: Vec<String>,
    /// Rates' differences, never printed.
    pub unprinted: Vec<Unprinted>,
    /// Declared links that do not hold.
    pub problems: Vec<String>,
    index: HashMap<CellRef, usize>,
    /// How many quarters a reader could suppose have been made cells.
    supposed_rows: usize,
    /// How many cells of [`SLACK`] there are.
    slack_rows: usize,
}

/// The table of the cells that turn an inequality into a sum: what the
/// Orders commenced have beyond the people commencing them, say. Never
/// published, and no secret whatever a reader works out: none is a count
/// of people of a group.
pub(crate) const SLACK: usize = usize::MAX;

impl Linked {
    /// `tables` carry a [`QUARTER`] dimension where they hold more than one
    /// quarter: the financial year of a link's `$financial_year` is the
    /// one that is the row's 12 months.
    pub(crate) fn build(tables: &[StatTable]) -> Linked {
        let mut linked = Linked::default();
        for (t, table) in tables.iter().enumerate() {
            for (r, row) in table.rows.iter().enumerate() {
                for (figure, value) in cells_of(&row.value) {
                    let cell = CellRef {
                        table: t,
                        row: r,
                        figure,
                    };
                    linked.add(cell, value);
                }
            }
        }
        for (t, table) in tables.iter().enumerate() {
            linked.link_rates(t, table);
            linked.link_breakdowns(t, table);
            linked.link_shares(t, table);
            linked.link_all_rows(t, table);
        }
        for (t, table) in tables.iter().enumerate() {
            for link in &table.metadata.links {
                linked.link_declared(tables, t, link);
            }
        }
        linked
    }

    /// Each row of `tables[windows]`, a series (its 12 months ending in the
    /// quarter of its [`QUARTER`] dimension), is the sum of the rows of
    /// `tables[singles]` for the four quarters making it up (the same
    /// query, every window narrowed to one quarter). Where a figure's
    /// series is no such sum (a table counting people once in 12 months),
    /// it is linked instead to quarters a reader could suppose (see
    /// [`supposed`]), cells of one more table after `tables`, and to its
    /// own quarters by what holds of people counted once: the 12 months
    /// count at most the sum of their quarters' (someone counted in a
    /// group of a quarter of theirs is in it in the quarter of their first
    /// record) and, counting everyone, at least each quarter's.
    pub(crate) fn roll(&mut self, tables: &[StatTable], windows: usize, singles: usize) {
        let (table, quarters) = (&tables[windows], &tables[singles]);
        let Some(q) = table.dimensions.quarter() else {
            return;
        };
        let single_rows: HashMap<&[String], usize> = quarters
            .rows
            .iter()
            .enumerate()
            .map(|(r, row)| (row.groups.as_slice(), r))
            .collect();
        // Every 12 months and its quarters, in the table's order.
        let mut windows_of_rows: Vec<Window> = Vec::new();
        let everyone = counts_everyone(table);
        // Each row's 12 months, oldest first, by the row without its quarter.
        let mut chains: BTreeMap<SeriesFigure, Vec<(Period, CellRef)>> = BTreeMap::new();
        for (r, row) in table.rows.iter().enumerate() {
            let Ok(quarter) = row.groups[q].parse::<Period>() else {
                continue;
            };
            let mut groups = row.groups.clone();
            groups.remove(q);
            for (figure, _) in cells_of(&row.value) {
                let at = |table, row| CellRef { table, row, figure };
                let key = (groups.clone(), figure);
                chains
                    .entry(key.clone())
                    .or_default()
                    .push((quarter, at(windows, r)));
                let parts: Option<Vec<CellRef>> = quarter
                    .earlier(3)
                    .through(quarter)
                    .map(|single| {
                        let mut groups = row.groups.clone();
                        groups[q] = single.to_string();
                        Some(at(singles, *single_rows.get(groups.as_slice())?))
                    })
                    .collect();
                let Some(quarters) = parts else { continue };
                windows_of_rows.push(Window {
                    quarters,
                    total: at(windows, r),
                    name: format!(
                        "{}, {}: the 12 months ending {quarter}",
                        table.metadata.id,
                        groups.join(" / ")
                    ),
                    key,
                    everyone: everyone(r, figure),
                });
            }
        }
        // A figure whose 12 months are not all sums of their quarters.
        let no_sums: BTreeSet<SeriesFigure> = windows_of_rows
            .iter()
            .filter(|w| !self.adds_up(&w.quarters, w.total))
            .map(|w| w.key.clone())
            .collect();
        for window in windows_of_rows {
            let (name, figure) = (&window.name, window.key.1.name());
            if !no_sums.contains(&window.key) {
                let sum = format!("{name} are its four quarters, {figure}");
                self.record(&window.quarters, window.total, sum);
                continue;
            }
            let people = format!("{name}, people counted once: {figure}");
            let most = format!("{people} at most the sum of its quarters");
            self.at_most(&window.quarters, window.total, most);
            if window.everyone {
                for &quarter in &window.quarters {
                    let least = format!("{people} at least each quarter");
                    self.at_most(&[window.total], quarter, least);
                }
            }
        }
        for key in no_sums {
            let mut chain = chains.remove(&key).unwrap_or_default();
            chain.sort();
            let name = format!("{}, {}", table.metadata.id, key.0.join(" / "));
            self.roll_on_supposed(tables.len(), &chain, &name);
        }
    }

    /// Links each run of consecutive 12 months of `chain` to quarters a
    /// reader could suppose, cells of table `supposed`.
    fn roll_on_supposed(&mut self, supposed: usize, chain: &[(Period, CellRef)], name: &str) {
        for piece in chain.chunk_by(|(a, _), (b, _)| a.earlier(-1) == *b) {
            let Some(values): Option<Vec<u64>> = piece
                .iter()
                .map(|(_, c)| Some(self.values[self.cell(*c)?]))
                .collect()
            else {
                continue;
            };
            for (run, quarters) in supposed::runs(&values) {
                let figure = piece[run.start].1.figure;
                let first = self.supposed_rows;
                for value in quarters {
                    let cell = CellRef {
                        table: supposed,
                        row: self.supposed_rows,
                        figure,
                    };
                    self.supposed_rows += 1;
                    self.add(cell, value);
                }
                for (i, (quarter, total)) in piece[run].iter().enumerate() {
                    let parts: Vec<CellRef> = (first + i..first + i + 4)
                        .map(|row| CellRef {
                            table: supposed,
                            row,
                            figure,
                        })
                        .collect();
                    self.relate(
                        &parts,
                        *total,
                        format!(
                            "{name}: the 12 months ending {quarter} as four quarters a reader \
                             could suppose (its own quarters do not add up to it), {}",
                            figure.name()
                        ),
                    );
                }
            }
        }
    }

    /// Row `r` of `tables[t]` is a group its query did not return: each of
    /// its figures is 0, and a reader who misses the row knows it.
    pub(crate) fn absent(&mut self, tables: &[StatTable], t: usize, r: usize) {
        let row = &tables[t].rows[r];
        for (figure, _) in cells_of(&row.value) {
            let cell = CellRef {
                table: t,
                row: r,
                figure,
            };
            let description = format!(
                "{}, {}: no row, so 0",
                tables[t].metadata.id,
                row.groups.join(" / ")
            );
            self.relate(&[], cell, description);
        }
    }

    pub(crate) fn cell(&self, cell: CellRef) -> Option<usize> {
        self.index.get(&cell).copied()
    }

    fn link_rates(&mut self, t: usize, table: &StatTable) {
        for (r, row) in table.rows.iter().enumerate() {
            if matches!(row.value, Value::Rate(_)) {
                let at = |figure| CellRef {
                    table: t,
                    row: r,
                    figure,
                };
                if let (Some(cell), Some(numerator), Some(denominator)) = (
                    self.cell(at(Figure::Difference)),
                    self.cell(at(Figure::Numerator)),
                    self.cell(at(Figure::Denominator)),
                ) {
                    self.unprinted.push(Unprinted {
                        cell,
                        from: [numerator, denominator],
                    });
                }
                self.relate(
                    &[at(Figure::Numerator), at(Figure::Difference)],
                    at(Figure::Denominator),
                    format!(
                        "{}, {}: numerator and the rest make the denominator",
                        table.metadata.id,
                        row.groups.join(" / ")
                    ),
                );
            }
        }
    }

    fn link_breakdowns(&mut self, t: usize, table: &StatTable) {
        let Some((b, g)) = table.dimensions.breakdown_and_group() else {
            return;
        };
        // Rows by the values of the other dimensions, then by breakdown.
        let mut sets: BTreeMap<Vec<&str>, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
        for (r, row) in table.rows.iter().enumerate() {
            let key = identity_without(table, row, &[b, g]);
            sets.entry(key)
                .or_default()
                .entry(row.groups[b].as_str())
                .or_default()
                .push(r);
        }
        for (key, breakdowns) in sets {
            let Some(&[national]) = breakdowns.get(NATIONAL).map(Vec::as_slice) else {
                continue;
            };
            for (breakdown, rows) in breakdowns.iter().filter(|(b, _)| **b != NATIONAL) {
                let at = if key.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", key.join(" / "))
                };
                self.relate_rows(
                    t,
                    table,
                    rows,
                    national,
                    format!(
                        "{}: {breakdown} groups add up to the national figure{at}",
                        table.metadata.id
                    ),
                );
            }
        }
    }

    /// A table without a national row whose rates are shares of one
    /// population (who is on the Order): the groups of each breakdown
    /// share its denominator, and their numerators add up to it.
    fn link_shares(&mut self, t: usize, table: &StatTable) {
        let Some((b, g)) = table.dimensions.breakdown_and_group() else {
            return;
        };
        let mut sets: BTreeMap<(Vec<&str>, &str), Vec<usize>> = BTreeMap::new();
        for (r, row) in table.rows.iter().enumerate() {
            if !matches!(row.value, Value::Rate(_)) || row.groups[b] == NATIONAL {
                return;
            }
            let key = identity_without(table, row, &[b, g]);
            sets.entry((key, row.groups[b].as_str()))
                .or_default()
                .push(r);
        }
        let at = |row, figure| CellRef {
            table: t,
            row,
            figure,
        };
        // A group absent from a quarter is a row of 0s whose denominator is
        // no one's: only a returned row carries the population.
        let population = |r: usize| match &table.rows[r].value {
            Value::Rate(rate) => rate.denominator > 0,
            _ => false,
        };
        // The first row of each population (the rows sharing the other
        // dimensions), whose denominator every other row repeats.
        let mut firsts: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
        for ((key, breakdown), rows) in sets {
            let name = format!("{}, {breakdown} ({})", table.metadata.id, key.join(" / "));
            let Some(first) = rows.iter().copied().find(|&r| population(r)) else {
                continue;
            };
            let first = *firsts.entry(key).or_insert(first);
            let numerators: Vec<CellRef> = rows.iter().map(|&r| at(r, Figure::Numerator)).collect();
            self.relate(
                &numerators,
                at(first, Figure::Denominator),
                format!("{name}: the groups' numerators add up to the denominator they share"),
            );
            for &r in rows.iter().filter(|&&r| r != first && population(r)) {
                self.relate(
                    &[at(r, Figure::Denominator)],
                    at(first, Figure::Denominator),
                    format!("{name}: every group has the population's denominator"),
                );
            }
        }
    }

    fn link_all_rows(&mut self, t: usize, table: &StatTable) {
        for d in 0..table.dimensions.len() {
            if table.dimensions.is_breakdown_or_group(d)
                || table.metadata.descriptive.contains(&table.dimensions[d])
            {
                continue;
            }
            let mut sets: BTreeMap<Vec<&str>, (Option<usize>, Vec<usize>)> = BTreeMap::new();
            for (r, row) in table.rows.iter().enumerate() {
                let set = sets.entry(identity_without(table, row, &[d])).or_default();
                if is_all(&row.groups[d]) {
                    set.0 = Some(r);
                } else {
                    set.1.push(r);
                }
            }
            for (key, (total, parts)) in sets {
                if let Some(total) = total {
                    self.relate_rows(
                        t,
                        table,
                        &parts,
                        total,
                        format!(
                            "{}: {} values add up to its total ({})",
                            table.metadata.id,
                            table.dimensions[d],
                            key.join(" / ")
                        ),
                    );
                }
            }
        }
    }

    fn link_declared(&mut self, tables: &[StatTable], t: usize, link: &Link) {
        let table = &tables[t];
        let here = format!("{} (links to {})", table.metadata.id, link.table);
        let Some(o) = tables.iter().position(|x| x.metadata.id == link.table) else {
            self.problems
                .push(format!("{here}: there is no table {}", link.table));
            return;
        };
        let other = &tables[o];
        let (figure, other_figure) = (link.figure, link.table_figure);
        let quarter = table.dimensions.quarter();
        let filter_for = |row: &StatRow| {
            let financial_year = quarter
                .and_then(|q| row.groups[q].parse::<Period>().ok())
                .and_then(Period::financial_year);
            link.filter_for(financial_year.as_deref())
        };
        // A financial year names its own 12 months: every quarter's table
        // of the other repeats that year's row, not only the same quarter's.
        let by_financial_year = link.by_financial_year();
        let other_quarter = other.dimensions.quarter();
        // A lagged link repeats the other's rows of another quarter,
        // which tables of one quarter do not hold.
        if link.lag != 0 && (quarter.is_none() || other_quarter.is_none()) {
            return;
        }
        // The quarter of the other's rows that a row of `quarter` repeats.
        let repeated_quarter = |own: &str| match own.parse::<Period>() {
            Ok(own) if link.lag != 0 => own.earlier(link.lag).to_string(),
            _ => own.to_string(),
        };
        // Dimension pairs (here, there) that a repeated row agrees on.
        let shared: Vec<(usize, usize)> = table
            .dimensions
            .iter()
            .enumerate()
            .filter(|(_, d)| !link.rows.contains_key(*d) && !table.metadata.descriptive.contains(d))
            .filter(|(_, d)| !(by_financial_year && *d == QUARTER))
            .filter_map(|(i, d)| {
                let name = link.matching.get(d).unwrap_or(d);
                let j = other.dimensions.position(name)?;
                (!link.filter.contains_key(name)).then_some((i, j))
            })
            .collect();
        let selected = |t: &StatTable, row: &StatRow, wanted: &BTreeMap<String, Vec<String>>| {
            wanted.iter().all(|(d, values)| {
                t.dimensions
                    .position(d)
                    .is_some_and(|i| values.contains(&row.groups[i]))
            })
        };
        // The other's row of `All` in every dimension the `where` selects on.
        let all_in_filter = |row: &StatRow| {
            !link.filter.is_empty()
                && link.filter.keys().all(|d| {
                    other
                        .dimensions
                        .position(d)
                        .is_some_and(|i| is_all(&row.groups[i]))
                })
        };
        for (r, row) in table.rows.iter().enumerate() {
            if !selected(table, row, &link.rows) {
                continue;
            }
            let Some(filter) = filter_for(row) else {
                continue;
            };
            let own_quarter = quarter.map(|q| repeated_quarter(&row.groups[q]));
            let agreeing: Vec<(usize, &StatRow)> = other
                .rows
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    shared.iter().all(|&(i, j)| {
                        let (a, b) = (&row.groups[i], &x.groups[j]);
                        if Some(i) == quarter {
                            return own_quarter.as_deref() == Some(b.as_str());
                        }
                        a == b || (is_all(a) && is_all(b))
                    })
                })
                .collect();
            // A group the other table does not break down by is not repeated.
            if agreeing.is_empty() {
                continue;
            }
            // One relation for each quarter's table of the other.
            let mut by_quarter: BTreeMap<Option<&str>, Repeated> = BTreeMap::new();
            for (p, x) in agreeing {
                let repeated = by_quarter
                    .entry(other_quarter.map(|q| x.groups[q].as_str()))
                    .or_default();
                let cell = CellRef {
                    table: o,
                    row: p,
                    figure: other_figure,
                };
                if selected(other, x, &filter) {
                    repeated.parts.push(cell);
                } else if all_in_filter(x) {
                    repeated.all = Some(cell);
                } else {
                    repeated.rest.push(cell);
                }
            }
            for (other_quarter, Repeated { parts, rest, all }) in by_quarter {
                // A year is in the tables of the quarters from its end on;
                // an earlier quarter's table does not have it (but for the 0
                // rows a series fills in).
                let earlier = other_quarter
                    .zip(own_quarter.as_deref())
                    .is_some_and(|(o, q)| o < q);
                if earlier || (parts.is_empty() && other_quarter != own_quarter.as_deref()) {
                    continue;
                }
                let total = CellRef {
                    table: t,
                    row: r,
                    figure,
                };
                if self.cell(total).is_none() {
                    self.problems
                        .push(format!("{here}: its rows have no {}", figure.name()));
                    return;
                }
                let description = format!(
                    "{}, {}: repeats {} of {}{}",
                    table.metadata.id,
                    row.groups.join(" / "),
                    other_figure.name(),
                    link.table,
                    other_quarter.map(|q| format!(" ({q})")).unwrap_or_default()
                );
                // Where the other's rows add up to their `All` row, the rows
                // left out add up to it with this figure: the same
                // relation, in fewer cells where fewer are left out (Orders
                // terminated but for deaths, the deaths), so that what
                // protects those few is found beside them.
                let every_row = || [parts.as_slice(), &rest].concat();
                let related = match all {
                    _ if link.at_most => self.at_most(&parts, total, description),
                    Some(all) if rest.len() < parts.len() && self.adds_up(&every_row(), all) => {
                        let parts: Vec<CellRef> = rest.into_iter().chain([total]).collect();
                        self.relate(&parts, all, description)
                    }
                    _ => self.relate(&parts, total, description),
                };
                if !related {
                    let relation = if link.at_most { "more than" } else { "not" };
                    self.problems.push(format!(
                        "{here}: the {} of row {} is {relation} the sum of the rows it repeats",
                        figure.name(),
                        row.groups.join(" / ")
                    ));
                }
            }
        }
    }

    /// `a` and `b` are the same figure, where they are equal; says whether
    /// they are.
    pub(crate) fn equal(&mut self, a: CellRef, b: CellRef, description: String) -> bool {
        self.relate(&[a], b, description)
    }

    /// One relation per figure: the rows' figures add up to the total row's.
    fn relate_rows(
        &mut self,
        t: usize,
        table: &StatTable,
        parts: &[usize],
        total: usize,
        description: String,
    ) {
        for (figure, _) in cells_of(&table.rows[total].value) {
            let at = |row| CellRef {
                table: t,
                row,
                figure,
            };
            let parts: Vec<CellRef> = parts.iter().map(|&r| at(r)).collect();
            self.relate(
                &parts,
                at(total),
                format!("{description}, {}", figure.name()),
            );
        }
    }

    /// The cells exist and `parts` add up to `total`.
    fn adds_up(&self, parts: &[CellRef], total: CellRef) -> bool {
        let parts: Option<Vec<u64>> = parts
            .iter()
            .map(|&c| Some(self.values[self.cell(c)?]))
            .collect();
        // No parts at all says the total is 0: a reader knows it, whether or
        // not it is printed.
        parts
            .zip(self.cell(total))
            .is_some_and(|(parts, total)| parts.iter().sum::<u64>() == self.values[total])
    }

    /// Records that `bounded` is at most the sum of `parts`, if their cells
    /// exist and it is; says whether it did. `bounded` and a [`SLACK`] cell,
    /// what the sum has beyond it, add up to the sum: to the part where
    /// there is one, else to another slack cell the parts add up to.
    fn at_most(&mut self, parts: &[CellRef], bounded: CellRef, description: String) -> bool {
        let value = |c: &CellRef| Some(self.values[self.cell(*c)?]);
        let (Some(sum), Some(own)) = (
            parts.iter().map(value).sum::<Option<u64>>(),
            value(&bounded),
        ) else {
            return false;
        };
        let Some(beyond) = sum.checked_sub(own) else {
            return false;
        };
        let total = match parts {
            [] => return self.record(&[], bounded, description),
            [part] => *part,
            _ => {
                let total = self.slack(sum, bounded.figure);
                self.record(parts, total, format!("{description} (their sum)"));
                total
            }
        };
        let beyond = self.slack(beyond, bounded.figure);
        self.record(&[bounded, beyond], total, description)
    }

    /// A new [`SLACK`] cell of `value`.
    fn slack(&mut self, value: u64, figure: Figure) -> CellRef {
        let cell = CellRef {
            table: SLACK,
            row: self.slack_rows,
            figure,
        };
        self.slack_rows += 1;
        self.add(cell, value);
        cell
    }

    fn add(&mut self, cell: CellRef, value: u64) {
        self.index.insert(cell, self.cells.len());
        self.cells.push(cell);
        self.values.push(value);
    }

    /// Records the relation if its cells exist and really add up; says
    /// whether it did.
    fn relate(&mut self, parts: &[CellRef], total: CellRef, description: String) -> bool {
        self.adds_up(parts, total) && self.record(parts, total, description)
    }

    /// Records the relation, known to add up, if its cells exist.
    fn record(&mut self, parts: &[CellRef], total: CellRef, description: String) -> bool {
        let parts: Option<Vec<usize>> = parts.iter().map(|&c| self.cell(c)).collect();
        let (Some(parts), Some(total)) = (parts, self.cell(total)) else {
            return false;
        };
        self.relations.push(Relation { parts, total });
        self.descriptions.push(description);
        true
    }
}

/// Whether a figure of row `r` of `table` counts everyone the table
/// counts: the national row's count or denominator, or in a table of shares
/// of one population (no national row), the denominator of the
/// population's first row, which every other row repeats.
fn counts_everyone(table: &StatTable) -> impl Fn(usize, Figure) -> bool + '_ {
    let national = |row: &StatRow| {
        let b = table.dimensions.breakdown();
        b.is_some_and(|b| row.groups[b] == NATIONAL)
    };
    let shares = !table.rows.iter().any(national);
    let skip: Vec<usize> = table
        .dimensions
        .breakdown_and_group()
        .map(|(b, g)| vec![b, g])
        .unwrap_or_default();
    let mut populations: BTreeSet<Vec<&str>> = BTreeSet::new();
    let first_of_population: Vec<bool> = table
        .rows
        .iter()
        .map(|row| shares && populations.insert(identity_without(table, row, &skip)))
        .collect();
    move |r, figure| match figure {
        Figure::Count => national(&table.rows[r]),
        Figure::Denominator => national(&table.rows[r]) || first_of_population[r],
        _ => false,
    }
}

/// A row's values in the dimensions that identify it, leaving out `skip`
/// and the table's descriptive columns.
fn identity_without<'a>(table: &StatTable, row: &'a StatRow, skip: &[usize]) -> Vec<&'a str> {
    row.groups
        .iter()
        .enumerate()
        .filter(|(d, _)| {
            !skip.contains(d) && !table.metadata.descriptive.contains(&table.dimensions[*d])
        })
        .map(|(_, v)| v.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtto_model::table::Dimensions;

    fn table(metadata: &str, dimensions: &[&str], rows: &[(&[&str], u64)]) -> StatTable {
        StatTable {
            metadata: toml::from_str(metadata).expect("metadata"),
            dimensions: Dimensions::new(dimensions.iter().map(|d| d.to_string()).collect()),
            rows: rows
                .iter()
                .map(|(groups, count)| StatRow {
                    groups: groups.iter().map(|g| g.to_string()).collect(),
                    value: Value::Count(*count),
                })
                .collect(),
        }
    }

    fn count_cell(linked: &Linked, table: usize, row: usize) -> usize {
        linked.index[&CellRef {
            table,
            row,
            figure: Figure::Count,
        }]
    }

    /// The relations holding a cell of the first table: (total, parts).
    fn relations_of_first_table(linked: &Linked) -> Vec<(usize, Vec<usize>)> {
        linked
            .relations
            .iter()
            .filter(|r| {
                let mut members = r.parts.iter().chain([&r.total]);
                members.any(|&c| linked.cells[c].table == 0)
            })
            .map(|r| (r.total, r.parts.clone()))
            .collect()
    }

    /// Commencements in the 12 months ending 2003Q1 and 2005Q1 (financial
    /// years 2002-03 and 2004-05), and the financial years' table of
    /// 2004Q1 and 2005Q1; 2004Q1's holds a 0 row for 2004-05, filled in by
    /// the series, which is no figure of that year.
    #[test]
    fn a_financial_year_repeats_in_the_tables_of_every_quarter_from_its_end() {
        let commencements = table(
            r#"
            id = "commencements"
            title = "Orders commenced"
            measure = 1
            kind = "count"
            cohort = "Orders"
            counted = "Orders"
            breakdowns = ["National"]
            chart = { kind = "none" }
            [[links]]
            figure = "count"
            rows = { breakdown = ["National"] }
            match = { group = "area" }
            table = "by_year"
            table_figure = "count"
            where = { financial_year = ["$financial_year"] }
            "#,
            &[QUARTER, "breakdown", "group"],
            &[
                (&["2003Q1", "National", "All"], 6),
                (&["2005Q1", "National", "All"], 13),
            ],
        );
        let by_year = table(
            r#"
            id = "by_year"
            title = "Orders commenced by financial year"
            measure = 1
            kind = "count"
            cohort = "Orders"
            counted = "Orders"
            breakdowns = ["Financial year", "Probation area"]
            chart = { kind = "none" }
            "#,
            &[QUARTER, "financial_year", "area"],
            &[
                (&["2004Q1", "2002-03", "All areas"], 6),
                (&["2004Q1", "2004-05", "All areas"], 0),
                (&["2005Q1", "2002-03", "All areas"], 6),
                (&["2005Q1", "2004-05", "All areas"], 13),
            ],
        );
        let linked = Linked::build(&[commencements, by_year]);
        assert_eq!(linked.problems, Vec::<String>::new());
        let cell = |table, row| count_cell(&linked, table, row);
        assert_eq!(
            relations_of_first_table(&linked),
            [
                (cell(0, 0), vec![cell(1, 0)]),
                (cell(0, 0), vec![cell(1, 2)]),
                (cell(0, 1), vec![cell(1, 3)]),
            ]
        );
    }

    /// A cohort of the Orders terminated a quarter earlier but for deaths
    /// (a lag of 1, every reason but one): related, with the deaths, to
    /// that quarter's `All reasons`, the two cells beside the one the
    /// link leaves out; nothing of its own quarter's terminations.
    #[test]
    fn a_lagged_link_relates_a_figure_to_the_rows_of_a_quarter_earlier() {
        let mut cohort = table(
            r#"
            id = "cohort"
            title = "Orders terminated a quarter earlier, but by death"
            measure = 9
            kind = "count"
            cohort = "Orders"
            counted = "Orders"
            breakdowns = ["National"]
            chart = { kind = "none" }
            [[links]]
            figure = "count"
            table = "terminations"
            table_figure = "count"
            where = { reason = ["Completed", "Revoked"] }
            "#,
            &[QUARTER, "breakdown", "group"],
            &[(&["2005Q1", "National", "All"], 10)],
        );
        // As the catalogue works it out for a table over `{lagged}` linked
        // to one over `{year}`.
        cohort.metadata.links[0].lag = 1;
        let terminations = table(
            r#"
            id = "terminations"
            title = "Orders terminated"
            measure = 2
            kind = "count"
            cohort = "Orders"
            counted = "Orders"
            breakdowns = ["National"]
            chart = { kind = "none" }
            "#,
            &[QUARTER, "breakdown", "group", "reason"],
            &[
                (&["2004Q4", "National", "All", "All reasons"], 12),
                (&["2004Q4", "National", "All", "Completed"], 6),
                (&["2004Q4", "National", "All", "Revoked"], 4),
                (&["2004Q4", "National", "All", "Died"], 2),
                (&["2005Q1", "National", "All", "All reasons"], 20),
                (&["2005Q1", "National", "All", "Completed"], 9),
                (&["2005Q1", "National", "All", "Revoked"], 8),
                (&["2005Q1", "National", "All", "Died"], 3),
            ],
        );
        let linked = Linked::build(&[cohort, terminations]);
        assert_eq!(linked.problems, Vec::<String>::new());
        let cell = |table, row| count_cell(&linked, table, row);
        assert_eq!(
            relations_of_first_table(&linked),
            [(cell(1, 0), vec![cell(1, 3), cell(0, 0)])]
        );
    }

    /// A count table `id` of national and sex rows (with a quarter first
    /// where `quarters`), linked as `links` says.
    fn people_or_orders(
        id: &str,
        links: &str,
        quarters: bool,
        rows: &[(&[&str], u64)],
    ) -> StatTable {
        let metadata = format!(
            "id = \"{id}\"\ntitle = \"t\"\nmeasure = 1\nkind = \"count\"\ncohort = \"c\"\n\
             counted = \"c\"\nbreakdowns = [\"National\", \"Sex\"]\nchart = {{ kind = \"none\" }}\n{links}"
        );
        let dimensions: &[&str] = if quarters {
            &[QUARTER, "breakdown", "group"]
        } else {
            &["breakdown", "group"]
        };
        table(&metadata, dimensions, rows)
    }

    /// The values of the relations holding a cell of the first table, as
    /// (total, parts), and what each is.
    fn sums_of_first_table(linked: &Linked) -> Vec<(u64, Vec<u64>, &str)> {
        linked
            .relations
            .iter()
            .zip(&linked.descriptions)
            .filter(|(r, _)| {
                let mut members = r.parts.iter().chain([&r.total]);
                members.any(|&c| linked.cells[c].table == 0)
            })
            .map(|(r, d)| {
                let parts = r.parts.iter().map(|&c| linked.values[c]).collect();
                (linked.values[r.total], parts, d.as_str())
            })
            .collect()
    }

    /// People among their Orders, group by group: each group's people and
    /// what its Orders have beyond them (a slack cell) add up to its
    /// Orders. A group with more people than Orders is a problem.
    #[test]
    fn people_at_most_their_orders_take_a_slack_each() {
        let link = "[[links]]\nfigure = \"count\"\ntable = \"orders\"\n\
                    table_figure = \"count\"\nat_most = true\n";
        let national = ["National", "All"].as_slice();
        let (male, female) = (["Sex", "Male"].as_slice(), ["Sex", "Female"].as_slice());
        let people = people_or_orders(
            "people",
            link,
            false,
            &[(national, 8), (male, 5), (female, 3)],
        );
        let orders = people_or_orders(
            "orders",
            "",
            false,
            &[(national, 10), (male, 7), (female, 3)],
        );
        let linked = Linked::build(&[people.clone(), orders]);
        assert_eq!(linked.problems, Vec::<String>::new());
        let inequalities: Vec<(u64, Vec<u64>)> = sums_of_first_table(&linked)
            .into_iter()
            .filter(|(_, _, d)| d.contains("repeats"))
            .map(|(total, parts, _)| (total, parts))
            .collect();
        assert_eq!(
            inequalities,
            [(10, vec![8, 2]), (7, vec![5, 2]), (3, vec![3, 0])]
        );
        let slack = linked.cells.iter().filter(|c| c.table == SLACK).count();
        assert_eq!(slack, 3);

        let fewer = people_or_orders(
            "orders",
            "",
            false,
            &[(national, 10), (male, 4), (female, 6)],
        );
        let linked = Linked::build(&[people, fewer]);
        assert_eq!(
            linked.problems,
            [
                "people (links to orders): the count of row Sex / Male is more than the sum of \
              the rows it repeats"
            ]
        );
    }

    /// People counted once in 12 months: the 12 months ending 2004Q4 (5)
    /// and 2005Q1 (6) are no sums of their quarters (2 each, 8 and 8), but
    /// each is at most that sum, through a slack cell of the sum and one
    /// of what it has beyond them (3, 2), and, counting everyone
    /// nationally, at least each of its quarters (each 2 with a slack of
    /// 3, or 4).
    #[test]
    fn people_in_12_months_are_at_most_their_quarters_and_at_least_each() {
        let windows = people_or_orders(
            "people",
            "",
            true,
            &[
                (&["2004Q4", "National", "All"], 5),
                (&["2005Q1", "National", "All"], 6),
            ],
        );
        let quarter = |q| [q, "National", "All"];
        let singles = ["2004Q1", "2004Q2", "2004Q3", "2004Q4", "2005Q1"].map(quarter);
        let rows: Vec<(&[&str], u64)> = singles.iter().map(|q| (q.as_slice(), 2)).collect();
        let quarters = people_or_orders("people (single quarters)", "", true, &rows);
        let tables = [windows, quarters];
        let mut linked = Linked::build(&tables);
        linked.roll(&tables, 0, 1);
        let of = |kind: &str| -> Vec<(u64, Vec<u64>)> {
            sums_of_first_table(&linked)
                .into_iter()
                .filter(|(_, _, d)| d.ends_with(kind))
                .map(|(total, parts, _)| (total, parts))
                .collect()
        };
        assert_eq!(
            of("at most the sum of its quarters"),
            [(8, vec![5, 3]), (8, vec![6, 2])]
        );
        let at_least: Vec<(u64, Vec<u64>)> = [5, 5, 5, 5, 6, 6, 6, 6]
            .iter()
            .map(|&w| (w, vec![2, w - 2]))
            .collect();
        assert_eq!(of("at least each quarter"), at_least);
    }
}
