//! Disclosure control of an answer to a request: its tables protected
//! together with everything already released from the same delivery (the
//! edition it is made from, and the answers released before it), whose
//! figures stay as they were released.
//!
//! An answer's table counts a published table's measure (the one it
//! `repeats`) for the 12 months ending one quarter, cross-classified by
//! some of that table's breakdowns, every total over each breakdown
//! included (`All`). Its cells are linked:
//! - within the table, as any table's: groups add up to their totals;
//! - to the edition: a row whose groups are all totals but one, `Sex` =
//!   `Female` say, is the published row `Sex: Female` of that quarter, and
//!   the row of totals alone the national one;
//! - to every other answer's: rows of the same measure, quarter and
//!   groups are the same figures.
//!
//! Rows the answer does not show are worked out all the same, never
//! published: they are what links a shown row (women aged 18 to 20) to a
//! published one (women), and they must not be narrowed into 1 ..
//! threshold − 1 either.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::linked::{CellRef, Linked, cells_of};
use super::suppression::{CellKinds, Released, Rules};
use super::{Decided, DisclosureError, Edition, Protected, ProtectedRow, ProtectedTable, Withheld};
use crate::statistics::{StatTable, TableSeries};
use dtto_model::period::Period;
use dtto_model::table::{Dimensions, Figure, NATIONAL, QUARTER, is_all};

/// A table of an answer, its statistics computed, before disclosure
/// control.
#[derive(Debug, Clone)]
pub struct AnswerTable {
    /// Its dimensions are breakdowns of the table it repeats (`Sex`), its
    /// rows every combination of their groups, totals (`All`) included.
    pub table: StatTable,
    /// The published table whose measure it counts.
    pub repeats: String,
    /// The quarter whose 12 months it counts.
    pub quarter: Period,
    /// For each row: the answer publishes it.
    pub shown: Vec<bool>,
}

/// A table of an answer released before, with what it published.
#[derive(Debug, Clone)]
pub struct ReleasedTable {
    pub table: AnswerTable,
    /// Each figure a reader holds, by its row's groups: shown, or
    /// withheld. A figure of a shown row it does not list is one a reader
    /// does not hold (revised since it was released): worked out, never
    /// published, as the rows not shown are.
    pub figures: HashMap<(Vec<String>, Figure), Released>,
    /// Released before the edition was made (from an earlier edition):
    /// the edition was protected against it.
    pub before_edition: bool,
}

impl ReleasedTable {
    /// What the release did with a figure of a shown row, if a reader
    /// holds it: a rate's difference is shown where both its counts were,
    /// withheld where either was.
    fn released(&self, groups: &[String], figure: Figure) -> Option<Released> {
        let of = |figure: Figure| self.figures.get(&(groups.to_vec(), figure)).copied();
        match figure {
            Figure::Difference => match (of(Figure::Numerator)?, of(Figure::Denominator)?) {
                (Released::Shown, Released::Shown) => Some(Released::Shown),
                _ => Some(Released::Withheld),
            },
            figure => of(figure),
        }
    }
}

/// An answer after disclosure control, with the edition it was protected
/// against.
#[derive(Debug, Clone)]
pub struct ProtectedAnswer {
    /// The edition as disclosure control decides it today: it must be what
    /// was published, or the answer is not protected against it.
    pub edition: Protected,
    /// The shown rows of each table of the answer.
    pub tables: Vec<ProtectedTable>,
    /// Every figure of a shown row the answer withholds, and why; the
    /// table is the answer table's id, the quarter the one it counts.
    pub audit: Vec<Withheld>,
}

