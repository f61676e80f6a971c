//! `qa.html`: the report the team signs the edition off from: the
//! extract's validation and its reconciliation with the control file, the
//! breakdowns that add up (and those that do not, flagged), the suppression
//! audit, and the largest changes on a year earlier. Laid out by
//! `templates/qa.html`; like every output, it shows only published figures.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use tera::Context;

use super::RenderError;
use super::bulletin::EditionDetails;
use super::html::page;
use dtto_ingest::report::IngestSummary;
use dtto_model::format;
use dtto_model::table::Shorthand;
use dtto_protect::disclosure::audit::{self, EditionPart};
use dtto_protect::disclosure::{Protected, ProtectedValue, Withheld};
use dtto_protect::statistics::totals::TotalCheck;

pub const LAYOUT: &str = "qa.html";
/// How many of the largest changes are listed.
const LARGEST_CHANGES: usize = 25;

#[derive(Debug, Serialize)]
struct FileCheck {
    file: String,
    expected: String,
    loaded: String,
    quarantined: String,
    share: String,
    reconciles: bool,
    rules: Vec<(String, String)>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct AuditLine {
    table: String,
    /// The quarter the figure's 12 months end in.
    quarter: String,
    row: String,
    figure: String,
    rule: &'static str,
    reason: String,
}

#[derive(Debug, Serialize)]
struct ChangeLine {
    table: String,
    row: String,
    previous: String,
    current: String,
    points: String,
    significant: bool,
}

pub fn render(
    templates: &Path,
    edition: &EditionDetails,
    ingest: &IngestSummary,
    totals: &[TotalCheck],
    protected: &Protected,
) -> Result<String, RenderError> {
    let mut context = Context::new();
    context.insert("edition", edition);
    context.insert("delivery", &ingest.key);
    context.insert("supplier", &ingest.supplier);
    context.insert("files", &files(ingest));
    context.insert("totals", &breakdown_checks(totals));
    context.insert(
        "totals_flagged",
        &totals.iter().filter(|t| !t.adds_up).count(),
    );
    context.insert("audit", &audit_lines(&protected.audit));
    context.insert("unmended", &audit_lines(&protected.unmended));
    context.insert("disclosure", &disclosure_summary(protected));
    context.insert("lost", &information_lost(protected));
    context.insert("headline_withheld", &headline_withheld(protected));
    context.insert("changes", &largest_changes(protected));
    page(templates, LAYOUT, context)
}

#[derive(Debug, Serialize)]
struct BreakdownCheck {
    table: String,
    breakdown: String,
    groups: usize,
    /// How many combinations of the table's other dimensions were checked.
    checked: usize,
    /// Those whose groups do not add up to the national figure.
    flagged: Vec<String>,
}

/// One line per table and breakdown, those that do not add up first.
fn breakdown_checks(totals: &[TotalCheck]) -> Vec<BreakdownCheck> {
    let mut lines: Vec<BreakdownCheck> = Vec::new();
    for check in totals {
        let same =
            |line: &BreakdownCheck| line.table == check.table && line.breakdown == check.breakdown;
        if !lines.last().is_some_and(same) {
            lines.push(BreakdownCheck {
                table: check.table.clone(),
                breakdown: check.breakdown.clone(),
                groups: 0,
                checked: 0,
                flagged: Vec::new(),
            });
        }
        let Some(line) = lines.last_mut() else {
            continue;
        };
        line.groups = line.groups.max(check.groups);
        line.checked += 1;
        if !check.adds_up {
            line.flagged.push(if check.within.is_empty() {
                "the national figure".to_string()
            } else {
                check.within.clone()
            });
        }
    }
    lines.sort_by_key(|line| line.flagged.is_empty());
    lines
}

fn files(ingest: &IngestSummary) -> Vec<FileCheck> {
    ingest
        .files
        .iter()
        .map(|f| FileCheck {
            file: f.source.clone(),
            expected: format::thousands(f.expected),
            loaded: format::thousands(f.loaded),
            quarantined: format::thousands(f.quarantined),
            share: format!("{:.3}%", f.quarantined_percent()),
            reconciles: f.rows() == f.expected,
            rules: f
                .quarantined_by_rule
                .iter()
                .map(|(rule, rows)| (rule.clone(), format::thousands(*rows)))
                .collect(),
            warnings: f.warnings.clone(),
        })
        .collect()
}

/// A row named by its dimensions: `breakdown=Sex, group=Female`.
fn row_label<'a>(pairs: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    pairs
        .map(|(dimension, group)| format!("{dimension}={group}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn audit_lines(withheld: &[Withheld]) -> Vec<AuditLine> {
    withheld
        .iter()
        .map(|w| AuditLine {
            table: w.table.clone(),
            quarter: w.quarter.to_string(),
            row: row_label(w.dimensions.iter().map(|(d, g)| (d, g))),
            figure: w.figure.name().to_string(),
            rule: w.rule,
            reason: w.reason.clone(),
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct PartSummary {
    part: &'static str,
    by_rule: Vec<(&'static str, usize)>,
    withheld: String,
    figures: String,
}

/// For each part of the edition: how many figures were withheld, by rule,
/// of how many.
fn disclosure_summary(protected: &Protected) -> Vec<PartSummary> {
    EditionPart::ALL
        .into_iter()
        .map(|part| {
            let (by_rule, withheld, figures) = audit::summary(protected, part);
            PartSummary {
                part: part.name(),
                by_rule,
                withheld: format::thousands(withheld as u64),
                figures: format::thousands(figures as u64),
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct LossLine {
    table: String,
    breakdown: String,
    group: String,
    withheld: usize,
    rows: usize,
    share: String,
}

/// What disclosure control cost readers: for each table's series (the
/// period's quarter included) and each group of its breakdowns, how many of
/// its rows show `[c]`, most withheld first. A group withheld in most
/// quarters has lost its trend.
fn information_lost(protected: &Protected) -> Vec<LossLine> {
    let mut lines = Vec::new();
    for table in &protected.series {
        let Some((b, g)) = table.dimensions().breakdown_and_group() else {
            continue;
        };
        // (withheld, rows) by breakdown and group.
        let mut groups: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
        for row in table.rows() {
            let key = (row.groups()[b].as_str(), row.groups()[g].as_str());
            let tally = groups.entry(key).or_default();
            tally.0 += usize::from(row.marks().contains(&Shorthand::Confidential));
            tally.1 += 1;
        }
        for ((breakdown, group), (withheld, rows)) in groups {
            if withheld > 0 {
                lines.push(LossLine {
                    table: table.metadata().id.clone(),
                    breakdown: breakdown.to_string(),
                    group: group.to_string(),
                    withheld,
                    rows,
                    share: format::percent(withheld as f64 / rows as f64),
                });
            }
        }
    }
    lines.sort_by(|a, b| (b.withheld * a.rows).cmp(&(a.withheld * b.rows)));
    lines
}

/// The share of the headline tables' rates for the period that are
/// withheld, as words.
fn headline_withheld(protected: &Protected) -> String {
    let rates: Vec<bool> = protected
        .tables
        .iter()
        .filter(|t| t.metadata().headline)
        .flat_map(|t| t.rows())
        .filter_map(|row| match row.value() {
            ProtectedValue::Rate(rate) => Some(rate.estimate().is_withheld()),
            _ => None,
        })
        .collect();
    let withheld = rates.iter().filter(|&&w| w).count();
    format!(
        "{} of the {} rates of the headline tables for the reference year ({})",
        format::thousands(withheld as u64),
        format::thousands(rates.len() as u64),
        format::percent(withheld as f64 / rates.len().max(1) as f64)
    )
}

/// The published rates that moved most on a year earlier, largest first.
fn largest_changes(protected: &Protected) -> Vec<ChangeLine> {
    let mut changes: Vec<(f64, ChangeLine)> = Vec::new();
    for table in &protected.tables {
        for row in table.rows() {
            let ProtectedValue::Rate(rate) = row.value() else {
                continue;
            };
            let (Some(change), Some(Some((current, _)))) = (rate.change(), rate.estimate().value())
            else {
                continue;
            };
            let previous = change.previous_numerator as f64 / change.previous_denominator as f64;
            changes.push((
                change.difference.abs(),
                ChangeLine {
                    table: table.metadata().id.clone(),
                    row: row_label(table.dimensions().iter().zip(row.groups())),
                    previous: format::percent(previous),
                    current: format::percent(current),
                    points: format::points(change.difference),
                    significant: change.significant,
                },
            ));
        }
    }
    changes.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.table.cmp(&b.1.table))
            .then_with(|| a.1.row.cmp(&b.1.row))
    });
    changes
        .into_iter()
        .take(LARGEST_CHANGES)
        .map(|(_, line)| line)
        .collect()
}
