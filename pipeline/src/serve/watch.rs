//! What the preview watches: a digest of every file it is made from, read
//! again a few times a second. The folders are small (tens of files), so
//! reading them whole costs less than a millisecond, and a save that leaves
//! a file's bytes as they were makes no new page.

use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use dtto_storage::publish::files_under;

/// A digest of the files under each path (a folder or one file), by their
/// paths and bytes. One that is missing or unreadable counts as such, so
/// deleting or restoring it changes the digest too.
pub fn fingerprint(paths: &[PathBuf]) -> u64 {
    let mut hasher = Xxh3::new();
    for path in paths {
        hasher.update(path.as_os_str().as_encoded_bytes());
        if path.is_dir() {
            match files_under(path) {
                Ok(files) => {
                    for (relative, file) in files {
                        hasher.update(relative.as_bytes());
                        add_file(&mut hasher, &file);
                    }
                }
                Err(_) => hasher.update(b"\0unreadable folder"),
            }
        } else {
            add_file(&mut hasher, path);
        }
    }
    hasher.digest()
}

fn add_file(hasher: &mut Xxh3, path: &Path) {
    match std::fs::read(path) {
        Ok(bytes) => {
            hasher.update(&bytes.len().to_le_bytes());
            hasher.update(&bytes);
        }
        Err(_) => hasher.update(b"\0missing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_bytes_or_of_files_changes_the_fingerprint_and_a_same_save_does_not() {
        let work = tempfile::tempdir().unwrap();
        let queries = work.path().join("queries");
        std::fs::create_dir_all(queries.join("tables")).unwrap();
        let sql = queries.join("tables/a.sql");
        std::fs::write(&sql, "SELECT 1").unwrap();
        let config = work.path().join("dtto.toml");
        let watched = [queries.clone(), config.clone()];
        let first = fingerprint(&watched);

        std::fs::write(&sql, "SELECT 1").unwrap();
        assert_eq!(fingerprint(&watched), first, "the same bytes saved again");
        std::fs::write(&sql, "SELECT 2").unwrap();
        let edited = fingerprint(&watched);
        assert_ne!(edited, first);
        std::fs::write(&config, "").unwrap();
        let configured = fingerprint(&watched);
        assert_ne!(configured, edited, "a configuration file appeared");
        std::fs::write(queries.join("tables/b.sql"), "").unwrap();
        assert_ne!(fingerprint(&watched), configured, "a new, empty file");
    }
}
