//! Ingest against the hand-made corpus in `fixtures/ingest/`: expected
//! values are worked out by hand from the fixture files, never copied from
//! the program's output.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int32Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::support::repo;
use dtto_ingest::{IngestError, IngestOptions, Limits, ingest};

fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures/ingest").join(name)
}

fn options(extract: &Path, warehouse: &Path, max_quarantined_share: f64) -> IngestOptions {
    IngestOptions {
        extract: extract.to_path_buf(),
        warehouse: warehouse.to_path_buf(),
        reference: repo().join("queries/reference"),
        force: false,
        max_quarantined_share,
        limits: Limits::default(),
        quiet: false,
    }
}

fn read_dataset(delivery: &Path, name: &str) -> RecordBatch {
    let file = File::open(delivery.join(name).join("part-00000.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn column_text(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch.column_by_name(name).unwrap();
    let column = datafusion::arrow::compute::cast(column, &DataType::Utf8).unwrap();
    column
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

#[test]
fn a_valid_delivery_loads_every_row_with_typed_columns() {
    let warehouse = tempfile::tempdir().unwrap();
    let ingested = ingest(&options(&fixture("good"), warehouse.path(), 0.01)).unwrap();
    let counts: Vec<(String, u64, u64)> = ingested
        .summary
        .files
        .iter()
        .map(|f| (f.source.clone(), f.loaded, f.quarantined))
        .collect();
    assert_eq!(
        counts,
        [
            ("orders.csv".to_string(), 3, 0),
            ("assessments.csv".to_string(), 3, 0),
            ("drug_tests.csv.gz".to_string(), 5, 0),
            ("reconvictions.csv".to_string(), 3, 0),
            ("treatment_episodes.csv".to_string(), 2, 0),
        ]
    );
    assert_eq!(
        ingested.summary.files[1].warnings,
        ["column \"officer\" is not in the contract and was not loaded"]
    );

    let orders = read_dataset(&ingested.dir, "orders");
    let schema = orders.schema();
    let dictionary = DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8));
    assert_eq!(
        schema.field_with_name("order_id").unwrap().data_type(),
        &DataType::Utf8
    );
    assert_eq!(
        schema
            .field_with_name("commencement_date")
            .unwrap()
            .data_type(),
        &DataType::Date32
    );
    assert_eq!(
        schema.field_with_name("length_months").unwrap().data_type(),
        &DataType::Int32
    );
    assert_eq!(
        schema.field_with_name("area_code").unwrap().data_type(),
        &dictionary
    );
    assert_eq!(
        schema
            .field_with_name("termination_reason")
            .unwrap()
            .data_type(),
        &dictionary
    );
    assert!(!schema.field_with_name("sex").unwrap().is_nullable());
    assert!(schema.field_with_name("ethnicity").unwrap().is_nullable());

    // 2003-01-10 is 12,062 days after 1970-01-01: 33 years of 365 days,
    // 8 leap days (1972 to 2000), and 9 days into January.
    let commencement = orders
        .column_by_name("commencement_date")
        .unwrap()
        .as_primitive::<Date32Type>();
    assert_eq!(commencement.value(0), 33 * 365 + 8 + 9);
    let length = orders
        .column_by_name("length_months")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(length.values().to_vec(), [12, 18, 6]);
    assert_eq!(
        column_text(&orders, "area_code"),
        [Some("KEN".into()), Some("DOR".into()), Some("LON".into())]
    );
    // O3 is still running: no termination, and its optional fields are null.
    assert_eq!(column_text(&orders, "termination_reason")[2], None);
    assert_eq!(
        orders
            .column_by_name("termination_date")
            .unwrap()
            .null_count(),
        1
    );
    assert_eq!(column_text(&orders, "ethnicity")[2], None);
    assert_eq!(orders.column_by_name("age").unwrap().null_count(), 1);

    // Columns in another order, an extra column and a quoted line break.
    let assessments = read_dataset(&ingested.dir, "assessments");
    assert_eq!(assessments.schema().fields().len(), 9);
    assert_eq!(
        column_text(&assessments, "assessment_id"),
        [Some("A1".into()), Some("A2".into()), Some("A3".into())]
    );
    assert_eq!(
        column_text(&assessments, "outcome"),
        [
            Some("suitable".into()),
            Some("suitable".into()),
            Some("unsuitable".into())
        ]
    );
    // The BOM is not part of the first column's name; \r is not in values.
    let treatment = read_dataset(&ingested.dir, "treatment_episodes");
    assert_eq!(
        column_text(&treatment, "setting"),
        [Some("community".into()), Some("prison".into())]
    );
    let tests = read_dataset(&ingested.dir, "drug_tests");
    assert_eq!(tests.num_rows(), 5);
}

/// (file, line, column, rule) rows of a CSV with that header.
fn error_rows(path: &Path) -> Vec<[String; 4]> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            [0, 1, 2, 3].map(|i| r[i].to_string())
        })
        .collect()
}

