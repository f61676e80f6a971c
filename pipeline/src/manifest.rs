//! `manifest.json`: enough to reproduce an edition: the program and its
//! version, the period, the SHA-256 of every delivered file, of every file
//! under `queries/` and `templates/`, and of the effective configuration;
//! and the SHA-256 of the files it covers: `public/manifest.json` those of
//! the public edition, `sign-off/manifest.json` every file of both parts,
//! so what was signed off can be shown to be what is published.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use dtto_ingest::report::IngestSummary;
use dtto_ingest::warehouse::file_sha256;
use dtto_render::RenderError;
use dtto_storage::publish::files_under;

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
    /// The rows each data file loaded, by its name (`orders`): the next
    /// edition counts the records its delivery adds to earlier quarters
    /// against these.
    pub records: BTreeMap<String, u64>,
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
    ) -> Result<Manifest, RenderError> {
        Ok(Manifest {
            program: env!("CARGO_PKG_NAME"),
            program_version: env!("CARGO_PKG_VERSION"),
            period,
            as_at: ingest.as_at.clone(),
            delivery: ingest.key.clone(),
            inputs: ingest.inputs.clone(),
            records: ingest
                .files
                .iter()
                .map(|file| (file.file.clone(), file.loaded))
                .collect(),
            queries: hashes_under(queries)?,
            templates: hashes_under(templates)?,
            configuration_sha256: sha256_hex(json(serde_json::to_string(config))?.as_bytes()),
            configuration: config.clone(),
        })
    }

    /// Writes the manifest to `path`, with the hash of every file already
    /// written under `covered`.
    pub fn write(&self, covered: &Path, path: &Path) -> Result<(), RenderError> {
        let covering = Covering {
            manifest: self,
            outputs: hashes_under(covered)?,
        };
        let mut text = json(serde_json::to_string_pretty(&covering))?;
        text.push('\n');
        std::fs::write(path, text).map_err(RenderError::io_at(path))
    }
}

/// The manifest as written: with the files it covers, by their path in the
/// folder covered (`index.html`; `public/index.html`, `sign-off/qa.html`).
#[derive(Serialize)]
struct Covering<'a> {
    #[serde(flatten)]
    manifest: &'a Manifest,
    outputs: BTreeMap<String, String>,
}

fn json(written: serde_json::Result<String>) -> Result<String, RenderError> {
    written.map_err(|e| RenderError::Assembly {
        file: "manifest.json",
        reason: e.to_string(),
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

/// The SHA-256 of every file under `root`, by its `/`-separated path
/// relative to it.
fn hashes_under(root: &Path) -> Result<BTreeMap<String, String>, RenderError> {
    files_under(root)
        .map_err(RenderError::io_at(root))?
        .into_iter()
        .map(|(relative, path)| {
            let digest = file_sha256(&path).map_err(RenderError::io_at(&path))?;
            Ok((relative, digest))
        })
        .collect()
}
