//! What several test modules need: where the repository is.

use std::path::{Path, PathBuf};

/// The repository's root: `fixtures/`, `queries/`, `templates/` are here.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