#[test]
fn every_bad_row_is_quarantined_with_its_line_column_and_rule() {
    let warehouse = tempfile::tempdir().unwrap();
    let ingested = ingest(&options(&fixture("bad-rows"), warehouse.path(), 1.0)).unwrap();
    let quarantine = ingested.dir.join("quarantine");
    assert_eq!(
        error_rows(&quarantine.join("errors.csv")),
        error_rows(&fixture("bad-rows/expected_errors.csv"))
    );
    // Loaded + quarantined = the control file's count, file by file:
    // orders 2 + 15 = 17, assessments 1 + 3 = 4, drug tests 2 + 6 = 8,
    // reconvictions 2 + 3 = 5, treatment episodes 1 + 3 = 4.
    let counts: Vec<(u64, u64, u64)> = ingested
        .summary
        .files
        .iter()
        .map(|f| (f.loaded, f.quarantined, f.expected))
        .collect();
    assert_eq!(
        counts,
        [(2, 15, 17), (1, 3, 4), (2, 6, 8), (2, 3, 5), (1, 3, 4)]
    );
}

#[test]
fn quarantined_rows_are_kept_as_they_arrived() {
    let warehouse = tempfile::tempdir().unwrap();
    let ingested = ingest(&options(&fixture("bad-rows"), warehouse.path(), 1.0)).unwrap();
    let expected = error_rows(&fixture("bad-rows/expected_errors.csv"));
    for file in [
        "orders",
        "assessments",
        "drug_tests",
        "reconvictions",
        "treatment_episodes",
    ] {
        let source = std::fs::read_to_string(fixture("bad-rows").join(format!("{file}.csv")))
            .unwrap()
            .trim_start_matches('\u{feff}')
            .replace("\r\n", "\n");
        let lines: Vec<&str> = source.lines().collect();
        let mut bad_lines: Vec<usize> = expected
            .iter()
            .filter(|row| row[0] == format!("{file}.csv"))
            .map(|row| row[1].parse().unwrap())
            .collect();
        bad_lines.dedup();
        let mut kept = format!("{}\n", lines[0]);
        for line in bad_lines {
            kept.push_str(lines[line - 1]);
            kept.push('\n');
            // The quoted line break in reconvictions line 5 continues on 6.
            if file == "reconvictions" && line == 5 {
                kept.push_str(lines[5]);
                kept.push('\n');
            }
        }
        let quarantined =
            std::fs::read_to_string(ingested.dir.join("quarantine").join(format!("{file}.csv")))
                .unwrap();
        assert_eq!(quarantined, kept, "{file}");
    }
}

