//! One dtto at a time per warehouse and per output folder. A scheduled run
//! that starts while another is still writing must not interleave with it:
//! two ingests a second apart once left a delivery holding half its
//! datasets. The lock is the operating system's advisory lock on a file in
//! the folder (`.warehouse.lock`, `.output.lock`: one folder may serve as
//! both), released when the process ends however it ends, so a killed run
//! never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use dtto_model::exit::Exit;

/// Whether others may hold the folder at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Readers: any number together, none while a writer holds it.
    Shared,
    /// A writer: alone.
    Exclusive,
}

/// Held for as long as it lives.
#[derive(Debug)]
pub struct Lock {
    file: File,
    access: Access,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{} is in use by another dtto{holder}: wait for it to finish, or run again with --wait",
        folder.display()
    )]
    Busy { folder: PathBuf, holder: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl LockError {
    pub fn exit(&self) -> Exit {
        match self {
            LockError::Busy { .. } => Exit::Busy,
            LockError::Io { .. } => Exit::Storage,
        }
    }
}

impl Lock {
    /// Locks a warehouse (created if missing, unless only read). When
    /// another process holds it: waits if `wait`, otherwise fails at once.
    pub fn warehouse(folder: &Path, access: Access, wait: bool) -> Result<Lock, LockError> {
        Lock::acquire(folder, ".warehouse.lock", access, wait)
    }

    /// Locks an output folder (created if missing) for one writer.
    pub fn output(folder: &Path, wait: bool) -> Result<Lock, LockError> {
        Lock::acquire(folder, ".output.lock", Access::Exclusive, wait)
    }

    fn acquire(folder: &Path, name: &str, access: Access, wait: bool) -> Result<Lock, LockError> {
        let path = folder.join(name);
        let io_at = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let writer = access == Access::Exclusive;
        if writer {
            std::fs::create_dir_all(folder).map_err(io_at)?;
        }
        // A reader needs no write access to the folder once the file exists.
        let opened = OpenOptions::new().read(true).write(writer).open(&path);
        let mut file = match opened {
            Err(e) if e.kind() == io::ErrorKind::NotFound => OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path),
            opened => opened,
        }
        .map_err(io_at)?;
        let taken = match (access, wait) {
            (Access::Shared, true) => file.lock_shared().map_err(TryLockError::Error),
            (Access::Exclusive, true) => file.lock().map_err(TryLockError::Error),
            (Access::Shared, false) => file.try_lock_shared(),
            (Access::Exclusive, false) => file.try_lock(),
        };
        match taken {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    folder: folder.to_path_buf(),
                    holder: holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_at(e)),
        }
        if writer {
            // For the message another run gets while this one holds it;
            // cleared again when this one lets go.
            file.set_len(0).map_err(io_at)?;
            writeln!(file, "{}", std::process::id()).map_err(io_at)?;
        }
        Ok(Lock { file, access })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.access == Access::Exclusive {
            // Best effort: a number left behind only names a process that
            // no longer holds the lock.
            let _ = self.file.set_len(0);
        }
    }
}

/// ` (process N)` from the lock file, when the writer holding it left its
/// process number there.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) => match text.trim().parse::<u32>() {
            Ok(process) => format!(" (process {process})"),
            Err(_) => String::new(),
        },
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(locked: Result<Lock, LockError>) -> Option<String> {
        match locked {
            Err(LockError::Busy { holder, .. }) => Some(holder),
            _ => None,
        }
    }

    #[test]
    fn readers_share_a_warehouse_and_a_writer_has_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let readers = [
            Lock::warehouse(dir.path(), Access::Shared, false).unwrap(),
            Lock::warehouse(dir.path(), Access::Shared, false).unwrap(),
        ];
        let refused = Lock::warehouse(dir.path(), Access::Exclusive, false);
        assert_eq!(
            busy(refused),
            Some(String::new()),
            "readers leave no number"
        );
        drop(readers);
        let writer = Lock::warehouse(dir.path(), Access::Exclusive, false).unwrap();
        let refused = Lock::warehouse(dir.path(), Access::Shared, false);
        let this = format!(" (process {})", std::process::id());
        assert_eq!(busy(refused), Some(this));
        drop(writer);
        let file = dir.path().join(".warehouse.lock");
        assert_eq!(std::fs::read_to_string(file).unwrap(), "");
    }

    #[test]
    fn one_folder_can_be_warehouse_and_output_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let _warehouse = Lock::warehouse(dir.path(), Access::Exclusive, false).unwrap();
        let _output = Lock::output(dir.path(), false).unwrap();
    }
}
