//! `manifest.json`: enough to reproduce an edition: the program and its
//! version, the period, the SHA-256 of every delivered file, of every file
//! under `queries/` and `templates/`, and of the effective configuration.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::ingest::report::IngestSummary;
use crate::ingest::warehouse::file_sha256;

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub program: &'static str,
    pub program_version: &'static str,
    pub period: String,
    pub as_at: String,
    /// The delivery's key in the warehouse.
    pub delivery: String,
    /// Each delivered file, control file included.
    pub inputs: BTreeMap<String, String>,
    /// Each file under `queries/`, by its path there.
    pub queries: BTreeMap<String, String>,
    /// Each file under `templates/`, by its path there.
    pub templates: BTreeMap<String, String>,
    /// The SHA-256 of the configuration as applied (defaults filled in),
    /// and the configuration itself.
    pub configuration_sha256: String,
    pub configuration: Config,
}

impl Manifest {
    pub fn new(
        period: String,
        ingest: &IngestSummary,
        queries: &Path,
        templates: &Path,
        config: &Config,
    ) -> Result<Manifest, String> {
        let canonical = serde_json::to_string(config).map_err(|e| e.to_string())?;
        Ok(Manifest {
            program: env!("CARGO_PKG_NAME"),
            program_version: env!("CARGO_PKG_VERSION"),
            period,
            as_at: ingest.as_at.clone(),
            delivery: ingest.key.clone(),
            inputs: ingest.inputs.clone(),
            queries: hashes_under(queries)?,
            templates: hashes_under(templates)?,
            configuration_sha256: sha256_hex(canonical.as_bytes()),
            configuration: config.clone(),
        })
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| e.to_string())
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

/// Every file under `root`, by its `/`-separated path relative to it.
fn hashes_under(root: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut hashes = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .map_err(|e| e.to_string())?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let digest = file_sha256(&path).map_err(|e| e.to_string())?;
                hashes.insert(relative, digest);
            }
        }
    }
    Ok(hashes)
}
