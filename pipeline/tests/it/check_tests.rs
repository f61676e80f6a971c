//! `dtto check --tests`: the statisticians' tests under `queries/tests/`,
//! run as a statistician runs them, and a new window and table added to a
//! copy of `queries/` by writing files alone.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{copy_tree, repo};

/// `dtto check --tests` on `queries`, from the repository's folder.
fn check_tests(queries: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dtto"))
        .current_dir(repo())
        .args(["check", "--tests", "--queries"])
        .arg(queries)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The bundled `queries/` copied under `work` beside the hand-made
/// delivery, so that the tests' `../../../fixtures/measures` still finds it.
fn copy_with_delivery(work: &Path) -> PathBuf {
    let queries = work.join("queries");
    copy_tree(&repo().join("queries"), &queries);
    copy_tree(
        &repo().join("fixtures/measures"),
        &work.join("fixtures/measures"),
    );
    queries
}

/// Every bundled test's figures are what the SQL gives: `make test` runs
/// the statisticians' hand-worked expectations.
#[test]
fn the_bundled_tests_give_the_figures_worked_out_by_hand() {
    let output = check_tests(&repo().join("queries"));
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let folders = std::fs::read_dir(repo().join("queries/tests"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert!(folders >= 3, "{folders} tests");
    assert!(
        stdout.contains(&format!("; {folders} test(s) gave the ")),
        "{stdout}"
    );
}

/// A figure worked out wrong (or SQL gone wrong) is named by its file and
/// line, test, table, group and column, with both values, and the command
/// exits 20.
#[test]
fn a_wrong_expected_figure_is_named_with_its_test_table_group_and_column() {
    let work = tempfile::tempdir().unwrap();
    let queries = copy_with_delivery(work.path());
    let expected = queries.join("tests/hand-made-2003q4/completion_rate.csv");
    let written = std::fs::read_to_string(&expected).unwrap();
    let wrong = written.replace("National,All,2,6", "National,All,2,5");
    assert_ne!(wrong, written);
    std::fs::write(&expected, &wrong).unwrap();
    let line = wrong.lines().position(|l| l == "National,All,2,5").unwrap() + 1;
    // And a group that has a row, said to have none.
    let ties = queries.join("tests/index-order-ties/reconviction_2y.csv");
    let written = std::fs::read_to_string(&ties).unwrap();
    std::fs::write(
        &ties,
        written.replace(
            "Probation area,Dorset,1,1",
            "Probation area,Dorset,no row,no row",
        ),
    )
    .unwrap();

    let output = check_tests(&queries);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(20), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:{line}: test hand-made-2003q4, table completion_rate, breakdown=National; \
             group=All: denominator expected 5, got 6",
            expected.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "test index-order-ties, table reconviction_2y, breakdown=Probation area; \
             group=Dorset: row expected no row, got numerator=1, denominator=1"
        ),
        "{stderr}"
    );
    // The numerator, 2 as expected, is no mismatch.
    assert!(!stderr.contains("numerator expected 2"), "{stderr}");
    assert!(stderr.contains("2 figure(s) of the tests in"), "{stderr}");
}

/// An expected file that names a column the table does not return is a
/// problem of the test, at its line, not a wrong figure.
#[test]
fn an_expected_file_with_a_column_the_table_lacks_is_refused_at_its_line() {
    let work = tempfile::tempdir().unwrap();
    let queries = copy_with_delivery(work.path());
    let expected = queries.join("tests/hand-made-2003q1/commencements.csv");
    let written = std::fs::read_to_string(&expected).unwrap();
    std::fs::write(&expected, written.replace(",count", ",counts")).unwrap();
    let header = written.lines().position(|l| l.ends_with(",count")).unwrap() + 1;
    let output = check_tests(&queries);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(10), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:{header}:1: column \"counts\" is not one commencements returns (breakdown, \
             group, count)",
            expected.display()
        )),
        "{stderr}"
    );
}

