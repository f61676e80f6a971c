//! `extract.toml`, the control file that says when the extract was taken
//! and how many data rows each file holds.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use dtto_model::contract::ExtractFile;

/// The largest control file read.
pub const MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlFile {
    /// No event in the extract is later than this.
    pub as_at: NaiveDate,
    pub supplier: String,
    /// Data rows (header excluded) per file, by file name.
    pub rows: BTreeMap<ExtractFile, u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    as_at: DateValue,
    supplier: String,
    rows: RawRows,
}

/// The contract writes `as_at = "2005-03-31"`; a bare TOML date means the
/// same thing, so both are taken.
#[derive(Deserialize)]
#[serde(untagged)]
enum DateValue {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRows {
    orders: u64,
    assessments: u64,
    drug_tests: u64,
    reconvictions: u64,
    treatment_episodes: u64,
}

/// Why a control file cannot be read, in the words the ingest error
/// quotes.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    Unreadable(#[from] std::io::Error),
    #[error(
        "it is larger than {} bytes; a control file is a few lines",
        dtto_model::format::thousands(MAX_BYTES)
    )]
    TooLarge,
    #[error("{0}")]
    NotToml(#[from] toml::de::Error),
    #[error("as_at {0:?} is not a YYYY-MM-DD date")]
    NotADate(String),
}

impl ControlFile {
    pub fn parse(text: &str) -> Result<Self, ControlError> {
        let raw: RawControl = toml::from_str(text)?;
        let as_at_text = match raw.as_at {
            DateValue::Text(text) => text,
            DateValue::Toml(value) => value.to_string(),
        };
        let as_at = NaiveDate::parse_from_str(&as_at_text, "%Y-%m-%d")
            .map_err(|_| ControlError::NotADate(as_at_text))?;
        let r = raw.rows;
        let rows = BTreeMap::from([
            (ExtractFile::Orders, r.orders),
            (ExtractFile::Assessments, r.assessments),
            (ExtractFile::DrugTests, r.drug_tests),
            (ExtractFile::Reconvictions, r.reconvictions),
            (ExtractFile::TreatmentEpisodes, r.treatment_episodes),
        ]);
        Ok(ControlFile {
            as_at,
            supplier: raw.supplier,
            rows,
        })
    }

    /// Reads at most [`MAX_BYTES`]: a control file is a few lines, and a
    /// hostile one must not take memory. Returns it with the SHA-256 of the
    /// text parsed, which is part of the delivery's key.
    pub fn read(path: &Path) -> Result<(Self, String), ControlError> {
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_BYTES + 1).read_to_string(&mut text))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(ControlError::TooLarge);
        }
        Ok((
            Self::parse(&text)?,
            super::digest::sha256_of(text.as_bytes()),
        ))
    }

    /// The file's expected data rows.
    pub fn rows_of(&self, file: ExtractFile) -> u64 {
        self.rows.get(&file).copied().unwrap_or(0)
    }

    /// The control file as the contract writes it.
    pub fn to_toml(&self) -> String {
        let mut text = format!(
            "as_at = \"{}\"\nsupplier = {}\n[rows]\n",
            self.as_at.format("%Y-%m-%d"),
            toml::Value::String(self.supplier.clone())
        );
        for file in ExtractFile::ALL {
            text.push_str(&format!("{} = {}\n", file.name(), self.rows_of(file)));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
as_at = "2005-03-31"          # the date the extract was taken; no event is later
supplier = "..."              # free text
[rows]                        # data rows (header excluded) in each file
orders = 30512
assessments = 41877
drug_tests = 2103301
reconvictions = 80433
treatment_episodes = 15022
"#;

    #[test]
    fn parses_the_contract_example() {
        let control = ControlFile::parse(EXAMPLE).unwrap();
        assert_eq!(control.as_at, NaiveDate::from_ymd_opt(2005, 3, 31).unwrap());
        assert_eq!(control.rows_of(ExtractFile::DrugTests), 2_103_301);
        assert_eq!(control.rows_of(ExtractFile::TreatmentEpisodes), 15_022);
    }

    #[test]
    fn round_trips_through_toml() {
        let control = ControlFile::parse(EXAMPLE).unwrap();
        assert_eq!(ControlFile::parse(&control.to_toml()).unwrap(), control);
    }

    #[test]
    fn bare_toml_date_is_taken() {
        let text = EXAMPLE.replace("\"2005-03-31\"", "2005-03-31");
        assert_eq!(
            ControlFile::parse(&text).unwrap().as_at,
            NaiveDate::from_ymd_opt(2005, 3, 31).unwrap()
        );
    }

    #[test]
    fn missing_count_misspelt_key_and_bad_date_are_refused() {
        let missing = EXAMPLE.replace("orders = 30512\n", "");
        assert!(
            ControlFile::parse(&missing)
                .unwrap_err()
                .to_string()
                .contains("orders")
        );
        let misspelt = EXAMPLE.replace("drug_tests", "drug_test");
        assert!(ControlFile::parse(&misspelt).is_err());
        let bad_date = EXAMPLE.replace("2005-03-31", "31/03/2005");
        assert!(
            ControlFile::parse(&bad_date)
                .unwrap_err()
                .to_string()
                .contains("as_at")
        );
        let negative = EXAMPLE.replace("30512", "-1");
        assert!(ControlFile::parse(&negative).is_err());
    }
}
