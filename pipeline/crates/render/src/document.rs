//! The bulletin as blocks, read from the Markdown the words render to:
//! headings, paragraphs, lists, and the charts and tables the directives
//! place. HTML and PDF are both drawn from these blocks, so they say the
//! same thing in the same order.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::words::{CHART_DIRECTIVE, TABLE_DIRECTIVE, TREND_DIRECTIVE};

#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Link { url: String, content: Vec<Inline> },
}

/// Words as the Markdown gives them, and as the bulletin keeps them.
#[derive(Debug, Clone, PartialEq)]
pub enum Prose {
    /// Level 2 or 3: level 1 is the bulletin's title.
    Heading {
        level: u8,
        id: String,
        content: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Prose(Prose),
    /// A table's chart, followed by its data; titled by its message, when
    /// the words give one.
    Chart {
        table: String,
        message: Option<String>,
    },
    /// A rate's national series as a line, followed by its data.
    Trend {
        table: String,
        message: Option<String>,
    },
    /// A table's rows for the named breakdowns (all rows when none), and of
    /// those the rows with the given value in each dimension of `rows`.
    Table {
        table: String,
        breakdowns: Vec<String>,
        rows: Vec<(String, String)>,
    },
}

/// Plain text of inlines, for ids and directives.
pub(crate) fn plain(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => text.clone(),
            Inline::Strong(inner) | Inline::Emphasis(inner) => plain(inner),
            Inline::Link { content, .. } => plain(content),
        })
        .collect()
}

/// `Key points` as `key-points`.
fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// Why the bulletin's Markdown cannot be laid out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MarkdownError {
    #[error("heading `{text}` is {level}: the bulletin's sections use ## and ###")]
    Heading { text: String, level: String },
    /// Markdown the bulletin does not use, as the parser names it.
    #[error("the bulletin template uses Markdown it cannot: {0}")]
    Unsupported(String),
    #[error("text outside a paragraph: {0}")]
    OutsideParagraph(String),
    #[error("a table's rows are dimension=value, not `{0}`")]
    TableRow(String),
}

/// Reads the Markdown; anything the bulletin does not use (images, code,
/// raw HTML, tables, level 1 or 4+ headings) is refused with what it was.
pub(crate) fn parse(markdown: &str) -> Result<Vec<Block>, MarkdownError> {
    let mut blocks = Vec::new();
    // Inlines being collected, innermost last.
    let mut stack: Vec<Vec<Inline>> = Vec::new();
    let mut items: Option<Vec<Vec<Inline>>> = None;
    let mut links: Vec<String> = Vec::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::Item) => {
                stack.push(Vec::new())
            }
            Event::Start(Tag::Strong | Tag::Emphasis) => stack.push(Vec::new()),
            Event::Start(Tag::Link { dest_url, .. }) => {
                links.push(dest_url.to_string());
                stack.push(Vec::new());
            }
            Event::Start(Tag::List(_)) => items = Some(Vec::new()),
            Event::End(TagEnd::List(_)) => {
                blocks.push(Block::Prose(Prose::List(items.take().unwrap_or_default())))
            }
            Event::End(TagEnd::Item) => {
                let item = stack.pop().unwrap_or_default();
                items.get_or_insert_with(Vec::new).push(item);
            }
            Event::End(TagEnd::Paragraph) => {
                let content = stack.pop().unwrap_or_default();
                if items.is_some() {
                    // A loose list's item holds a paragraph: keep its text.
                    if let Some(item) = stack.last_mut() {
                        item.extend(content);
                    }
                } else {
                    blocks.push(paragraph(content)?);
                }
            }
            Event::End(TagEnd::Heading(level)) => {
                let content = stack.pop().unwrap_or_default();
                let level = match level {
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    other => {
                        return Err(MarkdownError::Heading {
                            text: plain(&content),
                            level: format!("{other:?}"),
                        });
                    }
                };
                blocks.push(Block::Prose(Prose::Heading {
                    level,
                    id: slug(&plain(&content)),
                    content,
                }));
            }
            Event::End(TagEnd::Strong) => close(&mut stack, Inline::Strong)?,
            Event::End(TagEnd::Emphasis) => close(&mut stack, Inline::Emphasis)?,
            Event::End(TagEnd::Link) => {
                let url = links.pop().unwrap_or_default();
                close(&mut stack, |content| Inline::Link { url, content })?;
            }
            Event::Text(text) => push(&mut stack, Inline::Text(text.to_string()))?,
            Event::SoftBreak | Event::HardBreak => push(&mut stack, Inline::Text(" ".into()))?,
            other => return Err(MarkdownError::Unsupported(format!("{other:?}"))),
        }
    }
    Ok(blocks)
}

