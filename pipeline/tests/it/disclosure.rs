//! Disclosure control against an independent checker.
//!
//! Random tables, one-way and two-way, several breakdowns sharing one
//! national total, are suppressed by `dtto_protect::disclosure::suppression`. The
//! checker here knows nothing of how cells were chosen: for every withheld
//! cell it searches, exhaustively over whole numbers, which values the cell
//! could take given every published figure. The range must hold more than
//! one value and must not lie inside 1..threshold-1.

use dtto_protect::disclosure::suppression::{
    Budget, CellKinds, Complements, Relation, Rules, suppress,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const THRESHOLD: u64 = 5;

/// Breakdowns (blocks) of one national total, each a grid of groups (rows)
/// by a second dimension (columns), with row totals; the column totals and
/// the grand total are shared by every block. A one-way table is a grid of
/// one column.
#[derive(Debug, Clone)]
struct Layout {
    /// blocks[k][r][c]
    blocks: Vec<Vec<Vec<u64>>>,
}

/// Where each figure of a layout sits in the cell vector.
struct Cells {
    values: Vec<u64>,
    relations: Vec<Relation>,
    interior: Vec<Vec<Vec<usize>>>,
    row_totals: Vec<Vec<usize>>,
    column_totals: Vec<usize>,
    grand_total: usize,
}

impl Layout {
    fn columns(&self) -> usize {
        self.blocks[0][0].len()
    }

    fn cells(&self) -> Cells {
        let mut values = Vec::new();
        let mut push = |v: u64| {
            values.push(v);
            values.len() - 1
        };
        let columns = self.columns();
        let interior: Vec<Vec<Vec<usize>>> = self
            .blocks
            .iter()
            .map(|b| {
                b.iter()
                    .map(|r| r.iter().map(|&v| push(v)).collect())
                    .collect()
            })
            .collect();
        let row_totals: Vec<Vec<usize>> = self
            .blocks
            .iter()
            .map(|b| b.iter().map(|r| push(r.iter().sum())).collect())
            .collect();
        let column_totals: Vec<usize> = (0..columns)
            .map(|c| push(self.blocks[0].iter().map(|r| r[c]).sum()))
            .collect();
        let grand = self.blocks[0].iter().flatten().sum();
        let grand_total = push(grand);
        let mut relations = Vec::new();
        for (k, block) in interior.iter().enumerate() {
            for (r, row) in block.iter().enumerate() {
                relations.push(Relation {
                    parts: row.clone(),
                    total: row_totals[k][r],
                });
            }
            for (c, &total) in column_totals.iter().enumerate() {
                relations.push(Relation {
                    parts: block.iter().map(|row| row[c]).collect(),
                    total,
                });
            }
            relations.push(Relation {
                parts: row_totals[k].clone(),
                total: grand_total,
            });
        }
        relations.push(Relation {
            parts: column_totals.clone(),
            total: grand_total,
        });
        Cells {
            values,
            relations,
            interior,
            row_totals,
            column_totals,
            grand_total,
        }
    }
}

/// A figure a reader sees, or `None` when it is withheld.
type Seen = Vec<Option<u64>>;

/// A position in the interior: (block, row, column).
type At = (usize, usize, usize);

/// A line of interior cells and the total the reader sees for it, if any.
struct Line {
    cells: Vec<At>,
    total: Option<u64>,
}

/// Can the interior be filled with whole numbers agreeing with every seen
/// figure? Exhaustive depth-first search: each unknown cell runs from 0 to
/// what the seen totals of its lines leave room for.
fn feasible(layout: &Layout, cells: &Cells, seen: &Seen) -> bool {
    let columns = layout.columns();
    let mut lines = Vec::new();
    for (k, block) in layout.blocks.iter().enumerate() {
        for r in 0..block.len() {
            lines.push(Line {
                cells: (0..columns).map(|c| (k, r, c)).collect(),
                total: seen[cells.row_totals[k][r]],
            });
        }
        for c in 0..columns {
            lines.push(Line {
                cells: (0..block.len()).map(|r| (k, r, c)).collect(),
                total: seen[cells.column_totals[c]],
            });
        }
        lines.push(Line {
            cells: (0..block.len())
                .flat_map(|r| (0..columns).map(move |c| (k, r, c)))
                .collect(),
            total: seen[cells.grand_total],
        });
    }
    let mut grid: Vec<Vec<Vec<Option<u64>>>> = cells
        .interior
        .iter()
        .map(|b| {
            b.iter()
                .map(|r| r.iter().map(|&c| seen[c]).collect())
                .collect()
        })
        .collect();
    let unknown: Vec<At> = lines
        .iter()
        .flat_map(|l| l.cells.iter().copied())
        .filter(|&(k, r, c)| grid[k][r][c].is_none())
        .fold(Vec::new(), |mut acc, at| {
            if !acc.contains(&at) {
                acc.push(at);
            }
            acc
        });
    let cap = cells.values[cells.grand_total] + THRESHOLD;
    search(layout, &lines, &unknown, cap, &mut grid)
}

fn search(
    layout: &Layout,
    lines: &[Line],
    unknown: &[At],
    cap: u64,
    grid: &mut Vec<Vec<Vec<Option<u64>>>>,
) -> bool {
    let Some((&(k, r, c), rest)) = unknown.split_first() else {
        return complete_and_agreeing(layout, lines, grid);
    };
    let mut high = cap;
    let mut forced = None;
    for line in lines.iter().filter(|l| l.cells.contains(&(k, r, c))) {
        let Some(total) = line.total else { continue };
        let others: Vec<Option<u64>> = line
            .cells
            .iter()
            .filter(|&&at| at != (k, r, c))
            .map(|&(k, r, c)| grid[k][r][c])
            .collect();
        let assigned: u64 = others.iter().flatten().sum();
        let Some(room) = total.checked_sub(assigned) else {
            return false;
        };
        high = high.min(room);
        if others.iter().all(Option::is_some) {
            if forced.is_some_and(|f| f != room) {
                return false;
            }
            forced = Some(room);
        }
    }
    let candidates = match forced {
        Some(v) if v <= high => v..=v,
        Some(_) => return false,
        None => 0..=high,
    };
    for v in candidates {
        grid[k][r][c] = Some(v);
        if search(layout, lines, rest, cap, grid) {
            grid[k][r][c] = None;
            return true;
        }
    }
    grid[k][r][c] = None;
    false
}

/// Every line matches its seen total, and the blocks agree on the column
/// totals and grand total they share, seen or not.
fn complete_and_agreeing(layout: &Layout, lines: &[Line], grid: &[Vec<Vec<Option<u64>>>]) -> bool {
    let sum = |cells: &[At]| -> u64 {
        cells
            .iter()
            .map(|&(k, r, c)| grid[k][r][c].unwrap_or(0))
            .sum()
    };
    if !lines
        .iter()
        .all(|l| l.total.is_none_or(|t| sum(&l.cells) == t))
    {
        return false;
    }
    let columns = layout.columns();
    let block_column = |k: usize, c: usize| -> u64 {
        (0..layout.blocks[k].len())
            .map(|r| grid[k][r][c].unwrap_or(0))
            .sum()
    };
    (1..layout.blocks.len()).all(|k| (0..columns).all(|c| block_column(k, c) == block_column(0, c)))
}

/// Whether `cell` could hold `value` given what is seen.
fn could_be(layout: &Layout, cells: &Cells, seen: &Seen, cell: usize, value: u64) -> bool {
    let mut assumed = seen.clone();
    assumed[cell] = Some(value);
    feasible(layout, cells, &assumed)
}

/// The checker's verdict on one withheld cell: another value is possible,
/// and so is a value outside 1..threshold-1.
fn protected(layout: &Layout, cells: &Cells, seen: &Seen, cell: usize) -> bool {
    let actual = cells.values[cell];
    let cap = cells.values[cells.grand_total] + THRESHOLD;
    let small = |v: u64| (1..THRESHOLD).contains(&v);
    let mut another = false;
    let mut not_small = !small(actual);
    for v in std::iter::once(0)
        .chain(THRESHOLD..=cap)
        .chain(1..THRESHOLD)
    {
        if v == actual || (another && not_small) {
            continue;
        }
        if could_be(layout, cells, seen, cell, v) {
            another = true;
            not_small |= !small(v);
        }
    }
    another && not_small
}

/// Tables of 1 to `blocks` breakdowns.
fn layouts(blocks: usize) -> impl Strategy<Value = Layout> {
    // Mostly small counts, so that suppression has work to do.
    let value = prop_oneof![3 => 0u64..5, 2 => 5u64..12];
    (1usize..=blocks, 1usize..=3, 2usize..=3).prop_flat_map(move |(blocks, columns, rows)| {
        let value = value.clone();
        // The first block fixes the column totals; later blocks are shuffles
        // of the same column totals into different groups.
        proptest::collection::vec(proptest::collection::vec(value, columns), rows).prop_flat_map(
            move |first| {
                let columns_total: Vec<u64> = (0..columns)
                    .map(|c| first.iter().map(|r| r[c]).sum())
                    .collect();
                proptest::collection::vec(split_columns(columns_total.clone(), rows), blocks - 1)
                    .prop_map(move |others| {
                        let mut blocks = vec![first.clone()];
                        blocks.extend(others);
                        Layout { blocks }
                    })
            },
        )
    })
}

/// Another breakdown of the same column totals into `rows` groups.
fn split_columns(totals: Vec<u64>, rows: usize) -> impl Strategy<Value = Vec<Vec<u64>>> {
    let cuts: Vec<_> = totals
        .iter()
        .map(|&t| proptest::collection::vec(0..=t, rows - 1))
        .collect();
    cuts.prop_map(move |cuts| {
        let mut grid = vec![vec![0; totals.len()]; rows];
        for (c, mut points) in cuts.into_iter().enumerate() {
            points.sort_unstable();
            let mut previous = 0;
            for (r, point) in points.iter().chain([&totals[c]]).enumerate() {
                grid[r][c] = point - previous;
                previous = *point;
            }
        }
        grid
    })
}

/// The guarantees, checked exhaustively on every withheld cell.
fn check_guarantees(layout: &Layout, budget: &Budget) -> Result<(), TestCaseError> {
    let cells = layout.cells();
    let withheld = suppress(
        &cells.values,
        &cells.relations,
        &[],
        &CellKinds::published(cells.values.len()),
        Rules {
            threshold: THRESHOLD,
            complements: Complements::default(),
        },
        budget,
    )
    .withheld;
    let seen: Seen = cells
        .values
        .iter()
        .zip(&withheld)
        .map(|(&v, w)| w.is_none().then_some(v))
        .collect();
    for v in seen.iter().flatten() {
        prop_assert!(!(1..THRESHOLD).contains(v), "published {v}");
    }
    for (cell, rule) in withheld.iter().enumerate() {
        if rule.is_some() {
            prop_assert!(
                protected(layout, &cells, &seen, cell),
                "cell {cell} ({}) can be recovered; withheld {:?}",
                cells.values[cell],
                withheld
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(dtto_testing::deterministic(300, 1024))]

    #[test]
    fn no_published_count_is_small_and_no_withheld_count_can_be_recovered(layout in layouts(2)) {
        check_guarantees(&layout, &Budget::new(u64::MAX))?;
    }

    /// Budgets so small that suppression falls back to withholding whole
    /// linked sets. One breakdown per table: with every figure of two
    /// withheld, the checker's search would take hours.
    #[test]
    fn out_of_budget_no_withheld_count_can_be_recovered(
        layout in layouts(1),
        unknowns in 0u64..40,
    ) {
        check_guarantees(&layout, &Budget::new(unknowns))?;
    }
}

#[test]
fn the_checker_finds_a_lone_withheld_cell() {
    // Groups 3 and 9 of 12: withholding only the 3 gives it away.
    let layout = Layout {
        blocks: vec![vec![vec![3], vec![9]]],
    };
    let cells = layout.cells();
    let mut seen: Seen = cells.values.iter().map(|&v| Some(v)).collect();
    // With one column, each group's row total repeats it: withhold both.
    let three = cells.interior[0][0][0];
    seen[three] = None;
    seen[cells.row_totals[0][0]] = None;
    assert!(!protected(&layout, &cells, &seen, three));
    seen[cells.interior[0][1][0]] = None;
    seen[cells.row_totals[0][1]] = None;
    assert!(protected(&layout, &cells, &seen, three));
}