#[test]
fn errors_say_what_is_wrong_and_where_the_first_copy_was() {
    let warehouse = tempfile::tempdir().unwrap();
    let ingested = ingest(&options(&fixture("bad-rows"), warehouse.path(), 1.0)).unwrap();
    let errors = std::fs::read_to_string(ingested.dir.join("quarantine/errors.csv")).unwrap();
    assert!(
        errors
            .contains(r#"orders.csv,4,order_id,duplicate,"""O1"" was already loaded from line 2""#)
    );
    assert!(errors.contains("(orders line 6)"), "{errors}");
    assert!(errors.contains("2005-04-01 is after the extract's as_at date 2005-03-31"));
}

#[derive(serde::Deserialize)]
struct Expected {
    exit_code: i32,
    message_contains: Vec<String>,
}

#[test]
fn every_whole_file_failure_stops_with_its_exit_code_and_names_the_file() {
    let cases = fixture("whole-file");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12);
    for case in names {
        let expected: Expected =
            toml::from_str(&std::fs::read_to_string(case.join("expected.toml")).unwrap()).unwrap();
        let warehouse = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_dtto"))
            .current_dir(repo())
            .args(["ingest", "--extract"])
            .arg(&case)
            .arg("--warehouse")
            .arg(warehouse.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(expected.exit_code),
            "{}: {stderr}",
            case.display()
        );
        for fragment in &expected.message_contains {
            assert!(
                stderr.contains(fragment.as_str()),
                "{}: {fragment:?} not in {stderr}",
                case.display()
            );
        }
        assert!(
            !warehouse.path().join("current").exists(),
            "{}",
            case.display()
        );
    }
}

#[test]
fn too_many_quarantined_rows_fail_the_delivery_and_keep_them_for_inspection() {
    let warehouse = tempfile::tempdir().unwrap();
    let error = ingest(&options(&fixture("bad-rows"), warehouse.path(), 0.01)).unwrap_err();
    assert_eq!(error.exit().code(), 7);
    // All five files are over the limit, and all are reported.
    let IngestError::Several(failures) = &error else {
        panic!("expected every file reported: {error}");
    };
    assert_eq!(failures.len(), 5);
    let rejected = std::fs::read_dir(warehouse.path().join("rejected"))
        .unwrap()
        .count();
    assert_eq!(rejected, 1);
}

#[test]
fn an_unchanged_delivery_is_not_ingested_twice_unless_forced() {
    let warehouse = tempfile::tempdir().unwrap();
    let mut opts = options(&fixture("good"), warehouse.path(), 0.01);
    let first = ingest(&opts).unwrap();
    assert!(!first.reused);
    let second = ingest(&opts).unwrap();
    assert!(second.reused);
    assert_eq!(second.dir, first.dir);
    assert_eq!(second.summary, first.summary);
    opts.force = true;
    let forced = ingest(&opts).unwrap();
    assert!(!forced.reused);
    assert_eq!(forced.dir, first.dir);
}

#[test]
fn a_delivery_ingested_before_but_not_current_is_not_ingested_twice() {
    // Its control file is not the current delivery's but is in the
    // warehouse: the delivery is hashed, found, and not loaded.
    let warehouse = tempfile::tempdir().unwrap();
    let good = options(&fixture("good"), warehouse.path(), 0.01);
    let first = ingest(&good).unwrap();
    let other = ingest(&options(&fixture("bad-rows"), warehouse.path(), 1.0)).unwrap();
    assert_ne!(other.dir, first.dir);
    let again = ingest(&good).unwrap();
    assert!(again.reused);
    assert_eq!(again.dir, first.dir);
    assert_eq!(again.summary, first.summary);
    let current = std::fs::read_to_string(warehouse.path().join("current")).unwrap();
    assert_eq!(current.trim(), first.summary.key);
    let names: Vec<String> = std::fs::read_dir(warehouse.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.') && name != ".warehouse.lock")
        .collect();
    assert_eq!(names, Vec::<String>::new(), "nothing staged is left");
}

#[test]
fn a_failed_ingest_leaves_the_previous_delivery_current_and_intact() {
    let warehouse = tempfile::tempdir().unwrap();
    let good = ingest(&options(&fixture("good"), warehouse.path(), 0.01)).unwrap();
    let current = std::fs::read_to_string(warehouse.path().join("current")).unwrap();
    let before = std::fs::read(good.dir.join("orders/part-00000.parquet")).unwrap();
    let broken = fixture("whole-file/count-mismatch");
    assert!(ingest(&options(&broken, warehouse.path(), 0.01)).is_err());
    assert_eq!(
        std::fs::read_to_string(warehouse.path().join("current")).unwrap(),
        current
    );
    assert_eq!(
        std::fs::read(good.dir.join("orders/part-00000.parquet")).unwrap(),
        before
    );
    let staging_left = std::fs::read_dir(warehouse.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".staging")
        })
        .count();
    assert_eq!(staging_left, 0);
}

