//! `bulletin.pdf`: the same parts as the HTML, set by typst (embedded as a
//! library) into a tagged PDF/UA-1 document with its title, language,
//! the embedded typeface, charts as vectors with their alt text, and real
//! tables with header rows. The page design is `templates/bulletin.typ`;
//! its date is the period's end, so the bytes do not change between runs.

use std::collections::HashMap;
use std::path::Path;

use tera::{Context, Tera, Value};
use typst::foundations::Smart;
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use super::RenderError;
use super::bulletin::{Bulletin, Part};
use super::charts::Chart;
use super::display::DisplayTable;
use super::document::{Inline, Prose};
use super::fonts;
use super::words::describe;

pub const LAYOUT: &str = "bulletin.typ";

/// Text as typst markup: every ASCII punctuation mark escaped, so text
/// from the extract or the words can never become markup.
pub fn markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as a typst string literal's contents.
fn string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn render(
    bulletin: &Bulletin,
    templates: &Path,
    date: chrono::NaiveDate,
) -> Result<Vec<u8>, RenderError> {
    let mut context = dated(date);
    context.insert("edition", &bulletin.edition);
    context.insert("body", &body(&bulletin.parts));
    let charts: Vec<(String, Vec<u8>)> = bulletin
        .charts()
        .map(|chart| {
            (
                format!("charts/{}.svg", chart.id),
                chart.svg.clone().into_bytes(),
            )
        })
        .collect();
    let ident = format!("dtto-bulletin-{}", bulletin.edition.period);
    typeset(&templates.join(LAYOUT), &context, ident, &charts)
}

/// A context with the document's date, for its metadata.
pub(crate) fn dated(date: chrono::NaiveDate) -> Context {
    use chrono::Datelike;
    let mut context = Context::new();
    context.insert("year", &date.year());
    context.insert("month", &date.month());
    context.insert("day", &date.day());
    context
}

/// The layout template at `layout`, rendered with `context` (its values
/// escaped by the `markup` and `string` filters), set by typst into a
/// tagged PDF/UA-1 document; `files`: the images it places, by path.
pub(crate) fn typeset(
    layout: &Path,
    context: &Context,
    ident: String,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, RenderError> {
    let source = source(layout, context)?;
    let engine = TypstEngine::builder()
        .main_file(source)
        .fonts(fonts::ALL)
        .with_static_file_resolver(
            files
                .iter()
                .map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
        )
        .build();
    let document: PagedDocument = engine
        .compile()
        .output
        .map_err(|e| RenderError::template(layout, format!("typst: {e}")))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident),
        standards: PdfStandards::new(&[PdfStandard::Ua_1])
            .map_err(|e| RenderError::template(layout, e.message()))?,
        ..PdfOptions::default()
    };
    // PDF/UA-1 refuses what the layout left out (alt text, a title, ...).
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
        RenderError::template(layout, format!("PDF/UA-1: {}", messages.join("; ")))
    })
}

/// The typst source: the layout template rendered with `context`.
fn source(path: &Path, context: &Context) -> Result<String, RenderError> {
    let layout = std::fs::read_to_string(path).map_err(|e| RenderError::template(path, e))?;
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    tera.register_filter("markup", text_filter(markup));
    tera.register_filter("string", text_filter(string));
    let failed = |e: tera::Error| RenderError::template(path, describe(&e));
    let name = path
        .file_name()
        .map_or_else(|| LAYOUT.to_string(), |n| n.to_string_lossy().into_owned());
    tera.add_raw_template(&name, &layout).map_err(failed)?;
    tera.render(&name, context).map_err(failed)
}

fn text_filter(
    escape: fn(&str) -> String,
) -> impl Fn(&Value, &HashMap<String, Value>) -> tera::Result<Value> + Send + Sync {
    move |value, _| match value {
        Value::String(text) => Ok(Value::String(escape(text))),
        other => Ok(Value::String(escape(&other.to_string()))),
    }
}

