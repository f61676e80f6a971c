//! `dtto serve` as a statistician uses it, in a real headless browser: the
//! page open while a table's SQL is edited, broken and mended in a scratch
//! copy of `queries/`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::browser::Browser;
use crate::support::{Tool, copy_tree, generated_extract, repo, require};
use dtto::ingest::{IngestOptions, Limits, ingest};

/// The figures watched: continuity of care after a revoked Order, in the
/// year ending March 2005 (the delivery's latest complete quarter,
/// 2005Q1), whose Orders ended in the 12 months to December 2004.
const ROW: &str = "Revoked";

/// Of the Orders revoked in 2004, how many people started treatment on the
/// day or within `days` after it, and how many Orders: counted from the
/// delivery's CSV files directly.
fn treated_after_revocation(extract: &Path, days: i64) -> (u64, u64) {
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let mut started: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    for episode in records(&extract.join("treatment_episodes.csv")) {
        if let Some(start) = date(&episode["start_date"]) {
            started
                .entry(episode["person_id"].clone())
                .or_default()
                .push(start);
        }
    }
    let year = NaiveDate::from_ymd_opt(2004, 1, 1).unwrap()
        ..=NaiveDate::from_ymd_opt(2004, 12, 31).unwrap();
    let (mut treated, mut revoked) = (0, 0);
    for order in records(&extract.join("orders.csv")) {
        let Some(ended) = date(&order["termination_date"]) else {
            continue;
        };
        if !order["termination_reason"].starts_with("revoked_") || !year.contains(&ended) {
            continue;
        }
        revoked += 1;
        let soon = |start: &&NaiveDate| (0..=days).contains(&(**start - ended).num_days());
        if started
            .get(&order["person_id"])
            .is_some_and(|starts| starts.iter().any(|s| soon(&s)))
        {
            treated += 1;
        }
    }
    (treated, revoked)
}

/// Each row of a CSV file by its column names.
fn records(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(record.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// As the bulletin writes a count: 1,042.
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The row's numerator and denominator in the continuity of care table on
/// the page, as "260 of 1,042".
fn figure() -> String {
    format!(
        "(() => {{
  const table = document.querySelector('table[data-table=\"continuity_of_care\"]');
  if (!table) return null;
  for (const row of table.tBodies[0].rows) {{
    const header = row.querySelector('th');
    if (header && header.textContent === '{ROW}') {{
      return row.cells[5].textContent + ' of ' + row.cells[6].textContent;
    }}
  }}
  return null;
}})()"
    )
}

fn of((numerator, denominator): (u64, u64)) -> String {
    format!("{} of {}", with_commas(numerator), with_commas(denominator))
}

const PROBLEM: &str = "document.getElementById('preview-problem')?.innerText ?? ''";

/// What the page shows once loaded whole: the figure (empty without one)
/// and the problem reported (empty without one); `None` while it loads.
fn shown(browser: &mut Browser) -> Option<(String, String)> {
    let expression = format!(
        "document.readyState === 'complete' ? [{} ?? '', {PROBLEM}] : null",
        figure()
    );
    let shown = browser.evaluate(&expression)?;
    let text = |i: usize| shown.get(i)?.as_str().map(String::from);
    Some((text(0)?, text(1)?))
}

/// Waits until the page shows what `wanted` accepts, and says how long
/// that took.
fn wait_for(
    browser: &mut Browser,
    what: &str,
    wanted: impl Fn(&str, &str) -> bool,
) -> (Duration, String, String) {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(120) {
        if let Some((figure, problem)) = shown(browser) {
            if wanted(&figure, &problem) {
                return (started.elapsed(), figure, problem);
            }
            last = Some((figure, problem));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let page = browser.evaluate("document.documentElement.outerHTML.slice(0, 3000)");
    panic!("the page never showed {what}; last it showed {last:?}; {page:?}");
}

/// Replaces `path` whole, as an editor saving it would: the preview never
/// reads it half written. Written first outside the watched folders, on
/// the same file system (the test's work folder is under the temporary
/// folder).
fn save(path: &Path, text: &str) {
    let draft = std::env::temp_dir().join(format!("dtto-serve-test-{}", std::process::id()));
    std::fs::write(&draft, text).unwrap();
    std::fs::rename(&draft, path).unwrap();
}

/// A `dtto serve` stopped when the test ends, however it ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dtto serve` on any free port in `work`, and the page's address.
fn serve(work: &Path) -> (Served, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dtto"))
        .args(["serve", "--port", "0"])
        .current_dir(work)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Read on, so that what it says next is never blocked.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = first
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    (Served(child), url)
}

#[test]
fn the_open_page_follows_an_edit_shows_a_broken_query_at_its_line_and_recovers() {
    require(&[Tool::Chromium]);
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let extract = work.join("extract");
    generated_extract(&extract, 1, 0.2);
    ingest(&IngestOptions {
        extract: extract.clone(),
        warehouse: work.join("warehouse"),
        reference: repo().join("queries/reference"),
        force: false,
        max_quarantined_share: 0.0,
        limits: Limits::default(),
    })
    .unwrap();
    for folder in ["queries", "templates"] {
        copy_tree(&repo().join(folder), &work.join(folder));
    }
    let sql = work.join("queries/tables/09_continuity_of_care.sql");
    let original = std::fs::read_to_string(&sql).unwrap();
    let within_21_days = treated_after_revocation(&extract, 21);
    let within_7_days = treated_after_revocation(&extract, 7);
    assert_ne!(within_21_days, within_7_days);

    let (_served, url) = serve(work);
    let mut browser = Browser::open(&url);
    let (first, ..) = wait_for(&mut browser, "the first page", |figure, problem| {
        figure == of(within_21_days) && problem.is_empty()
    });

    let edited = original.replace("INTERVAL '21 days'", "INTERVAL '7 days'");
    assert_ne!(edited, original);
    save(&sql, &edited);
    let (after_edit, ..) = wait_for(&mut browser, "the edited figure", |figure, problem| {
        figure == of(within_7_days) && problem.is_empty()
    });

    // A closing parenthesis lost: a parse error on that line.
    let numerator = "ELSE 0 END) AS numerator";
    let broken = edited.replace(numerator, "ELSE 0 END AS numerator");
    let line = broken
        .lines()
        .position(|l| l.contains("END AS numerator"))
        .unwrap()
        + 1;
    save(&sql, &broken);
    let located = format!("09_continuity_of_care.sql:{line}:");
    let (after_break, figure, problem) = wait_for(&mut browser, &located, |_, problem| {
        problem.contains(&located)
    });
    assert!(
        problem.contains("ELSE 0 END AS numerator,"),
        "the offending line: {problem}"
    );
    assert_eq!(figure, of(within_7_days), "the last good figures stay");

    save(&sql, &original);
    let (after_fix, ..) = wait_for(&mut browser, "the mended page", |figure, problem| {
        figure == of(within_21_days) && problem.is_empty()
    });
    eprintln!(
        "dtto serve: first page {:.1} s; after the edit {:.1} s, the break {:.1} s, the fix {:.1} s",
        first.as_secs_f64(),
        after_edit.as_secs_f64(),
        after_break.as_secs_f64(),
        after_fix.as_secs_f64()
    );
}
