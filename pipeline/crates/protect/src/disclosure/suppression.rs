//! Cell suppression over the linear relations published figures obey.
//!
//! The publication is a set of counts ("cells") and relations between them:
//! the parts of a relation add up to its total (the groups of a breakdown
//! and the national figure; a rate's numerator and its difference and the
//! denominator; a figure repeated in another table). A reader who knows the
//! relations can subtract. This module decides which cells to withhold so
//! that every withheld count stays hidden:
//!
//! 1. primary: every count from 1 to threshold − 1;
//! 2. complements: in every relation, never exactly one withheld cell, and
//!    the withheld parts of a relation whose total is published never add up
//!    to 0 .. threshold − 1 (a sum of 0 would show each of them is 0: that
//!    everyone in a small group completed, say); the published cell whose
//!    loss costs readers least is withheld first ([`Complements`]). A cell
//!    that is never printed (a rate's difference) is withheld with the two
//!    cells it is derived from; otherwise a reader could still find it by
//!    subtraction;
//! 3. ranges: for each withheld cell, the smallest and largest value it can
//!    take given every published figure and every relation (a linear
//!    programme, counts being non-negative); where that range holds one
//!    value, or lies inside 1 .. threshold − 1, the cheapest published cell
//!    next to it is withheld too. Steps 2 and 3 repeat until nothing
//!    changes. Before each round of programmes, the cells whose interval
//!    from the relations alone ([`propagation`](super::propagation)) gives
//!    them away ([`exposed_by_intervals`])
//!    take their cheapest neighbour, and so on until none is left: a chain
//!    of complements each exposing the next is followed without a
//!    programme, and each round's programmes find only what no interval
//!    shows.
//!
//! Step 3 is where the time goes. Each programme is first cut down: its
//! relations solved for as many unknowns as they can be and what is left
//! split into parts that share nothing ([`elimination`](super::elimination));
//! a cell the relations alone pin down needs no programme at all. A part is
//! solved once with nothing to optimise; each cell then asks whether it can
//! pass one bound (below 1, say), the bound added to that solved programme
//! so that the solver starts from where it ended, not from nothing; where
//! many cells ask, two threads share them. A
//! filling so found shows other cells to take a value far enough from their
//! own as well, and a cell shown hidden stays hidden in later rounds
//! (withholding more only widens what every cell can take). Its work is
//! bounded all the same: once the [`Budget`] is spent, every figure linked
//! to a cell not yet shown hidden is withheld ([`Reason::Budget`]); with all
//! of them withheld, every count could be 0, so nothing is narrowed.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use serde::{Deserialize, Serialize};

use super::elimination::{Eliminated, Linear, eliminate};
use super::propagation::outer_ranges;

/// The parts add up to the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub parts: Vec<usize>,
    pub total: usize,
}

impl Relation {
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().copied().chain([self.total])
    }
}

/// A cell no output prints, only derivable from others: it is withheld
/// whenever both cells it comes from are (a rate's difference, with its
/// numerator and denominator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unprinted {
    pub cell: usize,
    pub from: [usize; 2],
}

/// Why a cell is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A count from 1 to threshold − 1.
    Primary,
    /// Withheld so that another withheld cell of this relation cannot be found
    /// by subtraction, or the withheld cells of the relation do not add up to
    /// a small number.
    Complement { relation: usize },
    /// Never printed, and the cells it comes from are withheld.
    Unprinted,
    /// Withheld because, with everything else published, a neighbouring
    /// withheld cell could still be narrowed to one value or to a small
    /// number through this relation.
    Range { relation: usize },
    /// Linked to a withheld cell that was not yet shown to stay hidden when
    /// the budget for linear programmes ran out.
    Budget,
    /// Never published (a single quarter's count, of which a series
    /// publishes only sums): only to be kept out of 1 .. threshold − 1.
    Unpublished,
    /// Withheld by an earlier release (the edition an answer is made
    /// from, an answer released before): it stays withheld, and hidden.
    Released,
}

impl Reason {
    /// The names of the rules that withhold published figures, in the
    /// order the audit's summary counts them.
    pub const PUBLISHED: [&'static str; 5] = [
        Reason::Primary.name(),
        Reason::Unprinted.name(),
        Reason::Complement { relation: 0 }.name(),
        Reason::Range { relation: 0 }.name(),
        Reason::Budget.name(),
    ];

    /// The rule's name in the audit.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Primary => "primary",
            Reason::Unprinted => "unprinted",
            Reason::Complement { .. } => "complement",
            Reason::Range { .. } => "range",
            Reason::Budget => "budget",
            Reason::Unpublished => "unpublished",
            Reason::Released => "released",
        }
    }
}

/// Which published figure to withhold with a withheld one so that it cannot
/// be found by subtraction (set in `dtto.toml`). Either way a total (the
/// national figure of a breakdown) goes last, only when nothing else in its
/// relation can protect, and a figure of 0 after every other (withholding
/// a 0 hides nothing), the total included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Complements {
    /// The largest group: its rate stays known within a fraction of a
    /// point from the total less the other groups, and a small group's
    /// neighbours (women, beside a sex not known) keep their figures.
    #[default]
    Largest,
    /// The smallest group: the fewest people withheld.
    Smallest,
}

/// What each cell is, beyond its value.
#[derive(Debug, Clone, Default)]
pub struct CellKinds {
    /// Cells no output carries, only their sums (single quarters of a
    /// series): withheld from the start, they must not be narrowed into
    /// 1 .. threshold − 1.
    pub unpublished: Vec<bool>,
    /// Unpublished cells that turn an inequality into a sum (what the
    /// Orders commenced have beyond the people commencing them): no secret,
    /// whatever a reader works out.
    pub slack: Vec<bool>,
    /// Cells of groups whose figures tell readers least (a sex not known),
    /// withheld before any other as complements.
    pub withhold_first: Vec<bool>,
    /// Cells of the headline tables, or repeated by one: withheld as
    /// complements only when no other cell of the relation can be.
    pub headline: Vec<bool>,
    /// Cells an earlier release (an edition, an answer) published or
    /// withheld: a reader may hold them already, so what was published
    /// stays published and what was withheld stays withheld.
    pub released: Vec<Option<Released>>,
    /// Cells this decision cannot change, released or never published,
    /// whose relations were all there, and every one of their cells as it
    /// is now, when the release they belong to was decided (the edition's
    /// and its single quarters, for an answer made from it): a linked set
    /// of withheld cells whose relations hold nothing else was asked about
    /// then, and asking again could only withhold cells it cannot.
    pub settled: Vec<bool>,
}

/// What an earlier release did with a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    Shown,
    Withheld,
}

impl CellKinds {
    /// `cells` published cells, none of them to be withheld first.
    pub fn published(cells: usize) -> CellKinds {
        CellKinds {
            unpublished: vec![false; cells],
            slack: vec![false; cells],
            withhold_first: vec![false; cells],
            headline: vec![false; cells],
            released: vec![None; cells],
            settled: vec![false; cells],
        }
    }
}

impl Complements {
    /// Orders the candidates of `relation`: the cheapest first.
    fn cost(self, cell: usize, relation: &Relation, cells: &Cells) -> Cost {
        let value = cells.values[cell];
        let size = match self {
            Complements::Largest => u64::MAX - value,
            Complements::Smallest => value,
        };
        let kinds = cells.kinds;
        (
            value == 0,
            kinds.headline[cell],
            cell == relation.total,
            !kinds.withhold_first[cell],
            size,
        )
    }
}

