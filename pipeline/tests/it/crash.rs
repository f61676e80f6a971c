//! Scheduled runs that die part-way or start twice at once, on the release
//! binary. Killed (`kill -9`) at fixed shares of a measured ingest or run
//! (and of its publishing), an ingest or a run leaves the last good edition
//! and the delivery in use byte for byte as they were, or the new ones
//! whole in place: never neither, never a mix; queries work, and a rerun
//! succeeds. A kill between publishing's two renames is too brief to hit
//! by timing, so the state it leaves is made by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{copy_tree, repo};

const PERIOD: &str = "2003Q4";

/// When each kill of an ingest comes, as a share of a measured ingest.
const INTO_INGEST: [f64; 6] = [0.05, 0.3, 0.6, 0.85, 0.95, 1.0];
/// When the kills of a run come: one as a share of the time a measured run
/// takes to start publishing; the others from the moment its staging
/// folder appears, as shares of the time publishing took (writing, syncing
/// and moving the edition: a tenth of a run or less, too short to hit from
/// its start, since runs vary by about as much).
const INTO_RUN: f64 = 0.5;
const INTO_PUBLISHING: [f64; 3] = [0.0, 0.4, 0.8];

fn dtto() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dtto"));
    command
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `dtto run` of the period into `work`'s output folder, with the
/// warehouse `work/<warehouse>`.
fn run(work: &Path, warehouse: &str, extract: &Path, more: &[&str]) -> Command {
    let mut command = dtto();
    command
        .arg("run")
        .arg("--extract")
        .arg(extract)
        .arg("--warehouse")
        .arg(work.join(warehouse))
        .arg("--output")
        .arg(work.join("output"))
        .args(["--period", PERIOD])
        .args(more);
    command
}

fn ingest(warehouse: &Path, extract: &Path) -> Command {
    let mut command = dtto();
    command
        .arg("ingest")
        .arg("--extract")
        .arg(extract)
        .arg("--warehouse")
        .arg(warehouse);
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn succeeded(mut command: Command) -> Output {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

/// Runs `command` to the end and says how long it took.
fn timed(command: Command) -> Duration {
    let started = Instant::now();
    succeeded(command);
    started.elapsed()
}

/// Runs `command` to the end, watching for `path`: how long it took to
/// appear, and how long the command went on after.
fn timed_around(mut command: Command, path: &Path) -> (Duration, Duration) {
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    assert!(
        appeared(&mut child, path),
        "{} never appeared",
        path.display()
    );
    let before = started.elapsed();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    (before, started.elapsed() - before)
}

/// Waits for `path` to appear: false if `child` ends first.
fn appeared(child: &mut Child, path: &Path) -> bool {
    while !path.exists() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Kills `child` (SIGKILL, as `kill -9`) after `delay`, unless it has
/// ended by then.
fn kill_after(mut child: Child, delay: Duration) {
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Every file under `dir` with its bytes; nothing when `dir` is missing.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    if !dir.exists() {
        return BTreeMap::new();
    }
    dtto_storage::publish::files_under(dir)
        .unwrap()
        .into_iter()
        .map(|(name, path)| {
            let bytes = std::fs::read(&path).unwrap();
            (name, bytes)
        })
        .collect()
}

/// The files that are in one snapshot only, or differ.
fn differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter(|name| a.get(*name) != b.get(*name))
        .cloned()
        .collect()
}

/// What a killed publish could leave in an output folder.
fn leftovers(output: &Path) -> Vec<String> {
    std::fs::read_dir(output)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".staging-") || name.starts_with(".previous-"))
        .collect()
}

fn current_key(warehouse: &Path) -> String {
    let pointer = std::fs::read_to_string(warehouse.join("current")).unwrap();
    pointer.trim().to_string()
}

