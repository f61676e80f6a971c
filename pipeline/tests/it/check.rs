//! `dtto check` on copies of `queries/` with one thing broken at a time.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::support::repo;
use dtto_model::catalogue::{Catalogue, Problem};
use dtto_model::window::Windows;
use dtto_query::check;

fn queries() -> PathBuf {
    repo().join("queries")
}

fn copy_queries() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(&queries(), dir.path());
    dir
}

fn problems(dir: &Path) -> Vec<Problem> {
    let (catalogue, mut problems) = Catalogue::load(dir);
    problems.extend(
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(check(
                &catalogue,
                &[],
                "2003Q4".parse().unwrap(),
                NaiveDate::from_ymd_opt(2005, 3, 31).unwrap(),
            ))
            .unwrap(),
    );
    problems
}

#[test]
fn the_bundled_queries_plan_cleanly() {
    let found = problems(&queries());
    assert!(
        found.is_empty(),
        "{}",
        found
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_misspelt_column_is_reported_at_its_line_and_column() {
    let dir = copy_queries();
    let path = dir.path().join("tables/03_completion_rate.sql");
    let sql = std::fs::read_to_string(&path).unwrap();
    let broken = sql.replace(
        "WHERE o.termination_date BETWEEN",
        "WHERE o.termination_dat BETWEEN",
    );
    std::fs::write(&path, &broken).unwrap();
    // Where the misspelling is, found independently of the program.
    let (line, text) = broken
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("termination_dat BETWEEN"))
        .unwrap();
    let column = text.find("o.termination_dat").unwrap() as u64 + 1;

    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, path);
    assert_eq!(
        (found[0].line, found[0].column),
        (Some(line as u64 + 1), Some(column))
    );
    assert!(found[0].message.contains("termination_dat"), "{}", found[0]);
    assert_eq!(found[0].source_line.as_deref(), Some(text));
}

#[test]
fn a_syntax_error_is_reported_with_its_position() {
    let dir = copy_queries();
    let path = dir.path().join("tables/08_suitability.sql");
    let sql = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        sql.replace("GROUP BY g.breakdown", "GROUP g.breakdown"),
    )
    .unwrap();
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, path);
    assert!(found[0].line.is_some(), "{}", found[0]);
}

#[test]
fn metadata_problems_and_duplicate_ids_are_reported() {
    let dir = copy_queries();
    let tables = dir.path().join("tables");
    // Metadata missing.
    std::fs::remove_file(tables.join("04_retention.toml")).unwrap();
    // A duplicate id.
    let toml = std::fs::read_to_string(tables.join("08_suitability.toml")).unwrap();
    std::fs::write(tables.join("09_continuity_of_care.toml"), toml).unwrap();
    // A misspelt metadata key, in a table no other links to.
    let toml = std::fs::read_to_string(tables.join("07_drug_tests_positive.toml")).unwrap();
    std::fs::write(
        tables.join("07_drug_tests_positive.toml"),
        toml.replace("title =", "titel ="),
    )
    .unwrap();
    // A link to a misspelt table.
    let toml = std::fs::read_to_string(tables.join("03_completion_rate.toml")).unwrap();
    std::fs::write(
        tables.join("03_completion_rate.toml"),
        toml.replacen(
            "table = \"terminations_by_reason\"",
            "table = \"termination_by_reason\"",
            1,
        ),
    )
    .unwrap();
    // A headline table with a long id is no problem: its series sheet is
    // numbered after its table (`Table_2_series`), not named by its id.
    let path = tables.join("01_commencements_against_target.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, toml.replace("[chart]", "headline = true\n\n[chart]")).unwrap();
    let found = problems(dir.path());
    let messages: Vec<String> = found.iter().map(ToString::to_string).collect();
    // The copied metadata also names the suitability table's window,
    // which is not the window continuity of care's query counts over.
    assert_eq!(found.len(), 5, "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("09_continuity_of_care.toml")
                && m.contains("`cohort` names {year}, but the query counts over {lagged}")),
        "{messages:#?}"
    );
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("01_commencements_against_target.toml")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("03_completion_rate.toml")
                && m.contains("there is no table \"termination_by_reason\"")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("04_retention.sql") && m.contains("metadata")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"suitability\" is already used")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("07_drug_tests_positive.toml:") && m.contains("titel")),
        "{messages:#?}"
    );
}

#[test]
fn a_rate_query_without_its_counts_is_reported() {
    let dir = copy_queries();
    let path = dir.path().join("tables/08_suitability.sql");
    let sql = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, sql.replace("AS denominator", "AS assessments")).unwrap();
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("denominator"), "{}", found[0]);
}

