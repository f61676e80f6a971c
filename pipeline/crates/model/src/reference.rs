//! Reference lists kept with the queries (`queries/reference/*.csv`), which
//! statisticians edit without touching code. Ingest validates codes against
//! some of them; others put the contract's codes into the words readers
//! see, and must have words for every code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::contract::{ExtractFile, Kind, ReferenceList};

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
    /// Reads the lists ingest validates against, and checks the lists of
    /// words ([`LABELS`]) against the contract's codes.
    pub fn load(dir: &Path) -> Result<Self, ReferenceError> {
        let lists = ReferenceLists {
            probation_areas: read_codes(&dir.join(ReferenceList::ProbationAreas.file_name()))?,
            ethnicity_codes: read_codes(&dir.join(ReferenceList::EthnicityCodes.file_name()))?,
        };
        for (file, columns) in LABELS {
            check_labels(&dir.join(file), columns)?;
        }
        Ok(lists)
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

/// The lists whose words name groups: the words of the codes ([`LABELS`]),
/// the ethnic groups, the probation areas and the age bands. Not the
/// commencement targets: their years are figures' years, in time order.
fn word_lists() -> impl Iterator<Item = &'static str> {
    LABELS.into_iter().map(|(file, _)| file).chain([
        ReferenceList::EthnicityCodes.file_name(),
        ReferenceList::ProbationAreas.file_name(),
        "age_bands.csv",
    ])
}

/// The order readers meet groups in: the order of the reference lists.
/// Each column of each list of words but its codes is one order of words
/// (age bands youngest first, sex and ethnic groups as the lists put
/// them), so a statistician reorders a breakdown's groups by reordering
/// its list.
#[derive(Debug, Clone, Default)]
pub struct ReadingOrder {
    lists: Vec<Vec<String>>,
}

impl ReadingOrder {
    /// Reads the lists of words among the reference lists at `paths`.
    pub fn load<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<Self, ReferenceError> {
        ReadingOrder::from_lists(paths.into_iter().filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| word_lists().any(|list| list == name))
        }))
    }

    /// Reads every list at `paths`, in the order given.
    fn from_lists<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<Self, ReferenceError> {
        let mut lists = Vec::new();
        for path in paths {
            let fail = |problem: String| ReferenceError {
                path: path.to_path_buf(),
                problem,
            };
            let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
            let header = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
            let mut columns: Vec<Vec<String>> = vec![Vec::new(); header.len()];
            for record in reader.records() {
                let record = record.map_err(|e| fail(e.to_string()))?;
                for (column, field) in columns.iter_mut().zip(record.iter()) {
                    if !column.iter().any(|word| word == field) {
                        column.push(field.to_string());
                    }
                }
            }
            lists.extend(
                header
                    .iter()
                    .zip(columns)
                    .filter(|(name, _)| *name != "code")
                    .map(|(_, words)| words),
            );
        }
        Ok(ReadingOrder { lists })
    }

    /// Each of `words` with its place in the list that holds most of them
    /// (the first such list); `None` for a word no list holds, or when no
    /// list holds any.
    pub fn places<'a>(&self, words: &BTreeSet<&'a str>) -> Vec<(&'a str, Option<usize>)> {
        let held = |list: &[String]| {
            words
                .iter()
                .filter(|word| list.iter().any(|l| l == *word))
                .count()
        };
        let best = self
            .lists
            .iter()
            .enumerate()
            .map(|(index, list)| (held(list), std::cmp::Reverse(index), list))
            .filter(|(count, _, _)| *count > 0)
            .max_by_key(|(count, index, _)| (*count, *index))
            .map(|(_, _, list)| list);
        words
            .iter()
            .map(|word| {
                (
                    *word,
                    best.and_then(|list| list.iter().position(|l| l == word)),
                )
            })
            .collect()
    }
}

/// The lists that put the contract's codes into words for readers, each
/// with the columns whose codes it labels. The views join them to the
/// extract: a code without its row would be published blank or dropped
/// from a table without a word, and a row for a code the contract does not
/// have would publish a group nobody can be in. So each list must hold
/// exactly the codes of its columns, every run checks it before anything
/// is computed, and a list that does not is refused with what is wrong
/// (exit 8), whether or not this delivery holds the code: the next one may.
const LABELS: [(&str, &[(ExtractFile, &str)]); 7] = [
    (
        "sex.csv",
        &[
            (ExtractFile::Orders, "sex"),
            (ExtractFile::Assessments, "sex"),
        ],
    ),
    (
        "termination_reasons.csv",
        &[(ExtractFile::Orders, "termination_reason")],
    ),
    ("order_types.csv", &[(ExtractFile::Orders, "order_type")]),
    (
        "primary_drugs.csv",
        &[(ExtractFile::Orders, "primary_drug")],
    ),
    (
        "accommodation.csv",
        &[(ExtractFile::Orders, "accommodation")],
    ),
    (
        "yes_no.csv",
        &[
            (ExtractFile::Orders, "mental_health"),
            (ExtractFile::Orders, "motivation_group"),
            (ExtractFile::Assessments, "mental_health"),
        ],
    ),
    ("substances.csv", &[(ExtractFile::DrugTests, "substance")]),
];

/// The codes the contract allows in a column; none for a column that is
/// not a fixed set of codes.
fn contract_codes(file: ExtractFile, column: &str) -> &'static [&'static str] {
    match file.columns()[file.column_index(column)].kind {
        Kind::Code(codes) => codes,
        _ => &[],
    }
}