pub(crate) fn body(parts: &[Part]) -> String {
    let mut typst = String::new();
    for part in parts {
        match part {
            Part::Prose(Prose::Heading { level, id, content }) => typst.push_str(&format!(
                "#heading(level: {level})[{}] <{id}>\n\n",
                inlines(content)
            )),
            Part::Prose(Prose::Paragraph(content)) => {
                typst.push_str(&format!("{}\n\n", inlines(content)))
            }
            Part::Prose(Prose::List(items)) => {
                for item in items {
                    typst.push_str(&format!("- {}\n", inlines(item)));
                }
                typst.push('\n');
            }
            Part::Figure {
                caption,
                subtitle,
                chart,
                data,
                ..
            } => {
                // A chart titled by its message says what it shows under it.
                let title = match subtitle {
                    Some(subtitle) => format!(
                        "{} \\ #text(weight: \"regular\", fill: rgb(\"#505a5f\"))[{}]",
                        markup(caption),
                        markup(subtitle)
                    ),
                    None => markup(caption),
                };
                let image = format!(
                    "image(\"charts/{}.svg\", alt: \"{}\", width: {:.1}cm)",
                    chart.id,
                    string(&chart.alt),
                    chart_width(chart),
                );
                let layout = if tall(chart) { "tall-chart" } else { "chart" };
                typst.push_str(&format!("#{layout}(\n  {image},\n  [{title}],\n)\n\n"));
                let data_caption = match subtitle {
                    Some(subtitle) => format!("Data for {caption}: {subtitle}"),
                    None => format!("Data for {caption}"),
                };
                typst.push_str(&table(&data_caption, data));
            }
            Part::Table { caption, data, .. } => typst.push_str(&table(caption, data)),
        }
    }
    typst
}

/// The text area (the layout's A4 page less its margins) is 17 cm wide and
/// 25.3 cm high; a tall chart (one bar per probation area) is drawn
/// narrower so that it fits on one page with its caption.
const TEXT_WIDTH: f64 = 17.0;
const TEXT_HEIGHT: f64 = 25.3;
const MOST_HEIGHT: f64 = 21.0;

fn chart_width(chart: &Chart) -> f64 {
    TEXT_WIDTH.min(MOST_HEIGHT / aspect(chart))
}

fn aspect(chart: &Chart) -> f64 {
    chart.height as f64 / chart.width as f64
}

/// A chart over half a page high floats (the layout's `tall-chart`): were
/// it to wait in the flow for a page with room, it would leave most of the
/// page before it empty.
fn tall(chart: &Chart) -> bool {
    chart_width(chart) * aspect(chart) > TEXT_HEIGHT / 2.0
}

fn inlines(content: &[Inline]) -> String {
    content
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => markup(text),
            Inline::Strong(inner) => format!("#strong[{}]", inlines(inner)),
            Inline::Emphasis(inner) => format!("#emph[{}]", inlines(inner)),
            Inline::Link { url, content } => match url.strip_prefix('#') {
                Some(label) => format!("#link(<{}>)[{}]", markup(label), inlines(content)),
                None => format!("#link(\"{}\")[{}]", string(url), inlines(content)),
            },
        })
        .collect()
}

/// A table with one repeated header row; figures right-aligned. The
/// layout's `data-table` measures the columns, so the headings and cells go
/// to it as strings.
fn table(caption: &str, data: &DisplayTable) -> String {
    let mut typst = format!(
        "#data-table(\n  [{}],\n  {},\n  {},\n  (\n",
        markup(caption),
        data.dimensions,
        array(data.headings.iter().map(|h| literal(h)))
    );
    for row in &data.rows {
        let cells = array(row.iter().map(|cell| literal(cell.text())));
        typst.push_str(&format!("    {cells},\n"));
    }
    typst.push_str("  ),\n)\n#source-line\n\n");
    typst
}

/// A typst array: the trailing comma makes `(x,)` an array of one, where
/// `(x)` would be `x` itself.
fn array(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "()".to_string()
    } else {
        format!("({},)", items.join(", "))
    }
}

/// Text as a typst string literal, on one line like `markup`'s.
fn literal(text: &str) -> String {
    format!("\"{}\"", string(&text.replace(['\n', '\r'], " ")))
}

#[cfg(test)]
mod tests {
    use super::{array, literal, markup, string};

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            markup("#set page(width: 1pt)"),
            "\\#set page\\(width\\: 1pt\\)"
        );
        assert_eq!(markup("a_b *c* 28.6%"), "a\\_b \\*c\\* 28\\.6\\%");
        assert_eq!(markup("line\nbreak"), "line break");
        assert_eq!(string("say \"hi\" \\"), "say \\\"hi\\\" \\\\");
    }

    #[test]
    fn cells_go_to_the_layout_as_strings_in_arrays() {
        assert_eq!(literal("a \"b\"\n#c \\"), "\"a \\\"b\\\" #c \\\\\"");
        // One cell is still an array of one, and no cells an empty one.
        assert_eq!(array(["\"x\"".to_string()].into_iter()), "(\"x\",)");
        assert_eq!(array(std::iter::empty()), "()");
    }
}