/// `dtto check --warehouse` runs every table on the current delivery:
/// the bundled metadata agrees with the rows, and a metadata file that
/// misspells a breakdown is named twice, for the breakdown the rows carry
/// and for the one they do not.
#[test]
fn check_with_a_warehouse_finds_a_misspelt_breakdown() {
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    let warehouse = work.path().join("warehouse");
    crate::support::generated_extract(&extract, 3, 0.02);
    let dtto = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dtto"))
            .current_dir(repo())
            .args(args)
            .output()
            .unwrap()
    };
    let ingested = dtto(&[
        "ingest".as_ref(),
        "--extract".as_ref(),
        extract.as_os_str(),
        "--warehouse".as_ref(),
        warehouse.as_os_str(),
    ]);
    assert!(ingested.status.success(), "{ingested:?}");
    let check = |queries: &Path| {
        dtto(&[
            "check".as_ref(),
            "--queries".as_ref(),
            queries.as_os_str(),
            "--warehouse".as_ref(),
            warehouse.as_os_str(),
        ])
    };

    let bundled = check(&queries());
    let said = String::from_utf8_lossy(&bundled.stdout);
    assert!(bundled.status.success(), "{bundled:?}");
    assert!(
        said.contains("every table's breakdowns agree with its rows for 2005Q1"),
        "{said}"
    );

    let dir = copy_queries();
    let path = dir.path().join("tables/03_completion_rate.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, toml.replacen("\"Sex\"", "\"Gender\"", 1)).unwrap();
    let broken = check(dir.path());
    let said = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(10), "{said}");
    let named = |text: &str| {
        said.lines()
            .any(|l| l.contains("03_completion_rate.toml") && l.contains(text))
    };
    assert!(named("returns the breakdown \"Sex\""), "{said}");
    assert!(named("lists \"Gender\""), "{said}");
    assert!(said.contains("2 problem(s)"), "{said}");
}

/// The parameters' table in `queries/README.md` is the one made from
/// `queries/windows.toml`: a window declared, renamed or reworded there
/// fails here until the README says the same.
#[test]
fn the_readme_documents_the_declared_windows() {
    let windows = Windows::load(&queries().join("windows.toml")).unwrap();
    let readme = std::fs::read_to_string(queries().join("README.md")).unwrap();
    let table = windows.parameter_table();
    assert!(
        readme.contains(&table),
        "queries/README.md's parameters disagree with queries/windows.toml; paste this table \
         under \"## Parameters\":\n\n{table}"
    );
    // The table as a reader sees it, worked out from the declaration by hand.
    assert!(readme.contains(
        "| `$lagged_start`, `$lagged_end` | the 12 months ending one quarter before the period \
         end |\n| `$reconviction_1y_start`, `$reconviction_1y_end` | the 12 months ending 18 \
         months before the period end |"
    ));
}

/// A declaration of windows that does not hold is `dtto check`'s one
/// problem, at its line and column: not a dozen tables naming windows it
/// failed to declare.
#[test]
fn a_malformed_window_declaration_is_reported_at_its_line() {
    let dir = copy_queries();
    let path = dir.path().join("windows.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replace("quarters_back = 6", "quarters_back = \"six\"");
    std::fs::write(&path, &broken).unwrap();
    let (line, source) = broken
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("\"six\""))
        .unwrap();
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, path);
    assert_eq!(
        (found[0].line, found[0].column),
        (
            Some(line as u64 + 1),
            Some("quarters_back = ".len() as u64 + 1)
        )
    );
    assert_eq!(found[0].source_line.as_deref(), Some(source));

    // Two windows of one name: the second's [[window]] is pointed at.
    let twice = text.replace("name = \"lagged\"", "name = \"year\"");
    std::fs::write(&path, &twice).unwrap();
    let header = twice
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "[[window]]")
        .nth(1)
        .unwrap()
        .0;
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, Some(header as u64 + 1));
    assert_eq!(
        found[0].message,
        "window \"year\": the name is declared twice"
    );

    // A table naming a window that is not declared says which are.
    let toml = dir.path().join("tables/04_retention.toml");
    std::fs::write(&path, &text).unwrap();
    let metadata = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, metadata.replace("{lagged}", "{laged}")).unwrap();
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains(
            "names {laged}, which is not a window of windows.toml: use {year} and {lagged}"
        ),
        "{}",
        found[0]
    );
}
