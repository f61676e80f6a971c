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
    use dtto::lock::{Access, Lock};
    let work = tempfile::tempdir().unwrap();
    let warehouse = work.path().join("warehouse");
    let held = Lock::acquire(&warehouse, Access::Exclusive, false).unwrap();
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
