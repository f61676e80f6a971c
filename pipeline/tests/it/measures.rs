//! Runs of the hand-made delivery `fixtures/measures/`. Each measure's
//! figures, worked out by hand, are files a statistician reads and extends,
//! `queries/tests/` (`dtto check --tests`, run by `check_tests.rs`); here is
//! only what a run adds to them: the order of the rows, the statistics, the
//! files of an edition. Period 2003Q4 unless said.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::repo;
use dtto::config::Config;
use dtto::run::{RunError, RunOptions, RunOutcome, run};
use dtto_model::period::Period;
use dtto_protect::statistics::{StatTable, Value};

/// A run of the hand-made delivery with `queries`, writing under `work`.
fn options(work: &Path, queries: PathBuf, period: &str) -> RunOptions {
    RunOptions {
        extract: repo().join("fixtures/measures"),
        warehouse: work.join("warehouse"),
        queries,
        requests: repo().join("requests"),
        templates: repo().join("templates"),
        output: work.join("output"),
        period: Some(period.parse::<Period>().unwrap()),
        previous: None,
        config: Config::default(),
    }
}

fn run_with(options: &RunOptions) -> Result<RunOutcome, RunError> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(options))
}

fn run_period(period: &str) -> (RunOutcome, tempfile::TempDir) {
    let work = tempfile::tempdir().unwrap();
    let outcome = run_with(&options(work.path(), repo().join("queries"), period)).unwrap();
    (outcome, work)
}

fn table<'a>(outcome: &'a RunOutcome, id: &str) -> &'a StatTable {
    outcome
        .tables
        .iter()
        .find(|t| t.metadata.id == id)
        .unwrap_or_else(|| panic!("no table {id}"))
}

/// (numerator, denominator) of the row whose groups are `groups`.
fn counts(table: &StatTable, groups: &[&str]) -> Option<(u64, u64)> {
    let row = table.rows.iter().find(|r| r.groups == groups)?;
    match &row.value {
        Value::Rate(rate) => Some((rate.numerator, rate.denominator)),
        Value::Count(count) => Some((*count, 0)),
        Value::Mean(mean) => Some((mean.total, mean.denominator)),
    }
}

fn national(table: &StatTable) -> Option<(u64, u64)> {
    counts(table, &["National", "All"])
}

/// What the figures of `queries/tests/hand-made-2003q4/` become in a run:
/// the reasons in the order of their list (the SQL's rows, in any order, are
/// the test's), and a mean worked out from its total and denominator.
#[test]
fn a_run_orders_the_reasons_by_their_list_and_works_out_the_means() {
    let (outcome, _work) = run_period("2003Q4");
    let reasons: Vec<&str> = table(&outcome, "terminations_by_reason")
        .rows
        .iter()
        .filter(|r| r.groups[..2] == ["National", "All"])
        .map(|r| r.groups[2].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "All reasons",
            "Completed",
            "Ended early for good progress",
            "Revoked for breach",
            "Revoked for a new offence",
            "Revoked for another reason",
            "Died",
        ]
    );
    // One year: 4 offences over 7 people (reoffences.csv of the test).
    let Some(Value::Mean(mean)) = table(&outcome, "reoffences")
        .rows
        .iter()
        .find(|r| r.groups == ["One year", "National", "All"])
        .map(|r| &r.value)
    else {
        panic!("no national mean");
    };
    assert_eq!((mean.total, mean.denominator), (4, 7));
    assert_eq!(mean.mean, Some(4.0 / 7.0));
}

/// The count of commencements_against_target's row for `year`, `area`
/// and `target`.
fn against_target(outcome: &RunOutcome, year: &str, area: &str, target: &str) -> Option<u64> {
    counts(
        table(outcome, "commencements_against_target"),
        &[year, area, target],
    )
    .map(|(count, _)| count)
}

#[test]
fn every_ended_financial_year_is_published_with_or_without_a_target() {
    // 2003Q4: the financial years ended by 2003-12-31 in which an Order
    // commenced (the counts: queries/tests/hand-made-2003q4/), every area
    // in each, with or without a target; before 2002-03, without: [x].
    let (outcome, _work) = run_period("2003Q4");
    let rows = &table(&outcome, "commencements_against_target").rows;
    let years: Vec<&str> = rows.iter().map(|r| r.groups[0].as_str()).collect();
    // 42 areas and All areas, each year, in order.
    assert_eq!(rows.len(), 3 * 43);
    assert_eq!(
        [years[0], years[43], years[86]],
        ["2000-01", "2001-02", "2002-03"]
    );
    assert_eq!(
        against_target(&outcome, "2000-01", "All areas", "[x]"),
        Some(2)
    );
    assert_eq!(against_target(&outcome, "2002-03", "Kent", "174"), Some(12));
}

