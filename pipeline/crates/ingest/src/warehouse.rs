//! The warehouse: one folder per ingested delivery, keyed by a content
//! hash, and a `current` pointer to the one the queries read.
//!
//! ```text
//! warehouse/
//!   current                  the key of the delivery in use
//!   deliveries/<key>/        <file>/part-00000.parquet, quarantine/, ingest.json
//!   rejected/<key>/          a failed ingest's quarantine, for inspection
//!                            (the latest few failures only)
//!   .staging/                an ingest in progress (one at a time: an
//!                            ingest holds the warehouse's lock)
//!   .replaced-<key>/         the earlier ingest of a delivery ingested
//!                            again (`--force`), while the new one moves in
//! ```
//!
//! An ingest writes into staging and renames it into place only when every
//! check passed, so a failed or interrupted ingest never touches the
//! delivery in use. A delivery is synced whole before that rename, and
//! `current` is written beside and renamed, so a kill or a power cut at any
//! point leaves `current` naming the old delivery or the new one, complete.
//! Ingesting a delivery again moves the earlier copy to `.replaced-<key>`
//! first: killed between the two renames, that is the delivery's only
//! copy, and [`Warehouse::recover`] puts it back before the next ingest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::IngestError;
use super::source::Source;
use dtto_model::contract::ExtractFile;
use dtto_storage::durable::{
    names_in, put_back, remove_dir_if_present, replace_file, sync_dir, sync_tree,
};

pub const SUMMARY_FILE: &str = "ingest.json";
const CURRENT: &str = "current";
const REPLACED: &str = ".replaced-";
const STAGING: &str = ".staging";
/// Failed ingests kept under `rejected/`, newest first; older ones are
/// removed, so repeated hostile deliveries cannot fill the disk.
pub const REJECTS_KEPT: usize = 5;

pub struct Warehouse {
    root: PathBuf,
}

impl Warehouse {
    pub fn new(root: &Path) -> Self {
        Warehouse {
            root: root.to_path_buf(),
        }
    }

    pub fn delivery_dir(&self, key: &str) -> PathBuf {
        self.root.join("deliveries").join(key)
    }

    /// Not named by the delivery's key: the key is worked out while the
    /// delivery loads.
    pub fn staging_dir(&self) -> PathBuf {
        self.root.join(STAGING)
    }

    pub fn rejected_dir(&self, key: &str) -> PathBuf {
        self.root.join("rejected").join(key)
    }

    fn replaced_dir(&self, key: &str) -> PathBuf {
        self.root.join(format!("{REPLACED}{key}"))
    }

    /// The file naming the current delivery: an ingest replaces it.
    pub fn current_pointer(&self) -> PathBuf {
        self.root.join(CURRENT)
    }

    /// The delivery the queries read, if any has been ingested.
    pub fn current_dir(&self) -> Option<PathBuf> {
        let key = std::fs::read_to_string(self.current_pointer()).ok()?;
        let dir = self.delivery_dir(key.trim());
        dir.join(SUMMARY_FILE).is_file().then_some(dir)
    }

    /// Whether this delivery was ingested completely before.
    pub fn has(&self, key: &str) -> bool {
        self.delivery_dir(key).join(SUMMARY_FILE).is_file()
    }

    /// Whether a delivery ingested before had a control file with this
    /// SHA-256: one with the same control file may well be that delivery.
    pub fn has_control_file(&self, sha256: &str) -> bool {
        let Ok(keys) = names_in(&self.root.join("deliveries")) else {
            return false;
        };
        keys.iter().any(|key| {
            super::read_summary(&self.delivery_dir(key)).is_ok_and(|summary| {
                summary.inputs.get(super::CONTROL_FILE).map(String::as_str) == Some(sha256)
            })
        })
    }

    /// A fresh, empty staging folder, in place of any a killed ingest left.
    pub fn start(&self) -> Result<PathBuf, IngestError> {
        let staging = self.discard_staging()?;
        std::fs::create_dir_all(&staging).map_err(|e| IngestError::storage(&staging, e))?;
        Ok(staging)
    }

    /// Removes the staging folder and what it holds.
    pub fn discard_staging(&self) -> Result<PathBuf, IngestError> {
        let staging = self.staging_dir();
        remove_dir_if_present(&staging)?;
        Ok(staging)
    }

