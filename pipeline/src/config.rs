//! The publication's configuration, `dtto.toml`: the settings a team
//! changes between editions without touching code.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exit::Exit;
use crate::ingest::{Limits, MAX_LINE_BYTES, RecordLimits};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub ingest: IngestConfig,
    #[serde(default)]
    pub statistics: StatisticsConfig,
    #[serde(default)]
    pub disclosure: DisclosureConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureConfig {
    /// Counts from 1 to threshold - 1 are withheld `[c]`.
    #[serde(default = "default_threshold")]
    pub threshold: u64,
}

fn default_threshold() -> u64 {
    5
}

impl Default for DisclosureConfig {
    fn default() -> Self {
        DisclosureConfig {
            threshold: default_threshold(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsConfig {
    /// A rate on a denominator below this is marked low reliability `[u]`.
    #[serde(default = "default_low_reliability_below")]
    pub low_reliability_below: u64,
}

fn default_low_reliability_below() -> u64 {
    20
}

impl Default for StatisticsConfig {
    fn default() -> Self {
        StatisticsConfig {
            low_reliability_below: default_low_reliability_below(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Above this share of a file's rows quarantined, a delivery fails.
    #[serde(default = "default_max_quarantined_share")]
    pub max_quarantined_share: f64,
    /// Bytes of one record (header or row), and of a run of blank lines.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: u64,
    /// Bytes of one field.
    #[serde(default = "default_max_field_bytes")]
    pub max_field_bytes: u64,
    /// Fields of one record.
    #[serde(default = "default_max_columns")]
    pub max_columns: u64,
    /// Bytes of rejected rows and errors one delivery may leave.
    #[serde(default = "default_max_quarantine_bytes")]
    pub max_quarantine_bytes: u64,
}

fn default_max_quarantined_share() -> f64 {
    0.01
}

fn default_max_line_bytes() -> u64 {
    Limits::default().record.line_bytes
}

fn default_max_field_bytes() -> u64 {
    Limits::default().record.field_bytes
}

fn default_max_columns() -> u64 {
    Limits::default().record.columns
}

fn default_max_quarantine_bytes() -> u64 {
    Limits::default().quarantine_bytes
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_quarantined_share: default_max_quarantined_share(),
            max_line_bytes: default_max_line_bytes(),
            max_field_bytes: default_max_field_bytes(),
            max_columns: default_max_columns(),
            max_quarantine_bytes: default_max_quarantine_bytes(),
        }
    }
}

impl IngestConfig {
    pub fn limits(&self) -> Limits {
        Limits {
            record: RecordLimits {
                line_bytes: self.max_line_bytes,
                field_bytes: self.max_field_bytes,
                columns: self.max_columns,
            },
            quarantine_bytes: self.max_quarantine_bytes,
        }
    }
}

/// Why `dtto.toml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration {}: {problem}", path.display())]
    Invalid {
        path: PathBuf,
        problem: ConfigProblem,
    },
}

/// What is wrong with the configuration's text.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    #[error(transparent)]
    Syntax(#[from] toml::de::Error),
    #[error("ingest.max_quarantined_share is {0}; it is a share between 0 and 1 (0.01 is 1 %)")]
    QuarantineShare(f64),
    #[error(
        "ingest.max_field_bytes ({field}) and ingest.max_line_bytes ({line}) must satisfy 1 <= field <= line <= {MAX_LINE_BYTES}"
    )]
    RecordLimits { field: u64, line: u64 },
    #[error("ingest.max_columns is 0; no header could be read")]
    Columns,
    #[error("disclosure.threshold is {0}; at 1 or below no count would be withheld")]
    Threshold(u64),
}

impl ConfigError {
    pub fn exit(&self) -> Exit {
        Exit::Configuration
    }
}

impl Config {
    pub fn parse(text: &str) -> Result<Self, ConfigProblem> {
        let config: Config = toml::from_str(text)?;
        let share = config.ingest.max_quarantined_share;
        if !(0.0..=1.0).contains(&share) {
            return Err(ConfigProblem::QuarantineShare(share));
        }
        let ingest = &config.ingest;
        let (field, line) = (ingest.max_field_bytes, ingest.max_line_bytes);
        if !(1 <= field && field <= line && line <= MAX_LINE_BYTES) {
            return Err(ConfigProblem::RecordLimits { field, line });
        }
        if ingest.max_columns == 0 {
            return Err(ConfigProblem::Columns);
        }
        if config.disclosure.threshold < 2 {
            return Err(ConfigProblem::Threshold(config.disclosure.threshold));
        }
        Ok(config)
    }

    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|problem| ConfigError::Invalid {
            path: path.to_path_buf(),
            problem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_is_one_percent() {
        assert_eq!(
            Config::parse("").unwrap().ingest.max_quarantined_share,
            0.01
        );
    }

    #[test]
    fn a_percentage_written_as_a_whole_number_is_refused() {
        let err = Config::parse("[ingest]\nmax_quarantined_share = 5.0").unwrap_err();
        assert!(err.to_string().contains("between 0 and 1"), "{err}");
    }

    #[test]
    fn record_limits_must_nest_and_stay_below_the_batch_bound() {
        let limits =
            |text: &str| Config::parse(&format!("[ingest]\n{text}")).map(|c| c.ingest.limits());
        assert_eq!(limits("").unwrap(), Limits::default());
        assert_eq!(
            limits("max_field_bytes = 10\nmax_line_bytes = 10")
                .unwrap()
                .record
                .line_bytes,
            10
        );
        for bad in [
            "max_field_bytes = 0",
            "max_field_bytes = 11\nmax_line_bytes = 10",
            "max_line_bytes = 268435457",
            "max_columns = 0",
        ] {
            assert!(limits(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_bundled_configuration_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dtto.toml");
        Config::read(&path).unwrap();
    }
}