#[test]
fn a_national_target_needs_every_area_target() {
    // Dorset's 2002-03 target taken out of the list: Dorset has none, and
    // the other areas' 5,930 is not the national target.
    let work = tempfile::tempdir().unwrap();
    let queries = copy_queries(work.path());
    let targets = queries.join("reference/commencement_targets.csv");
    let text = std::fs::read_to_string(&targets).unwrap();
    let without: String = text
        .lines()
        .filter(|line| *line != "DOR,2002-03,70")
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(without.lines().count(), text.lines().count() - 1);
    std::fs::write(&targets, without).unwrap();
    let outcome = run_with(&options(work.path(), queries, "2003Q4")).unwrap();
    assert_eq!(
        against_target(&outcome, "2002-03", "All areas", "[x]"),
        Some(12)
    );
    assert_eq!(
        against_target(&outcome, "2002-03", "Dorset", "[x]"),
        Some(0)
    );
    assert_eq!(against_target(&outcome, "2002-03", "Kent", "174"), Some(12));
}

#[test]
fn a_period_after_as_at_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let options = RunOptions {
        extract: repo().join("fixtures/measures"),
        warehouse: work.path().join("warehouse"),
        queries: repo().join("queries"),
        requests: repo().join("requests"),
        templates: repo().join("templates"),
        output: work.path().join("output"),
        period: Some("2005Q2".parse::<Period>().unwrap()),
        previous: None,
        config: Config::default(),
    };
    let error = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options))
        .unwrap_err();
    assert!(matches!(error, RunError::Period(_)), "{error}");
    assert_eq!(error.exit().code(), 9);
    assert!(error.to_string().contains("2005-06-30"), "{error}");
}

#[test]
fn the_tidy_csv_has_the_counts_and_statistics() {
    // Threshold 1 withholds nothing, so that 2 / 6 is shown: below what a
    // configuration file may set, here only to see every statistic. (At 2
    // the hand-made delivery's single quarters, ones and twos, would be
    // found by subtracting the series' neighbouring quarters.)
    let work = tempfile::tempdir().unwrap();
    let mut options = options(work.path(), repo().join("queries"), "2003Q4");
    options.config.disclosure.threshold = 1;
    let outcome = run_with(&options).unwrap();
    let text = std::fs::read_to_string(outcome.public().join("data/completion_rate.csv")).unwrap();
    let mut lines = text.lines();
    // Not released: a draft says so on its first line.
    assert_eq!(
        lines.next(),
        Some("# DRAFT: not released, not for publication")
    );
    assert_eq!(
        lines.next(),
        Some("breakdown,group,window_ending,numerator,denominator,rate,ci_lower,ci_upper,status")
    );
    // 2 / 6: rate 0.3333; Wilson 95 % interval 0.0968 to 0.7000 (by hand:
    // centre (1/3 + z²/12) / (1 + z²/6), half-width z·sqrt(1/27 + z²/144) /
    // (1 + z²/6), z = 1.96); denominator below 20: [u].
    assert!(
        text.contains("National,All,2003Q4,2,6,0.3333,0.0968,0.7000,[u]"),
        "{text}"
    );
}

#[test]
fn at_the_default_threshold_small_counts_are_withheld() {
    // 2 completed of 6, and so 4 not: both below 5. The rate and its
    // interval go with them. The denominator 6 alone reveals neither, but
    // with the 12 months ending in the quarters around it, published in the
    // series, it would narrow down a quarter's few terminations: withheld
    // too.
    let (outcome, _work) = run_period("2003Q4");
    let text = std::fs::read_to_string(outcome.public().join("data/completion_rate.csv")).unwrap();
    assert!(text.contains("National,All,2003Q4,,,,,,[c]"), "{text}");
    let audit = std::fs::read_to_string(outcome.sign_off().join("disclosure_audit.csv")).unwrap();
    assert!(
        audit.contains("completion_rate,2003Q4,breakdown=National; group=All,numerator,primary,"),
        "{audit}"
    );
}

