//! Reference lists kept with the queries (`queries/reference/*.csv`), which
//! statisticians edit without touching code. Ingest validates codes against
//! them.

use std::path::{Path, PathBuf};

use crate::ingest::contract::ReferenceList;

#[derive(Debug, thiserror::Error)]
#[error("reference list {path}: {problem}. Fix the file under queries/reference/ and run again")]
pub struct ReferenceError {
    pub path: PathBuf,
    pub problem: String,
}

/// The codes of every reference list the extract contract uses.
#[derive(Debug, Clone)]
pub struct ReferenceLists {
    probation_areas: Vec<String>,
    ethnicity_codes: Vec<String>,
}

impl ReferenceLists {
    pub fn load(dir: &Path) -> Result<Self, ReferenceError> {
        Ok(ReferenceLists {
            probation_areas: read_codes(&dir.join(ReferenceList::ProbationAreas.file_name()))?,
            ethnicity_codes: read_codes(&dir.join(ReferenceList::EthnicityCodes.file_name()))?,
        })
    }

    pub fn codes(&self, list: ReferenceList) -> &[String] {
        match list {
            ReferenceList::ProbationAreas => &self.probation_areas,
            ReferenceList::EthnicityCodes => &self.ethnicity_codes,
        }
    }

    /// The hash input that makes an ingest depend on the lists it was
    /// validated against.
    pub fn fingerprint(&self) -> String {
        format!(
            "areas={};ethnicity={}",
            self.probation_areas.join(","),
            self.ethnicity_codes.join(",")
        )
    }
}

/// Reads the `code` column of a reference CSV, in file order.
fn read_codes(path: &Path) -> Result<Vec<String>, ReferenceError> {
    let fail = |problem: String| ReferenceError {
        path: path.to_path_buf(),
        problem,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
    let headers = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
    let code_at = headers
        .iter()
        .position(|h| h == "code")
        .ok_or_else(|| fail("has no `code` column".into()))?;
    let mut codes: Vec<String> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        let code = record.get(code_at).unwrap_or("").trim();
        if code.is_empty() {
            return Err(fail(format!("line {} has an empty code", line_of(&record))));
        }
        if codes.iter().any(|c| c == code) {
            return Err(fail(format!("code {code} appears twice")));
        }
        codes.push(code.to_string());
    }
    if codes.len() > i16::MAX as usize {
        return Err(fail("has more codes than a dictionary column holds".into()));
    }
    Ok(codes)
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_lists_hold_the_contract_codes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../queries/reference");
        let lists = ReferenceLists::load(&dir).expect("bundled lists load");
        assert_eq!(lists.codes(ReferenceList::ProbationAreas).len(), 42);
        let ethnicity = lists.codes(ReferenceList::EthnicityCodes);
        assert_eq!(ethnicity.len(), 17);
        assert!(ethnicity.iter().any(|c| c == "NS"));
    }

    #[test]
    fn duplicate_code_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("probation_areas.csv"), "code\nKEN\nKEN\n").unwrap();
        std::fs::write(dir.path().join("ethnicity.csv"), "code\nNS\n").unwrap();
        let err = ReferenceLists::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("KEN appears twice"), "{err}");
    }
}
