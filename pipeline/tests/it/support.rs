//! What several test modules need: where the repository is.

use std::path::{Path, PathBuf};

/// The repository's root: `fixtures/`, `queries/`, `templates/` are here.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The programs the publication tests read the outputs with, each with the
/// way to get it. `make test` installs them all first (`.ci/test-tools`).
pub enum Tool {
    /// pdfinfo, pdftotext and pdffonts.
    Poppler,
    /// Headless Chromium, Node.js and the axe-core package that
    /// `tests/a11y/check.sh` drives.
    AxeInChromium,
}

/// Stops the test with the list of what is missing, before it starts work
/// it could not check.
pub fn require(tools: &[Tool]) {
    let missing: Vec<String> = tools.iter().flat_map(Tool::missing).collect();
    assert!(
        missing.is_empty(),
        "this test reads the outputs with programs that are not installed:\n  {}\n\
         `bash .ci/test-tools` installs them all (as `make test` does)",
        missing.join("\n  ")
    );
}

impl Tool {
    fn missing(&self) -> Vec<String> {
        match self {
            Tool::Poppler => ["pdfinfo", "pdftotext", "pdffonts"]
                .into_iter()
                .filter(|program| !on_path(program))
                .map(|program| format!("{program}: apt-get install poppler-utils"))
                .collect(),
            Tool::AxeInChromium => {
                let chromium = std::env::var_os("CHROMIUM")
                    .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
                let axe = axe_cache().join("node_modules/axe-core/axe.min.js");
                let mut missing = Vec::new();
                if !chromium.is_file() {
                    missing.push(format!(
                        "Chromium at {} (or set CHROMIUM): apt-get install chromium",
                        chromium.display()
                    ));
                }
                if !on_path("node") {
                    missing.push("node: Node.js".to_string());
                }
                if !axe.is_file() {
                    missing.push(format!(
                        "axe-core at {}: bash .ci/test-tools",
                        axe.display()
                    ));
                }
                missing
            }
        }
    }
}

/// Where `.ci/test-tools` installs axe-core, as `tests/a11y/check.sh` reads it.
fn axe_cache() -> PathBuf {
    match std::env::var_os("A11Y_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dtto/a11y")
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
