//! The synthetic generator: deterministic, inside the contract, and telling
//! the published story at scale 1. The story is measured here from the CSV
//! text directly, independently of the pipeline.

use std::path::Path;

use chrono::NaiveDate;

use crate::support::repo;
use dtto::ingest::{IngestOptions, Limits, ingest};
use dtto::synth::{GeneratorOptions, generate};

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
    let warehouse = tempfile::tempdir().unwrap();
    let control = generate(&options(2, 0.2), extract.path()).unwrap();
    let ingested = ingest(&IngestOptions {
        extract: extract.path().to_path_buf(),
        warehouse: warehouse.path().to_path_buf(),
        reference: repo().join("queries/reference"),
        force: false,
        max_quarantined_share: 0.0,
        limits: Limits::default(),
    })
    .unwrap();
    for file in &ingested.summary.files {
        assert_eq!(
            file.quarantined, 0,
            "{}: {:?}",
            file.file, file.quarantined_by_rule
        );
        assert!(file.loaded > 0, "{}", file.file);
    }
    assert_eq!(control.as_at, NaiveDate::from_ymd_opt(2005, 3, 31).unwrap());
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
