//! The hostile corpus (`fixtures/hostile/README.md`): what a hostile
//! supplier could deliver, each case a small gzip made here, streaming,
//! from a valid synthetic delivery. Each must end in its documented exit
//! code on the release binary, within 1 GiB of memory and 30 s, without a
//! panic, and leave the delivery ingested before it current and intact.
//! Set `HOSTILE_KEEP=DIR` to keep the corpus in DIR for runs by hand.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::support::{promise_rows, repo};

const MEMORY_LIMIT_KB: u64 = 1 << 20;
const TIME_LIMIT: Duration = Duration::from_secs(30);
/// What the failed deliveries may leave under `rejected/`: the default
/// `ingest.max_quarantine_bytes` (128 MiB) caps each; these cases stop far
/// below it (every-row-bad keeps 2,001 rows of about 2 KB with errors).
const REJECTED_LIMIT_BYTES: u64 = 16 << 20;

/// One gzip member holding `bytes`; members concatenated are one file to
/// gzip readers, so a huge file is a member repeated.
fn member(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A gzip member that stores `bytes` (at most 64 KiB) as they are: far
/// cheaper to make than a compressed one, for the many small parts that
/// differ.
fn stored_member(bytes: &[u8]) -> Vec<u8> {
    let length = u16::try_from(bytes.len()).unwrap();
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    // The gzip header (deflate, no name, unknown system), then one final
    // stored block: its header bit, its length and the length's complement.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    out.extend(length.to_le_bytes());
    out.extend((!length).to_le_bytes());
    out.extend(bytes);
    out.extend(crc.sum().to_le_bytes());
    out.extend(u32::from(length).to_le_bytes());
    out
}

/// Writes `NAME.csv.gz` in place of the delivery's `NAME.csv`: each part's
/// bytes repeated its number of times.
fn write_gz(dir: &Path, name: &str, parts: &[(&[u8], usize)]) {
    std::fs::remove_file(dir.join(format!("{name}.csv"))).unwrap();
    let mut out = BufWriter::new(File::create(dir.join(format!("{name}.csv.gz"))).unwrap());
    for (bytes, times) in parts {
        let member = member(bytes);
        for _ in 0..*times {
            out.write_all(&member).unwrap();
        }
    }
    out.flush().unwrap();
}

/// A file of the valid delivery: its header line and its data rows.
fn header_and_rows(dir: &Path, name: &str) -> (String, String) {
    let text = std::fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    (format!("{header}\n"), rows.to_string())
}

fn blank_lines(dir: &Path) -> String {
    let (header, rows) = header_and_rows(dir, "orders");
    // 192 MiB of line breaks: 201 million blank lines.
    let blank = vec![b'\n'; 1 << 20];
    write_gz(
        dir,
        "orders",
        &[(header.as_bytes(), 1), (&blank, 192), (rows.as_bytes(), 1)],
    );
    "orders.csv.gz: from line 2: more than 1,048,576 bytes of blank lines".to_string()
}

fn huge_header_field(dir: &Path) -> String {
    let (header, rows) = header_and_rows(dir, "orders");
    let field = vec![b'a'; 1 << 20];
    write_gz(
        dir,
        "orders",
        &[
            (&field, 1024),
            (b",", 1),
            (header.as_bytes(), 1),
            (rows.as_bytes(), 1),
        ],
    );
    "orders.csv.gz: line 1, field 1: a field longer than 4,096 bytes".to_string()
}

/// 60,000 Orders whose person_id has 40,000 characters.
fn long_person_ids(dir: &Path) -> String {
    let (header, rows) = header_and_rows(dir, "orders");
    let first = rows.lines().next().unwrap();
    // order_id, person_id, then the rest of a valid row.
    let (_, rest) = first.split_once(',').unwrap();
    let (_, rest) = rest.split_once(',').unwrap();
    let tail = format!(",{},{rest}\n", "P".repeat(40_000));
    let mut gz = BufWriter::new(File::create(dir.join("orders.csv.gz")).unwrap());
    std::fs::remove_file(dir.join("orders.csv")).unwrap();
    gz.write_all(&member(header.as_bytes())).unwrap();
    let tail = member(tail.as_bytes());
    for n in 0..60_000 {
        gz.write_all(&stored_member(format!("H{n:08}").as_bytes()))
            .unwrap();
        gz.write_all(&tail).unwrap();
    }
    gz.flush().unwrap();
    promise_rows(dir, "orders", 60_000);
    "orders.csv.gz: line 2, column \"person_id\": a field longer than 4,096 bytes".to_string()
}

/// A control file of 2 MiB of comments.
fn huge_control_file(dir: &Path) -> String {
    let path = dir.join("extract.toml");
    let control = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, "#\n".repeat(1 << 20) + &control).unwrap();
    "extract.toml: the control file does not parse: it is larger than 1,048,576 bytes".to_string()
}