/// Refuses a list of words that misses a code of one of its columns, or
/// has a row for a code none of them allows.
fn check_labels(path: &Path, columns: &[(ExtractFile, &str)]) -> Result<(), ReferenceError> {
    let codes = read_codes(path)?;
    let fail = |problem: String| ReferenceError {
        path: path.to_path_buf(),
        problem,
    };
    for &(file, column) in columns {
        if let Some(missing) = contract_codes(file, column)
            .iter()
            .find(|code| !codes.iter().any(|c| c == *code))
        {
            return Err(fail(format!(
                "has no row for `{missing}`, a code of {column} in {}.csv: \
                 every code the extract may hold needs its words",
                file.name()
            )));
        }
    }
    if let Some(unknown) = codes.iter().find(|code| {
        !columns
            .iter()
            .any(|&(file, column)| contract_codes(file, column).contains(&code.as_str()))
    }) {
        return Err(fail(format!(
            "has a row for `{unknown}`, which the extract contract does not have as a code of {}",
            columns
                .iter()
                .map(|(file, column)| format!("{column} in {}.csv", file.name()))
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    Ok(())
}

/// Reads the `code` column of a reference CSV, in file order. Every field
/// of every row must be filled: an empty name or word would be published
/// as a blank group.
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
        if let Some(empty) = headers
            .iter()
            .zip(record.iter())
            .find(|(_, field)| field.trim().is_empty())
            .map(|(header, _)| header)
        {
            return Err(fail(format!(
                "line {} has an empty {empty}",
                line_of(&record)
            )));
        }
        let code = record.get(code_at).unwrap_or("");
        // The queries join on the code as written: a space would make it
        // another code there.
        if code.trim() != code {
            return Err(fail(format!(
                "line {} has spaces around the code `{code}`",
                line_of(&record)
            )));
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
    fn groups_take_the_places_of_the_list_holding_most_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let sex = dir.path().join("sex.csv");
        std::fs::write(&sex, "code,sex_label\nM,Male\nF,Female\nU,Not known\n").unwrap();
        let drugs = dir.path().join("drugs.csv");
        std::fs::write(&drugs, "code,label\nh,Heroin\no,Other\n").unwrap();
        let substances = dir.path().join("substances.csv");
        std::fs::write(&substances, "code,label\nop,Opiates\nco,Cocaine\no,Other\n").unwrap();
        let order =
            ReadingOrder::load([sex.as_path(), drugs.as_path(), substances.as_path()]).unwrap();
        let places = |words: &[&'static str]| order.places(&words.iter().copied().collect());
        // The list's order, not the alphabet's; a word of no list has none.
        assert_eq!(
            places(&["Female", "Male", "Not known", "Unrecorded"]),
            [
                ("Female", Some(1)),
                ("Male", Some(0)),
                ("Not known", Some(2)),
                ("Unrecorded", None)
            ]
        );
        // "Other" is in two lists: its place is in the one holding the
        // other words too.
        assert_eq!(
            places(&["Cocaine", "Opiates", "Other"]),
            [
                ("Cocaine", Some(1)),
                ("Opiates", Some(0)),
                ("Other", Some(2))
            ]
        );
    }

    #[test]
    fn bundled_lists_hold_the_contract_codes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../queries/reference");
        let lists = ReferenceLists::load(&dir).expect("bundled lists load");
        assert_eq!(lists.codes(ReferenceList::ProbationAreas).len(), 42);
        let ethnicity = lists.codes(ReferenceList::EthnicityCodes);
        assert_eq!(ethnicity.len(), 17);
        assert!(ethnicity.iter().any(|c| c == "NS"));
    }

    #[test]
    fn every_list_of_words_labels_columns_of_codes() {
        for (file, columns) in LABELS {
            for &(extract, column) in columns {
                assert!(
                    !contract_codes(extract, column).is_empty(),
                    "{file}: {column} of {} is not a column of codes",
                    extract.name()
                );
            }
        }
    }

    /// The bundled lists with `file` written as `text`: the problem, if
    /// they are refused.
    fn refused_with(file: &str, text: &str) -> Option<String> {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../queries/reference");
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&bundled).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
        std::fs::write(dir.path().join(file), text).unwrap();
        ReferenceLists::load(dir.path()).err().map(|e| e.problem)
    }

    #[test]
    fn a_list_of_words_holds_exactly_the_codes_of_its_columns() {
        // `died` left out: its Orders would have no words.
        assert_eq!(
            refused_with(
                "termination_reasons.csv",
                "code,label,sort_order\ncompleted,Completed,1\nearly_good_progress,Ended early,2\n\
                 revoked_breach,Revoked for breach,3\nrevoked_new_offence,Revoked for a new offence,4\n\
                 revoked_other,Revoked for another reason,5\n"
            ),
            Some(
                "has no row for `died`, a code of termination_reason in orders.csv: \
                 every code the extract may hold needs its words"
                    .to_string()
            )
        );
        // `X` is a code of neither column the list labels.
        assert_eq!(
            refused_with("yes_no.csv", "code,label\nY,Yes\nN,No\nX,Maybe\n"),
            Some(
                "has a row for `X`, which the extract contract does not have as a code of \
                 mental_health in orders.csv or motivation_group in orders.csv or \
                 mental_health in assessments.csv"
                    .to_string()
            )
        );
        assert_eq!(
            refused_with("substances.csv", "code,label\nopiates,Opiates\ncocaine,\n"),
            Some("line 3 has an empty label".to_string())
        );
        assert_eq!(
            refused_with(
                "substances.csv",
                "code,label\nopiates,Opiates\ncocaine ,Cocaine\n"
            ),
            Some("line 3 has spaces around the code `cocaine `".to_string())
        );
        assert_eq!(
            refused_with(
                "substances.csv",
                "code,label\nopiates,Opiates\ncocaine,Cocaine\n"
            ),
            None
        );
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