/// The bundled `queries/` copied under `work`, to be changed by a test.
fn copy_queries(work: &Path) -> PathBuf {
    let queries = work.join("queries");
    crate::support::copy_tree(&repo().join("queries"), &queries);
    queries
}

#[test]
fn a_code_without_its_words_stops_the_run_before_anything_is_published() {
    // `died` left out of the list: R3 and R4 would have no words (and, as
    // the reasons are the list's, no row of their own).
    let work = tempfile::tempdir().unwrap();
    let queries = copy_queries(work.path());
    std::fs::write(
        queries.join("reference/termination_reasons.csv"),
        "code,label,sort_order\ncompleted,Completed,1\n\
         early_good_progress,Ended early for good progress,2\nrevoked_breach,Revoked for breach,3\n\
         revoked_new_offence,Revoked for a new offence,4\nrevoked_other,Revoked for another reason,5\n",
    )
    .unwrap();
    let options = options(work.path(), queries, "2003Q4");
    let error = run_with(&options).unwrap_err();
    assert_eq!(error.exit().code(), 8);
    let message = error.to_string();
    assert!(message.contains("termination_reasons.csv"), "{message}");
    assert!(
        message.contains("has no row for `died`, a code of termination_reason in orders.csv"),
        "{message}"
    );
    assert!(!options.output.exists(), "an edition was written");
}

#[test]
fn a_new_sql_file_with_its_metadata_adds_a_table() {
    let work = tempfile::tempdir().unwrap();
    let queries = copy_queries(work.path());
    std::fs::write(
        queries.join("tables/99_crown_court_share.sql"),
        "SELECT 'National' AS breakdown, 'All' AS \"group\",\n  \
         sum(CASE WHEN court = 'crown' THEN 1 ELSE 0 END) AS numerator, count(*) AS denominator\n\
         FROM orders WHERE commencement_date BETWEEN $year_start AND $year_end\n",
    )
    .unwrap();
    std::fs::write(
        queries.join("tables/99_crown_court_share.toml"),
        "id = \"crown_court_share\"\ntitle = \"Orders made by the Crown Court\"\nmeasure = 1\nkind = \"rate\"\n\
         cohort = \"Orders commenced in {year}\"\ncounted = \"Orders commenced in {year}\"\nnumerator = \"Made by the Crown Court\"\ndenominator = \"Orders\"\n\
         breakdowns = [\"National\"]\n[chart]\nkind = \"none\"\n",
    )
    .unwrap();
    let outcome = run_with(&options(work.path(), queries, "2003Q4")).unwrap();
    // R1..R6 commenced in 2003, all at the magistrates' court: 0 / 6.
    assert_eq!(national(table(&outcome, "crown_court_share")), Some((0, 6)));
    assert!(
        outcome
            .public()
            .join("data/crown_court_share.csv")
            .is_file()
    );
}