/// A complement's cost, cheapest first: a 0 (which hides nothing), a
/// figure of a headline table, the relation's total, a group not among
/// those withheld first, and the size [`Complements`] orders by.
type Cost = (bool, bool, bool, bool, u64);

/// What disclosure control withholds and how it chooses.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Counts from 1 to threshold − 1 are withheld.
    pub threshold: u64,
    pub complements: Complements,
}

/// How much solving step 3 may do before it stops deciding cell by cell and
/// withholds whole linked sets instead. Each linear programme costs its
/// number of free unknowns (at least 1): a rough, machine-independent
/// measure of its work, so the same input always gets the same answer.
#[derive(Debug)]
pub struct Budget {
    left: AtomicU64,
}

impl Budget {
    pub fn new(unknowns: u64) -> Budget {
        Budget {
            left: AtomicU64::new(unknowns),
        }
    }

    /// Pays for one programme; `Err` when the budget cannot.
    fn spend(&self, unknowns: u64) -> Result<(), OutOfBudget> {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(unknowns.max(1))
            })
            .map(|_| ())
            .map_err(|_| OutOfBudget)
    }
}

/// The budget ran out before every withheld cell was decided.
#[derive(Debug)]
struct OutOfBudget;

/// The range a withheld cell can take given the published cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub low: f64,
    /// `f64::INFINITY` when nothing bounds the cell from above.
    pub high: f64,
}

impl Range {
    /// The range pins the value down: to one whole number, or to whole
    /// numbers from 1 to threshold − 1.
    pub fn discloses(&self, threshold: u64) -> bool {
        let [low, high] = self.whole();
        low >= high || self.narrows(threshold)
    }

    /// The range lies inside 1 .. threshold − 1: all that matters for a
    /// count never published, whose exact value is not a secret when it is
    /// 0 or large.
    pub fn narrows(&self, threshold: u64) -> bool {
        let [low, high] = self.whole();
        low >= 1.0 && high <= (threshold as f64) - 1.0
    }

    /// The whole numbers at its ends.
    fn whole(&self) -> [f64; 2] {
        [(self.low - 1e-6).ceil(), (self.high + 1e-6).floor()]
    }
}

/// Whether a range given to `cell` gives it away.
fn discloses(range: Range, cell: usize, unpublished: &[bool], threshold: u64) -> bool {
    if unpublished[cell] {
        range.narrows(threshold)
    } else {
        range.discloses(threshold)
    }
}

/// What [`suppress`] decided.
#[derive(Debug)]
pub struct Suppression {
    /// Which cells to withhold, and why; `None` for a published cell.
    pub withheld: Vec<Option<Reason>>,
    /// Withheld cells whose range still gives them away, with no cell left
    /// to withhold that could hide them: every other cell linked to them is
    /// withheld already or held by readers from an earlier release. Only
    /// figures released before can do that (two releases of different
    /// deliveries, say); they are reported for sign-off, since nothing
    /// withheld now can hide them.
    pub unmended: Vec<usize>,
}

/// Which cells to withhold, and why.
pub fn suppress(
    values: &[u64],
    relations: &[Relation],
    unprinted: &[Unprinted],
    kinds: &CellKinds,
    rules: Rules,
    budget: &Budget,
) -> Suppression {
    let unpublished = &kinds.unpublished;
    let Rules {
        threshold,
        complements,
    } = rules;
    let mut withheld: Vec<Option<Reason>> = values
        .iter()
        .zip(unpublished)
        .zip(&kinds.released)
        .map(|((v, &unpublished), released)| match released {
            Some(Released::Withheld) => Some(Reason::Released),
            Some(Released::Shown) => None,
            None if unpublished => Some(Reason::Unpublished),
            None => (1..threshold).contains(v).then_some(Reason::Primary),
        })
        .collect();
    let relations_of = relations_of_cells(values.len(), relations);
    let known = known_to_readers(values.len(), relations, &kinds.released);
    // An unpublished 0 or count of threshold or more is no secret, whatever
    // a reader works out; nor is a slack cell.
    let mut hidden: Vec<bool> = (0..values.len())
        .map(|c| unpublished[c] && (kinds.slack[c] || !(1..threshold).contains(&values[c])))
        .collect();
    let cells = Cells {
        values,
        relations,
        kinds,
        complements,
    };
    loop {
        loop {
            add_complements(&cells, unprinted, &known, threshold, &mut withheld);
            let plainly = exposed_by_intervals(&cells, &withheld, threshold, &hidden);
            let protect = |cell| nearest_published(cell, &cells, &relations_of, &known, &withheld);
            let picks: Vec<(usize, usize)> = plainly.into_iter().filter_map(protect).collect();
            if picks.is_empty() {
                break;
            }
            for (relation, pick) in picks {
                withheld[pick] = Some(Reason::Range { relation });
            }
        }
        let Ok(exposed) = exposed(&cells, &withheld, threshold, &mut hidden, budget) else {
            withhold_linked(relations, &relations_of, &hidden, &known, &mut withheld);
            return Suppression {
                withheld,
                unmended: Vec::new(),
            };
        };
        let mut added = false;
        let mut unmended = Vec::new();
        for cell in exposed {
            if let Some((relation, pick)) =
                nearest_published(cell, &cells, &relations_of, &known, &withheld)
            {
                withheld[pick] = Some(Reason::Range { relation });
                added = true;
            } else {
                unmended.push(cell);
            }
        }
        if !added {
            return Suppression { withheld, unmended };
        }
    }
}

/// The cells and what binds them.
struct Cells<'a> {
    values: &'a [u64],
    relations: &'a [Relation],
    kinds: &'a CellKinds,
    complements: Complements,
}

/// Step 2, repeated until no relation needs another cell withheld.
/// Relations with an unpublished member are left to step 3: their
/// unpublished cells are always withheld, and only a linear programme can
/// tell what their sums give away.
fn add_complements(
    cells: &Cells,
    unprinted: &[Unprinted],
    known: &[bool],
    threshold: u64,
    withheld: &mut [Option<Reason>],
) {
    let Cells {
        values,
        relations,
        kinds,
        ..
    } = *cells;
    let mut changed = true;
    while changed {
        changed = false;
        for u in unprinted {
            if withheld[u.cell].is_none()
                && !known[u.cell]
                && u.from.iter().all(|&c| withheld[c].is_some())
            {
                withheld[u.cell] = Some(Reason::Unprinted);
                changed = true;
            }
        }
        for (index, relation) in relations.iter().enumerate() {
            if !relation.members().any(|c| kinds.unpublished[c])
                && needs_complement(relation, values, threshold, withheld)
                && let Some(pick) = cheapest_published(relation, cells, known, withheld)
            {
                withheld[pick] = Some(Reason::Complement { relation: index });
                changed = true;
            }
        }
    }
}

fn needs_complement(
    relation: &Relation,
    values: &[u64],
    threshold: u64,
    withheld: &[Option<Reason>],
) -> bool {
    let count = relation
        .members()
        .filter(|&c| withheld[c].is_some())
        .count();
    if count == 1 {
        return true;
    }
    // With the total published, the withheld parts' sum is known.
    let withheld_parts: Vec<u64> = relation
        .parts
        .iter()
        .filter(|&&c| withheld[c].is_some())
        .map(|&c| values[c])
        .collect();
    withheld[relation.total].is_none()
        && !withheld_parts.is_empty()
        && withheld_parts.iter().sum::<u64>() < threshold
}

