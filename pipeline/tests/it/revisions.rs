//! Revisions: an edition compared with the previous one, worked out here
//! from the two editions' CSVs alone and checked against what the run
//! marked, listed and said.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use calamine::{Ods, Reader, open_workbook};
use dtto::config::Config;
use dtto::run::{RunOptions, RunOutcome, run};
use dtto_model::catalogue::Catalogue;

use crate::support::{generated_extract, promise_rows, repo};

const AS_AT: &str = "2005-03-31";

/// A copy of the delivery in `from` without every `every`-th row of each
/// `(file, date column, every)` dated on or before 2004-12-31: the records
/// a later delivery adds late. Returns how many rows of each file were left
/// out.
fn without_late_records(
    from: &Path,
    to: &Path,
    drops: &[(&str, &str, usize)],
) -> BTreeMap<String, usize> {
    std::fs::create_dir_all(to).unwrap();
    std::fs::copy(from.join("extract.toml"), to.join("extract.toml")).unwrap();
    let mut dropped = BTreeMap::new();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".csv") {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
    for &(file, date, every) in drops {
        let text = std::fs::read_to_string(from.join(format!("{file}.csv"))).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let column = header.split(',').position(|c| c == date).unwrap();
        let (mut kept, mut left_out, mut early) = (vec![header.to_string()], 0, 0);
        for line in lines {
            if line.split(',').nth(column).unwrap() <= "2004-12-31" {
                early += 1;
                if early % every == 0 {
                    left_out += 1;
                    continue;
                }
            }
            kept.push(line.to_string());
        }
        std::fs::write(to.join(format!("{file}.csv")), kept.join("\n") + "\n").unwrap();
        promise_rows(to, file, kept.len() as u64 - 1);
        dropped.insert(file.to_string(), left_out);
    }
    dropped
}

fn publish(extract: &Path, work: &Path, warehouse: &str, period: &str) -> RunOutcome {
    let options = RunOptions {
        extract: extract.to_path_buf(),
        warehouse: work.join(warehouse),
        queries: repo().join("queries"),
        requests: crate::support::repo().join("requests"),
        templates: repo().join("templates"),
        output: work.join("output"),
        period: Some(period.parse().unwrap()),
        previous: None,
        config: Config::default(),
    };
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options))
        .unwrap()
}

/// One published row: each column's text by name, the status apart.
type Row = (BTreeMap<String, String>, String);

/// Every row an edition publishes, keyed by table, quarter and group (the
/// group as `name=value; …` over the table's dimensions that are not
/// descriptive): the period's tables under the edition's period.
fn rows(edition: &Path, period: &str) -> BTreeMap<(String, String, String), Row> {
    let (catalogue, _) = Catalogue::load(&repo().join("queries"));
    let descriptive: BTreeMap<String, Vec<String>> = catalogue
        .tables
        .iter()
        .map(|t| (t.metadata.id.clone(), t.metadata.descriptive.clone()))
        .collect();
    let data = edition.join("public/data");
    let mut all = BTreeMap::new();
    for folder in [data.join("series"), data.clone()] {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "csv") {
                continue;
            }
            let table = path.file_stem().unwrap().to_str().unwrap().to_string();
            let described = &descriptive[&table];
            let mut csv = crate::support::csv_reader(&path);
            let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
            let first_figure = header
                .iter()
                .position(|h| ["numerator", "count", "total"].contains(&h.as_str()))
                .unwrap();
            for record in csv.records() {
                let record = record.unwrap();
                let values: BTreeMap<String, String> = header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(String::from))
                    .collect();
                let quarter = values.get("quarter").cloned().unwrap_or(period.to_string());
                let group = header[..first_figure]
                    .iter()
                    // The months a row counts follow from its quarter.
                    .filter(|h| *h != "quarter" && *h != "window_ending")
                    .filter(|h| !described.contains(h))
                    .map(|h| format!("{h}={}", values[h]))
                    .collect::<Vec<_>>()
                    .join("; ");
                let status = values["status"].clone();
                let figures = header[first_figure..header.len() - 1]
                    .iter()
                    .chain(described)
                    .map(|h| (h.clone(), values[h].clone()))
                    .collect();
                all.entry((table.clone(), quarter, group))
                    .or_insert((figures, status));
            }
        }
    }
    all
}

/// Every figure published in both editions whose value differs, as
/// (table, quarter, group, figure, previous, new).
fn expected_revisions(
    previous: &BTreeMap<(String, String, String), Row>,
    current: &BTreeMap<(String, String, String), Row>,
) -> BTreeSet<[String; 6]> {
    let mut revised = BTreeSet::new();
    for (key, (new_figures, _)) in current {
        let Some((old_figures, _)) = previous.get(key) else {
            continue;
        };
        for (figure, new) in new_figures {
            let old = &old_figures[figure];
            // Withheld in either edition: not compared. A row marked [c]
            // may still show some of its figures.
            if old.is_empty() || new.is_empty() {
                continue;
            }
            let same = old == new
                || matches!((old.parse::<f64>(), new.parse::<f64>()), (Ok(a), Ok(b)) if a == b);
            if !same {
                let (table, quarter, group) = key.clone();
                revised.insert([
                    table,
                    quarter,
                    group,
                    figure.clone(),
                    old.clone(),
                    new.clone(),
                ]);
            }
        }
    }
    revised
}

