//! One dtto at a time per warehouse and per output folder. A scheduled run
//! that starts while another is still writing must not interleave with it:
//! two ingests a second apart once left a delivery holding half its
//! datasets. The lock is the operating system's advisory lock on a `.lock`
//! file in the folder, released when the process ends however it ends, so a
//! killed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::exit::Exit;

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
    _file: File,
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
    /// Locks `folder` (created if missing). When another process holds it:
    /// waits for it if `wait`, otherwise fails at once.
    pub fn acquire(folder: &Path, access: Access, wait: bool) -> Result<Lock, LockError> {
        let path = folder.join(".lock");
        let io_at = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(folder).map_err(io_at)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
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
        if access == Access::Exclusive {
            // For the message another run gets while this one holds it.
            file.set_len(0).map_err(io_at)?;
            writeln!(file, "{}", std::process::id()).map_err(io_at)?;
        }
        Ok(Lock { _file: file })
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