/// The published cell of a relation whose loss costs least
/// ([`Complements`]); ties to the first.
fn cheapest_published(
    relation: &Relation,
    cells: &Cells,
    known: &[bool],
    withheld: &[Option<Reason>],
) -> Option<usize> {
    relation
        .members()
        .filter(|&c| withheld[c].is_none() && !known[c])
        .min_by_key(|&c| (cells.complements.cost(c, relation, cells), c))
}

/// The cheapest published cell in a relation of `cell`, or failing that in
/// a relation of a withheld cell linked to it, nearest first.
fn nearest_published(
    cell: usize,
    cells: &Cells,
    relations_of: &[Vec<usize>],
    known: &[bool],
    withheld: &[Option<Reason>],
) -> Option<(usize, usize)> {
    let relations = cells.relations;
    let mut seen = vec![false; cells.values.len()];
    let mut frontier = vec![cell];
    seen[cell] = true;
    while !frontier.is_empty() {
        let mut best: Option<(Cost, usize, usize)> = None;
        let mut next = Vec::new();
        for &c in &frontier {
            for &r in &relations_of[c] {
                for m in relations[r].members() {
                    if known[m] {
                        continue;
                    }
                    if withheld[m].is_none() {
                        let cost = cells.complements.cost(m, &relations[r], cells);
                        let key = (cost, m, r);
                        if best.is_none_or(|b| key < b) {
                            best = Some(key);
                        }
                    } else if !seen[m] {
                        seen[m] = true;
                        next.push(m);
                    }
                }
            }
        }
        if let Some((_, pick, relation)) = best {
            return Some((relation, pick));
        }
        frontier = next;
    }
    None
}

/// Cells every reader knows, so that withholding them would protect
/// nothing: totals of relations with no parts (0), and cells an earlier
/// release published.
fn known_to_readers(
    cells: usize,
    relations: &[Relation],
    released: &[Option<Released>],
) -> Vec<bool> {
    let mut known: Vec<bool> = (0..cells)
        .map(|c| released.get(c).copied().flatten() == Some(Released::Shown))
        .collect();
    for relation in relations.iter().filter(|r| r.parts.is_empty()) {
        known[relation.total] = true;
    }
    known
}

fn relations_of_cells(cells: usize, relations: &[Relation]) -> Vec<Vec<usize>> {
    let mut of = vec![Vec::new(); cells];
    for (index, relation) in relations.iter().enumerate() {
        for member in relation.members() {
            if !of[member].contains(&index) {
                of[member].push(index);
            }
        }
    }
    of
}

/// Step 3: the withheld cells whose range, given the published ones, pins
/// them down. `hidden` carries the cells already shown to stay hidden from
/// one round to the next: withholding more only widens what every cell can
/// take, so a cell once hidden stays hidden.
fn exposed(
    cells: &Cells,
    withheld: &[Option<Reason>],
    threshold: u64,
    hidden: &mut [bool],
    budget: &Budget,
) -> Result<Vec<usize>, OutOfBudget> {
    let mut exposed = Vec::new();
    let mut outcome = Ok(());
    for_each_component(
        cells.relations,
        withheld,
        |component, component_relations| {
            if outcome.is_err() || decided(cells, component, component_relations, hidden) {
                return;
            }
            let parts = Lp::parts(
                cells.values,
                &cells.kinds.unpublished,
                component_relations,
                component,
                budget,
            );
            for lp in parts {
                if outcome.is_ok() {
                    outcome = lp.exposed(threshold, hidden, &mut exposed);
                }
            }
        },
    );
    outcome.map(|()| exposed)
}

/// Withholding more only widens what a cell can take: a group of linked
/// cells all shown hidden is decided, and so is one whose relations were
/// all there when it was released.
fn decided(cells: &Cells, component: &[usize], relations: &[&Relation], hidden: &[bool]) -> bool {
    component.iter().all(|&c| hidden[c])
        || relations
            .iter()
            .all(|r| r.members().all(|c| cells.kinds.settled[c]))
}

/// The withheld cells not shown hidden whose interval from the relations
/// ([`outer_ranges`]) already gives them away: exposed, with no programme
/// needed to know it.
fn exposed_by_intervals(
    cells: &Cells,
    withheld: &[Option<Reason>],
    threshold: u64,
    hidden: &[bool],
) -> Vec<usize> {
    let unpublished = &cells.kinds.unpublished;
    let mut exposed = Vec::new();
    for_each_component(
        cells.relations,
        withheld,
        |component, component_relations| {
            if decided(cells, component, component_relations, hidden) {
                return;
            }
            let equations: Vec<Linear> = component_relations
                .iter()
                .map(|relation| equation(relation, cells.values, component))
                .collect();
            let outer = outer_ranges(component.len(), &equations);
            exposed.extend(
                component
                    .iter()
                    .zip(outer)
                    .filter(|&(&cell, range)| {
                        !hidden[cell] && discloses(range, cell, unpublished, threshold)
                    })
                    .map(|(&cell, _)| cell),
            );
        },
    );
    exposed
}

/// When the budget runs out: withholds every cell linked, through any chain
/// of relations, to a withheld cell not shown hidden. Every relation such a
/// cell is in then has all its members withheld, so all of them could be 0.
fn withhold_linked(
    relations: &[Relation],
    relations_of: &[Vec<usize>],
    hidden: &[bool],
    known: &[bool],
    withheld: &mut [Option<Reason>],
) {
    let undecided = |c: usize| withheld[c].is_some() && !hidden[c];
    let mut reached: Vec<bool> = (0..withheld.len()).map(undecided).collect();
    let mut frontier: Vec<usize> = (0..withheld.len()).filter(|&c| reached[c]).collect();
    while let Some(cell) = frontier.pop() {
        for &r in &relations_of[cell] {
            for member in relations[r].members() {
                if !reached[member] && !known[member] {
                    reached[member] = true;
                    frontier.push(member);
                }
            }
        }
    }
    for (cell, rule) in withheld.iter_mut().enumerate() {
        if reached[cell] && rule.is_none() {
            *rule = Some(Reason::Budget);
        }
    }
}

/// The range of every withheld cell given the published ones.
#[cfg(test)]
fn ranges(
    values: &[u64],
    relations: &[Relation],
    withheld: &[Option<Reason>],
) -> Vec<(usize, Range)> {
    ranges_from(Start::AtABound, values, relations, withheld)
}

/// [`ranges`], each programme started from `start`.
#[cfg(test)]
fn ranges_from(
    start: Start,
    values: &[u64],
    relations: &[Relation],
    withheld: &[Option<Reason>],
) -> Vec<(usize, Range)> {
    let mut result = Vec::new();
    let budget = Budget::new(u64::MAX);
    let unpublished = vec![false; values.len()];
    for_each_component(relations, withheld, |component, component_relations| {
        for lp in Lp::parts(
            values,
            &unpublished,
            component_relations,
            component,
            &budget,
        ) {
            result.extend(
                lp.unknowns
                    .iter()
                    .map(|&cell| (cell, lp.range(cell, start))),
            );
        }
    });
    result
}