/// Applies disclosure control to everything an edition publishes: each
/// table for the period, a year earlier (behind each change) and every
/// quarter of its series, all as one set of linked figures, with the single
/// quarters making up each 12 months as figures a reader must not be able
/// to narrow down. `withhold_first`: groups whose figures are withheld
/// before any other as complements. It holds fixed what readers already
/// have: the figures earlier editions
/// published (`held`), where the edition gives the same value, and what
/// the answers `released` before it published. A figure a reader already
/// has is published as it is, never withheld nor chosen to protect
/// another; a figure a released answer withheld stays withheld and hidden.
pub fn protect_edition(
    series: &[TableSeries],
    period: Period,
    rules: Rules,
    withhold_first: &[String],
    released: &[ReleasedTable],
    held: HeldElsewhere,
) -> Result<Protected, DisclosureError> {
    let edition = Edition::new(series, period);
    let decided = decide_with(&edition, rules, withhold_first, released, held)?;
    Ok(edition.protected(&decided))
}

/// The edition's decision, protected against `released` and the figures
/// earlier editions published (`held`).
fn decide_with(
    edition: &Edition,
    rules: Rules,
    withhold_first: &[String],
    released: &[ReleasedTable],
    held: HeldElsewhere,
) -> Result<Decided, DisclosureError> {
    let answers: Vec<&AnswerTable> = released.iter().map(|r| &r.table).collect();
    let linked = link_answers(edition, &answers)?;
    let mut kinds = edition.kinds(&linked, withhold_first);
    let first = edition.tables.len();
    let published = edition.series.len();
    for (c, cell) in linked.cells.iter().enumerate() {
        if cell.table < published {
            if held_elsewhere(edition, &linked, *cell, held) {
                kinds.released[c] = Some(Released::Shown);
            } else if withheld_elsewhere(edition, *cell, held) {
                // Its value may be unrevised: what was hidden stays hidden.
                kinds.released[c] = Some(Released::Withheld);
            }
        } else if let Some(table) = cell.table.checked_sub(first).and_then(|a| released.get(a)) {
            mark_answer_cell(&mut kinds, c, *cell, &table.table, withhold_first);
            mark_released_cell(&mut kinds, c, *cell, table);
        }
    }
    known_where_repeated(&linked, &mut kinds);
    Ok(edition.suppress(linked, &kinds, rules))
}

/// A figure that repeats one a reader already holds is held too: it is
/// published as it is, never withheld, even where an earlier release
/// withheld it (withholding it would hide nothing, and withholding more
/// around it would hide nothing either).
fn known_where_repeated(linked: &Linked, kinds: &mut CellKinds) {
    let repeats: Vec<(usize, usize)> = linked
        .relations
        .iter()
        .filter_map(|r| match r.parts.as_slice() {
            [part] => Some((*part, r.total)),
            _ => None,
        })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for &(a, b) in &repeats {
            for (held, other) in [(a, b), (b, a)] {
                if kinds.released[held] == Some(Released::Shown)
                    && kinds.released[other] != Some(Released::Shown)
                    && !kinds.unpublished[other]
                {
                    kinds.released[other] = Some(Released::Shown);
                    kinds.settled[other] = false;
                    changed = true;
                }
            }
        }
    }
}

/// What other editions of the same population did with a figure of table
/// `id` in the 12 months ending `quarter`, in the row of these dimensions
/// (name and value, the quarter aside); `None` where none has the row.
pub type HeldElsewhere<'a> =
    &'a dyn Fn(&str, Period, &[(String, String)], Figure) -> Option<HeldFigure>;

/// What another edition did with a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldFigure {
    Published(u64),
    Withheld,
}

