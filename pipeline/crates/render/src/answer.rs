//! An answer to a request, as a short page and a PDF: the question, the
//! answer in a sentence made from the figures, its tables, what they
//! count, where they come from, and the shorthand. The page designs are
//! `templates/answer.html` and `templates/answer.typ`; the body is made
//! here, once, for both.

use std::path::Path;

use serde::Serialize;
use tera::Context;

use super::RenderError;
use super::bulletin::Part;
use super::display::{Detail, lay_out};
use super::document::{Inline, Prose};
use super::{html, pdf};
use dtto_model::format::{lower_first, percent, thousands};
use dtto_model::period::Period;
use dtto_model::table::{Shorthand, is_all};
use dtto_protect::disclosure::{ProtectedRow, ProtectedTable, ProtectedValue, Shown};

pub const HTML_LAYOUT: &str = "answer.html";
pub const PDF_LAYOUT: &str = "answer.typ";

/// A table of the answer as published, and the quarter whose 12 months it
/// counts.
#[derive(Debug, Clone, Copy)]
pub struct AnswerShown<'a> {
    pub table: &'a ProtectedTable,
    pub quarter: Period,
    /// The title of the published table whose measure it counts.
    pub repeats: &'a str,
}

/// What the answer's page says.
#[derive(Debug, Clone)]
pub struct AnswerPage<'a> {
    pub id: String,
    pub question: String,
    pub asked_by: String,
    /// `Parliamentary Question`.
    pub kind: String,
    /// The date it is due, in words.
    pub due: String,
    /// The edition it is answered from.
    pub edition: Period,
    pub source: String,
    /// The day it was released, in words; a draft's is `None`.
    pub released: Option<String>,
    pub threshold: u64,
    pub tables: Vec<AnswerShown<'a>>,
}

/// What the templates are told, beside the body.
#[derive(Serialize)]
struct Details<'a> {
    id: &'a str,
    question: &'a str,
    asked_by: &'a str,
    kind: &'a str,
    due: &'a str,
    edition: String,
    source: &'a str,
    released: Option<&'a str>,
    sentence: String,
    withheld: Option<String>,
}