#[test]
fn orders_cut_short_do_not_make_their_drug_tests_fail() {
    // A generated delivery whose control file promises 1,000 of its 1,501
    // Orders: reading stops at the 1,001st. The drug tests of the Orders
    // never read (a third of them) are not blamed on an unknown Order.
    let work = tempfile::tempdir().unwrap();
    let delivery = work.path().join("delivery");
    let generated = dtto_fixtures::GeneratorOptions {
        seed: 1,
        scale: 0.05,
        as_at: chrono::NaiveDate::from_ymd_opt(2005, 3, 31).unwrap(),
    };
    dtto_fixtures::generate(&generated, &delivery).unwrap();
    let control = std::fs::read_to_string(delivery.join("extract.toml")).unwrap();
    assert!(control.contains("orders = 1501"), "{control}");
    let control = control.replace("orders = 1501", "orders = 1000");
    std::fs::write(delivery.join("extract.toml"), control).unwrap();

    let error = ingest(&options(&delivery, &work.path().join("warehouse"), 0.01)).unwrap_err();
    assert!(
        matches!(error, IngestError::TooManyRows { .. }),
        "only orders.csv fails: {error}"
    );
    assert_eq!(error.exit().code(), 6);
}

/// `good` copied into `dir`, with `orders.csv`'s line ends lone `\r`s and
/// O2 (line 3) given an unknown sex.
fn delivery_with_mac_line_ends(dir: &Path) {
    crate::support::copy_tree(&fixture("good"), dir);
    let orders = std::fs::read_to_string(dir.join("orders.csv")).unwrap();
    let orders = orders
        .replace(",19,F,", ",19,X,")
        .replace("\r\n", "\n")
        .replace('\n', "\r");
    std::fs::write(dir.join("orders.csv"), orders).unwrap();
}

#[test]
fn lone_carriage_returns_end_lines_so_rejected_rows_name_their_true_line() {
    let work = tempfile::tempdir().unwrap();
    let delivery = work.path().join("delivery");
    delivery_with_mac_line_ends(&delivery);
    let ingested = ingest(&options(&delivery, &work.path().join("warehouse"), 1.0)).unwrap();
    let errors = ingested.dir.join("quarantine/errors.csv");
    // O2 is on line 3 of orders.csv; its drug test T4 on line 5 of
    // drug_tests.csv.gz, whose detail names the Order's line.
    let row = |file: &str, line: &str, column: &str, rule: &str| {
        [file, line, column, rule].map(String::from)
    };
    assert_eq!(
        error_rows(&errors),
        [
            row("orders.csv", "3", "sex", "not_allowed"),
            row("drug_tests.csv.gz", "5", "order_id", "order_quarantined"),
        ]
    );
    let details = std::fs::read_to_string(&errors).unwrap();
    assert!(details.contains("(orders line 3)"), "{details}");
}

#[test]
fn an_unreadable_file_is_refused_as_unreadable_naming_it() {
    // Root reads any file whatever its permissions; /proc/self/mem reads
    // fail (EIO) at its start for every user.
    let work = tempfile::tempdir().unwrap();
    let delivery = work.path().join("delivery");
    crate::support::copy_tree(&fixture("good"), &delivery);
    let episodes = delivery.join("treatment_episodes.csv");
    std::fs::remove_file(&episodes).unwrap();
    std::os::unix::fs::symlink("/proc/self/mem", &episodes).unwrap();
    let error = ingest(&options(&delivery, &work.path().join("warehouse"), 0.01)).unwrap_err();
    assert_eq!(error.exit().code(), 5, "{error}");
    let message = error.to_string();
    assert!(
        message.contains("treatment_episodes.csv: unreadable"),
        "{message}"
    );
}

