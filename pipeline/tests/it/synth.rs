//! The synthetic generator: deterministic, inside the contract, and telling
//! the published story at scale 1. The story is measured here from the CSV
//! text directly, independently of the pipeline.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;

use crate::support::repo;
use dtto_fixtures::{
    Follows, GeneratorOptions, MAX_DELAY_DAYS, Recording, generate, generate_with,
};
use dtto_ingest::{IngestOptions, Limits, ingest};

fn options(seed: u64, scale: f64) -> GeneratorOptions {
    GeneratorOptions {
        seed,
        scale,
        as_at: NaiveDate::from_ymd_opt(2005, 3, 31).unwrap(),
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_same_arguments_give_the_same_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate(&options(5, 0.05), a.path()).unwrap();
    generate(&options(5, 0.05), b.path()).unwrap();
    generate(&options(6, 0.05), c.path()).unwrap();
    assert_eq!(files(a.path()), files(b.path()));
    assert_ne!(files(a.path()), files(c.path()));
}

#[test]
fn a_generated_delivery_keeps_every_rule_of_the_contract() {
    let extract = tempfile::tempdir().unwrap();
    let control = generate(&options(2, 0.2), extract.path()).unwrap();
    for file in ingested_cleanly(extract.path(), "2005-03-31") {
        assert!(file.loaded > 0, "{}", file.file);
    }
    assert_eq!(control.as_at, NaiveDate::from_ymd_opt(2005, 3, 31).unwrap());
}

/// Ingests the delivery in `extract` into a new warehouse, refusing any
/// quarantined row (`label` names the delivery in a failure); each file's
/// summary.
fn ingested_cleanly(extract: &Path, label: &str) -> Vec<dtto_ingest::report::FileSummary> {
    let warehouse = tempfile::tempdir().unwrap();
    let ingested = ingest(&IngestOptions {
        extract: extract.to_path_buf(),
        warehouse: warehouse.path().to_path_buf(),
        reference: repo().join("queries/reference"),
        force: false,
        max_quarantined_share: 0.0,
        limits: Limits::default(),
        quiet: false,
    })
    .unwrap();
    for file in &ingested.summary.files {
        assert_eq!(
            file.quarantined, 0,
            "{label} {}: {:?}",
            file.file, file.quarantined_by_rule
        );
    }
    ingested.summary.files
}

/// Orders as (commencement, termination, reason, area, sex, ethnicity).
fn orders(dir: &Path) -> Vec<[String; 6]> {
    let mut reader = csv::Reader::from_path(dir.join("orders.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let columns = [
        at("commencement_date"),
        at("termination_date"),
        at("termination_reason"),
        at("area_code"),
        at("sex"),
        at("ethnicity"),
    ];
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            columns.map(|c| r[c].to_string())
        })
        .collect()
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole as f64
}

#[test]
fn at_scale_one_the_delivery_tells_the_published_story() {
    let dir = tempfile::tempdir().unwrap();
    generate(&options(1, 1.0), dir.path()).unwrap();
    let orders = orders(dir.path());
    assert!(
        (29_000..=31_000).contains(&orders.len()),
        "{}",
        orders.len()
    );

    let started = |from: &str, to: &str| {
        orders
            .iter()
            .filter(|o| o[0].as_str() >= from && o[0].as_str() <= to)
            .count()
    };
    assert_eq!(started("2002-04-01", "2003-03-31"), 6_140);
    assert_eq!(started("2003-04-01", "2004-03-31"), 8_519);
    assert_eq!(started("2004-04-01", "2005-03-31"), 10_300);

    let ended_2003: Vec<_> = orders
        .iter()
        .filter(|o| o[1].starts_with("2003-"))
        .collect();
    let share = |reasons: &[&str], area: Option<&str>| {
        let pool: Vec<_> = ended_2003
            .iter()
            .filter(|o| area.is_none_or(|a| o[3] == a))
            .collect();
        percent(
            pool.iter()
                .filter(|o| reasons.contains(&o[2].as_str()))
                .count(),
            pool.len(),
        )
    };
    let completed = ["completed", "early_good_progress"];
    let completion = share(&completed, None);
    assert!(
        (26.0..=30.0).contains(&completion),
        "completion in 2003 {completion}"
    );
    let breach = share(&["revoked_breach"], None);
    assert!((41.0..=47.0).contains(&breach), "breach {breach}");
    let new_offence = share(&["revoked_new_offence"], None);
    assert!(
        (19.0..=25.0).contains(&new_offence),
        "new offence {new_offence}"
    );
    let kent = share(&completed, Some("KEN"));
    let dorset = share(&completed, Some("DOR"));
    assert!(kent < 13.0 && dorset > 60.0, "Kent {kent}, Dorset {dorset}");

    let male = percent(orders.iter().filter(|o| o[4] == "M").count(), orders.len());
    assert!((82.0..=86.0).contains(&male), "male {male}");
    let minority = orders
        .iter()
        .filter(|o| !o[5].is_empty() && o[5] != "NS" && !o[5].starts_with('W'))
        .count();
    let minority = percent(minority, orders.len());
    assert!((9.5..=12.5).contains(&minority), "minority {minority}");
}