/// The configuration a case runs with, beside its folder; without one, the
/// repository's `dtto.toml`.
fn config_of(case: &Path) -> PathBuf {
    case.with_extension("toml")
}

/// The same 60,000 Orders beside the valid ones, under a field limit that
/// lets them load: 2.4 GB of text through the batches and Parquet, which
/// must cut them by bytes. A treatment episode promised but missing then
/// fails the delivery.
fn long_person_ids_within_a_raised_limit(dir: &Path) -> String {
    let (_, rows) = header_and_rows(dir, "orders");
    let valid = rows.lines().count() as u64;
    long_person_ids(dir);
    let mut gz = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("orders.csv.gz"))
        .unwrap();
    gz.write_all(&member(rows.as_bytes())).unwrap();
    promise_rows(dir, "orders", 60_000 + valid);
    let (_, episodes) = header_and_rows(dir, "treatment_episodes");
    let episodes = episodes.lines().count() as u64;
    promise_rows(dir, "treatment_episodes", episodes + 1);
    std::fs::write(config_of(dir), "[ingest]\nmax_field_bytes = 65536\n").unwrap();
    format!(
        "says {} data rows but the file holds {episodes}",
        episodes + 1
    )
}

/// The control file promises 3 treatment episodes; the file holds 200,000.
fn more_rows_than_promised(dir: &Path) -> String {
    let (header, rows) = header_and_rows(dir, "treatment_episodes");
    let row = format!("{}\n", rows.lines().next().unwrap());
    write_gz(
        dir,
        "treatment_episodes",
        &[(header.as_bytes(), 1), (row.repeat(1000).as_bytes(), 200)],
    );
    promise_rows(dir, "treatment_episodes", 3);
    "says 3 data rows but the file holds more: reading stopped at line 5, data row 4".to_string()
}

/// 200,000 treatment episodes, as promised, every one of them bad.
fn every_row_bad(dir: &Path) -> String {
    let (header, _) = header_and_rows(dir, "treatment_episodes");
    let row = format!("P1,{},nowhere\n", "9".repeat(1000));
    write_gz(
        dir,
        "treatment_episodes",
        &[(header.as_bytes(), 1), (row.repeat(100).as_bytes(), 2000)],
    );
    promise_rows(dir, "treatment_episodes", 200_000);
    // 1 % of 200,000 may be quarantined: the 2,001st bad row, on line
    // 2,002, stops the reading.
    "2001 of the first 2001 rows quarantined by line 2002".to_string()
}

/// Every bad row allowed (a share of 1), but only 1 MiB of them kept.
fn quarantine_cap(dir: &Path) -> String {
    every_row_bad(dir);
    std::fs::write(
        config_of(dir),
        "[ingest]\nmax_quarantined_share = 1.0\nmax_quarantine_bytes = 1048576\n",
    )
    .unwrap();
    "treatment_episodes.csv.gz: the rejected rows and their errors passed 1,048,576 bytes"
        .to_string()
}

/// 100,000 column names under a column limit that lets the header be
/// read: checked for doubles in linear time. The Orders then have too few
/// fields: the 16th quarantined is more than 1 % of the 1,501 promised.
fn wide_header_within_a_raised_limit(dir: &Path) -> String {
    wide_header(dir);
    std::fs::write(config_of(dir), "[ingest]\nmax_columns = 200000\n").unwrap();
    "16 of the first 16 rows quarantined by line 17".to_string()
}

