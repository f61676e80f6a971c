//! `index.html`: the bulletin as one self-contained page. The body is made
//! from the bulletin's parts, every piece of text escaped; the page around
//! it (head, skip link, contents, styles) is `templates/index.html` with
//! `templates/style.css` inlined.

use std::path::Path;

use tera::{Context, Tera, escape_html};

use super::RenderError;
use super::bulletin::{Bulletin, Part};
use super::display::DisplayTable;
use super::document::{Inline, Prose};
use super::words::describe;

pub const LAYOUT: &str = "index.html";
pub const STYLE: &str = "style.css";

/// Renders a page template from `templates`, with `style.css` and the
/// given context. HTML templates escape every value unless marked safe.
pub fn page(templates: &Path, name: &str, mut context: Context) -> Result<String, RenderError> {
    let read = |file: &str| {
        let path = templates.join(file);
        std::fs::read_to_string(&path).map_err(|e| RenderError::template(&path, e))
    };
    let failed = |e: tera::Error| RenderError::template(&templates.join(name), describe(&e));
    let mut tera = Tera::default();
    tera.add_raw_template(name, &read(name)?).map_err(failed)?;
    context.insert("style", &read(STYLE)?);
    tera.render(name, &context).map_err(failed)
}

pub fn render(bulletin: &Bulletin, templates: &Path) -> Result<String, RenderError> {
    let mut context = Context::new();
    context.insert("edition", &bulletin.edition);
    context.insert("sections", &bulletin.sections());
    context.insert("body", &body(&bulletin.parts));
    page(templates, LAYOUT, context)
}

pub(crate) fn body(parts: &[Part]) -> String {
    let mut html = String::new();
    for part in parts {
        match part {
            Part::Prose(Prose::Heading { level, id, content }) => {
                html.push_str(&format!(
                    "<h{level} id=\"{}\">{}</h{level}>\n",
                    escape_html(id),
                    inlines(content)
                ));
            }
            Part::Prose(Prose::Paragraph(content)) => {
                html.push_str(&format!("<p>{}</p>\n", inlines(content)))
            }
            Part::Prose(Prose::List(items)) => {
                html.push_str("<ul>\n");
                for item in items {
                    html.push_str(&format!("<li>{}</li>\n", inlines(item)));
                }
                html.push_str("</ul>\n");
            }
            Part::Figure {
                id,
                caption,
                subtitle,
                chart,
                data,
            } => {
                let subtitle_html = subtitle.as_ref().map_or(String::new(), |subtitle| {
                    format!("<span class=\"subtitle\">{}</span>", escape_html(subtitle))
                });
                html.push_str(&format!(
                    "<figure id=\"{id}\">\n<figcaption>{}{subtitle_html}</figcaption>\n{}\n</figure>\n",
                    escape_html(caption),
                    chart.svg
                ));
                let data_caption = match subtitle {
                    Some(subtitle) => format!("Data for {caption}: {subtitle}"),
                    None => format!("Data for {caption}"),
                };
                html.push_str(&table(&format!("{id}-data"), &data_caption, data));
            }
            Part::Table { id, caption, data } => html.push_str(&table(id, caption, data)),
        }
    }
    html
}

fn inlines(content: &[Inline]) -> String {
    content
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => escape_html(text),
            Inline::Strong(inner) => format!("<strong>{}</strong>", inlines(inner)),
            Inline::Emphasis(inner) => format!("<em>{}</em>", inlines(inner)),
            Inline::Link { url, content } => {
                format!("<a href=\"{}\">{}</a>", escape_html(url), inlines(content))
            }
        })
        .collect()
}

/// A data table: a caption, one header row with column scopes, the last
/// dimension of each row as its header. Wide tables scroll in a region a
/// keyboard can reach.
fn table(id: &str, caption: &str, data: &DisplayTable) -> String {
    let dimensions = data.dimensions;
    let mut html = format!(
        "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"{id}-caption\" tabindex=\"0\">\n\
         <table id=\"{id}\" data-table=\"{}\">\n<caption id=\"{id}-caption\">{}</caption>\n<thead>\n<tr>",
        escape_html(&data.id),
        escape_html(caption)
    );
    for (column, heading) in data.headings.iter().enumerate() {
        let class = if column >= dimensions {
            " class=\"num\""
        } else {
            ""
        };
        html.push_str(&format!(
            "<th scope=\"col\"{class}>{}</th>",
            escape_html(heading)
        ));
    }
    html.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &data.rows {
        html.push_str("<tr>");
        for (column, cell) in row.iter().enumerate() {
            let text = escape_html(cell.text());
            if dimensions > 0 && column + 1 == dimensions {
                html.push_str(&format!("<th scope=\"row\">{text}</th>"));
            } else if column >= dimensions {
                html.push_str(&format!("<td class=\"num\">{text}</td>"));
            } else {
                html.push_str(&format!("<td>{text}</td>"));
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n</div>\n");
    html
}