/// The SHA-256 of a file, in hex.
fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

/// Treatment episodes loaded in the current delivery of `warehouse` that
/// are residential, and the hash ingest recorded for their file.
fn loaded_residential(warehouse: &Path) -> (usize, String) {
    let key = std::fs::read_to_string(warehouse.join("current")).unwrap();
    let delivery = warehouse.join("deliveries").join(key.trim());
    let settings = column_text(&read_dataset(&delivery, "treatment_episodes"), "setting");
    let residential = settings
        .iter()
        .filter(|s| s.as_deref() == Some("residential"))
        .count();
    let summary = dtto_ingest::read_summary(&delivery).unwrap();
    (
        residential,
        summary.inputs["treatment_episodes.csv"].clone(),
    )
}

#[test]
fn a_file_replaced_while_it_loads_is_refused_or_loaded_with_its_own_hash() {
    // A supplier's upload landing during a scheduled ingest: the last file
    // read, treatment_episodes.csv, is replaced (an upload renamed over
    // it) at shares of a measured ingest. Version B has every community
    // episode residential, so the rows tell which was loaded. (A file
    // written to in place while read: digest.rs's unit tests.)
    let work = tempfile::tempdir().unwrap();
    let delivery = work.path().join("delivery");
    crate::support::generated_extract(&delivery, 5, 0.5);
    let episodes = delivery.join("treatment_episodes.csv");
    let version_a = std::fs::read_to_string(&episodes).unwrap();
    let version_b = version_a.replace(",community", ",residential");
    let residential = |text: &str| text.matches(",residential\n").count();
    let (a_residential, b_residential) = (residential(&version_a), residential(&version_b));
    assert!(a_residential < b_residential);
    let (a_path, b_path) = (work.path().join("a.csv"), work.path().join("b.csv"));
    std::fs::write(&a_path, &version_a).unwrap();
    std::fs::write(&b_path, &version_b).unwrap();
    let (a_sha, b_sha) = (sha256_of(&a_path), sha256_of(&b_path));

    let measured = std::time::Instant::now();
    ingest(&options(&delivery, &work.path().join("measured"), 0.01)).unwrap();
    let whole = measured.elapsed();

    let mut refused = 0;
    for (trial, share) in [0.3, 0.6, 0.8, 0.9, 0.95, 0.99].into_iter().enumerate() {
        std::fs::copy(&a_path, &episodes).unwrap();
        let warehouse = work.path().join(format!("warehouse-{trial}"));
        let opts = options(&delivery, &warehouse, 0.01);
        let result = std::thread::scope(|scope| {
            let loading = scope.spawn(|| ingest(&opts));
            std::thread::sleep(whole.mul_f64(share));
            std::fs::copy(&b_path, work.path().join("upload.csv")).unwrap();
            std::fs::rename(work.path().join("upload.csv"), &episodes).unwrap();
            loading.join().unwrap()
        });
        match result {
            Ok(_) => {
                let (loaded, recorded) = loaded_residential(&warehouse);
                let expected_sha = if loaded == b_residential {
                    &b_sha
                } else {
                    &a_sha
                };
                assert!(
                    loaded == a_residential || loaded == b_residential,
                    "at {share}: {loaded} residential episodes, neither version's"
                );
                assert_eq!(
                    &recorded, expected_sha,
                    "at {share}: the hash of other bytes"
                );
            }
            Err(error) => {
                refused += 1;
                assert_eq!(error.exit().code(), 19, "at {share}: {error}");
                assert!(
                    error
                        .to_string()
                        .contains("treatment_episodes.csv: changed while it was read"),
                    "{error}"
                );
            }
        }
        // The original bytes, ingested again into the same warehouse, are
        // what the warehouse then holds.
        std::fs::copy(&a_path, &episodes).unwrap();
        ingest(&opts).unwrap();
        assert_eq!(
            loaded_residential(&warehouse),
            (a_residential, a_sha.clone()),
            "at {share}: after ingesting the original again"
        );
    }
    eprintln!("{refused} of 6 ingests refused a file replaced while read");
}