fn wide_header(dir: &Path) -> String {
    let (header, rows) = header_and_rows(dir, "orders");
    let extra: String = (0..100_000).map(|i| format!("c{i},")).collect();
    write_gz(
        dir,
        "orders",
        &[
            (extra.as_bytes(), 1),
            (header.as_bytes(), 1),
            (rows.as_bytes(), 1),
        ],
    );
    "orders.csv.gz: line 1: more than 1,000 fields".to_string()
}

/// A doubled column whose name would retitle the operator's terminal.
fn escape_in_header(dir: &Path) -> String {
    let (header, rows) = header_and_rows(dir, "orders");
    let header = format!("\u{1b}]0;owned\u{7},\u{1b}]0;owned\u{7},{header}");
    let rows: String = rows.lines().map(|row| format!(",,{row}\n")).collect();
    std::fs::write(dir.join("orders.csv"), header + &rows).unwrap();
    r#"column "\u{1b}]0;owned\u{7}" appears more than once"#.to_string()
}

/// A quoted field that never closes, over 100 million line breaks.
fn quoted_line_breaks(dir: &Path) -> String {
    let (header, _) = header_and_rows(dir, "drug_tests");
    let breaks = vec![b'\n'; 1 << 20];
    write_gz(
        dir,
        "drug_tests",
        &[(header.as_bytes(), 1), (b"\"", 1), (&breaks, 100)],
    );
    "drug_tests.csv.gz: line 2, column \"test_id\": a field longer than 4,096 bytes".to_string()
}

/// The gzip of orders.csv cut off in the middle: the message names the
/// line the text breaks off on.
fn truncated_gzip(dir: &Path) -> String {
    let text = std::fs::read(dir.join("orders.csv")).unwrap();
    std::fs::remove_file(dir.join("orders.csv")).unwrap();
    let whole = member(&text);
    let cut = &whole[..whole.len() / 2];
    std::fs::write(dir.join("orders.csv.gz"), cut).unwrap();
    let mut decoded = Vec::new();
    assert!(MultiGzDecoder::new(cut).read_to_end(&mut decoded).is_err());
    let line = decoded.iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(line > 100, "{line}");
    format!("orders.csv.gz: unreadable at line {line}:")
}

/// `dtto run` on the good delivery for a period that cannot be.
fn malformed_period(_: &Path) -> String {
    "period \"-999Q1\" is not a quarter written like 2003Q4".to_string()
}

fn period_before_the_data(_: &Path) -> String {
    "period 1999Q4 ends on 1999-12-31, before the extract's first Order commenced".to_string()
}

/// What one run of the binary did.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    peak_kb: u64,
    elapsed: Duration,
}

/// Runs `dtto` and waits for it with `wait4`, which reports the child's
/// peak resident memory. A child still running after twice the time limit
/// is killed.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which the Child handle does not know of"
)]
fn measured(args: &[String], work: &Path) -> Outcome {
    let stderr_path = work.join("stderr.txt");
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_dtto"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data, for which all zeros is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped; both pointers
        // are to live locals.
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if waited == pid {
            break;
        }
        assert_eq!(waited, 0, "wait4 failed");
        if started.elapsed() > 2 * TIME_LIMIT {
            // SAFETY: as above; the child is then reaped by the next wait4.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Outcome {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr: std::fs::read_to_string(&stderr_path).unwrap(),
        // Linux reports it in KiB.
        peak_kb: u64::try_from(usage.ru_maxrss).unwrap(),
        elapsed: started.elapsed(),
    }
}

