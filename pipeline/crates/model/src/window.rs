//! The windows a table's SQL can count over, declared by the statisticians
//! in `queries/windows.toml`: each the 12 months ending some quarters
//! before the period end, reaching the SQL as `$<name>_start` and
//! `$<name>_end`. A new window is a few lines of that file, no Rust; its
//! documentation in `queries/README.md` is made from the same lines
//! ([`Windows::parameter_table`]).

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::catalogue::{Problem, line_and_column};
use crate::period::Period;

/// The file under `queries/` that declares the windows.
pub const DECLARATION: &str = "windows.toml";

/// The one parameter that is no window: the day the extract was taken.
pub const AS_AT: &str = "as_at";

/// What `$as_at` means, for the parameters' documentation.
pub const AS_AT_MEANING: &str = "the date the extract was taken";

/// The most quarters back a window may end: ten years, far beyond any
/// follow-up the publication measures, so that a slip of the keyboard
/// (`100` for `10`) is caught rather than published as an empty table.
const MOST_QUARTERS_BACK: i32 = 40;

/// One window: the 12 months ending `quarters_back` quarters before the
/// period end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Its name: the `{name}` a table's `cohort` and `counted` words write
    /// where its months belong, and the stem of its parameters.
    pub name: String,
    /// How many quarters before the period end its 12 months end.
    pub quarters_back: i32,
    /// What it is, in words, for the parameters' documentation.
    pub meaning: String,
}

impl Window {
    /// The names of its first and last day.
    pub fn parameters(&self) -> [String; 2] {
        [format!("{}_start", self.name), format!("{}_end", self.name)]
    }

    /// The quarter its 12 months end with, in the edition for `period`.
    pub fn ending(&self, period: Period) -> Period {
        period.earlier(self.quarters_back)
    }
}

/// The declared windows, in the order of the declaration. Shared, not
/// copied, by every table loaded with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Windows(Arc<[Window]>);

/// The declaration file as written: a list of `[[window]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    #[serde(default)]
    window: Vec<toml::Spanned<Window>>,
}

impl Windows {
    /// Reads and checks the declaration at `path`.
    pub fn load(path: &Path) -> Result<Windows, Problem> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Problem::in_file(
                path,
                format!("the windows' declaration cannot be read: {e}"),
            )
        })?;
        Windows::parse(path, &text)
    }

    /// The declaration `text` of the file at `path`, checked: each
    /// window's name lower-case letters, digits and `_`, used once, its
    /// `quarters_back` from 0 to 40 and its meaning written. A problem is
    /// located at its line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Windows, Problem> {
        let declaration: Declaration =
            toml::from_str(text).map_err(|e| Problem::from_toml(path, text, &e))?;
        for (index, spanned) in declaration.window.iter().enumerate() {
            let window = spanned.get_ref();
            let wrong = |message: String| {
                let (line, column) = line_and_column(text, spanned.span().start);
                Problem::at(
                    path,
                    text,
                    line,
                    column,
                    format!("window {:?}: {message}", window.name),
                )
            };
            let name = &window.name;
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(wrong(
                    "a name must be lower-case letters, digits and _ (it becomes the \
                     parameters $<name>_start and $<name>_end)"
                        .to_string(),
                ));
            }
            if declaration.window[..index]
                .iter()
                .any(|w| w.get_ref().name == *name)
            {
                return Err(wrong("the name is declared twice".to_string()));
            }
            if !(0..=MOST_QUARTERS_BACK).contains(&window.quarters_back) {
                return Err(wrong(format!(
                    "quarters_back {} is not from 0 (the 12 months ending with the period) to \
                     {MOST_QUARTERS_BACK}",
                    window.quarters_back
                )));
            }
            if window.meaning.trim().is_empty() {
                return Err(wrong(
                    "`meaning` is empty: say in words which 12 months these are".to_string(),
                ));
            }
        }
        Ok(Windows(
            declaration
                .window
                .into_iter()
                .map(toml::Spanned::into_inner)
                .collect(),
        ))
    }

    /// Every window, in the order declared.
    pub fn all(&self) -> &[Window] {
        &self.0
    }

    /// Every window a query counts over, from the names of the parameters
    /// it uses (`$year_start` or `year_start`): a window whose first and
    /// last day it both uses (a table of financial years bounded by
    /// `$year_end` alone counts over no rolling window). In the order of
    /// [`by_months`].
    pub fn used_by<'a>(&self, parameters: impl IntoIterator<Item = &'a str>) -> Vec<Window> {
        let used: Vec<&str> = parameters
            .into_iter()
            .map(|name| name.trim_start_matches('$'))
            .collect();
        let windows = self
            .0
            .iter()
            .filter(|window| {
                window
                    .parameters()
                    .iter()
                    .all(|p| used.contains(&p.as_str()))
            })
            .cloned()
            .collect();
        by_months(windows)
    }

    /// The parameters' table of `queries/README.md`, made from the
    /// declaration: `$as_at`, then each window's two parameters and its
    /// meaning.
    pub fn parameter_table(&self) -> String {
        let mut table =
            format!("| parameter | meaning |\n|---|---|\n| `${AS_AT}` | {AS_AT_MEANING} |\n");
        for window in self.0.iter() {
            let [start, end] = window.parameters();
            table.push_str(&format!(
                "| `${start}`, `${end}` | {} |\n",
                window.meaning.trim()
            ));
        }
        table
    }
}

