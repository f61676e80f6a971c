//! The command line's failures: each leaves with the exit code of its kind
//! (the README's table) and a message that says what to do.

use std::process::{Command, Output};

use crate::support::repo;

fn dtto(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dtto"))
        .current_dir(repo())
        .args(args)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_query_before_any_ingest_says_to_ingest_first() {
    let empty = tempfile::tempdir().unwrap();
    let warehouse = empty.path().join("warehouse");
    let output = dtto(&[
        "query",
        "--warehouse",
        warehouse.to_str().unwrap(),
        "SELECT 1",
    ]);
    assert_eq!(output.status.code(), Some(12), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("holds no ingested delivery: run dtto ingest first"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_configuration_out_of_range_is_named_with_its_file() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("strict.toml");
    std::fs::write(&config, "[disclosure]\nthreshold = 1\n").unwrap();
    let output = dtto(&[
        "--config",
        config.to_str().unwrap(),
        "ingest",
        "--extract",
        "fixtures/measures",
        "--warehouse",
        work.path().join("warehouse").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(8), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("strict.toml"), "{message}");
    assert!(message.contains("disclosure.threshold is 1"), "{message}");
}

#[test]
fn a_second_ingest_into_a_busy_warehouse_fails_at_once_or_waits_with_wait() {
    use dtto_storage::lock::{Access, Lock};
    let work = tempfile::tempdir().unwrap();
    let warehouse = work.path().join("warehouse");
    let held = Lock::warehouse(&warehouse, Access::Exclusive, false).unwrap();
    let args = [
        "ingest",
        "--extract",
        "fixtures/measures",
        "--warehouse",
        warehouse.to_str().unwrap(),
    ];
    let output = dtto(&args);
    assert_eq!(output.status.code(), Some(14), "{}", stderr(&output));
    let holder = format!("is in use by another dtto (process {})", std::process::id());
    assert!(stderr(&output).contains(&holder), "{}", stderr(&output));
    assert!(stderr(&output).contains("--wait"), "{}", stderr(&output));

    let waiting = Command::new(env!("CARGO_BIN_EXE_dtto"))
        .current_dir(repo())
        .args(args)
        .arg("--wait")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut waiting = waiting;
    assert!(waiting.try_wait().unwrap().is_none(), "it did not wait");
    drop(held);
    let output = waiting.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn every_run_leaves_a_record_and_a_rerun_on_the_same_inputs_rewrites_nothing() {
    use std::os::unix::fs::MetadataExt;
    let work = tempfile::tempdir().unwrap();
    let output = work.path().join("output");
    let run = |period: &str| {
        dtto(&[
            "run",
            "--extract",
            "fixtures/measures",
            "--warehouse",
            work.path().join("warehouse").to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--period",
            period,
        ])
    };
    let record = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(output.join("last-run.json")).unwrap())
            .unwrap()
    };
    let bulletin = output.join("2003Q4/public/index.html");
    let inode = || std::fs::metadata(&bulletin).unwrap().ino();

    let first = run("2003Q4");
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(record()["edition_status"], "written");
    assert_eq!(record()["period"], "2003Q4");
    assert_eq!(record()["exit_code"], 0);
    let written = inode();

    let again = run("2003Q4");
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing was rewritten"));
    assert_eq!(record()["edition_status"], "unchanged");
    assert_eq!(inode(), written, "the bulletin was written again");

    let refused = run("1999Q1");
    assert_eq!(refused.status.code(), Some(9), "{}", stderr(&refused));
    assert_eq!(record()["exit_code"], 9);
    assert_eq!(record()["edition_status"], "not written");
    assert!(record()["error"].as_str().unwrap().contains("1999Q1"));

    let history = std::fs::read_to_string(output.join("runs.jsonl")).unwrap();
    let codes: Vec<u64> = history
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["exit_code"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(codes, [0, 0, 9]);
}