impl AnswerPage<'_> {
    /// The answer in one sentence, from the first group asked about in the
    /// first table: its figures, or that they are withheld and why.
    pub fn sentence(&self) -> String {
        let Some(shown) = self.tables.first() else {
            return "The request asks for no figure.".to_string();
        };
        let table = shown.table;
        let Some(row) = first_asked(table) else {
            return "No group asked about has a figure.".to_string();
        };
        let metadata = table.metadata();
        let cohort = lower_first(&metadata.cohort_in(shown.quarter));
        let groups = groups_in_words(table, row);
        let among = if groups.is_empty() {
            cohort.clone()
        } else {
            format!("{cohort} ({groups})")
        };
        let withheld = format!(
            "The figure for {among} is withheld ([c]): it counts fewer than {} people, or would \
             let such a count be worked out from it together with figures already published.",
            self.threshold
        );
        match row.value() {
            ProtectedValue::Count(Shown::Value(n)) => format!(
                "{}: {} for {among}.",
                metadata.count.as_deref().unwrap_or("Count"),
                thousands(*n)
            ),
            ProtectedValue::Rate(rate) => {
                match (rate.numerator(), rate.denominator(), rate.estimate()) {
                    (Shown::Value(n), Shown::Value(d), Shown::Value(Some((r, _)))) => format!(
                        "Of {} {among}, {} ({}) were {}.",
                        thousands(d),
                        thousands(n),
                        percent(r),
                        lower_first(metadata.numerator.as_deref().unwrap_or("counted"))
                    ),
                    (_, Shown::Value(0), _) => format!("There were none among {among}."),
                    _ => withheld,
                }
            }
            ProtectedValue::Mean(mean) => match (mean.total(), mean.denominator(), mean.mean()) {
                (Shown::Value(t), Shown::Value(d), Shown::Value(Some(m))) => format!(
                    "{} {among} had {} {} between them, {m:.2} each on average.",
                    thousands(d),
                    thousands(t),
                    lower_first(metadata.numerator.as_deref().unwrap_or("in total"))
                ),
                (_, Shown::Value(0), _) => format!("There were none among {among}."),
                _ => withheld,
            },
            ProtectedValue::Count(Shown::Withheld) => withheld,
        }
    }

    /// Which figures asked for are withheld, in words a minister can read;
    /// `None` when none is.
    pub fn withheld(&self) -> Option<String> {
        let groups: Vec<String> = self
            .tables
            .iter()
            .flat_map(|shown| {
                shown
                    .table
                    .rows()
                    .iter()
                    .filter(|row| row.marks().contains(&Shorthand::Confidential))
                    .map(|row| groups_in_words(shown.table, row))
            })
            .map(|words| {
                if words.is_empty() {
                    "everyone".to_string()
                } else {
                    words
                }
            })
            .collect();
        if groups.is_empty() {
            return None;
        }
        Some(format!(
            "Some figures are withheld, shown [c]: those for {}. Each either counts fewer than {} \
             people, or would let such a count be worked out by subtraction, from this answer \
             together with the figures already published.",
            groups.join("; "),
            self.threshold
        ))
    }

    fn details(&self) -> Details<'_> {
        Details {
            id: &self.id,
            question: &self.question,
            asked_by: &self.asked_by,
            kind: &self.kind,
            due: &self.due,
            edition: self.edition.to_string(),
            source: &self.source,
            released: self.released.as_deref(),
            sentence: self.sentence(),
            withheld: self.withheld(),
        }
    }

    /// The body after the question and the sentence: each table, what it
    /// counts, what is withheld, the source and the shorthand.
    fn parts(&self) -> Vec<Part> {
        let text = |t: String| vec![Inline::Text(t)];
        let heading = |id: &str, title: String| {
            Part::Prose(Prose::Heading {
                level: 2,
                id: id.to_string(),
                content: text(title),
            })
        };
        let paragraph = |t: String| Part::Prose(Prose::Paragraph(text(t)));
        let mut parts = Vec::new();
        let mut definitions = Vec::new();
        for (n, shown) in self.tables.iter().enumerate() {
            let table = shown.table;
            let metadata = table.metadata();
            let data = lay_out(table, Detail::Series, |_| true);
            parts.push(Part::Table {
                id: format!("table-{}", n + 1),
                caption: format!(
                    "Table {}: {}, {}",
                    n + 1,
                    metadata.title,
                    shown.quarter.year_ending_words()
                ),
                data,
            });
            let mut words = vec![format!(
                "Table {}: {}.",
                n + 1,
                metadata.counted_in(shown.quarter)
            )];
            if let (Some(numerator), Some(denominator)) =
                (&metadata.numerator, &metadata.denominator)
            {
                words.push(format!(
                    "Counted: {numerator}, of {}.",
                    lower_first(denominator)
                ));
            }
            words.extend(metadata.notes.iter().cloned());
            words.push(format!(
                "Defined as in the published table \u{201c}{}\u{201d}, for the groups asked about.",
                shown.repeats
            ));
            definitions.push(text(words.join(" ")));
        }
        parts.push(heading("definitions", "Definitions".to_string()));
        parts.push(Part::Prose(Prose::List(definitions)));
        parts.push(heading(
            "confidentiality",
            "Confidentiality and shorthand".to_string(),
        ));
        parts.push(paragraph(format!(
            "No figure here can identify fewer than {} people, directly or by subtraction from \
             this answer, the edition of {} or any answer released before it. Where one could, it \
             is withheld, with other figures withheld alongside it where needed.",
            self.threshold, self.edition
        )));
        parts.push(Part::Prose(Prose::List(vec![
            text("[c] confidential: withheld to protect the people it describes.".to_string()),
            text("[u] low reliability: the rate rests on a small number.".to_string()),
            text("[x] not available.".to_string()),
            text("[z] not applicable: there is nothing to divide by.".to_string()),
        ])));
        parts.push(heading("source", "Source".to_string()));
        parts.push(paragraph(format!("{}.", self.source)));
        parts
    }
}

/// The first row of groups asked about: one that is not all totals, or
/// the totals where there is no other.
fn first_asked(table: &ProtectedTable) -> Option<&ProtectedRow> {
    let rows = table.rows();
    rows.iter()
        .find(|row| row.groups().iter().any(|g| !is_all(g)))
        .or_else(|| rows.first())
}

/// `Sex: Female, Age band: 18-20`; empty for the totals.
fn groups_in_words(table: &ProtectedTable, row: &ProtectedRow) -> String {
    table
        .dimensions()
        .iter()
        .zip(row.groups())
        .filter(|(_, g)| !is_all(g))
        .map(|(d, g)| format!("{d}: {g}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answer's page: `templates/answer.html` around its body.
pub fn html(page: &AnswerPage, templates: &Path) -> Result<String, RenderError> {
    let mut context = Context::new();
    context.insert("answer", &page.details());
    context.insert("body", &html::body(&page.parts()));
    html::page(templates, HTML_LAYOUT, context)
}

/// The answer's PDF, tagged PDF/UA-1, dated `date`.
pub fn pdf(
    page: &AnswerPage,
    templates: &Path,
    date: chrono::NaiveDate,
) -> Result<Vec<u8>, RenderError> {
    let mut context = pdf::dated(date);
    context.insert("answer", &page.details());
    context.insert("body", &pdf::body(&page.parts()));
    pdf::typeset(
        &templates.join(PDF_LAYOUT),
        &context,
        format!("dtto-answer-{}", page.id),
        &[],
    )
}
