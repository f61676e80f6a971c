//! The workspace's shape, read from `cargo metadata`: each stage's crate
//! depends only on the stages before it, disclosure control on neither
//! DataFusion nor typst, and the product on no generator.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Every package's normal (not dev, not build) dependencies, by name:
/// read once for the three tests.
fn dependencies() -> &'static BTreeMap<String, BTreeSet<String>> {
    static GRAPH: OnceLock<BTreeMap<String, BTreeSet<String>>> = OnceLock::new();
    GRAPH.get_or_init(read_dependencies)
}

/// The platform rustc builds for here, as `x86_64-unknown-linux-gnu`.
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(rustc).arg("-vV").output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names its host")
        .to_string()
}

fn read_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    // For this machine's platform alone: offline, the registry holds only
    // the packages built here, not those of other platforms (Android's).
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let name_of: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let normal = node["deps"].as_array().unwrap().iter().filter(|dep| {
                dep["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|kind| kind["kind"].is_null())
            });
            let names = normal
                .map(|dep| name_of[dep["pkg"].as_str().unwrap()].to_string())
                .collect();
            (name_of[node["id"].as_str().unwrap()].to_string(), names)
        })
        .collect()
}

/// `package` and everything it depends on, however indirectly.
fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, package: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending = vec![package.to_string()];
    while let Some(name) = pending.pop() {
        for dep in graph.get(&name).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                pending.push(dep.clone());
            }
        }
    }
    seen
}

#[test]
fn each_stage_depends_only_on_the_stages_before_it() {
    let graph = dependencies();
    let ours = |package: &str| -> BTreeSet<&str> {
        graph[package]
            .iter()
            .map(String::as_str)
            .filter(|name| name.starts_with("dtto"))
            .collect()
    };
    let expected: [(&str, &[&str]); 8] = [
        ("dtto-model", &[]),
        ("dtto-storage", &["dtto-model"]),
        ("dtto-ingest", &["dtto-model", "dtto-storage"]),
        ("dtto-query", &["dtto-ingest", "dtto-model"]),
        ("dtto-protect", &["dtto-model"]),
        (
            "dtto-render",
            &["dtto-ingest", "dtto-model", "dtto-protect", "dtto-storage"],
        ),
        (
            "dtto",
            &[
                "dtto-ingest",
                "dtto-model",
                "dtto-protect",
                "dtto-query",
                "dtto-render",
                "dtto-storage",
            ],
        ),
        ("dtto-fixtures", &["dtto-ingest", "dtto-model"]),
    ];
    for (package, stages) in expected {
        assert_eq!(ours(package), stages.iter().copied().collect(), "{package}");
    }
}

#[test]
fn disclosure_control_is_built_without_datafusion_or_typst() {
    let graph = dependencies();
    let reached = reaches(graph, "dtto-protect");
    let heavy: Vec<&String> = reached
        .iter()
        .filter(|name| name.starts_with("datafusion") || name.starts_with("typst"))
        .collect();
    assert!(heavy.is_empty(), "dtto-protect reaches {heavy:?}");
    // The test would pass on a graph it failed to read: the product does
    // reach both.
    let product = reaches(graph, "dtto");
    assert!(product.contains("datafusion") && product.contains("typst"));
}

#[test]
fn the_product_cannot_make_up_data() {
    let graph = dependencies();
    assert!(!reaches(graph, "dtto").contains("dtto-fixtures"));
}
