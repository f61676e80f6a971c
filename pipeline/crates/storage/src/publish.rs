//! Publishing an edition all at once: its files are written into a staging
//! folder beside the edition's, which replaces the previous edition only
//! when every file was written. A failure part-way leaves the previous
//! edition as it was, and no half-written edition is ever in place. An
//! edition whose files come out byte for byte the same as those in place is
//! not rewritten at all: a scheduled re-run with unchanged inputs leaves
//! every file, and its modification time, as it was.
//!
//! A run killed at any point leaves the old edition or the new one whole:
//!
//! - while staging is written, or before the first rename: the edition in
//!   place is untouched; [`recover`] drops the staging folder;
//! - between the two renames (`<name>` to `.previous-<name>`, staging to
//!   `<name>`): the previous edition is the only copy, under `.previous-`;
//!   [`recover`], first thing in the next run, puts it back;
//! - after the second rename, while `.previous-<name>` is removed: the new
//!   edition is in place and [`recover`] finishes the removal.
//!
//! The staging folder is synced whole before the first rename, and the
//! folder after the second, so a power cut gives the same choice.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::durable::{
    DiskError, names_in, parent, put_back, remove_dir_if_present, sync_dir, sync_tree,
};
use dtto_model::period::Period;

const STAGING: &str = ".staging-";
const PREVIOUS: &str = ".previous-";

#[derive(Debug, thiserror::Error)]
pub enum EditionError<E> {
    /// Writing the edition's files failed; the previous edition is intact.
    #[error(transparent)]
    Write(E),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

impl<E> From<DiskError> for EditionError<E> {
    fn from(DiskError { path, source }: DiskError) -> Self {
        EditionError::Io { path, source }
    }
}

/// What publishing did to the edition in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Written,
    /// The new files were the same as those in place: nothing was touched.
    Unchanged,
}

/// Calls `write` with an empty staging folder and, if it succeeds, puts
/// that folder in place at `edition`, unless it holds the same files. The
/// caller has [`recover`]ed the folder first, before anything that can fail.
pub fn publish<E>(
    edition: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<Published, EditionError<E>> {
    let folder = parent(edition);
    let staging = sibling(edition, STAGING);
    let previous = sibling(edition, PREVIOUS);
    // Left over from a run that was killed: never complete, never in place.
    remove_dir_if_present(&staging)?;
    std::fs::create_dir_all(&staging).map_err(io_at(&staging))?;
    if let Err(e) = write(&staging) {
        remove_dir_if_present(&staging)?;
        return Err(EditionError::Write(e));
    }
    if same_files(&staging, edition).map_err(io_at(edition))? {
        remove_dir_if_present(&staging)?;
        return Ok(Published::Unchanged);
    }
    // On disk before it can be in place: a power cut after the renames
    // must not leave an edition of empty or missing files.
    sync_tree(&staging)?;
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
    // The new edition's name on disk before the old edition goes.
    sync_dir(folder)?;
    remove_dir_if_present(&previous)?;
    Ok(Published::Written)
}

/// Undoes what a run killed while publishing into `folder` left half done.
/// An edition renamed to `.previous-<name>` with nothing at `<name>` is the
/// only copy of that edition: the kill came between publishing's two
/// renames, and it is renamed back. With an edition at `<name>` it was
/// superseded, and is removed. A period's staging folder was never in
/// place, and is removed. Called before anything else a run does, so a run
/// that then fails early still leaves every edition in place, and nothing
/// else.
pub fn recover<E>(folder: &Path) -> Result<(), EditionError<E>> {
    for name in names_in(folder)? {
        let path = folder.join(&name);
        if let Some(edition) = name.strip_prefix(PREVIOUS) {
            put_back(&path, &folder.join(edition))?;
        } else if name
            .strip_prefix(STAGING)
            .is_some_and(|period| period.parse::<Period>().is_ok())
        {
            // Only a period's: a folder that is also a warehouse holds the
            // staging folders of deliveries too, named by their keys.
            remove_dir_if_present(&path)?;
        }
    }
    Ok(())
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
    fn an_edition_left_only_as_previous_is_put_back_and_what_was_never_in_place_removed() {
        let work = tempfile::tempdir().unwrap();
        let only_copy = work.path().join("2003Q4");
        let superseded = work.path().join("2004Q1");
        publish(&only_copy, |dir| write_files(dir, "only copy")).unwrap();
        publish(&superseded, |dir| write_files(dir, "new")).unwrap();
        // Killed between publishing's two renames.
        std::fs::rename(&only_copy, work.path().join(".previous-2003Q4")).unwrap();
        // Killed while removing the edition the new one replaced.
        write_files(&work.path().join(".previous-2004Q1"), "old").unwrap();
        // Killed while staging; and a delivery's staging, which is not ours.
        write_files(&work.path().join(".staging-2004Q2"), "half").unwrap();
        let delivery = work.path().join(".staging-d0477014");
        write_files(&delivery, "rows").unwrap();
        recover::<String>(work.path()).unwrap();
        let read = |edition: &Path| std::fs::read_to_string(edition.join("data/a.csv")).unwrap();
        assert_eq!(read(&only_copy), "only copy");
        assert_eq!(read(&superseded), "new");
        let mut names: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, [".staging-d0477014", "2003Q4", "2004Q1"]);
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
