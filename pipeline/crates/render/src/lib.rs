//! Rendering the publication's files, from protected tables only: the
//! words and their layout come from `templates/`.

// What other crates may use is `pub` and reachable from here; the rest
// is `pub(crate)`, so a surface grows only by a deliberate edit.
#![warn(unreachable_pub)]

pub mod answer;
pub mod bulletin;
mod canonical_xml;
pub mod charts;
mod display;
mod document;
mod fonts;
pub mod html;
pub mod ods;
pub mod pdf;
pub mod qa;
pub mod revised;
pub mod tidy_csv;
mod words;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use dtto_model::exit::Exit;
use dtto_model::period::Period;
use dtto_protect::disclosure::{ProtectedRow, ProtectedTable};

/// The first line of each CSV file of a draft edition: a comment that
/// CSV readers told to skip `#` lines pass over, and that a person opening
/// the file sees first. A released edition's files have none.
pub(crate) const DRAFT_CSV_LINE: &str = "# DRAFT: not released, not for publication\n";

/// A new CSV file at `path`, a draft's with [`DRAFT_CSV_LINE`] written.
pub fn csv_file(path: &Path, draft: bool) -> std::io::Result<std::fs::File> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    if draft {
        file.write_all(DRAFT_CSV_LINE.as_bytes())?;
    }
    Ok(file)
}

/// The quarter whose 12 months `row` counts, the label every output gives
/// it: the table's window ending back from the row's own quarter (a series
/// row) or else the edition's `period`.
pub(crate) fn window_ending(
    table: &ProtectedTable,
    row: &ProtectedRow,
    period: Option<Period>,
) -> Option<Period> {
    let window = table.metadata().single_window()?;
    let published_for = match table.dimensions().quarter() {
        Some(column) => row.groups()[column].parse().ok()?,
        None => period?,
    };
    Some(window.ending(published_for))
}

/// A text cell of a public CSV file, safe to open in a spreadsheet. Text
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return is taken
/// for a formula by spreadsheet programs ("CSV injection"), and labels come
/// from reference lists anyone on the team may edit: such text is given a
/// leading `'`, as the guidance on CSV injection advises. Numbers are never
/// passed through here, so a negative figure stays a number.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Why an output of the edition could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file in `templates/` that does not render: an unknown helper,
    /// table or row, bad Markdown, a typst error.
    #[error("{}: {reason}", file.display())]
    Template { file: PathBuf, reason: String },
    /// A file the edition is made from, or its manifest, that cannot be
    /// read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A chart plotters could not draw from good figures.
    #[error("the chart of {table}: {reason}")]
    Chart { table: String, reason: String },
    /// A file (the spreadsheet, the manifest) that could not be assembled
    /// from good figures.
    #[error("{file}: {reason}")]
    Assembly { file: &'static str, reason: String },
}

impl RenderError {
    pub fn exit(&self) -> Exit {
        match self {
            RenderError::Template { .. } => Exit::Templates,
            RenderError::Io { .. } => Exit::Storage,
            RenderError::Chart { .. } | RenderError::Assembly { .. } => Exit::Fault,
        }
    }

    pub fn template(file: &Path, reason: impl std::fmt::Display) -> Self {
        RenderError::Template {
            file: file.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// For `map_err` on a read or write of `path`.
    pub fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| RenderError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_is_quoted_and_nothing_else() {
        for (text, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Greater Manchester", "Greater Manchester"),
            ("40 and over", "40 and over"),
            ("A-B", "A-B"),
            ("'=already", "'=already"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(text), safe, "{text:?}");
        }
    }
}
