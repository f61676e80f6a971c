//! Every measure on the hand-made delivery `fixtures/measures/`, with the
//! expected numbers worked out by hand from its files. Period 2003Q4 unless
//! said: the reference year is 2003; the lagged year 2002-10-01..2003-09-30;
//! the one-year reconviction window 2001-07-01..2002-06-30 and the two-year
//! window 2000-07-01..2001-06-30.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{repo, write_delivery};
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

#[test]
fn every_measure_on_the_hand_made_delivery() {
    let (outcome, _work) = run_period("2003Q4");

    // 1. Commenced in 2003: R1..R6. R7 began on 2002-09-30.
    assert_eq!(national(table(&outcome, "commencements")), Some((6, 0)));

    // 2. Terminated in 2003: R1, R2 revoked for breach; R3, R4 died; R6
    // early for good progress; R8 completed on 2003-12-31. R7 ended on
    // 2002-12-31 and R9 on 2004-01-01: outside. Every reason in words, in
    // the order of the reference list, none ended another way: 0.
    let reasons = table(&outcome, "terminations_by_reason");
    let national_reasons: Vec<(&str, u64)> = reasons
        .rows
        .iter()
        .filter(|r| r.groups[..2] == ["National", "All"])
        .map(|r| match r.value {
            Value::Count(n) => (r.groups[2].as_str(), n),
            _ => panic!("terminations_by_reason has counts"),
        })
        .collect();
    assert_eq!(
        national_reasons,
        [
            ("All reasons", 6),
            ("Completed", 1),
            ("Ended early for good progress", 1),
            ("Revoked for breach", 2),
            ("Revoked for a new offence", 0),
            ("Revoked for another reason", 0),
            ("Died", 2),
        ]
    );

    // 3. Of those six, R6 and R8 completed: 2 / 6.
    assert_eq!(national(table(&outcome, "completion_rate")), Some((2, 6)));

    // 4. Commenced 2002-10-01..2003-09-30: R1..R6. R3 died on day 28 and
    // leaves; R4 died on day 89 and stays. R1 ended on day 84 (retained), R2
    // on day 83 (not), R5 is running, R6 ended early for good progress on
    // day 31 (retained by its reason): 4 / 5.
    assert_eq!(national(table(&outcome, "retention")), Some((4, 5)));

    // 5. People with an Order commenced 2001-07-01..2002-06-30, once each:
    // PA (index A2, 2001-08-01, not A1), PB (two Orders on one day: index
    // B1, the smaller id), PC, PD, PE, PF, PJ (commenced on the window's
    // first day) = 7. Reconvicted: PA (offence on day 365), PB (day 10),
    // PD (convicted on day 547). Not: PC (offence on day 366), PE
    // (convicted on day 548), PF (offence on the index date), PJ (none).
    let one_year = table(&outcome, "reconviction_1y");
    assert_eq!(national(one_year), Some((3, 7)));
    // B1, not B2, is PB's index: PB counts as a completer. Completers: PB
    // (reconvicted) and PJ; revoked: PA, PC, PD, PE, PF (PA, PD reconvicted).
    assert_eq!(
        counts(
            one_year,
            &[
                "How the Order ended",
                "Completed or ended early for good progress"
            ]
        ),
        Some((1, 2))
    );
    assert_eq!(
        counts(one_year, &["How the Order ended", "Revoked"]),
        Some((2, 5))
    );

    // 6. Commenced 2000-07-01..2001-06-30: PG, PH, PI (on the last day).
    // PG offended on day 730: counted; PH on day 731: not; PI was convicted
    // on day 913, one past 730 + 182: not. 1 / 3.
    assert_eq!(national(table(&outcome, "reconviction_2y")), Some((1, 3)));

    // 5 and 6, the mean number of offences per person. One year: PA's
    // offences on days 167 and 365 both count, PB's and PD's one each: 4
    // offences over 7 people. Two years: PG's one offence over 3 people.
    let reoffences = table(&outcome, "reoffences");
    assert_eq!(
        counts(reoffences, &["One year", "National", "All"]),
        Some((4, 7))
    );
    assert_eq!(
        counts(reoffences, &["Two years", "National", "All"]),
        Some((1, 3))
    );
    assert_eq!(
        counts(reoffences, &["One year", "How the Order ended", "Revoked"]),
        Some((3, 5))
    );
    let Some(Value::Mean(mean)) = reoffences
        .rows
        .iter()
        .find(|r| r.groups == ["One year", "National", "All"])
        .map(|r| &r.value)
    else {
        panic!("no national mean");
    };
    assert_eq!(mean.mean, Some(4.0 / 7.0));

    // 7. Ended in 2003 having run at least 56 days: R1 (84), R2 (83), R4
    // (89), R8 (no tests). R4 has no test in its last 28 days: out. R6 ran
    // 31 days: out. First 28 days (before day 28): R1 opiates + on day 4
    // and day 27, cocaine - on day 4; R2 opiates - on day 1. Last 28 days
    // (after termination - 28): R1 opiates - on days 57 and 84 (day 56 is
    // in neither window; the refused cocaine test does not count); R2
    // opiates + on day 78.
    let positive = table(&outcome, "drug_tests_positive");
    assert_eq!(
        counts(positive, &["National", "All", "First 28 days", "Opiates"]),
        Some((2, 3))
    );
    assert_eq!(
        counts(positive, &["National", "All", "First 28 days", "Cocaine"]),
        Some((0, 1))
    );
    assert_eq!(
        counts(positive, &["National", "All", "Last 28 days", "Opiates"]),
        Some((1, 3))
    );
    assert_eq!(
        counts(positive, &["National", "All", "Last 28 days", "Cocaine"]),
        None
    );
    // R1 fell from 2/3 positive to 0/2; R2 rose from 0/1 to 1/1: 1 / 2.
    assert_eq!(national(table(&outcome, "drug_misuse_fell")), Some((1, 2)));

    // 8. Assessments dated in 2003: AS1, AS2 (the same person again), AS3,
    // AS4 (on 2003-12-31). AS5 (2002-12-31) and AS6 (2004-01-01) are out.
    // Suitable: AS1, AS3, AS4: 3 / 4.
    let suitability = table(&outcome, "suitability");
    assert_eq!(national(suitability), Some((3, 4)));
    assert_eq!(counts(suitability, &["Age band", "18-21"]), Some((1, 1)));

    // 9. Ended 2002-10-01..2003-09-30, not by death: R1, R2, R6, R7. R1's
    // person started treatment on day 21, R6's on the day the Order ended;
    // R2's on day 22 and the day before it ended; R7's never: 2 / 4.
    assert_eq!(
        national(table(&outcome, "continuity_of_care")),
        Some((2, 4))
    );

    // 10. People assessed in 2003: Q1 (twice), Q2, X1 = 3; 2 male, 1 female.
    // People commencing: Q1..Q6 = 6; 3 male, 3 female.
    let make_up = table(&outcome, "who_is_on_the_order");
    assert_eq!(
        counts(make_up, &["People assessed", "Sex", "Male"]),
        Some((2, 3))
    );
    assert_eq!(
        counts(make_up, &["People commencing", "Sex", "Female"]),
        Some((3, 6))
    );
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
    // commenced, all in Kent. 2000-01: G1, H1 (January 2001). 2001-02: I1,
    // J1, A2, A1, C1, B1, B2. 2002-03: D1, E1, F1, R7, R8, R9 and R1..R6.
    // Targets exist from 2002-03 only: before, every target is [x].
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
    assert_eq!(against_target(&outcome, "2000-01", "Kent", "[x]"), Some(2));
    assert_eq!(
        against_target(&outcome, "2000-01", "Dorset", "[x]"),
        Some(0)
    );
    assert_eq!(
        against_target(&outcome, "2001-02", "All areas", "[x]"),
        Some(7)
    );
    // The national target of 2002-03 is the areas' 6,000; Kent's 174.
    assert_eq!(
        against_target(&outcome, "2002-03", "All areas", "6000"),
        Some(12)
    );
    assert_eq!(against_target(&outcome, "2002-03", "Kent", "174"), Some(12));
    assert_eq!(against_target(&outcome, "2002-03", "Dorset", "70"), Some(0));
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
fn cohort_windows_move_with_the_period() {
    // 2003Q1: the reference year is 2002-04-01..2003-03-31. Commenced:
    // R1..R6, R7 (2002-09-30), R8 and R9 (2002-07-01), PD and PE
    // (2002-04-01, the first day), PF (2002-05-01) = 12.
    let (outcome, _work) = run_period("2003Q1");
    assert_eq!(national(table(&outcome, "commencements")), Some((12, 0)));
    // Terminated 2002-04-01..2003-03-31: the 12 Orders ended 2002-07-01 or
    // 2002-09-01 (A1, A2, B1, B2, C1, D1, E1, F1, G1, H1, I1, J1), R7
    // (2002-12-31), R3 (2003-03-01), R1 and R2 (March 2003) = 16. Completed:
    // B1, I1, J1 = 3.
    assert_eq!(national(table(&outcome, "completion_rate")), Some((3, 16)));
}

#[test]
fn an_index_order_tie_goes_to_the_smaller_number_in_the_id() {
    // Each person has two Orders commenced on the same day: one in Dorset,
    // completed, and one in Kent, revoked. The Dorset one is the index
    // Order each time: O9 before O10 and X2 before A10 (the number, not
    // the text, decides), Z1 before Z (an id with a number before one
    // without), O99 before O100. As text, the Kent one would be first.
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    // Completed in Dorset, revoked for breach in Kent.
    let order = |id: &str, person: &str, area: &str, start: &str, end: &str| {
        let reason = if area == "DOR" {
            "completed"
        } else {
            "revoked_breach"
        };
        format!(
            "{id},{person},{area},magistrates,standard,{start},{start},12,{end},{reason},\
             30,M,W1,N,heroin,settled,N"
        )
    };
    let orders = [
        order("O9", "P1", "DOR", "2002-01-15", "2002-07-15"),
        order("O10", "P1", "KEN", "2002-01-15", "2002-05-01"),
        order("X2", "P2", "DOR", "2002-02-01", "2002-08-01"),
        order("A10", "P2", "KEN", "2002-02-01", "2002-05-01"),
        order("Z1", "P3", "DOR", "2002-03-01", "2002-09-01"),
        order("Z", "P3", "KEN", "2002-03-01", "2002-05-01"),
        order("O99", "P4", "DOR", "2001-03-01", "2002-03-01"),
        order("O100", "P4", "KEN", "2001-03-01", "2001-09-01"),
    ];
    let orders: Vec<&str> = orders.iter().map(String::as_str).collect();
    write_delivery(
        &extract,
        &[
            ("orders", &orders),
            (
                "reconvictions",
                &[
                    "P1,2002-03-01,2002-04-01,acquisitive",
                    "P3,2002-04-01,2002-05-01,acquisitive",
                    "P3,2002-06-01,2002-07-01,drugs",
                    "P4,2002-01-01,2002-02-01,acquisitive",
                    // No Order: ignored by every measure, it dates the
                    // delivery's latest record within a quarter of as_at.
                    "NOBODY,2005-03-01,2005-03-31,other",
                ],
            ),
        ],
    );
    let options = RunOptions {
        extract,
        ..options(work.path(), repo().join("queries"), "2003Q4")
    };
    let outcome = run_with(&options).unwrap();

    // One year (commenced 2001-07-01..2002-06-30): P1, P2, P3, all in
    // Dorset with a completed index Order; P1 and P3 reconvicted.
    let one_year = table(&outcome, "reconviction_1y");
    assert_eq!(national(one_year), Some((2, 3)));
    assert_eq!(
        counts(one_year, &["Probation area", "Dorset"]),
        Some((2, 3))
    );
    assert_eq!(counts(one_year, &["Probation area", "Kent"]), None);
    assert_eq!(
        counts(
            one_year,
            &[
                "How the Order ended",
                "Completed or ended early for good progress"
            ]
        ),
        Some((2, 3))
    );
    assert_eq!(counts(one_year, &["How the Order ended", "Revoked"]), None);

    // Two years (commenced 2000-07-01..2001-06-30): P4, in Dorset,
    // reconvicted.
    let two_years = table(&outcome, "reconviction_2y");
    assert_eq!(
        counts(two_years, &["Probation area", "Dorset"]),
        Some((1, 1))
    );
    assert_eq!(counts(two_years, &["Probation area", "Kent"]), None);

    // Offences: P1 one and P3 two over the three people of the one-year
    // cohort; P4's one over the two-year cohort of one.
    let reoffences = table(&outcome, "reoffences");
    assert_eq!(
        counts(reoffences, &["One year", "Probation area", "Dorset"]),
        Some((3, 3))
    );
    assert_eq!(
        counts(reoffences, &["Two years", "Probation area", "Dorset"]),
        Some((1, 1))
    );
    for follow_up in ["One year", "Two years"] {
        assert_eq!(
            counts(reoffences, &[follow_up, "Probation area", "Kent"]),
            None
        );
    }
}

#[test]
fn a_period_after_as_at_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let options = RunOptions {
        extract: repo().join("fixtures/measures"),
        warehouse: work.path().join("warehouse"),
        queries: repo().join("queries"),
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