/// The test of done: a new window and a new table over it, with
/// the figures it must give, added to a copy of `queries/` by writing files
/// alone (no Rust), pass `dtto check --tests`; a figure changed fails it.
#[test]
fn a_new_window_and_table_are_added_and_checked_by_writing_files_alone() {
    let work = tempfile::tempdir().unwrap();
    let queries = copy_with_delivery(work.path());
    let windows = queries.join("windows.toml");
    let mut declared = std::fs::read_to_string(&windows).unwrap();
    declared.push_str(
        "\n[[window]]\nname = \"two_quarters_back\"\nquarters_back = 2\n\
         meaning = \"the 12 months ending two quarters before the period end\"\n",
    );
    std::fs::write(&windows, declared).unwrap();
    std::fs::write(
        queries.join("tables/99_commenced_two_quarters_back.sql"),
        "SELECT 'National' AS breakdown, 'All' AS \"group\", count(*) AS count\n\
         FROM orders\n\
         WHERE commencement_date BETWEEN $two_quarters_back_start AND $two_quarters_back_end\n",
    )
    .unwrap();
    std::fs::write(
        queries.join("tables/99_commenced_two_quarters_back.toml"),
        "id = \"commenced_two_quarters_back\"\ntitle = \"Orders commenced, two quarters back\"\n\
         measure = 1\nkind = \"count\"\n\
         cohort = \"Orders commenced in {two_quarters_back}\"\n\
         counted = \"Orders commenced in {two_quarters_back}\"\n\
         count = \"Orders commenced\"\nbreakdowns = [\"National\"]\n[chart]\nkind = \"none\"\n",
    )
    .unwrap();
    let test = queries.join("tests/two-quarters-back");
    std::fs::create_dir_all(&test).unwrap();
    std::fs::write(
        test.join("test.toml"),
        "about = \"The new window on the hand-made delivery\"\n\
         delivery = \"../../../fixtures/measures\"\nperiod = \"2003Q4\"\n\
         every_row = [\"commenced_two_quarters_back\"]\n",
    )
    .unwrap();
    // For 2003Q4, two quarters back is the 12 months ending June 2003,
    // 2002-07-01..2003-06-30. Commenced in them (fixtures/measures/
    // orders.csv): R1..R6 (2003), R7 (2002-09-30), R8 and R9 (2002-07-01,
    // the first day) = 9; D1 and E1 (2002-04-01), F1 (2002-05-01) before.
    let expected = test.join("commenced_two_quarters_back.csv");
    std::fs::write(&expected, "breakdown,group,count\nNational,All,9\n").unwrap();

    let output = check_tests(&queries);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let folders = std::fs::read_dir(queries.join("tests"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert!(
        stdout.contains(&format!("; {folders} test(s) gave the ")),
        "{stdout}"
    );

    std::fs::write(&expected, "breakdown,group,count\nNational,All,8\n").unwrap();
    let output = check_tests(&queries);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(20), "{stderr}");
    assert!(
        stderr.contains(
            "test two-quarters-back, table commenced_two_quarters_back, \
             breakdown=National; group=All: count expected 8, got 9"
        ),
        "{stderr}"
    );
}

/// `every_row` makes a row the expected file does not list a mismatch,
/// shown after its last row: the reconviction table returns its age, sex
/// and ethnic groups too, which the ties test does not list.
#[test]
fn every_row_makes_a_row_not_listed_a_mismatch() {
    let work = tempfile::tempdir().unwrap();
    let queries = copy_with_delivery(work.path());
    let test = queries.join("tests/index-order-ties");
    let toml = std::fs::read_to_string(test.join("test.toml")).unwrap();
    std::fs::write(
        test.join("test.toml"),
        format!("{toml}every_row = [\"reconviction_1y\"]\n"),
    )
    .unwrap();
    let expected = test.join("reconviction_1y.csv");
    let after_last = std::fs::read_to_string(&expected).unwrap().lines().count() + 1;

    let output = check_tests(&queries);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(20), "{stderr}");
    let prefix = format!(
        "{}:{after_last}: test index-order-ties, table reconviction_1y, breakdown=",
        expected.display()
    );
    let unlisted: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert!(!unlisted.is_empty(), "{stderr}");
    assert!(
        unlisted
            .iter()
            .all(|l| l.contains(": row expected no row, got numerator=")),
        "{stderr}"
    );
    // Rows it lists are no such mismatch.
    assert!(
        !stderr.contains("breakdown=National; group=All: row"),
        "{stderr}"
    );

    std::fs::write(
        test.join("test.toml"),
        format!("{toml}every_row = [\"reoffending\"]\n"),
    )
    .unwrap();
    let output = check_tests(&queries);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(10), "{stderr}");
    assert!(
        stderr.contains("`every_row` names \"reoffending\", which has no expected file"),
        "{stderr}"
    );
}

/// Two tests that are not tests are both reported in one run, each at its
/// file and line, as `dtto check` reports every problem of the queries.
#[test]
fn every_malformed_test_is_reported_at_once() {
    let work = tempfile::tempdir().unwrap();
    let queries = copy_with_delivery(work.path());
    let first = queries.join("tests/hand-made-2003q1/commencements.csv");
    let second = queries.join("tests/index-order-ties/reconviction_1y.csv");
    for path in [&first, &second] {
        let written = std::fs::read_to_string(path).unwrap();
        std::fs::write(
            path,
            written
                .replacen(",denominator", ",denominators", 1)
                .replacen(",count", ",counts", 1),
        )
        .unwrap();
    }
    let output = check_tests(&queries);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(10), "{stderr}");
    for path in [&first, &second] {
        assert!(stderr.contains(&format!("{}:", path.display())), "{stderr}");
    }
    assert!(stderr.contains("2 problem(s) in the tests"), "{stderr}");
}
