//! No input makes ingest panic, and whatever it accepts reconciles: every
//! row read is loaded or quarantined. Random deliveries are built from
//! plausible and implausible field values, then their bytes are mangled.
//! Failing cases proptest finds are kept in `fuzz.proptest-regressions`.

use std::path::Path;

use proptest::prelude::*;

use crate::support::repo;
use dtto_ingest::{IngestOptions, Limits, ingest};

const FILES: [&str; 5] = [
    "orders",
    "assessments",
    "drug_tests",
    "reconvictions",
    "treatment_episodes",
];

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("O1".to_string()),
        Just("O2".to_string()),
        Just("P1".to_string()),
        Just("KEN".to_string()),
        Just("magistrates".to_string()),
        Just("low_intensity".to_string()),
        Just("standard".to_string()),
        Just("completed".to_string()),
        Just("2003-01-10".to_string()),
        Just("2004-04-01".to_string()),
        Just("2005-03-31".to_string()),
        Just("2005-04-01".to_string()),
        Just("2003-02-29".to_string()),
        Just("12".to_string()),
        Just("99999999999999999999".to_string()),
        Just("-1".to_string()),
        Just("M".to_string()),
        Just("W1".to_string()),
        Just("opiates".to_string()),
        Just("positive".to_string()),
        Just("\"quoted, with comma\"".to_string()),
        Just("\"line\nbreak\"".to_string()),
        Just("\"unterminated".to_string()),
        "\\PC{0,8}",
    ]
}

/// A header (the contract's columns, shuffled, maybe with one dropped or
/// an extra) and rows of random fields, sometimes of the wrong width.
fn file_text(columns: Vec<&'static str>) -> impl Strategy<Value = String> {
    let width = columns.len();
    (
        Just(columns).prop_shuffle(),
        any::<bool>(),
        prop::collection::vec(prop::collection::vec(field(), width - 1..=width + 1), 0..12),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(mut header, extra, rows, end)| {
            if extra {
                header.push("extra");
            }
            let mut text = header.join(",") + end;
            for row in rows {
                text.push_str(&row.join(","));
                text.push_str(end);
            }
            text
        })
}

fn contract_columns(file: &str) -> Vec<&'static str> {
    let file = dtto_model::contract::ExtractFile::ALL
        .into_iter()
        .find(|f| f.name() == file)
        .unwrap();
    file.columns().iter().map(|c| c.name).collect()
}

fn delivery() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u64>)> {
    let files: Vec<_> = FILES
        .iter()
        .map(|f| file_text(contract_columns(f)))
        .collect();
    (
        files,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        prop::collection::vec(0u64..14, 5),
    )
        .prop_map(|(texts, flips, counts)| {
            let mut bytes: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
            // Mangle a few bytes anywhere: invalid UTF-8, broken quoting.
            for (at, byte) in flips {
                let file = at.index(bytes.len());
                if !bytes[file].is_empty() {
                    let i = at.index(bytes[file].len());
                    bytes[file][i] = byte;
                }
            }
            (bytes, counts)
        })
}

fn write_delivery(dir: &Path, files: &[Vec<u8>], counts: &[u64], count_rows: bool) {
    let mut control = String::from("as_at = \"2005-03-31\"\nsupplier = \"fuzz\"\n[rows]\n");
    for ((name, bytes), count) in FILES.iter().zip(files).zip(counts) {
        std::fs::write(dir.join(format!("{name}.csv")), bytes).unwrap();
        // Half the time, the control file counts what a CSV reader finds,
        // so that rows reach the validation, not only the count check.
        let count = if count_rows {
            csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(bytes.as_slice())
                .byte_records()
                .take_while(Result::is_ok)
                .count() as u64
        } else {
            *count
        };
        control.push_str(&format!("{name} = {count}\n"));
    }
    std::fs::write(dir.join("extract.toml"), control).unwrap();
}

proptest! {
    #![proptest_config(dtto_testing::deterministic(256, 1024))]

    #[test]
    fn ingest_never_panics_and_what_it_loads_reconciles(
        (files, counts) in delivery(),
        count_rows in any::<bool>(),
    ) {
        let extract = tempfile::tempdir().unwrap();
        let warehouse = tempfile::tempdir().unwrap();
        write_delivery(extract.path(), &files, &counts, count_rows);
        let options = IngestOptions {
            extract: extract.path().to_path_buf(),
            warehouse: warehouse.path().to_path_buf(),
            reference: repo().join("queries/reference"),
            force: false,
            max_quarantined_share: 1.0,
            limits: Limits::default(),
            quiet: false,
        };
        match ingest(&options) {
            Ok(ingested) => {
                for file in &ingested.summary.files {
                    prop_assert_eq!(file.loaded + file.quarantined, file.expected);
                }
            }
            Err(error) => {
                // 18: the fuzzed rows' latest date is more than a quarter
                // before as_at.
                prop_assert!(matches!(error.exit().code(), 3..=7 | 18), "{}", error);
                prop_assert!(!warehouse.path().join("current").exists());
            }
        }
    }
}