fn push(stack: &mut [Vec<Inline>], inline: Inline) -> Result<(), MarkdownError> {
    let Some(top) = stack.last_mut() else {
        return Err(MarkdownError::OutsideParagraph(format!("{inline:?}")));
    };
    // Neighbouring text pieces are one run: a directive is read whole.
    if let (Some(Inline::Text(previous)), Inline::Text(text)) = (top.last_mut(), &inline) {
        previous.push_str(text);
    } else {
        top.push(inline);
    }
    Ok(())
}

fn close(
    stack: &mut Vec<Vec<Inline>>,
    wrap: impl FnOnce(Vec<Inline>) -> Inline,
) -> Result<(), MarkdownError> {
    let inner = stack.pop().unwrap_or_default();
    push(stack, wrap(inner))
}

/// A paragraph, or the chart or table a directive line places.
fn paragraph(content: Vec<Inline>) -> Result<Block, MarkdownError> {
    let text = plain(&content);
    let text = text.trim();
    // `id` or `id | message`.
    let placed = |rest: &str| {
        let (table, message) = rest.split_once('|').unwrap_or((rest, ""));
        let message = message.trim();
        (
            table.trim().to_string(),
            (!message.is_empty()).then(|| message.to_string()),
        )
    };
    if let Some(rest) = text.strip_prefix(CHART_DIRECTIVE) {
        let (table, message) = placed(rest);
        return Ok(Block::Chart { table, message });
    }
    if let Some(rest) = text.strip_prefix(TREND_DIRECTIVE) {
        let (table, message) = placed(rest);
        return Ok(Block::Trend { table, message });
    }
    if let Some(rest) = text.strip_prefix(TABLE_DIRECTIVE) {
        // `id: breakdown; breakdown | dimension=value; dimension=value`
        let (table, rest) = rest.split_once(':').unwrap_or((rest, ""));
        let (breakdowns, rows) = rest.split_once('|').unwrap_or((rest, ""));
        let items = |list: &str| -> Vec<String> {
            list.split(';')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_string)
                .collect()
        };
        let rows = items(rows)
            .iter()
            .map(|row| {
                row.split_once('=')
                    .map(|(dimension, value)| {
                        (dimension.trim().to_string(), value.trim().to_string())
                    })
                    .ok_or_else(|| MarkdownError::TableRow(row.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Block::Table {
            table: table.trim().to_string(),
            breakdowns: items(breakdowns),
            rows,
        });
    }
    Ok(Block::Prose(Prose::Paragraph(content)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_blocks() {
        let blocks = parse(
            "## Key points\n\nThe rate **rose** from *a* to [b](#x).\n\n- one\n- two\n\n\
             @chart completion_rate\n\n@table completion_rate: Age band; Sex\n\n\
             @table commencements_against_target: | area=All areas; financial_year=2004\\-05\n",
        )
        .unwrap();
        assert_eq!(
            blocks,
            vec![
                Block::Prose(Prose::Heading {
                    level: 2,
                    id: "key-points".into(),
                    content: vec![Inline::Text("Key points".into())]
                }),
                Block::Prose(Prose::Paragraph(vec![
                    Inline::Text("The rate ".into()),
                    Inline::Strong(vec![Inline::Text("rose".into())]),
                    Inline::Text(" from ".into()),
                    Inline::Emphasis(vec![Inline::Text("a".into())]),
                    Inline::Text(" to ".into()),
                    Inline::Link {
                        url: "#x".into(),
                        content: vec![Inline::Text("b".into())]
                    },
                    Inline::Text(".".into()),
                ])),
                Block::Prose(Prose::List(vec![
                    vec![Inline::Text("one".into())],
                    vec![Inline::Text("two".into())]
                ])),
                Block::Chart {
                    table: "completion_rate".into(),
                    message: None,
                },
                Block::Table {
                    table: "completion_rate".into(),
                    breakdowns: vec!["Age band".into(), "Sex".into()],
                    rows: vec![]
                },
                Block::Table {
                    table: "commencements_against_target".into(),
                    breakdowns: vec![],
                    rows: vec![
                        ("area".into(), "All areas".into()),
                        ("financial_year".into(), "2004-05".into())
                    ]
                },
            ]
        );
    }

    #[test]
    fn markdown_the_bulletin_cannot_show_is_refused() {
        assert!(parse("# Title\n").is_err());
        assert!(parse("<div>raw</div>\n").is_err());
        assert!(parse("```\ncode\n```\n").is_err());
        assert!(parse("@table retention: | Sex\n").is_err());
    }
}
