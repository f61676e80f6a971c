//! `dtto diff` through the command line: an edition of the measures
//! delivery against a copy edited by hand, so that every difference, and
//! so every count and row of the report, is known in advance.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{publish_default, repo};

fn dtto_diff(old: &Path, new: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dtto"))
        .current_dir(repo())
        .arg("diff")
        .args([old, new])
        .args(extra)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn copy_csvs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_csvs(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Replaces the one line `from` of the CSV at `path` with `to`.
fn edit(path: &Path, from: &str, to: &str) {
    let csv = std::fs::read_to_string(path).unwrap();
    assert_eq!(csv.matches(from).count(), 1, "{from:?} in\n{csv}");
    std::fs::write(path, csv.replace(from, to)).unwrap();
}

#[test]
fn an_edited_copy_differs_by_one_figure_one_withheld_count_and_one_table() {
    let work = tempfile::tempdir().unwrap();
    publish_default(&repo().join("fixtures/measures"), work.path(), "2003Q4");
    let old = work.path().join("output/2003Q4");

    let same = dtto_diff(&old, &old, &[]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(text(&same.stdout).ends_with("The editions are identical.\n"));

    // The copy is laid out as data/, not public/data/: both are editions.
    let new = work.path().join("edited");
    copy_csvs(&old.join("public/data"), &new.join("data"));
    // The measures delivery is small: most of its figures are withheld,
    // and those published in the reference year are 0s.
    let terminations = new.join("data/terminations_by_reason.csv");
    edit(
        &terminations,
        "\nNational,All,Revoked for a new offence,2003Q4,0,\n",
        "\nNational,All,Revoked for a new offence,2003Q4,1,\n",
    );
    edit(
        &terminations,
        "\nNational,All,Revoked for another reason,2003Q4,0,\n",
        "\nNational,All,Revoked for another reason,2003Q4,,[c]\n",
    );
    std::fs::write(
        new.join("data/extra.csv"),
        "breakdown,group,count,status\nNational,All,12,\n",
    )
    .unwrap();

    let report = work.path().join("diff.csv");
    let differ = dtto_diff(&old, &new, &["--csv", report.to_str().unwrap()]);
    assert_eq!(differ.status.code(), Some(1), "{}", text(&differ.stderr));
    assert_eq!(
        text(&differ.stdout),
        "Tables: 1 added, 0 removed\n\
         Groups: 0 added, 0 removed\n\
         Figures: 2 changed, 1 newly withheld, 0 newly released\n\
         \n\
         extra: table added\n\
         \n\
         terminations_by_reason\n  \
           breakdown=National; group=All; termination_reason=Revoked for a new offence: \
           count 0 → 1\n  \
           breakdown=National; group=All; termination_reason=Revoked for another reason: \
           count newly withheld\n  \
           breakdown=National; group=All; termination_reason=Revoked for another reason: \
           status (empty) → [c]\n\
         \n\
         A figure withheld in either edition is shown without values: the other \
         edition's value could reveal it.\n"
    );
    let rows = "table,quarter,group,figure,old,new,change\n\
        extra,,,,,,table added\n\
        terminations_by_reason,,breakdown=National; group=All; \
        termination_reason=Revoked for a new offence,count,0,1,changed\n\
        terminations_by_reason,,breakdown=National; group=All; \
        termination_reason=Revoked for another reason,count,,[c],newly withheld\n\
        terminations_by_reason,,breakdown=National; group=All; \
        termination_reason=Revoked for another reason,status,,[c],changed\n";
    assert_eq!(std::fs::read_to_string(&report).unwrap(), rows);

    let to_stdout = dtto_diff(&old, &new, &["--csv", "-"]);
    assert_eq!(
        to_stdout.status.code(),
        Some(1),
        "{}",
        text(&to_stdout.stderr)
    );
    assert_eq!(text(&to_stdout.stdout), rows);
}

#[test]
fn a_missing_edition_or_a_csv_that_is_no_table_cannot_be_compared() {
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good");
    std::fs::create_dir_all(good.join("data")).unwrap();
    std::fs::write(
        good.join("data/extra.csv"),
        "breakdown,group,count,status\nNational,All,12,\n",
    )
    .unwrap();

    let missing = dtto_diff(&good, &work.path().join("nowhere"), &[]);
    assert_eq!(missing.status.code(), Some(15), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("nowhere is not an edition"));

    let broken = work.path().join("broken");
    std::fs::create_dir_all(broken.join("data")).unwrap();
    std::fs::write(broken.join("data/extra.csv"), "a,b\n1,2\n").unwrap();
    let unreadable = dtto_diff(&good, &broken, &[]);
    assert_eq!(
        unreadable.status.code(),
        Some(15),
        "{}",
        text(&unreadable.stderr)
    );
    let message = text(&unreadable.stderr);
    assert!(
        message.contains("extra.csv: its columns do not end as"),
        "{message}"
    );
    assert!(text(&unreadable.stdout).is_empty());
}
