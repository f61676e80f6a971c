//! What several test modules need: where the repository is, and a small
//! delivery written out from rows given by hand.

use std::path::{Path, PathBuf};

/// The repository's root: `fixtures/`, `queries/`, `templates/` are here.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Copies every file under `from` to the same place under `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for (name, path) in dtto::render::edition::files_under(from).unwrap() {
        let target = to.join(name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(path, target).unwrap();
    }
}

/// The five files of a delivery with the contract's header of each.
const HEADERS: [(&str, &str); 5] = [
    (
        "orders",
        "order_id,person_id,area_code,court,order_type,sentence_date,commencement_date,\
         length_months,termination_date,termination_reason,age,sex,ethnicity,mental_health,\
         primary_drug,accommodation,motivation_group",
    ),
    (
        "assessments",
        "assessment_id,person_id,area_code,assessment_date,age,sex,ethnicity,mental_health,outcome",
    ),
    ("drug_tests", "test_id,order_id,test_date,substance,result"),
    (
        "reconvictions",
        "person_id,offence_date,conviction_date,offence_group",
    ),
    ("treatment_episodes", "person_id,start_date,setting"),
];

/// A reader of an edition's CSV file, past the `#` line that starts a
/// draft's.
pub fn csv_reader(path: &Path) -> csv::Reader<std::fs::File> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap()
}

/// Sets one count of the control file.
pub fn promise_rows(dir: &Path, name: &str, rows: u64) {
    let path = dir.join("extract.toml");
    let control = std::fs::read_to_string(&path).unwrap();
    let changed: Vec<String> = control
        .lines()
        .map(|line| {
            if line.starts_with(&format!("{name} = ")) {
                format!("{name} = {rows}")
            } else {
                line.to_string()
            }
        })
        .collect();
    std::fs::write(&path, changed.join("\n") + "\n").unwrap();
}

/// The bundled default extract (`make run`'s: seed 1, scale 1, as at
/// 2005-03-31), generated into `dir`.
pub fn bundled_extract(dir: &Path) {
    generated_extract(dir, 1, 1.0);
}

/// A synthetic delivery as at 2005-03-31, generated into `dir`.
pub fn generated_extract(dir: &Path, seed: u64, scale: f64) {
    dtto::synth::generate(
        &dtto::synth::GeneratorOptions {
            seed,
            scale,
            as_at: chrono::NaiveDate::from_ymd_opt(2005, 3, 31).unwrap(),
        },
        dir,
    )
    .unwrap();
}

/// Publishes `period` of the delivery in `extract` with the bundled
/// queries, templates and default configuration, under `work`.
pub fn publish_default(extract: &Path, work: &Path, period: &str) -> dtto::run::RunOutcome {
    let options = dtto::run::RunOptions {
        extract: extract.to_path_buf(),
        warehouse: work.join("warehouse"),
        queries: repo().join("queries"),
        templates: repo().join("templates"),
        output: work.join("output"),
        period: Some(period.parse().unwrap()),
        previous: None,
        config: dtto::config::Config::default(),
    };
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(dtto::run::run(&options))
        .unwrap()
}

/// Writes a delivery into `dir` (as at 2005-03-31): each file named in
/// `rows` (`orders`, `reconvictions`, ...) holds those data rows under its
/// header, the others none, and `extract.toml` counts them.
pub fn write_delivery(dir: &Path, rows: &[(&str, &[&str])]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut control = String::from(
        "as_at = \"2005-03-31\"\nsupplier = \"Written by a test (tests/it/support.rs)\"\n[rows]\n",
    );
    for (file, header) in HEADERS {
        let data: &[&str] = rows
            .iter()
            .find(|(name, _)| *name == file)
            .map_or(&[], |(_, data)| data);
        let mut text = format!("{header}\n");
        for row in data {
            text.push_str(row);
            text.push('\n');
        }
        std::fs::write(dir.join(format!("{file}.csv")), text).unwrap();
        control.push_str(&format!("{file} = {}\n", data.len()));
    }
    std::fs::write(dir.join("extract.toml"), control).unwrap();
}

/// The programs the publication tests read the outputs with, each with the
/// way to get it. `make test` installs them all first (`.ci/test-tools`).
pub enum Tool {
    /// pdfinfo, pdftotext and pdffonts.
    Poppler,
    /// Headless Chromium alone, driven by `browser.rs`.
    Chromium,
    /// Headless Chromium, Node.js and the axe-core package that
    /// `tests/a11y/check.sh` drives.
    AxeInChromium,
}

/// Stops the test with the list of what is missing, before it starts work
/// it could not check.
pub fn require(tools: &[Tool]) {
    let missing: Vec<String> = tools.iter().flat_map(Tool::missing).collect();
    assert!(
        missing.is_empty(),
        "this test reads the outputs with programs that are not installed:\n  {}\n\
         `bash .ci/test-tools` installs them all (as `make test` does)",
        missing.join("\n  ")
    );
}

impl Tool {
    fn missing(&self) -> Vec<String> {
        match self {
            Tool::Poppler => ["pdfinfo", "pdftotext", "pdffonts"]
                .into_iter()
                .filter(|program| !on_path(program))
                .map(|program| format!("{program}: apt-get install poppler-utils"))
                .collect(),
            Tool::Chromium => missing_chromium().into_iter().collect(),
            Tool::AxeInChromium => {
                let axe = axe_cache().join("node_modules/axe-core/axe.min.js");
                let mut missing: Vec<String> = missing_chromium().into_iter().collect();
                if !on_path("node") {
                    missing.push("node: Node.js".to_string());
                }
                if !axe.is_file() {
                    missing.push(format!(
                        "axe-core at {}: bash .ci/test-tools",
                        axe.display()
                    ));
                }
                missing
            }
        }
    }
}

fn missing_chromium() -> Option<String> {
    let chromium = crate::browser::chromium();
    (!chromium.is_file()).then(|| {
        format!(
            "Chromium at {} (or set CHROMIUM): apt-get install chromium",
            chromium.display()
        )
    })
}

/// Where `.ci/test-tools` installs axe-core, as `tests/a11y/check.sh` reads it.
fn axe_cache() -> PathBuf {
    match std::env::var_os("A11Y_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dtto/a11y")
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
