//! The extract contract (`shared/spec/extracts.md`) as data: which files a
//! delivery holds, their columns, types and per-column rules. The rules that
//! relate several columns or files live in `rules.rs`.

/// What a column holds, and so how it is parsed, checked and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text, stored as UTF-8.
    Text,
    /// `YYYY-MM-DD`, stored as Date32.
    Date,
    /// A whole number within an inclusive range, stored as Int32.
    Integer { min: i32, max: i32 },
    /// One of a fixed set of codes, stored dictionary-encoded.
    Code(&'static [&'static str]),
    /// A code from a reference list under `queries/reference/`, stored
    /// dictionary-encoded.
    Reference(ReferenceList),
}

/// The reference lists the contract validates codes against. They are kept
/// with the queries so that statisticians can maintain them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceList {
    ProbationAreas,
    EthnicityCodes,
}

impl ReferenceList {
    /// Its file under `queries/reference/`.
    pub fn file_name(self) -> &'static str {
        match self {
            ReferenceList::ProbationAreas => "probation_areas.csv",
            ReferenceList::EthnicityCodes => "ethnicity.csv",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// An empty field breaks the `required` rule. Optional empty fields load
    /// as nulls.
    pub required: bool,
}

/// One of the five data files of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExtractFile {
    Orders,
    Assessments,
    DrugTests,
    Reconvictions,
    TreatmentEpisodes,
}

impl ExtractFile {
    /// In load order: drug tests are checked against the Orders loaded
    /// before them.
    pub const ALL: [ExtractFile; 5] = [
        ExtractFile::Orders,
        ExtractFile::Assessments,
        ExtractFile::DrugTests,
        ExtractFile::Reconvictions,
        ExtractFile::TreatmentEpisodes,
    ];

    /// The file's stem, also its key under `[rows]` in `extract.toml` and
    /// its dataset name in the warehouse.
    pub fn name(self) -> &'static str {
        match self {
            ExtractFile::Orders => "orders",
            ExtractFile::Assessments => "assessments",
            ExtractFile::DrugTests => "drug_tests",
            ExtractFile::Reconvictions => "reconvictions",
            ExtractFile::TreatmentEpisodes => "treatment_episodes",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            ExtractFile::Orders => ORDERS,
            ExtractFile::Assessments => ASSESSMENTS,
            ExtractFile::DrugTests => DRUG_TESTS,
            ExtractFile::Reconvictions => RECONVICTIONS,
            ExtractFile::TreatmentEpisodes => TREATMENT_EPISODES,
        }
    }

    /// The date that places a record in time: the event it records. A
    /// later delivery's records dated on or before an earlier delivery's
    /// as_at were recorded late.
    pub fn event_date(self) -> &'static str {
        match self {
            ExtractFile::Orders => "commencement_date",
            ExtractFile::Assessments => "assessment_date",
            ExtractFile::DrugTests => "test_date",
            ExtractFile::Reconvictions => "conviction_date",
            ExtractFile::TreatmentEpisodes => "start_date",
        }
    }

    /// The column whose values must be unique within the file.
    pub fn unique_key(self) -> Option<&'static str> {
        match self {
            ExtractFile::Orders => Some("order_id"),
            ExtractFile::Assessments => Some("assessment_id"),
            ExtractFile::DrugTests => Some("test_id"),
            ExtractFile::Reconvictions | ExtractFile::TreatmentEpisodes => None,
        }
    }

    /// Another file has a column named as this file's unique key: it refers
    /// to this file's records.
    pub fn key_referred_to(self) -> bool {
        self.unique_key().is_some_and(|key| {
            ExtractFile::ALL
                .iter()
                .any(|&other| other != self && other.columns().iter().any(|c| c.name == key))
        })
    }

    /// Position of a contract column. Names are compile-time constants, so
    /// a miss is a programming error that the unit tests catch.
    pub fn column_index(self, name: &str) -> usize {
        self.columns()
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", self.name()))
    }
}

pub const SEX: &[&str] = &["M", "F", "U"];
pub const YES_NO: &[&str] = &["Y", "N"];
pub const TERMINATION_REASONS: &[&str] = &[
    "completed",
    "early_good_progress",
    "revoked_breach",
    "revoked_new_offence",
    "revoked_other",
    "died",
];
pub const ORDER_TYPES: &[&str] = &["standard", "low_intensity"];