fn size_of(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| size_of(&e.unwrap().path()))
            .sum()
    } else {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

fn copy_delivery(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// A hostile case: its folder's name, what makes it (returning what the
/// message must say), its exit code, and the period for a `dtto run`
/// (`None`: `dtto ingest`).
type Case = (&'static str, fn(&Path) -> String, i32, Option<&'static str>);

const CASES: [Case; 15] = [
    ("blank-lines", blank_lines, 5, None),
    ("huge-header-field", huge_header_field, 5, None),
    ("long-person-ids", long_person_ids, 5, None),
    (
        "long-person-ids-within-a-raised-limit",
        long_person_ids_within_a_raised_limit,
        6,
        None,
    ),
    ("more-rows-than-promised", more_rows_than_promised, 6, None),
    ("every-row-bad", every_row_bad, 7, None),
    ("quarantine-cap", quarantine_cap, 7, None),
    ("wide-header", wide_header, 5, None),
    (
        "wide-header-within-a-raised-limit",
        wide_header_within_a_raised_limit,
        7,
        None,
    ),
    ("escape-in-header", escape_in_header, 4, None),
    ("huge-control-file", huge_control_file, 3, None),
    ("quoted-line-breaks", quoted_line_breaks, 5, None),
    ("truncated-gzip", truncated_gzip, 5, None),
    ("malformed-period", malformed_period, 2, Some("-999Q1")),
    (
        "period-before-the-data",
        period_before_the_data,
        9,
        Some("1999Q4"),
    ),
];

fn arg(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

#[test]
fn every_hostile_delivery_fails_as_documented_within_bounds() {
    let temporary = tempfile::tempdir().unwrap();
    let work = std::env::var_os("HOSTILE_KEEP")
        .map_or_else(|| temporary.path().to_path_buf(), PathBuf::from);
    let good = work.join("good");
    let warehouse = work.join("warehouse");
    let output = work.join("output");
    crate::support::generated_extract(&good, 1, 0.05);
    let ingest = |extract: &Path| {
        vec![
            "ingest".into(),
            "--extract".into(),
            arg(extract),
            "--warehouse".into(),
            arg(&warehouse),
        ]
    };
    let first = measured(&ingest(&good), &work);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let current = std::fs::read_to_string(warehouse.join("current")).unwrap();
    let summary_path = warehouse
        .join("deliveries")
        .join(current.trim())
        .join("ingest.json");
    let summary = std::fs::read(&summary_path).unwrap();

    for (name, make, exit, period) in CASES {
        let extract = work.join(name);
        copy_delivery(&good, &extract);
        let says = make(&extract);
        let mut args = match period {
            None => ingest(&extract),
            Some(period) => vec![
                "run".into(),
                "--extract".into(),
                arg(&good),
                "--warehouse".into(),
                arg(&warehouse),
                "--output".into(),
                arg(&output),
                format!("--period={period}"),
            ],
        };
        if config_of(&extract).exists() {
            args.extend(["--config".into(), arg(&config_of(&extract))]);
        }
        let outcome = measured(&args, &work);
        eprintln!(
            "{name}: exit {:?}, {} MiB, {:.2} s",
            outcome.code,
            outcome.peak_kb / 1024,
            outcome.elapsed.as_secs_f64()
        );
        let stderr = &outcome.stderr;
        assert_eq!(outcome.code, Some(exit), "{name}: {stderr}");
        assert!(stderr.contains(&says), "{name}: {says:?} not in {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            !stderr.contains(['\u{1b}', '\u{7}']),
            "{name}: a control character reached the terminal: {stderr:?}"
        );
        assert!(
            outcome.peak_kb < MEMORY_LIMIT_KB,
            "{name}: {} KiB",
            outcome.peak_kb
        );
        assert!(
            outcome.elapsed < TIME_LIMIT,
            "{name}: {:?}",
            outcome.elapsed
        );
        assert_eq!(
            std::fs::read_to_string(warehouse.join("current")).unwrap(),
            current,
            "{name}"
        );
        assert_eq!(std::fs::read(&summary_path).unwrap(), summary, "{name}");
        let rejected = warehouse.join("rejected");
        assert!(
            size_of(&rejected) < REJECTED_LIMIT_BYTES,
            "{name}: {} bytes",
            size_of(&rejected)
        );
        if let Some(period) = period {
            assert!(!output.join(period).exists(), "{name}");
        }
    }
    // Twelve failed ingests; the oldest are pruned.
    let rejected = std::fs::read_dir(warehouse.join("rejected"))
        .unwrap()
        .count();
    assert_eq!(rejected, dtto_ingest::warehouse::REJECTS_KEPT);
}