/// `windows` in one order however they were found: the months nearest
/// the period first, then by name.
pub fn by_months(mut windows: Vec<Window>) -> Vec<Window> {
    windows.sort_by(|a, b| (a.quarters_back, &a.name).cmp(&(b.quarters_back, &b.name)));
    windows
}

/// The one window of `windows`, if there is exactly one.
pub fn only(windows: &[Window]) -> Option<&Window> {
    match windows {
        [window] => Some(window),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Windows, String> {
        Windows::parse(Path::new("windows.toml"), text).map_err(|p| p.to_string())
    }

    const TWO: &str = "# comment\n[[window]]\nname = \"year\"\nquarters_back = 0\n\
                       meaning = \"the reference year\"\n\n[[window]]\nname = \"lagged\"\n\
                       quarters_back = 1\nmeaning = \"a quarter back\"\n";

    #[test]
    fn a_declaration_gives_each_window_its_parameters_and_months() {
        let windows = parsed(TWO).unwrap();
        let named = |name: &str| windows.all().iter().find(|w| w.name == name);
        let lagged = named("lagged").unwrap();
        assert_eq!(lagged.parameters(), ["lagged_start", "lagged_end"]);
        let period: Period = "2005Q2".parse().unwrap();
        assert_eq!(lagged.ending(period).to_string(), "2005Q1");
        assert!(named("reconviction_1y").is_none());
        // Both ends used: the window; one end alone: none.
        let used = windows.used_by(["$lagged_end", "year_start", "$lagged_start", "$year_end"]);
        let names: Vec<&str> = used.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["year", "lagged"]);
        assert!(windows.used_by(["$year_end"]).is_empty());
        assert_eq!(
            windows.parameter_table(),
            "| parameter | meaning |\n|---|---|\n| `$as_at` | the date the extract was taken |\n\
             | `$year_start`, `$year_end` | the reference year |\n\
             | `$lagged_start`, `$lagged_end` | a quarter back |\n"
        );
    }

    #[test]
    fn a_malformed_declaration_is_refused_at_its_line() {
        let twice = TWO.replace("\"lagged\"", "\"year\"");
        assert_eq!(
            parsed(&twice).unwrap_err(),
            "windows.toml:7:1: window \"year\": the name is declared twice\n    [[window]]\n    ^"
        );
        let inline = "window = [\n  { name = \"year\", quarters_back = 0, meaning = \"a\" },\n  \
                      { name = \"year\", quarters_back = 1, meaning = \"b\" },\n]\n";
        assert!(
            parsed(inline)
                .unwrap_err()
                .starts_with("windows.toml:3:3: window \"year\": the name is declared twice"),
            "an inline window is shown where it is written"
        );
        let negative = TWO.replace("quarters_back = 1", "quarters_back = -1");
        let error = parsed(&negative).unwrap_err();
        assert!(
            error
                .starts_with("windows.toml:7:1: window \"lagged\": quarters_back -1 is not from 0"),
            "{error}"
        );
        let spaced = TWO.replace("\"lagged\"", "\"lagged year\"");
        assert!(parsed(&spaced).unwrap_err().contains("lower-case letters"));
        let silent = TWO.replace("\"a quarter back\"", "\" \"");
        assert!(parsed(&silent).unwrap_err().contains("`meaning` is empty"));
        // A misspelt key, at its own line and column.
        let misspelt = TWO.replace("quarters_back = 1", "quarter_back = 1");
        let error = parsed(&misspelt).unwrap_err();
        assert!(
            error.starts_with("windows.toml:9:1: unknown field `quarter_back`"),
            "{error}"
        );
        let text = TWO.replace("quarters_back = 0", "quarters_back = \"none\"");
        assert!(
            parsed(&text)
                .unwrap_err()
                .starts_with("windows.toml:4:17: ")
        );
    }
}
