//! Publishing an edition all at once: its files are written into a staging
//! folder beside the edition's, which replaces the previous edition only
//! when every file was written. A failure part-way leaves the previous
//! edition as it was, and no half-written edition is ever in place. An
//! edition whose files come out byte for byte the same as those in place is
//! not rewritten at all: a scheduled re-run with unchanged inputs leaves
//! every file, and its modification time, as it was.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EditionError<E> {
    /// Writing the edition's files failed; the previous edition is intact.
    #[error(transparent)]
    Write(E),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// What publishing did to the edition in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Written,
    /// The new files were the same as those in place: nothing was touched.
    Unchanged,
}

/// Calls `write` with an empty staging folder and, if it succeeds, puts
/// that folder in place at `edition`, unless it holds the same files.
pub fn publish<E>(
    edition: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<Published, EditionError<E>> {
    let staging = sibling(edition, ".staging-");
    let previous = sibling(edition, ".previous-");
    // Left over from a run that was killed: never published, safe to drop.
    for stale in [&staging, &previous] {
        remove_if_present(stale)?;
    }
    std::fs::create_dir_all(&staging).map_err(io_at(&staging))?;
    if let Err(e) = write(&staging) {
        remove_if_present(&staging)?;
        return Err(EditionError::Write(e));
    }
    if same_files(&staging, edition).map_err(io_at(edition))? {
        remove_if_present(&staging)?;
        return Ok(Published::Unchanged);
    }
    if edition.exists() {
        std::fs::rename(edition, &previous).map_err(io_at(edition))?;
    }
    if let Err(e) = std::fs::rename(&staging, edition) {
        // Put the previous edition back before reporting.
        if previous.exists() {
            std::fs::rename(&previous, edition).map_err(io_at(&previous))?;
        }
        return Err(io_at(&staging)(e));
    }
    remove_if_present(&previous)?;
    Ok(Published::Written)
}

/// Whether the two folders hold the same files with the same bytes. A
/// missing `b` holds nothing the same.
fn same_files(a: &Path, b: &Path) -> io::Result<bool> {
    if !b.is_dir() {
        return Ok(false);
    }
    let (a_files, b_files) = (files_under(a)?, files_under(b)?);
    if a_files.keys().ne(b_files.keys()) {
        return Ok(false);
    }
    for (relative, path) in &a_files {
        if std::fs::read(path)? != std::fs::read(&b_files[relative])? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every file under `root`, by its `/`-separated path relative to it.
pub fn files_under(root: &Path) -> io::Result<BTreeMap<String, PathBuf>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.insert(relative, path);
            }
        }
    }
    Ok(files)
}

/// `output/2003Q4` → `output/.staging-2003Q4`.
fn sibling(edition: &Path, prefix: &str) -> PathBuf {
    let name = edition
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    edition.with_file_name(format!("{prefix}{name}"))
}

fn remove_if_present<E>(dir: &Path) -> Result<(), EditionError<E>> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_at(dir)(e)),
        _ => Ok(()),
    }
}

fn io_at<E>(path: &Path) -> impl FnOnce(io::Error) -> EditionError<E> + '_ {
    move |source| EditionError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_files(dir: &Path, text: &str) -> Result<(), String> {
        std::fs::create_dir_all(dir.join("data")).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("data/a.csv"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_failure_part_way_leaves_the_previous_edition_intact() {
        let work = tempfile::tempdir().unwrap();
        let edition = work.path().join("2003Q4");
        publish(&edition, |dir| write_files(dir, "first")).unwrap();
        let failed = publish(&edition, |dir| {
            write_files(dir, "second")?;
            Err("the PDF could not be rendered".to_string())
        });
        assert!(matches!(failed, Err(EditionError::Write(_))));
        assert_eq!(
            std::fs::read_to_string(edition.join("data/a.csv")).unwrap(),
            "first"
        );
        let names: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["2003Q4"], "no staging folder is left behind");
    }

    #[test]
    fn the_same_files_again_are_not_rewritten() {
        use std::os::unix::fs::MetadataExt;
        let work = tempfile::tempdir().unwrap();
        let edition = work.path().join("2003Q4");
        let file = edition.join("data/a.csv");
        let inode = || std::fs::metadata(&file).unwrap().ino();
        let first = publish(&edition, |dir| write_files(dir, "same")).unwrap();
        let written = inode();
        let again = publish(&edition, |dir| write_files(dir, "same")).unwrap();
        assert_eq!(inode(), written, "the file in place was replaced");
        let changed = publish(&edition, |dir| write_files(dir, "other")).unwrap();
        assert_eq!(
            [first, again, changed],
            [Published::Written, Published::Unchanged, Published::Written]
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "other");
    }

    #[test]
    fn a_complete_edition_replaces_the_previous_one_whole() {
        let work = tempfile::tempdir().unwrap();
        let edition = work.path().join("2003Q4");
        publish(&edition, |dir| {
            write_files(dir, "first")?;
            std::fs::write(dir.join("old.txt"), "gone").map_err(|e| e.to_string())
        })
        .unwrap();
        publish(&edition, |dir| write_files(dir, "second")).unwrap();
        assert_eq!(
            std::fs::read_to_string(edition.join("data/a.csv")).unwrap(),
            "second"
        );
        assert!(!edition.join("old.txt").exists());
    }
}