const fn column(name: &'static str, kind: Kind, required: bool) -> Column {
    Column {
        name,
        kind,
        required,
    }
}

const AGE: Kind = Kind::Integer { min: 16, max: 99 };
const ETHNICITY: Kind = Kind::Reference(ReferenceList::EthnicityCodes);
const AREA: Kind = Kind::Reference(ReferenceList::ProbationAreas);

const ORDERS: &[Column] = &[
    column("order_id", Kind::Text, true),
    column("person_id", Kind::Text, true),
    column("area_code", AREA, true),
    column("court", Kind::Code(&["magistrates", "crown"]), true),
    column("order_type", Kind::Code(ORDER_TYPES), true),
    column("sentence_date", Kind::Date, true),
    column("commencement_date", Kind::Date, true),
    column("length_months", Kind::Integer { min: 6, max: 36 }, true),
    column("termination_date", Kind::Date, false),
    column("termination_reason", Kind::Code(TERMINATION_REASONS), false),
    column("age", AGE, false),
    column("sex", Kind::Code(SEX), true),
    column("ethnicity", ETHNICITY, false),
    column("mental_health", Kind::Code(YES_NO), false),
    column(
        "primary_drug",
        Kind::Code(&[
            "heroin",
            "crack",
            "cocaine",
            "cannabis",
            "amphetamine",
            "other",
        ]),
        true,
    ),
    column(
        "accommodation",
        Kind::Code(&["settled", "unsettled", "nfa"]),
        false,
    ),
    column("motivation_group", Kind::Code(YES_NO), true),
];

const ASSESSMENTS: &[Column] = &[
    column("assessment_id", Kind::Text, true),
    column("person_id", Kind::Text, true),
    column("area_code", AREA, true),
    column("assessment_date", Kind::Date, true),
    column("age", AGE, false),
    column("sex", Kind::Code(SEX), true),
    column("ethnicity", ETHNICITY, false),
    column("mental_health", Kind::Code(YES_NO), false),
    column("outcome", Kind::Code(&["suitable", "unsuitable"]), true),
];

const DRUG_TESTS: &[Column] = &[
    column("test_id", Kind::Text, true),
    column("order_id", Kind::Text, true),
    column("test_date", Kind::Date, true),
    column("substance", Kind::Code(&["opiates", "cocaine"]), true),
    column(
        "result",
        Kind::Code(&["positive", "negative", "refused", "invalid"]),
        true,
    ),
];

const RECONVICTIONS: &[Column] = &[
    column("person_id", Kind::Text, true),
    column("offence_date", Kind::Date, true),
    column("conviction_date", Kind::Date, true),
    column(
        "offence_group",
        Kind::Code(&["acquisitive", "drugs", "violence", "other"]),
        true,
    ),
];

const TREATMENT_EPISODES: &[Column] = &[
    column("person_id", Kind::Text, true),
    column("start_date", Kind::Date, true),
    column(
        "setting",
        Kind::Code(&["community", "residential", "prison"]),
        true,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keys_are_contract_columns() {
        for file in ExtractFile::ALL {
            if let Some(key) = file.unique_key() {
                assert!(file.columns()[file.column_index(key)].required);
            }
        }
    }

    #[test]
    fn only_the_orders_key_is_referred_to() {
        let referred: Vec<&str> = ExtractFile::ALL
            .into_iter()
            .filter(|f| f.key_referred_to())
            .map(ExtractFile::name)
            .collect();
        assert_eq!(referred, ["orders"]);
    }

    #[test]
    fn every_file_dates_its_records_by_a_required_date_column() {
        for file in ExtractFile::ALL {
            let column = &file.columns()[file.column_index(file.event_date())];
            assert!(column.required, "{}", file.name());
            assert_eq!(column.kind, Kind::Date, "{}", file.name());
        }
    }

    #[test]
    fn column_names_are_unique_within_each_file() {
        for file in ExtractFile::ALL {
            let mut names: Vec<_> = file.columns().iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), file.columns().len(), "{}", file.name());
        }
    }
}