#[test]
fn ad_hoc_queries_read_and_refuse_to_write() {
    let (outcome, _work) = run_period("2003Q4");
    let (catalogue, _) = dtto_model::catalogue::Catalogue::load(&repo().join("queries"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let ctx = dtto_query::open(&outcome.ingested.dir, &catalogue)
            .await
            .unwrap();
        // The hand-made delivery holds 21 Orders.
        let batches = dtto_query::adhoc(&ctx, "SELECT count(*) AS n FROM orders")
            .await
            .unwrap();
        let n = datafusion::arrow::compute::cast(
            batches[0].column(0),
            &datafusion::arrow::datatypes::DataType::Int64,
        )
        .unwrap();
        assert_eq!(
            n.as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .unwrap()
                .value(0),
            21
        );
        for statement in [
            "DROP TABLE orders",
            "INSERT INTO orders SELECT * FROM orders",
            "CREATE TABLE t AS SELECT 1",
        ] {
            let error = dtto_query::adhoc(&ctx, statement).await.unwrap_err();
            assert!(
                matches!(error, dtto_query::QueryError::NotReadOnly(_)),
                "{statement}: {error}"
            );
        }
        // A mistake in a reading query is an ordinary error, not a refusal.
        let error = dtto_query::adhoc(&ctx, "SELECT nosuch FROM orders")
            .await
            .unwrap_err();
        assert!(
            matches!(error, dtto_query::QueryError::DataFusion(_)),
            "{error}"
        );
    });
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn running_twice_gives_identical_files() {
    let work = tempfile::tempdir().unwrap();
    let options = options(work.path(), repo().join("queries"), "2003Q4");
    let first = run_with(&options).unwrap();
    let before = files(&first.output);
    let second = run_with(&options).unwrap();
    let after = files(&second.output);
    let names =
        |files: &[(PathBuf, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    for file in [
        "public/index.html",
        "public/bulletin.pdf",
        "public/tables.ods",
        "public/manifest.json",
        "public/charts/completion_rate.svg",
        "sign-off/qa.html",
        "sign-off/disclosure_audit.csv",
        "sign-off/manifest.json",
    ] {
        assert!(names(&before).contains(&PathBuf::from(file)), "no {file}");
    }
    assert_eq!(names(&before), names(&after));
    for ((name, first), (_, second)) in before.iter().zip(&after) {
        assert!(
            first == second,
            "{} differs between two runs",
            name.display()
        );
    }
}

#[test]
fn the_manifest_has_the_hash_of_every_input() {
    use sha2::{Digest, Sha256};
    let (outcome, _work) = run_period("2003Q4");
    let text = std::fs::read_to_string(outcome.public().join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sha256 = |path: PathBuf| format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()));
    let delivery = repo().join("fixtures/measures");
    for file in ["extract.toml", "orders.csv", "reconvictions.csv"] {
        assert_eq!(
            manifest["inputs"][file].as_str(),
            Some(sha256(delivery.join(file)).as_str()),
            "{file}"
        );
    }
    assert_eq!(
        manifest["queries"]["tables/03_completion_rate.sql"].as_str(),
        Some(sha256(repo().join("queries/tables/03_completion_rate.sql")).as_str())
    );
    assert_eq!(manifest["period"], "2003Q4");
    assert_eq!(manifest["configuration"]["disclosure"]["threshold"], 5);
}

#[test]
fn the_public_edition_holds_no_sign_off_material_and_each_manifest_covers_its_part() {
    let (outcome, _work) = run_period("2003Q4");
    let public: Vec<PathBuf> = files(&outcome.public()).into_iter().map(|f| f.0).collect();
    for secret in ["qa.html", "disclosure_audit.csv"] {
        assert!(
            !public.contains(&PathBuf::from(secret)),
            "{secret} is public"
        );
        assert!(outcome.sign_off().join(secret).is_file(), "no {secret}");
    }
    // The public manifest: every public file but itself, nothing else (a
    // hash of the audit would let a reader test a guess of it).
    assert_covers(&outcome.public().join("manifest.json"), &outcome.public());
    // The sign-off manifest: every file of both parts but itself.
    assert_covers(&outcome.sign_off().join("manifest.json"), &outcome.output);
}

/// The manifest at `path` holds the SHA-256 of exactly the files under
/// `covered`, itself aside.
fn assert_covers(path: &Path, covered: &Path) {
    use sha2::{Digest, Sha256};
    let text = std::fs::read_to_string(path).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expected: BTreeMap<String, String> = files(covered)
        .into_iter()
        .filter(|(file, _)| covered.join(file) != path)
        .map(|(file, bytes)| {
            let name = file.to_str().unwrap().to_string();
            (name, format!("{:x}", Sha256::digest(bytes)))
        })
        .collect();
    let outputs: BTreeMap<String, String> =
        serde_json::from_value(manifest["outputs"].clone()).unwrap();
    assert_eq!(outputs, expected, "{}", path.display());
}

/// A share's denominator is its whole population, so every group's row of
/// one population carries the same one. A group with no one in it in the
/// period has no row: it was published as 0 of 0 (at this scale, people
/// commencing of Chinese or other ethnic group in 2005Q1).
#[test]
fn every_group_of_a_share_has_the_whole_population_as_its_denominator() {
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    crate::support::generated_extract(&extract, 1, 0.02);
    let public = crate::support::publish_default(&extract, work.path(), "2005Q1").public();
    let mut csv = crate::support::csv_reader(&public.join("data/who_is_on_the_order.csv"));
    let header = csv.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (population, denominator) = (at("population"), at("denominator"));
    let mut denominators: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for record in csv.records() {
        let record = record.unwrap();
        denominators
            .entry(record[population].to_string())
            .or_default()
            .insert(record[denominator].to_string());
    }
    assert_eq!(
        denominators.keys().collect::<Vec<_>>(),
        ["People assessed", "People commencing"]
    );
    for (population, seen) in denominators {
        assert_eq!(seen.len(), 1, "{population}: denominators {seen:?}");
        assert!(!seen.contains("0"), "{population}: a denominator of 0");
    }
}
