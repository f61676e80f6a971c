//! The series: each quarter's figure is the figure a run for that quarter
//! publishes, from the same SQL on the same delivery.

use std::collections::BTreeMap;
use std::path::Path;

use crate::readers::{CsvTable, Shown, read_csv};
use dtto_model::period::Period;

/// Every series of an edition, by table id.
fn series(public: &Path) -> BTreeMap<String, CsvTable> {
    std::fs::read_dir(public.join("data/series"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let id = path.file_stem().unwrap().to_string_lossy().to_string();
            (id, read_csv(&path))
        })
        .collect()
}

#[test]
fn every_series_figure_is_the_figure_of_that_quarters_own_run() {
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    crate::support::bundled_extract(&extract);
    let period: Period = "2005Q1".parse().unwrap();
    let publish = |quarter: Period| {
        crate::support::publish_default(&extract, work.path(), &quarter.to_string()).public()
    };
    let edition = series(&publish(period));
    let first = edition
        .values()
        .flat_map(|table| {
            table
                .rows
                .keys()
                .map(|groups| groups[0].parse::<Period>().unwrap())
        })
        .min()
        .unwrap();
    // The delivery's first Order commenced in October 2000: the 12 months
    // to September 2001 are the first it covers.
    assert_eq!(first.to_string(), "2001Q3");
    let quarters = [
        first,
        first.earlier(-1),
        "2003Q2".parse().unwrap(),
        period.earlier(4),
        period.earlier(1),
        period,
    ];
    // The contract's breakdowns of a series are compared: national, age,
    // sex and ethnicity, never probation areas.
    let breakdowns: std::collections::BTreeSet<&str> = edition
        .values()
        .flat_map(|table| {
            let b = table.dimensions.iter().position(|d| d == "breakdown");
            table
                .rows
                .keys()
                .filter_map(move |groups| Some(groups[b?].as_str()))
        })
        .collect();
    assert_eq!(
        breakdowns,
        ["Age band", "Ethnic group", "National", "Sex"].into(),
        "the breakdowns of the series"
    );
    let mut compared = 0;
    for quarter in quarters {
        let own = crate::readers::read_csvs(&publish(quarter));
        for (id, table) in &edition {
            for (groups, figures) in table
                .rows
                .iter()
                .filter(|(g, _)| g[0] == quarter.to_string())
            {
                let Some(figures_there) = own[id].rows.get(&groups[1..]) else {
                    panic!("{id} {groups:?}: in the series, not in the run for {quarter}");
                };
                for (here, there) in figures.iter().zip(figures_there) {
                    if let (Shown::Count(here), Shown::Count(there)) = (here, there) {
                        assert_eq!(here, there, "{id} {groups:?} in {quarter}");
                        compared += 1;
                    }
                }
            }
        }
    }
    // Every table with a series, in each quarter its series holds, and
    // each of its counts: nothing is skipped unnoticed.
    assert!(compared >= 6 * 10, "{compared} figures compared");
}