// A later delivery of the same population: the pair as at the end of
// 2005Q1 and 2005Q2 (91 days apart, more than the longest recording delay,
// so the later one holds every record dated by the earlier as_at).

const EARLIER: &str = "2005-03-31";
const LATER: &str = "2005-06-30";

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Writes the delivery as at `as_at`, following the one as at `after`
/// with `corrections` if given.
fn delivery(dir: &Path, seed: u64, as_at: &str, late_share: f64, follows: Option<(&str, usize)>) {
    let options = GeneratorOptions {
        seed,
        scale: 0.05,
        as_at: date(as_at),
    };
    let recording = Recording {
        late_share,
        follows: follows.map(|(after, corrections)| Follows {
            after: date(after),
            corrections,
        }),
    };
    generate_with(&options, &recording, dir).unwrap();
}

/// A data file as written: its header and rows.
struct Csv {
    header: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl Csv {
    fn read(dir: &Path, file: &str) -> Self {
        let mut reader = csv::Reader::from_path(dir.join(format!("{file}.csv"))).unwrap();
        let header = reader.headers().unwrap().clone();
        let rows = reader.records().map(Result::unwrap).collect();
        Csv { header, rows }
    }

    fn column(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }

    /// Each row as its text, counted: the same record in both deliveries
    /// is the same text.
    fn counted(&self, keep: impl Fn(&csv::StringRecord) -> bool) -> HashMap<String, usize> {
        let mut counted = HashMap::new();
        for row in self.rows.iter().filter(|r| keep(r)) {
            *counted
                .entry(row.iter().collect::<Vec<_>>().join(","))
                .or_default() += 1;
        }
        counted
    }
}

/// The event files and the column that dates each record against as_at.
const EVENTS: [(&str, &str); 4] = [
    ("assessments", "assessment_date"),
    ("drug_tests", "test_date"),
    ("reconvictions", "conviction_date"),
    ("treatment_episodes", "start_date"),
];

/// How many of `rows` are not among `others` (counting repeats).
fn not_among(rows: &HashMap<String, usize>, others: &HashMap<String, usize>) -> usize {
    rows.iter()
        .map(|(row, n)| n.saturating_sub(others.get(row).copied().unwrap_or(0)))
        .sum()
}

#[test]
fn a_later_delivery_has_the_same_orders_but_for_the_corrections_asked_for() {
    let (earlier, later) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    delivery(earlier.path(), 3, EARLIER, 0.02, None);
    delivery(later.path(), 3, LATER, 0.02, Some((EARLIER, 17)));
    let (before, after) = (
        Csv::read(earlier.path(), "orders"),
        Csv::read(later.path(), "orders"),
    );
    assert_eq!(before.header, after.header);
    let id = before.column("order_id");
    let later_by_id: HashMap<&str, &csv::StringRecord> =
        after.rows.iter().map(|r| (&r[id], r)).collect();
    let termination = before.column("termination_date");
    let mut corrected: HashMap<String, usize> = HashMap::new();
    for row in &before.rows {
        let Some(now) = later_by_id.get(&row[id]) else {
            panic!("Order {} is not in the later delivery", &row[id]);
        };
        // An Order running at the earlier as_at may have ended since.
        let running = row[termination].is_empty();
        for (column, name) in before.header.iter().enumerate() {
            let progressed = running && name.starts_with("termination_");
            if row[column] != now[column] && !progressed {
                *corrected.entry(name.to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(corrected.values().sum::<usize>(), 17, "{corrected:?}");
    for field in corrected.keys() {
        assert!(
            ["sex", "ethnicity", "termination_reason"].contains(&field.as_str()),
            "{field} corrected"
        );
    }
    assert!(after.rows.len() > before.rows.len());
}

#[test]
fn a_later_delivery_holds_every_record_of_the_earlier_one_and_none_after_its_as_at() {
    let (earlier, later) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    delivery(earlier.path(), 4, EARLIER, 0.05, None);
    delivery(later.path(), 4, LATER, 0.05, Some((EARLIER, 5)));
    let dated = [
        ("orders", "commencement_date"),
        ("orders", "termination_date"),
    ];
    for (file, column) in EVENTS.into_iter().chain(dated) {
        let (before, after) = (
            Csv::read(earlier.path(), file),
            Csv::read(later.path(), file),
        );
        if file != "orders" {
            let (old, new) = (before.counted(|_| true), after.counted(|_| true));
            assert_eq!(
                not_among(&old, &new),
                0,
                "{file}: records of the earlier delivery lost"
            );
        }
        let at = after.column(column);
        let dates: Vec<&str> = after
            .rows
            .iter()
            .map(|r| &r[at])
            .filter(|d| !d.is_empty())
            .collect();
        assert!(
            dates.iter().any(|d| *d > EARLIER),
            "{file}.{column}: nothing new"
        );
        assert!(
            dates.iter().all(|d| *d <= LATER),
            "{file}.{column}: after as_at"
        );
        let at = before.column(column);
        assert!(
            before.rows.iter().all(|r| &r[at] <= EARLIER),
            "{file}.{column}"
        );
    }
}

/// Records the later delivery holds, dated by the earlier as_at, that the
/// earlier did not, and how many the model expects: each record is late
/// with the late share, by 1 to MAX_DELAY_DAYS days alike, so one dated
/// `k` days before the earlier as_at is missing from it and in the later
/// one with chance share × (MAX_DELAY_DAYS − k) / MAX_DELAY_DAYS.
/// Counted over the Orders' terminations, the assessments and drug tests,
/// and the convictions and treatment of people with an Order in the
/// earlier delivery (someone first assessed after it brings records of
/// before it that were not late: their history, matched from then on).
fn late_records(earlier: &Path, later: &Path, late_share: f64) -> (usize, f64) {
    let cutoff = date(EARLIER);
    let chance = |day: &str| {
        let k = (cutoff - date(day)).num_days() as i32;
        late_share * f64::from((MAX_DELAY_DAYS - k).max(0)) / f64::from(MAX_DELAY_DAYS)
    };
    let (before, after) = (Csv::read(earlier, "orders"), Csv::read(later, "orders"));
    let person = before.column("person_id");
    let people: HashSet<&str> = before.rows.iter().map(|r| &r[person]).collect();
    let (id, ended) = (before.column("order_id"), before.column("termination_date"));
    let ended_before: HashSet<&str> = before
        .rows
        .iter()
        .filter(|r| !r[ended].is_empty())
        .map(|r| &r[id])
        .collect();
    let terminations: Vec<&csv::StringRecord> = after
        .rows
        .iter()
        .filter(|r| !r[ended].is_empty() && r[ended] <= *EARLIER)
        .collect();
    let mut observed = terminations
        .iter()
        .filter(|r| !ended_before.contains(&r[id]))
        .count();
    let mut expected: f64 = terminations.iter().map(|r| chance(&r[ended])).sum();
    for (file, column) in EVENTS {
        let (old, new) = (Csv::read(earlier, file), Csv::read(later, file));
        let (at, whose) = (
            new.column(column),
            new.header.iter().position(|h| h == "person_id"),
        );
        let considered = |r: &csv::StringRecord| {
            let ours = matches!(file, "assessments" | "drug_tests")
                || whose.is_some_and(|p| people.contains(&r[p]));
            ours && r[at] <= *EARLIER
        };
        observed += not_among(&new.counted(considered), &old.counted(considered));
        expected += new
            .rows
            .iter()
            .filter(|r| considered(r))
            .map(|r| chance(&r[at]))
            .sum::<f64>();
    }
    (observed, expected)
}

#[test]
fn the_late_records_match_the_late_share() {
    let (earlier, later) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    delivery(earlier.path(), 5, EARLIER, 0.1, None);
    delivery(later.path(), 5, LATER, 0.1, Some((EARLIER, 0)));
    let (observed, expected) = late_records(earlier.path(), later.path(), 0.1);
    // A count of independent chances, but for the two results of one
    // sample, recorded together: the variance is at most twice the mean.
    // Within four standard deviations.
    let tolerance = 4.0 * (2.0 * expected).sqrt();
    assert!(expected > 100.0, "expected {expected}");
    assert!(
        (observed as f64 - expected).abs() <= tolerance,
        "observed {observed}, expected {expected:.1} ± {tolerance:.1}"
    );

    let (earlier, later) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    delivery(earlier.path(), 5, EARLIER, 0.0, None);
    delivery(later.path(), 5, LATER, 0.0, Some((EARLIER, 0)));
    assert_eq!(late_records(earlier.path(), later.path(), 0.0), (0, 0.0));
}

#[test]
fn without_corrections_a_later_delivery_is_the_one_generated_as_at_its_date() {
    // Without corrections, the delivery that follows another is the one
    // generated as at its date: only the control file's command differs.
    let (plain, following, again) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    delivery(plain.path(), 6, LATER, 0.02, None);
    delivery(following.path(), 6, LATER, 0.02, Some((EARLIER, 0)));
    let data = |dir: &Path| {
        files(dir)
            .into_iter()
            .filter(|(name, _)| name != "extract.toml")
            .collect::<Vec<_>>()
    };
    assert_eq!(data(plain.path()), data(following.path()));
    // And the same arguments give the same bytes.
    delivery(again.path(), 6, LATER, 0.02, Some((EARLIER, 0)));
    assert_eq!(files(following.path()), files(again.path()));
}

#[test]
fn both_deliveries_of_a_pair_ingest_without_a_quarantined_row() {
    for (as_at, follows) in [(EARLIER, None), (LATER, Some((EARLIER, 25)))] {
        let extract = tempfile::tempdir().unwrap();
        delivery(extract.path(), 7, as_at, 0.02, follows);
        ingested_cleanly(extract.path(), as_at);
    }
}