/// The current delivery's Orders, counted by `dtto query`.
fn orders(warehouse: &Path) -> String {
    let mut query = dtto();
    query
        .arg("query")
        .arg("--warehouse")
        .arg(warehouse)
        .args(["--csv", "SELECT count(*) AS n FROM orders"]);
    let output = succeeded(query);
    stdout(&output)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// The bundled hand-made delivery under another supplier's name: another
/// delivery (another key, another manifest) for the same figures.
fn relabelled(dir: &Path) -> PathBuf {
    copy_tree(&repo().join("fixtures/measures"), dir);
    let control = dir.join("extract.toml");
    let text = std::fs::read_to_string(&control).unwrap();
    let relabelled = text.replace("supplier = \"", "supplier = \"Relabelled: ");
    assert_ne!(relabelled, text);
    std::fs::write(&control, relabelled).unwrap();
    dir.to_path_buf()
}

#[test]
fn an_edition_left_only_as_previous_between_the_renames_is_put_back() {
    let work = tempfile::tempdir().unwrap();
    let extract = repo().join("fixtures/measures");
    succeeded(run(work.path(), "warehouse", &extract, &[]));
    let output = work.path().join("output");
    let edition = output.join(PERIOD);
    let published = snapshot(&edition);
    // What a run killed between the two renames leaves: the edition moved
    // aside, and the next one's staging folder.
    let previous = output.join(format!(".previous-{PERIOD}"));
    std::fs::rename(&edition, &previous).unwrap();
    let staging = output.join(format!(".staging-{PERIOD}/public"));
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("index.html"), "<html>half</html>").unwrap();

    // A rerun that fails before it publishes: there are no reference lists.
    let no_queries = work.path().join("no-queries");
    std::fs::create_dir(&no_queries).unwrap();
    let mut failing = run(work.path(), "warehouse", &extract, &[]);
    failing.arg("--queries").arg(&no_queries);
    let failed = failing.output().unwrap();
    assert!(!failed.status.success(), "{}", stdout(&failed));
    assert!(
        stderr(&failed).contains("no-queries"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(
        differing(&snapshot(&edition), &published),
        Vec::<String>::new(),
        "the edition was not put back as it was published"
    );
    assert!(!previous.exists());

    let rerun = succeeded(run(work.path(), "warehouse", &extract, &[]));
    assert!(
        stdout(&rerun).contains("nothing was rewritten"),
        "{}",
        stdout(&rerun)
    );
    assert_eq!(
        differing(&snapshot(&edition), &published),
        Vec::<String>::new()
    );
    assert_eq!(leftovers(&output), Vec::<String>::new());
}

#[test]
fn a_delivery_left_only_as_replaced_by_a_killed_ingest_again_is_put_back() {
    let work = tempfile::tempdir().unwrap();
    let warehouse = work.path().join("warehouse");
    let extract = repo().join("fixtures/measures");
    succeeded(ingest(&warehouse, &extract));
    let key = current_key(&warehouse);
    let delivery = warehouse.join("deliveries").join(&key);
    let ingested = snapshot(&delivery);
    // What `ingest --force` killed between its two renames leaves: the
    // delivery moved aside, and part of its new copy.
    std::fs::rename(&delivery, warehouse.join(format!(".replaced-{key}"))).unwrap();
    std::fs::create_dir_all(warehouse.join(".staging/orders")).unwrap();

    // An ingest that fails before it reads anything: no delivery there.
    let failed = ingest(&warehouse, &work.path().join("nothing"))
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(4), "{}", stderr(&failed));
    assert_eq!(
        differing(&snapshot(&delivery), &ingested),
        Vec::<String>::new(),
        "the delivery was not put back as it was ingested"
    );
    assert_eq!(current_key(&warehouse), key);
    assert_eq!(orders(&warehouse), "21");

    let again = succeeded(ingest(&warehouse, &extract));
    assert!(
        stdout(&again).contains("This delivery was ingested before"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_run_killed_at_any_point_leaves_the_old_edition_or_the_new_one_whole() {
    let work = tempfile::tempdir().unwrap();
    let deliveries = [
        repo().join("fixtures/measures"),
        relabelled(&work.path().join("relabelled")),
    ];
    let warehouse = work.path().join("warehouse");
    let output = work.path().join("output");
    let edition = output.join(PERIOD);
    let staging = output.join(format!(".staging-{PERIOD}"));
    // Each delivery's edition, published whole; the second run, which
    // replaces the first's edition, is the one the kills are placed by.
    succeeded(run(work.path(), "warehouse", &deliveries[0], &[]));
    let mut editions = vec![snapshot(&edition)];
    let mut keys = vec![current_key(&warehouse)];
    let (before, publishing) =
        timed_around(run(work.path(), "warehouse", &deliveries[1], &[]), &staging);
    editions.push(snapshot(&edition));
    keys.push(current_key(&warehouse));
    assert_ne!(editions[0], editions[1]);
    let no_queries = work.path().join("no-queries");
    std::fs::create_dir(&no_queries).unwrap();

    let in_place = |what: &str| {
        let files = snapshot(&edition);
        editions
            .iter()
            .position(|e| *e == files)
            .unwrap_or_else(|| {
                panic!(
                    "{what}: the edition in place is neither edition whole; it differs from \
                 the first in {:?} and from the second in {:?}",
                    differing(&files, &editions[0]),
                    differing(&files, &editions[1])
                )
            })
    };
    let kills =
        std::iter::once((INTO_RUN, false)).chain(INTO_PUBLISHING.map(|share| (share, true)));
    for (share, into_publishing) in kills {
        // Each kill interrupts the replacement of the edition in place.
        let new = 1 - in_place("before the kill");
        let mut child = run(work.path(), "warehouse", &deliveries[new], &[])
            .spawn()
            .unwrap();
        let (delay, into) = if into_publishing {
            let published = appeared(&mut child, &staging);
            assert!(published, "a run ended before it started publishing");
            (publishing.mul_f64(share), "publishing")
        } else {
            (before.mul_f64(share), "the time to publishing")
        };
        kill_after(child, delay);
        let killed = format!("killed at {share} of {into}");
        assert!(keys.contains(&current_key(&warehouse)), "{killed}");
        assert_eq!(orders(&warehouse), "21", "{killed}");
        // A rerun that fails before publishing: only what every run does
        // first, putting back what the kill left half moved.
        let mut failing = run(work.path(), "warehouse", &deliveries[new], &[]);
        failing.arg("--queries").arg(&no_queries);
        let failed = failing.output().unwrap();
        assert!(
            stderr(&failed).contains("no-queries"),
            "{}",
            stderr(&failed)
        );
        in_place(&killed);
        assert_eq!(leftovers(&output), Vec::<String>::new(), "{killed}");
    }
    let new = 1 - in_place("after the kills");
    succeeded(run(work.path(), "warehouse", &deliveries[new], &[]));
    assert_eq!(in_place("after a rerun"), new);
}

#[test]
fn an_ingest_killed_at_any_point_leaves_the_delivery_in_use_or_the_new_one_whole() {
    let work = tempfile::tempdir().unwrap();
    let old = repo().join("fixtures/measures");
    // Large enough that the kills land while its Parquet files are written.
    let new = work.path().join("synthetic");
    dtto_fixtures::generate(
        &dtto_fixtures::GeneratorOptions {
            seed: 2,
            scale: 0.3,
            as_at: chrono::NaiveDate::from_ymd_opt(2005, 3, 31).unwrap(),
        },
        &new,
    )
    .unwrap();
    // What every kill starts from: the old delivery in use.
    let before = work.path().join("before");
    succeeded(ingest(&before, &old));
    // The new delivery ingested whole, and how long that takes.
    let whole = work.path().join("whole");
    let took = timed(ingest(&whole, &new));
    let new_key = current_key(&whole);
    // Each delivery by its key: its files and its Orders.
    let expected: BTreeMap<String, _> = [&before, &whole]
        .into_iter()
        .map(|warehouse| {
            let key = current_key(warehouse);
            let files = snapshot(&warehouse.join("deliveries").join(&key));
            (key, (files, orders(warehouse)))
        })
        .collect();

    let in_use = |warehouse: &Path, what: &str| {
        let key = current_key(warehouse);
        let Some((files, count)) = expected.get(&key) else {
            panic!("{what}: current names {key}, neither the old delivery nor the new one");
        };
        let delivery = warehouse.join("deliveries").join(&key);
        assert_eq!(
            differing(&snapshot(&delivery), files),
            Vec::<String>::new(),
            "{what}"
        );
        assert_eq!(orders(warehouse), *count, "{what}");
        key
    };
    for (i, share) in INTO_INGEST.into_iter().enumerate() {
        let warehouse = work.path().join(format!("killed-{i}"));
        copy_tree(&before, &warehouse);
        kill_after(
            ingest(&warehouse, &new).spawn().unwrap(),
            took.mul_f64(share),
        );
        in_use(&warehouse, &format!("killed at {share} of an ingest"));
        succeeded(ingest(&warehouse, &new));
        let rerun = format!("rerun after a kill at {share}");
        assert_eq!(in_use(&warehouse, &rerun), new_key, "{rerun}");
    }
}

#[test]
fn a_second_run_on_a_busy_output_folder_fails_at_once_naming_the_first_or_waits_with_wait() {
    let work = tempfile::tempdir().unwrap();
    let extract = repo().join("fixtures/measures");
    let output = work.path().join("output");
    // Each run has a warehouse of its own: the output folder is what they
    // contend for.
    let mut first = run(work.path(), "first", &extract, &[]).spawn().unwrap();
    let holding = format!("{}\n", first.id());
    let lock = output.join(".output.lock");
    while std::fs::read_to_string(&lock).ok().as_deref() != Some(holding.as_str()) {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended before it was seen holding the output folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }

    let refused = run(work.path(), "second", &extract, &[]).output().unwrap();
    assert_eq!(refused.status.code(), Some(14), "{}", stderr(&refused));
    let named = format!(
        "{} is in use by another dtto (process {})",
        output.display(),
        first.id()
    );
    assert!(stderr(&refused).contains(&named), "{}", stderr(&refused));
    let waiting = run(work.path(), "third", &extract, &["--wait"])
        .spawn()
        .unwrap();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let waited = waiting.wait_with_output().unwrap();
    assert!(waited.status.success(), "{}", stderr(&waited));
    // It found the first run's edition whole, and the same as its own.
    assert!(
        stdout(&waited).contains("nothing was rewritten"),
        "{}",
        stdout(&waited)
    );

    // The refused run never held the folder, so it left no record; the
    // waiting one started once the first had ended.
    let history = std::fs::read_to_string(output.join("runs.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = history
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{history}");
    let time =
        |record: &serde_json::Value, field: &str| record[field].as_str().unwrap().to_string();
    assert!(
        time(&records[1], "started") >= time(&records[0], "ended"),
        "{history}"
    );
    assert_eq!(leftovers(&output), Vec::<String>::new());
}
