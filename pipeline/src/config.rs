//! The publication's configuration, `dtto.toml`: the settings a team
//! changes between editions without touching code.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use dtto_ingest::{Limits, MAX_LINE_BYTES, RecordLimits};
use dtto_model::exit::Exit;
use dtto_protect::disclosure::suppression::{Complements, Rules};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub ingest: IngestConfig,
    #[serde(default)]
    pub statistics: StatisticsConfig,
    #[serde(default)]
    pub disclosure: DisclosureConfig,
    /// When and by whom the edition is released; without it, every edition
    /// is a draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    /// The day of publication, a TOML date (`published = 2005-05-12`).
    pub published: toml::value::Datetime,
    /// The time of publication, `HH:MM`.
    #[serde(default = "default_release_time")]
    pub time: String,
    /// The day of the next edition, if announced.
    pub next: Option<toml::value::Datetime>,
    pub producer: String,
    pub contact: String,
    pub status: ReleaseStatus,
}

fn default_release_time() -> String {
    "09:30".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum ReleaseStatus {
    #[serde(rename = "Official statistics")]
    Official,
    #[serde(rename = "Official statistics in development")]
    InDevelopment,
}

impl ReleaseStatus {
    pub fn name(self) -> &'static str {
        match self {
            ReleaseStatus::Official => "Official statistics",
            ReleaseStatus::InDevelopment => "Official statistics in development",
        }
    }
}

impl ReleaseConfig {
    pub fn published_date(&self) -> Option<chrono::NaiveDate> {
        date_of(&self.published)
    }

    pub fn next_date(&self) -> Option<chrono::NaiveDate> {
        self.next.as_ref().and_then(date_of)
    }

    fn problem(&self) -> Option<ConfigProblem> {
        let bad = |what: &str| Some(ConfigProblem::Release(what.to_string()));
        if self.published_date().is_none() {
            return bad("release.published must be a date, e.g. 2005-05-12");
        }
        if self.next.is_some() && self.next_date().is_none() {
            return bad("release.next must be a date, e.g. 2005-08-11");
        }
        if chrono::NaiveTime::parse_from_str(&self.time, "%H:%M").is_err() {
            return bad("release.time must be HH:MM, e.g. 09:30");
        }
        if self.producer.trim().is_empty() || self.contact.trim().is_empty() {
            return bad("release.producer and release.contact must not be empty");
        }
        None
    }
}

/// A TOML date with no time of day.
fn date_of(value: &toml::value::Datetime) -> Option<chrono::NaiveDate> {
    match (value.date, value.time) {
        (Some(date), None) => chrono::NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureConfig {
    /// Counts from 1 to threshold - 1 are withheld `[c]`.
    #[serde(default = "default_threshold")]
    pub threshold: u64,
    /// Which figures are withheld with them so that none can be found by
    /// subtraction.
    #[serde(default)]
    pub complements: Complements,
    /// Groups whose figures tell readers least, withheld before any other
    /// figure as complements.
    #[serde(default = "default_withhold_first")]
    pub withhold_first: Vec<String>,
}

fn default_withhold_first() -> Vec<String> {
    vec!["Not known".to_string(), "Not stated".to_string()]
}

impl DisclosureConfig {
    pub fn rules(&self) -> Rules {
        Rules {
            threshold: self.threshold,
            complements: self.complements,
        }
    }
}

fn default_threshold() -> u64 {
    5
}

impl Default for DisclosureConfig {
    fn default() -> Self {
        DisclosureConfig {
            threshold: default_threshold(),
            complements: Complements::default(),
            withhold_first: default_withhold_first(),
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
    #[error("{0}")]
    Release(String),
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
        if let Some(problem) = config.release.as_ref().and_then(ReleaseConfig::problem) {
            return Err(problem);
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

    /// The file at `path`, or the defaults when `path` is the default
    /// `dtto.toml` and there is none.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        if !path.exists() && path == Path::new(DEFAULT_FILE) {
            return Ok(Config::default());
        }
        Self::read(path)
    }
}

/// The configuration file a command reads unless told another.
pub const DEFAULT_FILE: &str = "dtto.toml";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_is_read_with_its_dates_and_a_bad_one_is_named() {
        let release = "[release]\npublished = 2005-05-12\nnext = 2005-08-11\n\
            producer = \"Home Office\"\ncontact = \"stats@example.gov.uk\"\n\
            status = \"Official statistics in development\"\n";
        let config = Config::parse(release).unwrap();
        let release = config.release.unwrap();
        assert_eq!(
            release.published_date(),
            chrono::NaiveDate::from_ymd_opt(2005, 5, 12)
        );
        assert_eq!(
            release.next_date(),
            chrono::NaiveDate::from_ymd_opt(2005, 8, 11)
        );
        assert_eq!(release.time, "09:30");
        assert_eq!(release.status, ReleaseStatus::InDevelopment);
        let late = "[release]\npublished = 2005-05-12\ntime = \"9.30am\"\n\
            producer = \"x\"\ncontact = \"y\"\nstatus = \"Official statistics\"\n";
        let err = Config::parse(late).unwrap_err();
        assert!(
            err.to_string().contains("release.time must be HH:MM"),
            "{err}"
        );
        assert_eq!(Config::parse("").unwrap().release, None);
    }

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
