//! Making what was written reach the disk before it is declared complete.
//! A rename is atomic, but after a power cut the renamed folder may come
//! back holding files whose data never left the page cache, or the rename
//! itself may be undone: an edition or a delivery is synced whole before
//! it is renamed into place, and the folder of each rename after it.
//! What a killed run left half moved is put back by [`put_back`], for an
//! edition and a delivery alike.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file or folder that could not be listed, moved, removed or synced.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct DiskError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Syncs every file and folder under `root`, and `root` itself.
pub fn sync_tree(root: &Path) -> Result<(), DiskError> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(at(&dir))? {
            let path = entry.map_err(at(&dir))?.path();
            // Not following links: a link is synced as what it points at,
            // which is a file here (nothing writes a link to a folder).
            if std::fs::symlink_metadata(&path)
                .map_err(at(&path))?
                .is_dir()
            {
                pending.push(path);
            } else {
                sync(&path)?;
            }
        }
        sync(&dir)?;
    }
    Ok(())
}

/// Replaces the file at `path` whole with `bytes`: written beside it as
/// `.<name>.partial`, synced, renamed over it, and its folder synced, so a
/// reader sees the old contents or the new, never half of either.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), DiskError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let partial = parent(path).join(format!(".{name}.partial"));
    let write = || -> io::Result<()> {
        let mut file = File::create(&partial)?;
        io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    };
    write().map_err(at(path))?;
    sync(parent(path))
}

/// Syncs a folder's entries: the names created, renamed or removed in it.
pub fn sync_dir(dir: &Path) -> Result<(), DiskError> {
    sync(dir)
}

/// Removes the folder `dir` and everything in it, if it is there.
pub fn remove_dir_if_present(dir: &Path) -> Result<(), DiskError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(at(dir)(e)),
        _ => Ok(()),
    }
}

/// The names in `folder`, none when it is missing. Listed whole before any
/// is moved: a folder changed while it is read may list an entry twice or
/// not at all. Names that are not UTF-8 are none of dtto's.
pub fn names_in(folder: &Path) -> Result<Vec<String>, DiskError> {
    let entries = match std::fs::read_dir(folder) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        entries => entries.map_err(at(folder))?,
    };
    let mut names = Vec::new();
    for entry in entries {
        if let Ok(name) = entry.map_err(at(folder))?.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

/// Undoes a replacement killed half way: `left` is what was moved aside
/// from `home` before its successor was moved in. With nothing at `home`,
/// `left` is the only copy and is renamed back (both folders synced);
/// with something there, `left` was superseded and is removed.
pub fn put_back(left: &Path, home: &Path) -> Result<(), DiskError> {
    if home.try_exists().map_err(at(home))? {
        return remove_dir_if_present(left);
    }
    let folder = parent(home);
    std::fs::create_dir_all(folder).map_err(at(folder))?;
    std::fs::rename(left, home).map_err(at(left))?;
    sync_dir(folder)?;
    if parent(left) != folder {
        sync_dir(parent(left))?;
    }
    Ok(())
}

/// The folder `path` is in: `.` for a bare name.
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// On Unix a folder opened read-only syncs as a file does.
fn sync(path: &Path) -> Result<(), DiskError> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(at(path))
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> DiskError + '_ {
    move |source| DiskError {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_syncs_and_what_cannot_be_synced_is_named() {
        let work = tempfile::tempdir().unwrap();
        let root = work.path().join("edition");
        std::fs::create_dir_all(root.join("public/data")).unwrap();
        std::fs::write(root.join("public/data/a.csv"), "a").unwrap();
        sync_tree(&root).unwrap();
        sync_dir(work.path()).unwrap();
        let missing = work.path().join("gone");
        let failed = sync_tree(&missing).unwrap_err();
        assert_eq!(failed.path, missing);
    }

    #[test]
    fn what_was_moved_aside_goes_back_only_to_an_empty_place() {
        let work = tempfile::tempdir().unwrap();
        let (aside, home) = (work.path().join(".old"), work.path().join("in/place"));
        std::fs::create_dir_all(&aside).unwrap();
        std::fs::write(aside.join("a"), "old").unwrap();
        put_back(&aside, &home).unwrap();
        assert_eq!(std::fs::read_to_string(home.join("a")).unwrap(), "old");
        assert!(!aside.exists());
        // Superseded: the newer one in place stays, the old one goes.
        std::fs::create_dir_all(&aside).unwrap();
        std::fs::write(home.join("a"), "new").unwrap();
        put_back(&aside, &home).unwrap();
        assert_eq!(std::fs::read_to_string(home.join("a")).unwrap(), "new");
        assert!(!aside.exists());
        assert_eq!(
            names_in(&work.path().join("nothing")).unwrap(),
            Vec::<String>::new()
        );
    }
}