/// Calls `f` with each group of withheld cells linked by relations, and the
/// relations that hold any of them.
fn for_each_component(
    relations: &[Relation],
    withheld: &[Option<Reason>],
    mut f: impl FnMut(&[usize], &[&Relation]),
) {
    // Only relations with a withheld member constrain a withheld cell.
    let active: Vec<&Relation> = relations
        .iter()
        .filter(|r| r.members().any(|c| withheld[c].is_some()))
        .collect();
    let components = components(withheld.len(), &active, withheld);
    let mut component_of = vec![usize::MAX; withheld.len()];
    for (index, component) in components.iter().enumerate() {
        for &cell in component {
            component_of[cell] = index;
        }
    }
    // Every withheld member of a relation is in the same component, so
    // the first one places it: one pass over the relations, not one per
    // component (a thin delivery has thousands of components).
    let mut relations_of: Vec<Vec<&Relation>> = vec![Vec::new(); components.len()];
    for &relation in &active {
        if let Some(cell) = relation.members().find(|&c| withheld[c].is_some()) {
            relations_of[component_of[cell]].push(relation);
        }
    }
    for (component, component_relations) in components.iter().zip(&relations_of) {
        f(component, component_relations);
    }
}

/// The withheld cells, grouped by the relations that link them; each group
/// sorted.
fn components(
    cells: usize,
    relations: &[&Relation],
    withheld: &[Option<Reason>],
) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..cells).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    for relation in relations {
        let mut members = relation.members().filter(|&c| withheld[c].is_some());
        if let Some(first) = members.next() {
            for other in members {
                let (a, b) = (root(&mut parent, first), root(&mut parent, other));
                parent[a] = b;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for cell in (0..cells).filter(|&c| withheld[c].is_some()) {
        let r = root(&mut parent, cell);
        groups.entry(r).or_default().push(cell);
    }
    groups.into_values().collect()
}

/// The linear programme of one component: its withheld cells are the
/// unknowns, non-negative, and every relation holding one is a constraint,
/// solved beforehand for as many unknowns as it can be ([`elimination`]).
struct Lp<'a> {
    values: &'a [u64],
    unpublished: &'a [bool],
    /// Sorted.
    unknowns: Vec<usize>,
    budget: &'a Budget,
    eliminated: Eliminated,
    base: OnceLock<Option<Base>>,
    moves: OnceLock<Vec<Option<Move>>>,
}

/// What moving one free unknown by 1 does: each unknown whose expression
/// holds it (a position in the component's unknowns) and by how much.
type Move = Vec<(usize, i64)>;

/// A solved programme and its variables, the free unknowns in order.
struct Base {
    solution: microlp::Solution,
    variables: Vec<microlp::Variable>,
    /// The free unknowns' true values, from which the variables measure.
    origin: Vec<f64>,
}

impl Base {
    /// The free unknowns' values in a solution of this programme, whose
    /// variables measure from their true values.
    fn free_unknowns(&self, solution: &microlp::Solution) -> Vec<f64> {
        self.variables
            .iter()
            .zip(&self.origin)
            .map(|(&variable, from)| solution.var_value(variable) + from)
            .collect()
    }
}

impl<'a> Lp<'a> {
    /// The programmes of one component: its relations solved for as many
    /// unknowns as they can be, then split where no free unknown links.
    fn parts(
        values: &'a [u64],
        unpublished: &'a [bool],
        relations: &[&Relation],
        unknowns: &[usize],
        budget: &'a Budget,
    ) -> Vec<Lp<'a>> {
        let equations = relations
            .iter()
            .map(|relation| equation(relation, values, unknowns))
            .collect();
        eliminate(unknowns.len(), equations)
            .split()
            .into_iter()
            .map(|(part, eliminated)| Lp {
                values,
                unpublished,
                unknowns: part.iter().map(|&i| unknowns[i]).collect(),
                budget,
                eliminated,
                base: OnceLock::new(),
                moves: OnceLock::new(),
            })
            .collect()
    }

    /// Step 3 for this component: its withheld cells whose range discloses
    /// go onto `exposed`; the others are marked hidden.
    fn exposed(
        &self,
        threshold: u64,
        hidden: &mut [bool],
        exposed: &mut Vec<usize>,
    ) -> Result<(), OutOfBudget> {
        let open = self.open(threshold, hidden)?;
        let start = if open.len() <= FEW_QUESTIONS {
            Start::AtTheTruth
        } else {
            Start::AtABound
        };
        self.exposed_from(start, &open, threshold, hidden, exposed)
    }

    /// The cells no test short of a programme settles: neither pinned by
    /// the relations nor shown hidden by moving one free unknown
    /// ([`Lp::settle_by_moving`]).
    fn open(&self, threshold: u64, hidden: &mut [bool]) -> Result<Vec<usize>, OutOfBudget> {
        let mut open = Vec::new();
        for (i, &cell) in self.unknowns.iter().enumerate() {
            if !hidden[cell]
                && !self.pinned(cell)
                && !self.settle_by_moving(i, threshold, hidden)?
            {
                open.push(cell);
            }
        }
        Ok(open)
    }

    /// [`Lp::exposed`], the `open` cells asked about from `start`.
    fn exposed_from(
        &self,
        start: Start,
        open: &[usize],
        threshold: u64,
        hidden: &mut [bool],
        exposed: &mut Vec<usize>,
    ) -> Result<(), OutOfBudget> {
        let shared = start == Start::AtABound && open.len() >= SHARED_FROM;
        self.ask(start, shared, open, threshold, hidden)?;
        exposed.extend(self.unknowns.iter().filter(|&&cell| !hidden[cell]));
        Ok(())
    }

    /// Settles each of `cells` ([`Lp::settle`]); `shared`, half of them on
    /// a second thread. Each half is asked about in its own order, from its
    /// own copy of `hidden`, and the cells either shows hidden are hidden:
    /// whether a cell is exposed depends on the programme alone, so the
    /// answer is the same however the threads run. Should the budget run
    /// out on either, neither half's findings are kept, and `hidden` is as
    /// it was before: the same whichever thread ran out first.
    fn ask(
        &self,
        start: Start,
        shared: bool,
        cells: &[usize],
        threshold: u64,
        hidden: &mut [bool],
    ) -> Result<(), OutOfBudget> {
        if !shared {
            return self.settle_each(cells, threshold, start, hidden);
        }
        // Found once, before the threads share it.
        self.base(start)?;
        let (first, second) = cells.split_at(cells.len() / 2);
        let before: &[bool] = hidden;
        let settle_half = |half: &[usize]| {
            let mut hidden = before.to_vec();
            self.settle_each(half, threshold, start, &mut hidden)
                .map(|()| hidden)
        };
        let halves = std::thread::scope(|scope| {
            let other = scope.spawn(|| settle_half(first));
            let mine = settle_half(second);
            // A thread panics only on a bug: carry the panic on.
            let other = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok::<_, OutOfBudget>([other?, mine?])
        })?;
        for (cell, hide) in hidden.iter_mut().enumerate() {
            *hide = halves[0][cell] || halves[1][cell];
        }
        Ok(())
    }

    /// Settles each of `cells` not yet hidden, in order.
    fn settle_each(
        &self,
        cells: &[usize],
        threshold: u64,
        start: Start,
        hidden: &mut [bool],
    ) -> Result<(), OutOfBudget> {
        for &cell in cells {
            if !hidden[cell] {
                self.settle(cell, threshold, start, hidden)?;
            }
        }
        Ok(())
    }

    /// Marks `cell` hidden if the programme's range for it discloses
    /// nothing: if it can take a value past one of [`Lp::questions`]'
    /// bounds. Each question adds its bound to a programme already solved
    /// ([`Lp::base`]), so the solver starts from where that one ended
    /// instead of from nothing; a filling it finds settles other cells too.
    fn settle(
        &self,
        cell: usize,
        threshold: u64,
        start: Start,
        hidden: &mut [bool],
    ) -> Result<(), OutOfBudget> {
        let Ok(i) = self.unknowns.binary_search(&cell) else {
            return Ok(());
        };
        let own = self.values[cell] as f64;
        let Some(base) = self.base(start)? else {
            return Ok(());
        };
        let expression = &self.eliminated.unknowns[i];
        let terms: Vec<(microlp::Variable, f64)> = expression
            .terms
            .iter()
            .map(|(&k, &a)| (base.variables[k], a as f64))
            .collect();
        for (op, bound) in self.questions(cell, threshold) {
            self.budget.spend(self.eliminated.free.len() as u64)?;
            // The variables measure from the true values.
            let beyond = base
                .solution
                .clone()
                .add_constraint(terms.clone(), op, bound - own);
            if let Ok(microlp::SolveOutcome::Solution(solution)) = beyond {
                hidden[cell] = true;
                self.hide_by(
                    &self.filling(&base.free_unknowns(&solution)),
                    threshold,
                    hidden,
                );
                return Ok(());
            }
        }
        Ok(())
    }

    /// The cheap test before any programme: whether moving one free unknown
    /// alone, by the least whole number that takes unknown `i` past one of
    /// [`Lp::questions`]' bounds, leaves every unknown a count (0 or more).
    /// Such a filling is in whole numbers by construction, and settles the
    /// other unknowns it moves too. Says whether unknown `i` is hidden. Each
    /// question costs 1 of the budget.
    fn settle_by_moving(
        &self,
        i: usize,
        threshold: u64,
        hidden: &mut [bool],
    ) -> Result<bool, OutOfBudget> {
        let cell = self.unknowns[i];
        let own = self.values[cell] as i64;
        let moves = self.moves();
        for (op, bound) in self.questions(cell, threshold) {
            self.budget.spend(1)?;
            let need = (bound as i64 - own) as f64;
            for (&k, &a) in &self.eliminated.unknowns[i].terms {
                let Some(shifts) = &moves[k] else { continue };
                // The least move of free unknown k for which own + a·step
                // passes the bound.
                let step = need / a as f64;
                let step = if matches!(op, ComparisonOp::Le) == (a > 0) {
                    step.floor()
                } else {
                    step.ceil()
                } as i64;
                // Every unknown it moves, where it goes; `None` if one
                // would go below 0 or past what a count can be.
                let moved: Option<Vec<(usize, i64)>> = shifts
                    .iter()
                    .map(|&(j, b)| {
                        let own = i64::try_from(self.values[self.unknowns[j]]).ok()?;
                        let to = b.checked_mul(step)?.checked_add(own)?;
                        (to >= 0).then_some((j, to))
                    })
                    .collect();
                if let Some(moved) = moved.filter(|_| step != 0) {
                    for (j, to) in moved {
                        self.hide_if_apart(j, to as f64, threshold, hidden);
                    }
                    if hidden[cell] {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// For each free unknown, the unknowns it moves ([`Move`]); `None` for
    /// one an equality of the programme holds, which cannot move alone.
    fn moves(&self) -> &[Option<Move>] {
        self.moves.get_or_init(|| {
            let mut moves: Vec<Option<Move>> = vec![Some(Vec::new()); self.eliminated.free.len()];
            for (i, expression) in self.eliminated.unknowns.iter().enumerate() {
                for (&k, &a) in &expression.terms {
                    if let Some(shifts) = &mut moves[k] {
                        shifts.push((i, a));
                    }
                }
            }
            for equality in &self.eliminated.equalities {
                for &k in equality.terms.keys() {
                    moves[k] = None;
                }
            }
            moves
        })
    }

    /// The bounds `cell` must be able to pass for its range to disclose
    /// nothing (see [`Range::discloses`]): below 1 or up to the threshold
    /// for a small count; for a 0 of a published figure, up to 1; for a
    /// larger one, any other whole value.
    fn questions(&self, cell: usize, threshold: u64) -> Vec<(ComparisonOp, f64)> {
        let own = self.values[cell];
        if self.unpublished[cell] || (1..threshold).contains(&own) {
            vec![
                (ComparisonOp::Le, 0.0),
                (ComparisonOp::Ge, threshold as f64),
            ]
        } else if own == 0 {
            vec![(ComparisonOp::Ge, 1.0)]
        } else {
            vec![
                (ComparisonOp::Le, (own - 1) as f64),
                (ComparisonOp::Ge, (own + 1) as f64),
            ]
        }
    }

    /// The programme with nothing to optimise, solved once and kept for
    /// [`Lp::settle`]'s questions; `None` when the solver found no filling,
    /// which it never should (the true values are one).
    fn base(&self, start: Start) -> Result<Option<&Base>, OutOfBudget> {
        if let Some(base) = self.base.get() {
            return Ok(base.as_ref());
        }
        self.budget.spend(self.eliminated.free.len() as u64)?;
        let programme = self.problem(OptimizationDirection::Minimize, start, |_| {
            (0.0, (0.0, f64::INFINITY))
        });
        let base = match programme.solve() {
            Ok(microlp::SolveOutcome::Solution(solution)) => Some(Base {
                solution,
                variables: programme.variables,
                origin: programme.origin,
            }),
            _ => None,
        };
        Ok(self.base.get_or_init(|| base).as_ref())
    }

    /// The value of every unknown given the free ones'.
    fn filling(&self, free: &[f64]) -> Vec<f64> {
        self.eliminated
            .unknowns
            .iter()
            .map(|e| e.at(free))
            .collect()
    }

    /// The relations alone fix `cell`'s value (it is a sum or difference of
    /// published figures): no programme needed to see it is given away.
    fn pinned(&self, cell: usize) -> bool {
        self.unknowns
            .binary_search(&cell)
            .is_ok_and(|i| self.eliminated.unknowns[i].terms.is_empty())
    }

    /// Marks hidden every unknown whose value in `filling` and its own value
    /// leave a range that discloses nothing: its true range holds both.
    fn hide_by(&self, filling: &[f64], threshold: u64, hidden: &mut [bool]) {
        for (i, &other) in filling.iter().enumerate() {
            self.hide_if_apart(i, other, threshold, hidden);
        }
    }

    /// Marks unknown `i` hidden if `other`, a value it can take, and its own
    /// value leave a range that discloses nothing.
    fn hide_if_apart(&self, i: usize, other: f64, threshold: u64, hidden: &mut [bool]) {
        let cell = self.unknowns[i];
        let own = self.values[cell] as f64;
        let seen = Range {
            low: own.min(other),
            high: own.max(other),
        };
        if !discloses(seen, cell, self.unpublished, threshold) {
            hidden[cell] = true;
        }
    }

    /// `variable` gives each unknown its objective coefficient and bounds.
    /// The programme's variables are the free unknowns, each measured from
    /// its true value ([`Programme::origin`]); every other unknown keeps its
    /// bounds as limits on its expression, one pair of limits for all the
    /// unknowns that share an expression but for a constant.
    ///
    /// `start` says where the solver starts ([`Start`]).
    fn problem(
        &self,
        direction: OptimizationDirection,
        start: Start,
        variable: impl Fn(usize) -> (f64, (f64, f64)),
    ) -> Programme {
        let eliminated = &self.eliminated;
        let origin: Vec<f64> = eliminated
            .free
            .iter()
            .map(|&i| self.values[self.unknowns[i]] as f64)
            .collect();
        let at_origin =
            |key: &[(usize, i64)]| -> f64 { key.iter().map(|&(k, a)| a as f64 * origin[k]).sum() };
        let mut objective = vec![0.0; eliminated.free.len()];
        let mut bounds = vec![(f64::NEG_INFINITY, f64::INFINITY); eliminated.free.len()];
        let mut limits: BTreeMap<Vec<(usize, i64)>, (f64, f64)> = BTreeMap::new();
        for (i, (&cell, expression)) in self.unknowns.iter().zip(&eliminated.unknowns).enumerate() {
            let (coefficient, (low, high)) = variable(cell);
            for (&k, &a) in &expression.terms {
                objective[k] += coefficient * a as f64;
            }
            if start == Start::AtABound
                && let Ok(k) = eliminated.free.binary_search(&i)
            {
                bounds[k] = (low - origin[k], high - origin[k]);
                continue;
            }
            let shift = expression.constant as f64;
            let key = expression.terms.iter().map(|(&k, &a)| (k, a)).collect();
            let limit = limits
                .entry(key)
                .or_insert((f64::NEG_INFINITY, f64::INFINITY));
            *limit = (limit.0.max(low - shift), limit.1.min(high - shift));
        }
        let mut problem = Problem::new(direction);
        let variables: Vec<_> = objective
            .iter()
            .zip(bounds)
            .map(|(&o, b)| problem.add_var(o, b))
            .collect();
        let terms = |key: &[(usize, i64)]| -> Vec<_> {
            key.iter().map(|&(k, a)| (variables[k], a as f64)).collect()
        };
        for (key, (low, high)) in &limits {
            // The true values keep within every bound given, so an unknown
            // the relations pin down limits nothing; nor does a lower limit
            // of 0 or less on a sum the free unknowns' own lower bounds keep.
            let implied = (key.len() > 1 || start == Start::AtABound)
                && key.iter().all(|&(_, a)| a > 0)
                && *low <= 0.0;
            if key.is_empty() {
                continue;
            }
            let from = at_origin(key);
            if low.is_finite() && !implied {
                problem.add_constraint(terms(key), ComparisonOp::Ge, low - from);
            }
            if high.is_finite() {
                problem.add_constraint(terms(key), ComparisonOp::Le, high - from);
            }
        }
        for equality in &eliminated.equalities {
            let key: Vec<(usize, i64)> = equality.terms.iter().map(|(&k, &a)| (k, a)).collect();
            let from = at_origin(&key);
            problem.add_constraint(
                terms(&key),
                ComparisonOp::Eq,
                equality.constant as f64 - from,
            );
        }
        Programme {
            problem,
            variables,
            origin,
            start,
        }
    }
}

/// How many cells left to settle in a programme are few enough to ask
/// about from the true values ([`Start::AtTheTruth`]). Measured on the
/// largest programme of a thin delivery (600 free unknowns): a vertex takes
/// 0.4–0.9 s to find, then a question 5–10 ms; from the truth a question
/// takes 25–45 ms. Every round after the first asks again about the few
/// cells still exposed, so that most rounds of a long chain of complements
/// (90 on the scale-0.05 delivery) no longer find a vertex.
const FEW_QUESTIONS: usize = 16;

/// How many cells left to ask about from a vertex are enough to share
/// between two threads ([`Lp::ask`]): on the largest programme of a thin
/// delivery, round 1 asks about 270 cells, 13.6 s alone and 9.8 s shared.
/// Two, not as many as the machine has, so that the same questions are
/// asked on every machine and the budget spent the same.
const SHARED_FROM: usize = 32;

/// Where the solver starts a programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// At the true values, which keep every row: the free unknowns'
    /// bounds are rows, the variables free, and the solver starts with each
    /// at 0. A programme with nothing to optimise is solved without a
    /// pivot, but from there each question takes many.
    AtTheTruth,
    /// At a bound of each free unknown: the solver first finds a filling
    /// (a vertex), from which each question takes few pivots. Worth it for
    /// many questions, not for a few.
    AtABound,
}

/// A programme over the free unknowns, and its variables in their order.
struct Programme {
    problem: Problem,
    variables: Vec<microlp::Variable>,
    /// The free unknowns' true values, from which the variables measure.
    origin: Vec<f64>,
    start: Start,
}

impl Programme {
    /// From the true values without presolve, which would make the free
    /// unknowns' bounds bounds again and the solver start from those.
    fn solve(&self) -> Result<microlp::SolveOutcome, microlp::Error> {
        let mut options = microlp::SolveOptions::default();
        options.presolve = self.start == Start::AtABound;
        self.problem.solve_with(options)
    }
}

#[cfg(test)]
impl Lp<'_> {
    /// The least and greatest value `cell` can take, each the optimum of a
    /// programme of its own: the plain way [`Lp::settle`]'s questions
    /// answer faster.
    fn range(&self, cell: usize, start: Start) -> Range {
        let [low, high] = [
            OptimizationDirection::Minimize,
            OptimizationDirection::Maximize,
        ]
        .map(|direction| {
            let programme = self.problem(direction, start, |c| {
                (if c == cell { 1.0 } else { 0.0 }, (0.0, f64::INFINITY))
            });
            let i = self.unknowns.binary_search(&cell).expect("an unknown");
            let constant = self.eliminated.unknowns[i].constant as f64;
            if self.eliminated.free.is_empty() {
                return constant;
            }
            // The variables measure from the true values.
            match programme.solve() {
                Ok(microlp::SolveOutcome::Solution(solution)) => {
                    self.values[cell] as f64 + solution.objective()
                }
                Err(microlp::Error::Unbounded) => f64::INFINITY,
                other => panic!("no optimum for cell {cell}: {other:?}"),
            }
        });
        Range { low, high }
    }
}

/// A relation over the component's unknowns, its published members moved to
/// the constant: parts minus total is zero.
fn equation(relation: &Relation, values: &[u64], unknowns: &[usize]) -> Linear {
    let mut equation = Linear {
        constant: 0,
        terms: BTreeMap::new(),
    };
    let members = relation
        .parts
        .iter()
        .map(|&c| (c, 1))
        .chain([(relation.total, -1)]);
    for (member, sign) in members {
        match unknowns.binary_search(&member) {
            Ok(i) => {
                let coefficient = equation.terms.get(&i).copied().unwrap_or(0) + sign;
                if coefficient == 0 {
                    equation.terms.remove(&i);
                } else {
                    equation.terms.insert(i, coefficient);
                }
            }
            Err(_) => equation.constant -= sign * values[member] as i64,
        }
    }
    equation
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unlimited() -> Budget {
        Budget::new(u64::MAX)
    }

    fn relation(parts: &[usize], total: usize) -> Relation {
        Relation {
            parts: parts.to_vec(),
            total,
        }
    }

    const SMALLEST: Rules = Rules {
        threshold: 5,
        complements: Complements::Smallest,
    };

    const LARGEST: Rules = Rules {
        threshold: 5,
        complements: Complements::Largest,
    };

    /// a + b = 9 and b + d = 6 with d published as 0: b is 6, so a is 3,
    /// and the intervals show both with no programme. Without the second
    /// relation each could be anything from 0 to 9.
    #[test]
    fn intervals_show_a_figure_pinned_through_another() {
        let values = [3, 6, 9, 0, 6];
        let relations = [relation(&[0, 1], 2), relation(&[1, 3], 4)];
        let kinds = CellKinds::published(values.len());
        let mut withheld = vec![None; values.len()];
        withheld[0] = Some(Reason::Primary);
        withheld[1] = Some(Reason::Complement { relation: 0 });
        let hidden = vec![false; values.len()];
        let exposed = |relations: &[Relation]| {
            let cells = Cells {
                values: &values,
                relations,
                kinds: &kinds,
                complements: Complements::Smallest,
            };
            exposed_by_intervals(&cells, &withheld, 5, &hidden)
        };
        assert_eq!(exposed(&relations), [0, 1]);
        assert_eq!(exposed(&relations[..1]), [] as [usize; 0]);
    }

    /// Kinds where `unpublished` cells are single quarters and `slack`
    /// cells turn an inequality into a sum.
    fn with_unpublished(cells: usize, unpublished: &[usize], slack: &[usize]) -> CellKinds {
        let mut kinds = CellKinds::published(cells);
        for &c in unpublished.iter().chain(slack) {
            kinds.unpublished[c] = true;
        }
        for &c in slack {
            kinds.slack[c] = true;
        }
        kinds
    }

    /// A single quarter `a` (3) and `b` (6) add up to a published 9. People
    /// counted once: `b` is at least a published 5, so `a` is at most 4;
    /// the 12 months `W` (6) are at most `a` plus another quarter `y` (3),
    /// and `y` is at most `Y`, which a published 11 less a published 6
    /// makes 5, so `a` is at least 1. Only the inequalities narrow `a`
    /// into 1 .. 4, and the only published cell beside it, the 9, is
    /// withheld. Without them, `a` could be anything from 0 to 9.
    #[test]
    fn inequalities_narrow_a_single_quarter_through_their_slack() {
        // a, b, C, B, s1, y, W, sum, s2, Y, s3, U, T
        let values = [3, 6, 9, 5, 1, 3, 6, 6, 0, 5, 2, 6, 11];
        let equalities = [relation(&[0, 1], 2), relation(&[9, 11], 12)];
        let inequalities = [
            relation(&[3, 4], 1),  // B ≤ b
            relation(&[0, 5], 7),  // a + y is their sum
            relation(&[6, 8], 7),  // W ≤ a + y
            relation(&[5, 10], 9), // y ≤ Y
        ];
        let kinds = with_unpublished(values.len(), &[0, 1, 5, 9], &[4, 7, 8, 10]);
        let suppress = |relations: &[Relation]| {
            suppress(&values, relations, &[], &kinds, SMALLEST, &unlimited()).withheld
        };
        let unpublished = |c: usize| kinds.unpublished[c].then_some(Reason::Unpublished);
        let expected: Vec<Option<Reason>> = (0..values.len())
            .map(|c| match c {
                2 => Some(Reason::Range { relation: 0 }),
                c => unpublished(c),
            })
            .collect();
        assert_eq!(
            suppress(&[&equalities[..], &inequalities].concat()),
            expected
        );
        let unchanged: Vec<Option<Reason>> = (0..values.len()).map(unpublished).collect();
        assert_eq!(suppress(&equalities), unchanged);
    }

    /// 10 people among 12 Orders: the 2 Orders beyond them are pinned, and
    /// are no one's count.
    #[test]
    fn a_slack_pinned_to_a_small_number_is_no_secret() {
        let values = [10, 2, 12];
        let kinds = with_unpublished(3, &[], &[1]);
        let relations = [relation(&[0, 1], 2)];
        let withheld = suppress(&values, &relations, &[], &kinds, SMALLEST, &unlimited()).withheld;
        assert_eq!(withheld, [None, Some(Reason::Unpublished), None]);
    }

    /// Four groups and their national figure, every one published, at
    /// threshold 5.
    fn one_breakdown(values: &[u64; 5], rules: Rules, kinds: &CellKinds) -> Vec<Option<Reason>> {
        let relations = [relation(&[0, 1, 2, 3], 4)];
        suppress(values, &relations, &[], kinds, rules, &unlimited()).withheld
    }

    /// Groups 3, 40, 12, 20 of a national 75: the 3 withheld, and with it
    /// `complement` alone.
    fn withheld_with_the_3(complement: usize) -> Vec<Option<Reason>> {
        (0..5)
            .map(|c| match c {
                0 => Some(Reason::Primary),
                c if c == complement => Some(Reason::Complement { relation: 0 }),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_small_group_takes_the_group_its_setting_costs_least() {
        // Largest: withholding the 40 leaves it known within 3 (40 to 43 of
        // 75), where the 12 would lose a quarter of its size. Smallest: the
        // 12, the fewest people. The national figure stays either way.
        let values = [3, 40, 12, 20, 75];
        for (rules, complement) in [(LARGEST, 1), (SMALLEST, 2)] {
            let withheld = one_breakdown(&values, rules, &CellKinds::published(5));
            assert_eq!(withheld, withheld_with_the_3(complement), "{rules:?}");
        }
    }

    #[test]
    fn a_figure_earlier_releases_give_away_is_reported_not_passed_over() {
        // An earlier release withheld the 3 and its complement, the 40; a
        // later one, of another delivery, published the 40 (and everything
        // else): readers hold 75 − 40 − 12 − 20 = 3, and no figure is left
        // to withhold.
        let values = [3, 40, 12, 20, 75];
        let mut kinds = CellKinds::published(5);
        kinds.released = vec![Some(Released::Shown); 5];
        kinds.released[0] = Some(Released::Withheld);
        let relations = [relation(&[0, 1, 2, 3], 4)];
        let decided = suppress(&values, &relations, &[], &kinds, LARGEST, &unlimited());
        assert_eq!(
            decided.withheld,
            vec![Some(Reason::Released), None, None, None, None]
        );
        assert_eq!(decided.unmended, vec![0]);
        // With the 40 withheld as well, the 3 is hidden: nothing to report.
        kinds.released[1] = Some(Released::Withheld);
        let decided = suppress(&values, &relations, &[], &kinds, LARGEST, &unlimited());
        assert_eq!(decided.unmended, Vec::<usize>::new());
    }

    #[test]
    fn a_group_withheld_first_goes_before_any_other() {
        // The 12 are people whose sex is not known.
        let values = [3, 40, 12, 20, 75];
        let mut kinds = CellKinds::published(5);
        kinds.withhold_first[2] = true;
        let withheld = one_breakdown(&values, LARGEST, &kinds);
        assert_eq!(withheld, withheld_with_the_3(2));
    }

    #[test]
    fn two_small_groups_that_add_up_to_a_small_number_take_a_third() {
        // 1 + 2 = 3 would be known from 50 - 20 - 27.
        let values = [1, 2, 20, 27, 50];
        let withheld = one_breakdown(&values, SMALLEST, &CellKinds::published(5));
        assert_eq!(withheld[2], Some(Reason::Complement { relation: 0 }));
        assert_eq!(withheld[3], None);
    }

    /// ```text
    ///      c0  c1  total
    /// r0    3   2    5    (cells 0, 1, total 2)
    /// r1    9  10   19    (cells 3, 4, total 5)
    /// tot  12  12   24    (cells 6, 7, total 8)
    /// ```
    fn two_way_table() -> ([u64; 9], [Relation; 6]) {
        let values = [3, 2, 5, 9, 10, 19, 12, 12, 24];
        let relations = [
            relation(&[0, 1], 2),
            relation(&[3, 4], 5),
            relation(&[6, 7], 8),
            relation(&[0, 3], 6),
            relation(&[1, 4], 7),
            relation(&[2, 5], 8),
        ];
        (values, relations)
    }

    /// The two-way table suppressed, smallest first, within `budget`.
    fn suppress_two_way(budget: &Budget) -> Vec<Option<Reason>> {
        let (values, relations) = two_way_table();
        suppress(
            &values,
            &relations,
            &[],
            &CellKinds::published(9),
            SMALLEST,
            budget,
        )
        .withheld
    }

    #[test]
    fn a_two_way_table_withholds_a_rectangle() {
        let (values, relations) = two_way_table();
        let withheld = suppress_two_way(&unlimited());
        for (cell, range) in ranges(&values, &relations, &withheld) {
            assert!(!range.discloses(5), "cell {cell}: {range:?}");
        }
        // The two small cells of row 0 and, below them, the smaller cells
        // of row 1: a rectangle, every cell of it free to move by 0..5.
        let rectangle = [0, 1, 3, 4];
        for (cell, rule) in withheld.iter().enumerate() {
            assert_eq!(rule.is_some(), rectangle.contains(&cell), "cell {cell}");
        }
    }

    #[test]
    fn out_of_budget_every_linked_figure_is_withheld() {
        // The two-way table with nothing to solve with: the
        // complements still come first (cells 3 and 4 under the small row),
        // then every figure linked to them is withheld, which leaves each
        // free to be 0.
        let (values, relations) = two_way_table();
        let withheld = suppress_two_way(&Budget::new(0));
        let complement = |relation| Some(Reason::Complement { relation });
        assert_eq!(
            withheld,
            [
                Some(Reason::Primary),
                Some(Reason::Primary),
                Some(Reason::Budget),
                complement(3),
                complement(4),
                Some(Reason::Budget),
                Some(Reason::Budget),
                Some(Reason::Budget),
                Some(Reason::Budget),
            ]
        );
        for (cell, range) in ranges(&values, &relations, &withheld) {
            assert!(!range.discloses(5), "cell {cell}: {range:?}");
        }
    }

    /// Cells with values, and relations each adding some of them up into a
    /// new cell, some cells withheld.
    fn linked_cells() -> impl Strategy<Value = (Vec<u64>, Vec<Relation>, Vec<Option<Reason>>)> {
        let parts = proptest::collection::vec(any::<prop::sample::Index>(), 1..4);
        (
            proptest::collection::vec(0u64..8, 2..6),
            proptest::collection::vec(parts, 1..6),
            proptest::collection::vec(any::<bool>(), 12),
        )
            .prop_map(|(mut values, sums, withheld)| {
                let mut relations = Vec::new();
                for picks in sums {
                    let mut parts: Vec<usize> =
                        picks.iter().map(|i| i.index(values.len())).collect();
                    parts.sort_unstable();
                    parts.dedup();
                    relations.push(relation(&parts, values.len()));
                    values.push(parts.iter().map(|&c| values[c]).sum());
                }
                let withheld = (0..values.len())
                    .map(|c| withheld[c % withheld.len()].then_some(Reason::Primary))
                    .collect();
                (values, relations, withheld)
            })
    }

    /// The range of `cell` from one programme over every withheld cell and
    /// every relation, nothing solved beforehand.
    fn range_without_elimination(
        values: &[u64],
        relations: &[Relation],
        withheld: &[Option<Reason>],
        cell: usize,
    ) -> Range {
        let [low, high] = [
            OptimizationDirection::Minimize,
            OptimizationDirection::Maximize,
        ]
        .map(|direction| {
            let mut problem = Problem::new(direction);
            let variables: Vec<_> = (0..values.len())
                .map(|c| {
                    let objective = if c == cell { 1.0 } else { 0.0 };
                    let own = values[c] as f64;
                    let bounds = if withheld[c].is_some() {
                        (0.0, f64::INFINITY)
                    } else {
                        (own, own)
                    };
                    problem.add_var(objective, bounds)
                })
                .collect();
            for r in relations {
                let terms: Vec<_> = r
                    .parts
                    .iter()
                    .map(|&c| (variables[c], 1.0))
                    .chain([(variables[r.total], -1.0)])
                    .collect();
                problem.add_constraint(terms, ComparisonOp::Eq, 0.0);
            }
            match problem.solve() {
                Ok(microlp::SolveOutcome::Solution(solution)) => solution.objective(),
                Err(microlp::Error::Unbounded) => f64::INFINITY,
                _ => f64::NAN,
            }
        });
        Range { low, high }
    }

    proptest! {
        #![proptest_config(dtto_testing::deterministic(256, 256))]

        /// Each start, alone or shared between threads, answers every
        /// question as the plain range of each withheld cell does. Every
        /// cell the relations leave open is asked about, none settled by a
        /// cheaper test first.
        #[test]
        fn where_the_solver_starts_changes_no_cell_exposed(
            (values, relations, withheld) in linked_cells()
        ) {
            let unpublished = vec![false; values.len()];
            let budget = Budget::new(u64::MAX);
            let expected: Vec<usize> = (0..values.len())
                .filter(|&c| withheld[c].is_some())
                .filter(|&c| range_without_elimination(&values, &relations, &withheld, c).discloses(5))
                .collect();
            let ways = [(Start::AtTheTruth, false), (Start::AtABound, false), (Start::AtABound, true)];
            for (start, shared) in ways {
                let mut hidden = vec![false; values.len()];
                for_each_component(&relations, &withheld, |component, component_relations| {
                    for lp in Lp::parts(&values, &unpublished, component_relations, component, &budget) {
                        let open: Vec<usize> =
                            lp.unknowns.iter().copied().filter(|&c| !lp.pinned(c)).collect();
                        lp.ask(start, shared, &open, 5, &mut hidden).expect("no limit");
                    }
                });
                let exposed: Vec<usize> =
                    (0..values.len()).filter(|&c| withheld[c].is_some() && !hidden[c]).collect();
                prop_assert_eq!(&exposed, &expected, "{:?}, shared: {}", start, shared);
            }
        }

        /// The intervals the relations give each unknown hold its range, so
        /// one that discloses means the range does too.
        #[test]
        fn every_range_lies_inside_its_interval(
            (values, relations, withheld) in linked_cells()
        ) {
            let mut checked = Vec::new();
            for_each_component(&relations, &withheld, |component, component_relations| {
                let equations: Vec<Linear> = component_relations
                    .iter()
                    .map(|relation| equation(relation, &values, component))
                    .collect();
                checked.extend(component.iter().copied().zip(outer_ranges(component.len(), &equations)));
            });
            for (cell, outer) in checked {
                let range = range_without_elimination(&values, &relations, &withheld, cell);
                prop_assert!(
                    outer.low <= range.low + 1e-6 && range.high <= outer.high + 1e-6,
                    "cell {cell}: {range:?} outside {outer:?}"
                );
            }
        }

        #[test]
        fn relations_solved_beforehand_leave_every_range_as_it_was(
            (values, relations, withheld) in linked_cells()
        ) {
            for start in [Start::AtTheTruth, Start::AtABound] {
                for (cell, range) in ranges_from(start, &values, &relations, &withheld) {
                    let direct = range_without_elimination(&values, &relations, &withheld, cell);
                    prop_assert!(
                        (range.low - direct.low).abs() < 1e-6,
                        "cell {cell}, {start:?}: {range:?} against {direct:?}"
                    );
                    prop_assert!(
                        range.high == direct.high || (range.high - direct.high).abs() < 1e-6,
                        "cell {cell}, {start:?}: {range:?} against {direct:?}"
                    );
                }
            }
        }
    }
}
