//! What several test modules need: where the repository is, and a small
//! delivery written out from rows given by hand.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository's root: `fixtures/`, `queries/`, `templates/` are here.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Copies every file under `from` to the same place under `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for (name, path) in dtto_storage::publish::files_under(from).unwrap() {
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
    let as_at = chrono::NaiveDate::from_ymd_opt(2005, 3, 31).unwrap();
    generated_extract_as_at(dir, seed, scale, as_at);
}

/// A synthetic delivery as at `as_at`, generated into `dir`.
pub fn generated_extract_as_at(dir: &Path, seed: u64, scale: f64, as_at: chrono::NaiveDate) {
    dtto_fixtures::generate(&dtto_fixtures::GeneratorOptions { seed, scale, as_at }, dir).unwrap();
}

/// Publishes `period` of the delivery in `extract` with the bundled
/// queries, templates and default configuration, under `work`.
pub fn publish_default(extract: &Path, work: &Path, period: &str) -> dtto::run::RunOutcome {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(dtto::run::run(&default_options(extract, work, period)))
        .unwrap()
}

/// What [`publish_default`] runs.
pub fn default_options(extract: &Path, work: &Path, period: &str) -> dtto::run::RunOptions {
    dtto::run::RunOptions {
        extract: extract.to_path_buf(),
        warehouse: work.join("warehouse"),
        queries: repo().join("queries"),
        requests: repo().join("requests"),
        templates: repo().join("templates"),
        output: work.join("output"),
        period: Some(period.parse().unwrap()),
        previous: None,
        config: dtto::config::Config::default(),
    }
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

/// The programs the publication tests read the outputs with. `make test`
/// gets them first (`.ci/test-tools`): as root with apt-get, otherwise into
/// `~/.cache/dtto/tools/bin`, which it puts at the end of PATH.
pub enum Tool {
    /// pdfinfo, pdftotext and pdffonts.
    Poppler,
    /// Headless Chromium alone, driven by `browser.rs`.
    Chromium,
    /// Headless Chromium, Node.js and the axe-core package that
    /// `tests/a11y/check.sh` drives.
    AxeInChromium,
}

/// Whether the test has every program it checks with; call it first:
/// `if !require(&[Tool::Poppler]) { return; }`.
///
/// When one is missing, under CI (`CI=true`) or `DTTO_REQUIRE_TOOLS=1` the
/// test fails with the list: there every test must check. Elsewhere (an
/// analyst's server without root, say) it says `NOT CHECKED`, what is
/// missing and how to get it, and the test returns, checking nothing. Rust's
/// harness has no "skipped", so the test is still counted as passed: the
/// line goes straight to stderr, past the harness's capture of the test's
/// output, and is added to the file `DTTO_NOT_CHECKED` names, which
/// `make test` prints after the summary.
#[must_use]
#[track_caller]
pub fn require(tools: &[Tool]) -> bool {
    let missing: Vec<String> = tools.iter().flat_map(Tool::missing).collect();
    if missing.is_empty() {
        return true;
    }
    let how = "`.ci/test-tools` (`make test` runs it first) gets what it can and says how to \
               get the rest";
    let strict = std::env::var("CI").is_ok_and(|ci| ci == "true")
        || std::env::var("DTTO_REQUIRE_TOOLS").is_ok_and(|on| on == "1");
    assert!(
        !strict,
        "this test reads the outputs with programs that are not there, and \
         with CI=true or DTTO_REQUIRE_TOOLS=1 every test must check:\n  {}\n{how}",
        missing.join("\n  ")
    );
    // The harness names a test's thread after the test; elsewhere, the
    // place of the call says which.
    let test = match std::thread::current().name() {
        Some(name) if name != "main" => name.to_string(),
        _ => {
            let at = std::panic::Location::caller();
            format!("the test at {}:{}", at.file(), at.line())
        }
    };
    let line = format!("NOT CHECKED: {test} needs {}", missing.join(", "));
    // Each written whole in one call, so that tests in parallel do not
    // interleave their lines.
    let _ = std::io::stderr().write_all(format!("{line}; {how}\n").as_bytes());
    if let Some(path) = std::env::var_os("DTTO_NOT_CHECKED") {
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
    }
    false
}

impl Tool {
    fn missing(&self) -> Vec<String> {
        match self {
            Tool::Poppler => missing_programs(
                &["pdfinfo", "pdftotext", "pdffonts"],
                "pdfinfo, pdftotext and pdffonts (poppler-utils)",
            )
            .into_iter()
            .collect(),
            Tool::Chromium => missing_chromium().into_iter().collect(),
            Tool::AxeInChromium => {
                let axe = axe_cache().join("node_modules/axe-core/axe.min.js");
                let mut missing: Vec<String> = missing_chromium().into_iter().collect();
                missing.extend(missing_programs(&["node"], "node (Node.js)"));
                if !axe.is_file() {
                    missing.push(format!("axe-core at {}", axe.display()));
                }
                missing
            }
        }
    }
}

/// `what` when one of `programs` is not on PATH, or where they are when
/// they are in the folder `.ci/test-tools` puts them in but that folder is
/// not on PATH.
fn missing_programs(programs: &[&str], what: &str) -> Option<String> {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|program| find_on_path(program).is_none())
        .collect();
    if missing.is_empty() {
        return None;
    }
    let ours = tools_bin();
    Some(
        if missing.iter().all(|program| ours.join(program).is_file()) {
            format!(
                "{} from {}, which is not on PATH (`make test` puts it there)",
                missing.join(", "),
                ours.display()
            )
        } else {
            what.to_string()
        },
    )
}

fn missing_chromium() -> Option<String> {
    match crate::browser::chromium() {
        Some(chromium) if chromium.is_file() => None,
        Some(chromium) => Some(format!(
            "Chromium at CHROMIUM={}, which is not a file",
            chromium.display()
        )),
        None => missing_programs(
            &["chromium"],
            "Chromium (no chromium, chromium-browser, google-chrome or \
             google-chrome-stable on PATH, and no CHROMIUM)",
        ),
    }
}

/// Where `.ci/test-tools` installs axe-core, as `tests/a11y/check.sh` reads it.
fn axe_cache() -> PathBuf {
    std::env::var_os("A11Y_CACHE").map_or_else(|| cache().join("a11y"), PathBuf::from)
}

/// Where `.ci/test-tools` puts what it gets without root.
fn tools_bin() -> PathBuf {
    std::env::var_os("DTTO_TOOLS")
        .map_or_else(|| cache().join("tools"), PathBuf::from)
        .join("bin")
}

fn cache() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dtto")
}

/// Where `program` is on PATH, as a shell would find it.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