    /// Undoes what an ingest killed while committing left half done. A
    /// delivery at `.replaced-<key>` with nothing at `deliveries/<key>` is
    /// the only copy of that delivery (the kill came between commit's two
    /// renames) and is renamed back; with a delivery in place it was
    /// superseded, and is removed. Called before anything else an ingest
    /// does: until then `current` may name a delivery that is not in place.
    pub fn recover(&self) -> Result<(), IngestError> {
        for name in names_in(&self.root)? {
            if let Some(key) = name.strip_prefix(REPLACED) {
                put_back(&self.root.join(&name), &self.delivery_dir(key))?;
            }
        }
        Ok(())
    }

    /// Moves a finished staging folder into place, replacing an earlier
    /// ingest of the same delivery, and makes it current.
    pub fn commit(&self, key: &str) -> Result<PathBuf, IngestError> {
        let staging = self.staging_dir();
        let target = self.delivery_dir(key);
        let parent = self.root.join("deliveries");
        std::fs::create_dir_all(&parent).map_err(|e| IngestError::storage(&parent, e))?;
        // Every Parquet file, the quarantine and the summary on disk before
        // the delivery is in place: `has` takes it as complete from then on.
        sync_tree(&staging)?;
        let replaced = self.replaced_dir(key);
        if target.exists() {
            remove_dir_if_present(&replaced)?;
            std::fs::rename(&target, &replaced).map_err(|e| IngestError::storage(&target, e))?;
        }
        std::fs::rename(&staging, &target).map_err(|e| IngestError::storage(&target, e))?;
        // Both ends of the rename on disk before `current` can name it.
        sync_dir(&parent).and_then(|()| sync_dir(&self.root))?;
        remove_dir_if_present(&replaced)?;
        self.make_current(key)?;
        Ok(target)
    }

    /// Keeps a failed ingest's quarantine under `rejected/` for a person to
    /// inspect; its loaded rows are of no use and are dropped, and so are
    /// all but the latest [`REJECTS_KEPT`] failures.
    pub fn reject(&self, key: &str) -> Result<PathBuf, IngestError> {
        let staging = self.staging_dir();
        let target = self.rejected_dir(key);
        remove_dir_if_present(&target)?;
        let parent = self.root.join("rejected");
        std::fs::create_dir_all(&parent).map_err(|e| IngestError::storage(&parent, e))?;
        for file in ExtractFile::ALL {
            remove_dir_if_present(&staging.join(file.name()))?;
        }
        std::fs::rename(&staging, &target).map_err(|e| IngestError::storage(&target, e))?;
        prune(&parent, &target)?;
        Ok(target)
    }

    /// Points `current` at a delivery: written beside and renamed, so a
    /// reader sees the old key or the new one, never half of either.
    pub fn make_current(&self, key: &str) -> Result<(), IngestError> {
        Ok(replace_file(
            &self.root.join(CURRENT),
            format!("{key}\n").as_bytes(),
        )?)
    }
}

/// Removes all but the newest [`REJECTS_KEPT`] folders of `rejected`,
/// always keeping `latest`, the one just made.
fn prune(rejected: &Path, latest: &Path) -> Result<(), IngestError> {
    let failed = |e: std::io::Error| IngestError::storage(rejected, e);
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(rejected).map_err(failed)? {
        let path = entry.map_err(failed)?.path();
        if path != latest {
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map_err(failed)?;
            folders.push((modified, path));
        }
    }
    // Newest first; the name breaks ties, so the choice is the same on
    // every run.
    folders.sort_by(|a, b| b.cmp(a));
    for (_, path) in folders.iter().skip(REJECTS_KEPT - 1) {
        remove_dir_if_present(path)?;
    }
    Ok(())
}

/// The key of a delivery: SHA-256 over the SHA-256 of each of its files
/// (`files`, by name as delivered, the control file's included) and
/// whatever else decides what an ingest loads (`settings`: the reference
/// lists, the quarantine limit; and this program's version).
pub fn delivery_key(settings: &str, files: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("dtto {}\0{settings}\0", env!("CARGO_PKG_VERSION")));
    for (name, digest) in files {
        hasher.update(format!("{name}\0{digest}\0"));
    }
    format!("{:x}", hasher.finalize())
}

/// Each data file's SHA-256 as it is on disk now, by name: read apart from
/// any load, so it may not describe rows loaded. Only for finding a
/// delivery ingested before without loading it, and naming a failed one.
pub fn digests_on_disk(sources: &[Source]) -> std::io::Result<BTreeMap<String, String>> {
    sources
        .iter()
        .map(|source| Ok((source.file_name(), file_sha256(&source.path)?)))
        .collect()
}

/// The SHA-256 of a file's bytes, in hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    // Read in 1 MiB blocks: every run hashes the whole delivery.
    let mut file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}