/// Protects `answer` against the edition of `period` (made from `series`,
/// protected against the editions before it, as [`protect_edition`]), the
/// figures those editions published (`held`), and the answers
/// `released` before it: those from earlier editions, which the edition
/// was protected against, and those from this one.
pub fn protect_answer(
    series: &[TableSeries],
    period: Period,
    rules: Rules,
    withhold_first: &[String],
    answer: &[AnswerTable],
    released: &[ReleasedTable],
    held: HeldElsewhere,
) -> Result<ProtectedAnswer, DisclosureError> {
    let edition = Edition::new(series, period);
    let before: Vec<ReleasedTable> = released
        .iter()
        .filter(|r| r.before_edition)
        .cloned()
        .collect();
    let decided = decide_with(&edition, rules, withhold_first, &before, held)?;
    let published_edition = edition.protected(&decided);

    let answers: Vec<&AnswerTable> = released.iter().map(|e| &e.table).chain(answer).collect();
    let linked = link_answers(&edition, &answers)?;
    let first = edition.tables.len();
    let published = edition.series.len();
    let mut kinds = edition.kinds(&linked, withhold_first);
    for (c, cell) in linked.cells.iter().enumerate() {
        let answer = cell
            .table
            .checked_sub(first)
            .and_then(|a| answers.get(a).map(|table| (a, *table)));
        match answer {
            None if cell.table < published => {
                let withheld = decided.is_withheld(cell.table, cell.row, cell.figure);
                let elsewhere = withheld && held_elsewhere(&edition, &linked, *cell, held);
                kinds.released[c] = Some(if withheld && !elsewhere {
                    Released::Withheld
                } else {
                    Released::Shown
                });
                // Held from another edition, it is known where the edition
                // alone was not: what it is linked to is asked again.
                kinds.settled[c] = !elsewhere;
            }
            // Single quarters, and quarters a reader could suppose.
            None => kinds.settled[c] = true,
            Some((a, table)) => {
                mark_answer_cell(&mut kinds, c, *cell, table, withhold_first);
                if let Some(released) = released.get(a) {
                    mark_released_cell(&mut kinds, c, *cell, released);
                    kinds.settled[c] = true;
                }
            }
        }
    }
    known_where_repeated(&linked, &mut kinds);
    let decided = edition.suppress(linked, &kinds, rules);
    let offset = first + released.len();
    let mut tables = Vec::new();
    let mut audit = Vec::new();
    for (a, table) in answer.iter().enumerate() {
        let t = offset + a;
        tables.push(protect_shown(table, t, &decided));
        audit.extend(withheld_in(table, t, &decided));
    }
    Ok(ProtectedAnswer {
        edition: published_edition,
        tables,
        audit,
    })
}

/// Whether another edition published `cell`, a figure of the edition, with
/// its value here (a rate's difference: both its counts).
fn held_elsewhere(edition: &Edition, linked: &Linked, cell: CellRef, held: HeldElsewhere) -> bool {
    let same = |figure: Figure| {
        let here = linked
            .cell(CellRef { figure, ..cell })
            .map(|c| HeldFigure::Published(linked.values[c]));
        here.is_some() && held_as(edition, CellRef { figure, ..cell }, held) == here
    };
    match cell.figure {
        Figure::Difference => same(Figure::Numerator) && same(Figure::Denominator),
        figure => same(figure),
    }
}

/// Whether another edition withheld `cell`, a figure of the edition (a
/// rate's difference: either of its counts).
fn withheld_elsewhere(edition: &Edition, cell: CellRef, held: HeldElsewhere) -> bool {
    let withheld = |figure: Figure| {
        held_as(edition, CellRef { figure, ..cell }, held) == Some(HeldFigure::Withheld)
    };
    match cell.figure {
        Figure::Difference => withheld(Figure::Numerator) || withheld(Figure::Denominator),
        figure => withheld(figure),
    }
}