fn revisions_csv(path: &Path) -> BTreeSet<[String; 6]> {
    let mut csv = crate::support::csv_reader(path);
    assert_eq!(
        csv.headers().unwrap(),
        vec!["table", "quarter", "group", "figure", "previous", "new"]
    );
    csv.records()
        .map(|r| {
            let r = r.unwrap();
            std::array::from_fn(|i| r[i].to_string())
        })
        .collect()
}

fn text_of(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_later_delivery_revises_the_quarters_it_adds_records_to_and_says_so() {
    let work = tempfile::tempdir().unwrap();
    let later = work.path().join("later");
    let earlier = work.path().join("earlier");
    generated_extract(&later, 11, 0.2);
    let dropped = without_late_records(
        &later,
        &earlier,
        &[
            ("reconvictions", "conviction_date", 10),
            ("treatment_episodes", "start_date", 8),
        ],
    );
    let first = publish(&earlier, work.path(), "warehouse-earlier", "2004Q4");
    let second = publish(&later, work.path(), "warehouse-later", "2005Q1");

    // The first edition has nothing to revise against, and says so.
    assert!(revisions_csv(&first.public().join("revisions.csv")).is_empty());
    assert!(text_of(first.public().join("index.html")).contains("No earlier edition was found"));

    let expected = expected_revisions(
        &rows(&first.output, "2004Q4"),
        &rows(&second.output, "2005Q1"),
    );
    assert!(!expected.is_empty(), "the late records revised nothing");
    let tables: BTreeSet<&str> = expected.iter().map(|r| r[0].as_str()).collect();
    assert!(
        tables.iter().all(|t| [
            "reconviction_1y",
            "reconviction_2y",
            "reoffences",
            "continuity_of_care"
        ]
        .contains(t)),
        "only tables that read reconvictions or treatment episodes change: {tables:?}"
    );
    let listed = revisions_csv(&second.public().join("revisions.csv"));
    let missing: Vec<_> = expected.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "revisions.csv leaves out {missing:#?}\nand lists what is no revision: {extra:#?}"
    );

    // [r] marks exactly the rows with a revised figure.
    let revised_rows: BTreeSet<(String, String, String)> = expected
        .iter()
        .map(|[table, quarter, group, ..]| (table.clone(), quarter.clone(), group.clone()))
        .collect();
    let marked: BTreeSet<(String, String, String)> = rows(&second.output, "2005Q1")
        .into_iter()
        .filter(|(_, (_, status))| status.split(' ').any(|mark| mark == "[r]"))
        .map(|(key, _)| key)
        .collect();
    assert_eq!(marked, revised_rows);

    // The statement: how many counts and rates (an interval's bounds move
    // with their rate and are not counted), and the records added late by
    // file (the earlier delivery had the same as_at, so every left-out row
    // counts).
    let with_commas = |n: usize| match n {
        1000.. => format!("{},{:03}", n / 1000, n % 1000),
        _ => n.to_string(),
    };
    let counted = expected
        .iter()
        .filter(|r| r[3] != "ci_lower" && r[3] != "ci_upper")
        .count();
    assert!(counted < expected.len(), "no interval was revised");
    let statement = format!(
        "{} figures in {} rows",
        with_commas(counted),
        with_commas(revised_rows.len())
    );
    let bulletin = text_of(second.public().join("index.html"));
    assert!(
        bulletin.contains(&format!("{statement} changed")),
        "{bulletin}"
    );
    for (file, count) in &dropped {
        let count = with_commas(*count);
        let line = format!("{}: {count} more records", file.replace('_', " "));
        assert!(bulletin.contains(&line), "{line}");
    }
    assert!(bulletin.contains("orders: the same number of records"));
    let qa = text_of(second.sign_off().join("qa.html"));
    assert!(qa.contains(&format!("{statement} revised")));
    // The spreadsheet's cover gives the same number as the bulletin.
    let mut book: Ods<_> = open_workbook(second.public().join("tables.ods")).unwrap();
    let cover = book.worksheet_range("Cover").unwrap();
    let said = format!(
        "{} figures were revised (counts and rates",
        with_commas(counted)
    );
    assert!(
        cover
            .cells()
            .any(|(_, _, cell)| cell.to_string().contains(&said)),
        "the cover does not say {said:?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&text_of(second.public().join("manifest.json"))).unwrap();
    assert_eq!(manifest["as_at"], AS_AT);
}
