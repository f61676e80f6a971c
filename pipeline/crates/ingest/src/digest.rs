//! A delivery file's SHA-256, taken from the very bytes the loader parses.
//!
//! The delivery's key, its manifest and its rows must describe the same
//! bytes. Hashing in a read of its own would not promise that: a supplier's
//! upload still landing can replace a file between that read and the load.
//! So the loader's read is hashed as it goes, and the file is refused when
//! what was read is not what the path holds at the end: another size,
//! modification time or file (a rename over it), or fewer bytes than it
//! has.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::error::IngestError;

/// What identifies a file's contents without reading them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    device: u64,
    inode: u64,
    bytes: u64,
    modified: Option<SystemTime>,
}

impl Identity {
    fn of(metadata: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Identity {
            device: metadata.dev(),
            inode: metadata.ino(),
            bytes: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

#[derive(Default)]
struct Hashed {
    sha: Sha256,
    bytes: u64,
    /// A read has returned the end of the file.
    ended: bool,
}

/// The hash of one reading of a file, shared with the reader that feeds it
/// (on the scanner's thread).
pub struct ReadDigest {
    opened: Identity,
    hashed: Arc<Mutex<Hashed>>,
}

/// `inner`, with every byte read from it hashed into a [`ReadDigest`].
pub(crate) struct HashingReader<R> {
    inner: R,
    hashed: Arc<Mutex<Hashed>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut hashed = self.hashed.lock().unwrap_or_else(PoisonError::into_inner);
        if n == 0 && !buf.is_empty() {
            hashed.ended = true;
        }
        hashed.sha.update(&buf[..n]);
        hashed.bytes += n as u64;
        Ok(n)
    }
}

/// Opens `path` for one reading whose bytes are hashed.
pub(crate) fn open_hashed(path: &Path) -> std::io::Result<(HashingReader<File>, ReadDigest)> {
    let file = File::open(path)?;
    let opened = Identity::of(&file.metadata()?);
    let hashed = Arc::new(Mutex::new(Hashed::default()));
    let reader = HashingReader {
        inner: file,
        hashed: Arc::clone(&hashed),
    };
    Ok((reader, ReadDigest { opened, hashed }))
}

impl ReadDigest {
    /// The SHA-256 (hex) of the file as it was read, once it was read to
    /// its end; `None` when reading stopped before (the file has failed
    /// already). Refused when the file read is not, whole and unchanged,
    /// the file at `path` now.
    pub fn finish(self, path: &Path) -> Result<Option<String>, IngestError> {
        let hashed =
            std::mem::take(&mut *self.hashed.lock().unwrap_or_else(PoisonError::into_inner));
        if !hashed.ended {
            return Ok(None);
        }
        let changed = |now: String| IngestError::ChangedWhileRead {
            path: path.to_path_buf(),
            change: now,
        };
        let now = std::fs::metadata(path)
            .map(|metadata| Identity::of(&metadata))
            .map_err(|e| changed(format!("it could no longer be found ({e})")))?;
        if now.device != self.opened.device || now.inode != self.opened.inode {
            return Err(changed("another file was put in its place".to_string()));
        }
        if now.bytes != self.opened.bytes || hashed.bytes != self.opened.bytes {
            return Err(changed(format!(
                "it held {} bytes when opened, {} were read and it holds {} now",
                self.opened.bytes, hashed.bytes, now.bytes
            )));
        }
        if now.modified != self.opened.modified {
            return Err(changed("it was written to".to_string()));
        }
        Ok(Some(format!("{:x}", hashed.sha.finalize())))
    }
}

/// The SHA-256 (hex) of `bytes` already in memory (the control file).
pub(crate) fn sha256_of(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> ReadDigest {
        let (mut reader, digest) = open_hashed(path).unwrap();
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        digest
    }

    #[test]
    fn a_file_read_whole_has_the_hash_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"abc").unwrap();
        // SHA-256 of "abc", FIPS 180-2's first example.
        assert_eq!(
            read_all(&path).finish(&path).unwrap().as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            sha256_of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_file_not_read_to_its_end_has_no_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"abcdef").unwrap();
        let (mut reader, digest) = open_hashed(&path).unwrap();
        reader.read_exact(&mut [0; 3]).unwrap();
        assert_eq!(digest.finish(&path).unwrap(), None);
    }

    #[test]
    fn a_file_replaced_or_grown_while_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let refusal = |digest: ReadDigest| digest.finish(&path).unwrap_err().to_string();
        std::fs::write(&path, b"abc").unwrap();
        let digest = read_all(&path);
        let other = dir.path().join("b.csv");
        std::fs::write(&other, b"abc").unwrap();
        std::fs::rename(&other, &path).unwrap();
        let refused = refusal(digest);
        assert!(
            refused.contains("another file was put in its place"),
            "{refused}"
        );

        let digest = read_all(&path);
        let mut appending = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        appending.write_all(b"d").unwrap();
        let refused = refusal(digest);
        assert!(
            refused.contains("it held 3 bytes when opened, 3 were read and it holds 4 now"),
            "{refused}"
        );
    }
}
