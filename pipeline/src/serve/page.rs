//! The page the preview serves: the last bulletin made, what went wrong
//! since above it, and a script that reloads the page once another
//! attempt has been made.

use tera::escape_html;

/// Where the open page asks whether there is something new to show.
pub const GENERATION_PATH: &str = "/generation";

/// What the preview shows now.
#[derive(Debug, Default)]
pub struct Shown {
    /// Counts the attempts to make a page, good or failed: the open page
    /// reloads when it changes.
    pub generation: u64,
    /// The last bulletin made, if any.
    pub bulletin: Option<String>,
    /// Why the latest attempt failed, if it did.
    pub problem: Option<String>,
}

/// One attempt to make the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The bulletin's HTML.
    Made(String),
    /// Why there is none, in words for the statistician.
    Failed(String),
}

impl Shown {
    /// After an attempt: its page, or why there is none. The generation
    /// moves only when what is shown changes, so a save that changes no
    /// figure (or an editor's own files) reloads nothing.
    pub fn update(&mut self, attempt: Attempt) {
        let changed = match &attempt {
            Attempt::Made(bulletin) => {
                self.problem.is_some() || self.bulletin.as_ref() != Some(bulletin)
            }
            Attempt::Failed(problem) => self.problem.as_ref() != Some(problem),
        };
        if changed {
            self.generation += 1;
        }
        match attempt {
            Attempt::Made(bulletin) => {
                self.bulletin = Some(bulletin);
                self.problem = None;
            }
            Attempt::Failed(problem) => self.problem = Some(problem),
        }
    }

    /// The whole page, as served.
    pub fn page(&self) -> String {
        let problem = self.problem.as_deref().map(|problem| {
            let kept = if self.bulletin.is_some() {
                "<p>The figures below are from the last preview that was made.</p>\n"
            } else {
                ""
            };
            format!(
                "<div role=\"alert\" id=\"preview-problem\" style=\"border:0.3em solid \
                 #d4351c;margin:1em;padding:0 1em\">\n<h2>The preview could not be made \
                 from the files as they are now</h2>\n{kept}<pre style=\"overflow-x:auto\">{}</pre>\n</div>\n",
                escape_html(problem)
            )
        });
        let reload = reload_script(self.generation);
        match &self.bulletin {
            Some(bulletin) => {
                let with_problem = insert_after_body_opens(bulletin, &problem.unwrap_or_default());
                insert_before_body_closes(&with_problem, &reload)
            }
            None => format!(
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
                 <title>Preview</title></head>\n<body>\n<main>\n{}</main>\n{reload}</body>\n</html>\n",
                problem.unwrap_or_else(|| "<p>Making the preview…</p>\n".to_string())
            ),
        }
    }
}

/// Asks for the generation every 300 ms and reloads when it is not the
/// page's own: a change shows within a second of its page being made.
fn reload_script(generation: u64) -> String {
    format!(
        "<script>\n(function () {{\n  async function poll() {{\n    try {{\n      \
         const response = await fetch('{GENERATION_PATH}', {{ cache: 'no-store' }});\n      \
         if (Number(await response.text()) !== {generation}) {{\n        \
         location.reload();\n        return;\n      }}\n    }} catch (e) {{}}\n    \
         setTimeout(poll, 300);\n  }}\n  setTimeout(poll, 300);\n}})();\n</script>\n"
    )
}

/// `html` with `insert` just inside its `<body>`, or first when there is
/// none (a template may be edited into any shape).
fn insert_after_body_opens(html: &str, insert: &str) -> String {
    let at = html
        .find("<body")
        .and_then(|start| html[start..].find('>').map(|end| start + end + 1));
    match at {
        Some(at) => format!("{}\n{insert}{}", &html[..at], &html[at..]),
        None => format!("{insert}{html}"),
    }
}

/// `html` with `insert` just before `</body>`, or last when there is none.
fn insert_before_body_closes(html: &str, insert: &str) -> String {
    match html.rfind("</body>") {
        Some(at) => format!("{}{insert}{}", &html[..at], &html[at..]),
        None => format!("{html}{insert}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BULLETIN: &str = "<html><body class=\"x\"><p>Figures</p></body></html>";

    #[test]
    fn a_problem_shows_above_the_last_bulletin_escaped_and_the_page_reloads_on_a_new_generation() {
        let shown = Shown {
            generation: 7,
            bulletin: Some(BULLETIN.to_string()),
            problem: Some("a.sql:3:9: Expected <expr>".to_string()),
        };
        let page = shown.page();
        let problem = page.find("id=\"preview-problem\"").unwrap();
        assert!(page.find("<body class=\"x\">").unwrap() < problem);
        assert!(problem < page.find("<p>Figures</p>").unwrap());
        assert!(page.contains("a.sql:3:9: Expected &lt;expr&gt;"));
        assert!(page.contains("last preview that was made"));
        let script = page.find("!== 7").unwrap();
        assert!(script < page.find("</body>").unwrap());
    }

    #[test]
    fn the_open_page_reloads_only_when_what_it_shows_changes() {
        let mut shown = Shown::default();
        let page = |s: &str| Attempt::Made(s.to_string());
        let problem = |s: &str| Attempt::Failed(s.to_string());
        let mut generations = Vec::new();
        for made in [
            page("a"),
            page("a"),
            problem("x"),
            problem("x"),
            problem("y"),
            page("a"),
            page("b"),
        ] {
            shown.update(made);
            generations.push(shown.generation);
        }
        assert_eq!(generations, [1, 1, 2, 2, 3, 4, 5]);
        assert_eq!(shown.bulletin.as_deref(), Some("b"));
        assert_eq!(shown.problem, None);
        shown.update(problem("z"));
        assert_eq!(
            shown.bulletin.as_deref(),
            Some("b"),
            "the last good page stays"
        );
    }

    #[test]
    fn without_a_bulletin_the_page_says_what_is_happening() {
        let making = Shown::default().page();
        assert!(making.contains("Making the preview"));
        assert!(making.contains("!== 0"));
        let failed = Shown {
            generation: 1,
            bulletin: None,
            problem: Some("no delivery".to_string()),
        }
        .page();
        assert!(failed.contains(">no delivery</pre>"));
        assert!(!failed.contains("last preview"));
    }
}
