//! Making what was written reach the disk before it is declared complete.
//! A rename is atomic, but after a power cut the renamed folder may come
//! back holding files whose data never left the page cache, or the rename
//! itself may be undone: an edition or a delivery is synced whole before
//! it is renamed into place, and the folder of each rename after it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file or folder that could not be synced.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct SyncError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Syncs every file and folder under `root`, and `root` itself.
pub fn sync_tree(root: &Path) -> Result<(), SyncError> {
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

/// Syncs a folder's entries: the names created, renamed or removed in it.
pub fn sync_dir(dir: &Path) -> Result<(), SyncError> {
    sync(dir)
}

/// On Unix a folder opened read-only syncs as a file does.
fn sync(path: &Path) -> Result<(), SyncError> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(at(path))
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> SyncError + '_ {
    move |source| SyncError {
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
}