/// What another edition did with `cell`, a figure of the edition.
fn held_as(edition: &Edition, cell: CellRef, held: HeldElsewhere) -> Option<HeldFigure> {
    let table = &edition.tables[cell.table];
    let row = &table.rows[cell.row];
    let dimensions: Vec<(String, String)> = table
        .dimensions
        .iter()
        .zip(&row.groups)
        .filter(|(name, _)| *name != QUARTER && !table.metadata.descriptive.contains(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    held(
        &table.metadata.id,
        edition.quarter_of(cell),
        &dimensions,
        cell.figure,
    )
}

/// A cell of an answer's table: published if its row is shown, otherwise
/// worked out only; never a headline figure.
fn mark_answer_cell(
    kinds: &mut CellKinds,
    c: usize,
    cell: CellRef,
    table: &AnswerTable,
    withhold_first: &[String],
) {
    let groups = &table.table.rows[cell.row].groups;
    kinds.unpublished[c] = !table.shown.get(cell.row).copied().unwrap_or(false);
    kinds.headline[c] = false;
    kinds.withhold_first[c] = groups.iter().any(|g| withhold_first.contains(g));
}

/// A cell of a released answer's table: as it was released, where a
/// reader holds it (the register says which rows it showed, whatever its
/// request says now); otherwise worked out only.
fn mark_released_cell(kinds: &mut CellKinds, c: usize, cell: CellRef, table: &ReleasedTable) {
    let groups = &table.table.table.rows[cell.row].groups;
    kinds.released[c] = table.released(groups, cell.figure);
    kinds.unpublished[c] = kinds.released[c].is_none();
}

/// The edition's cells and relations with `answers`' tables after its
/// own: each answer's row is the edition's row of the same measure,
/// quarter and groups, and every other answer's. A row that is not is a
/// problem: its query counts something else than the table it repeats.
fn link_answers(edition: &Edition, answers: &[&AnswerTable]) -> Result<Linked, DisclosureError> {
    let series = edition.series;
    let first = edition.tables.len();
    let more: Vec<StatTable> = answers.iter().map(|a| a.table.clone()).collect();
    let mut linked = edition.link(&more);
    let mut problems = std::mem::take(&mut linked.problems);
    // Rows of one measure and quarter with the same groups, by those
    // groups: the edition's rows first, then each answer's.
    let mut same: BTreeMap<Identity, Vec<(usize, usize)>> = BTreeMap::new();
    for (t, table) in series.iter().enumerate() {
        let combined = &edition.tables[t];
        for (r, row) in combined.rows.iter().enumerate() {
            let quarter = edition.quarter_of(CellRef {
                table: t,
                row: r,
                figure: Figure::Count,
            });
            let groups = identity(
                &combined.dimensions,
                &row.groups,
                &combined.metadata.descriptive,
            );
            same.entry((table.metadata.id.clone(), quarter, groups))
                .or_default()
                .push((t, r));
        }
    }
    for (a, table) in answers.iter().enumerate() {
        let known = same
            .keys()
            .any(|(id, quarter, _)| *id == table.repeats && *quarter == table.quarter);
        if !known && !table.table.rows.is_empty() {
            problems.push(format!(
                "{}: the edition publishes no figure of {} for the 12 months ending {}",
                table.table.metadata.id, table.repeats, table.quarter
            ));
        }
        for (r, row) in table.table.rows.iter().enumerate() {
            let groups = identity(&table.table.dimensions, &row.groups, &[]);
            same.entry((table.repeats.clone(), table.quarter, groups))
                .or_default()
                .push((first + a, r));
        }
    }
    let name = |t: usize| {
        let table = if t < first {
            &edition.tables[t]
        } else {
            &more[t - first]
        };
        table.metadata.id.clone()
    };
    problems.extend(unmatched_groups(&same, first, &more));
    for ((repeats, quarter, groups), rows) in &same {
        let Some(&(t0, r0)) = rows.first() else {
            continue;
        };
        let in_words = if groups.is_empty() {
            "national".to_string()
        } else {
            words(groups)
        };
        for &(t, r) in rows.iter().skip(1).filter(|(t, _)| *t >= first) {
            for (figure, _) in cells_of(&more[t - first].rows[r].value) {
                let at = |table, row| CellRef { table, row, figure };
                let description = format!(
                    "{}, {in_words}: the same {} as {} of {repeats} for the 12 months ending {quarter}",
                    name(t),
                    figure.name(),
                    name(t0),
                );
                if !linked.equal(at(t0, r0), at(t, r), description) {
                    problems.push(format!(
                        "{}, {in_words}: its {} is not {}'s for the same groups in the 12 months \
                         ending {quarter}: its query counts something else, or its groups overlap",
                        name(t),
                        figure.name(),
                        name(t0),
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(linked)
    } else {
        Err(DisclosureError { problems })
    }
}

/// A measure, a quarter, and the groups of a row that are not totals.
type Identity = (String, Period, Vec<(String, String)>);

/// A row's groups that are not totals, by breakdown: `Sex: Female` of a
/// table with `breakdown` and `group` columns is (`Sex`, `Female`) as it
/// is in an answer's `Sex` column; the national row has none.
fn identity(
    dimensions: &Dimensions,
    groups: &[String],
    descriptive: &[String],
) -> Vec<(String, String)> {
    let breakdown = dimensions.breakdown_and_group();
    let mut identity: Vec<(String, String)> = Vec::new();
    for (d, (name, value)) in dimensions.iter().zip(groups).enumerate() {
        if name == QUARTER || descriptive.contains(name) || is_all(value) {
            continue;
        }
        match breakdown {
            Some((b, g)) if d == g => {
                if groups[b] != NATIONAL {
                    identity.push((groups[b].clone(), value.clone()));
                }
            }
            Some((b, _)) if d == b => {}
            _ => identity.push((name.clone(), value.clone())),
        }
    }
    identity.sort();
    identity
}

/// An answer's row of one group of a breakdown the edition publishes for
/// its measure and quarter, where the edition has no such group: a label
/// the edition spells otherwise (`F` for `Female`) would link the row to
/// nothing, and a reader could subtract it from the edition's figures all
/// the same. A row of nobody is no problem: an absent group is 0.
fn unmatched_groups(
    same: &BTreeMap<Identity, Vec<(usize, usize)>>,
    first: usize,
    answers: &[StatTable],
) -> Vec<String> {
    let published: BTreeSet<(&str, Period, &str)> = same
        .iter()
        .filter(|(_, rows)| rows.first().is_some_and(|(t, _)| *t < first))
        .filter_map(|((id, quarter, groups), _)| match groups.as_slice() {
            [(breakdown, _)] => Some((id.as_str(), *quarter, breakdown.as_str())),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    for ((id, quarter, groups), rows) in same {
        let [(breakdown, group)] = groups.as_slice() else {
            continue;
        };
        let in_edition = rows.first().is_some_and(|(t, _)| *t < first);
        if in_edition || !published.contains(&(id.as_str(), *quarter, breakdown.as_str())) {
            continue;
        }
        for &(t, r) in rows {
            let table = &answers[t - first];
            if table.rows[r].value.figures().iter().any(|(_, n)| *n > 0) {
                problems.push(format!(
                    "{}: the group {group:?} of {breakdown} is none of those {id} publishes for \
                     the 12 months ending {quarter}: spell it as the edition does",
                    table.metadata.id
                ));
            }
        }
    }
    problems
}

fn words(groups: &[(String, String)]) -> String {
    groups
        .iter()
        .map(|(breakdown, group)| format!("{breakdown}: {group}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn protect_shown(table: &AnswerTable, t: usize, decided: &Decided) -> ProtectedTable {
    let rows = table
        .table
        .rows
        .iter()
        .enumerate()
        .filter(|(r, _)| table.shown.get(*r).copied().unwrap_or(false))
        .map(|(r, row)| ProtectedRow {
            groups: row.groups.clone(),
            value: decided.protect_value(t, r, &row.value, [false, false]),
            revised: false,
        })
        .collect();
    ProtectedTable {
        metadata: table.table.metadata.clone(),
        dimensions: table.table.dimensions.clone(),
        rows,
    }
}

fn withheld_in(table: &AnswerTable, t: usize, decided: &Decided) -> Vec<Withheld> {
    let mut audit = Vec::new();
    for (r, row) in table.table.rows.iter().enumerate() {
        if !table.shown.get(r).copied().unwrap_or(false) {
            continue;
        }
        for (figure, _) in cells_of(&row.value) {
            let Some(c) = decided.linked.cell(CellRef {
                table: t,
                row: r,
                figure,
            }) else {
                continue;
            };
            let Some(rule) = decided.withheld[c] else {
                continue;
            };
            audit.push(Withheld {
                table: table.table.metadata.id.clone(),
                quarter: table.quarter,
                dimensions: table
                    .table
                    .dimensions
                    .iter()
                    .cloned()
                    .zip(row.groups.iter().cloned())
                    .collect(),
                figure,
                rule: rule.name(),
                reason: decided.explain(rule),
            });
        }
    }
    audit
}
